//! What a call needs to know to build its HTTP request: where each argument goes.

use http::Method;

use crate::operation::Location;

/// One argument that becomes a path, query, header or cookie parameter.
#[derive(Debug, Clone)]
pub(crate) struct ParamArg {
    /// The argument's name in the tool's input schema.
    pub(crate) arg: String,
    /// The parameter's name in the API.
    pub(crate) name: String,
    pub(crate) location: Location,
    pub(crate) style: Style,
    pub(crate) explode: bool,
}

/// OpenAPI's serialization styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Simple,
    Label,
    Matrix,
    Form,
    SpaceDelimited,
    PipeDelimited,
    DeepObject,
}

impl Style {
    /// The declared style, or the location's default.
    pub(crate) fn of(style: Option<&str>, location: Location) -> Style {
        match style {
            Some("label") => Style::Label,
            Some("matrix") => Style::Matrix,
            Some("form") => Style::Form,
            Some("spaceDelimited") => Style::SpaceDelimited,
            Some("pipeDelimited") => Style::PipeDelimited,
            Some("deepObject") => Style::DeepObject,
            Some("simple") => Style::Simple,
            _ => match location {
                Location::Path | Location::Header => Style::Simple,
                Location::Query | Location::Cookie => Style::Form,
            },
        }
    }
}

/// How the request body is encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Encoding {
    Json,
    Form,
    Multipart,
    /// Sent as text with this content type.
    Other(String),
}

impl Encoding {
    pub(crate) fn of(media_type: &str) -> Encoding {
        let essence = media_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "application/x-www-form-urlencoded" => Encoding::Form,
            "multipart/form-data" => Encoding::Multipart,
            e if crate::operation::is_json(e) => Encoding::Json,
            _ => Encoding::Other(media_type.to_owned()),
        }
    }
}

/// Which arguments make up the body.
#[derive(Debug, Clone)]
pub(crate) enum BodyArgs {
    /// Flattened: each argument is a property of the body object (argument name = property).
    Properties(Vec<String>),
    /// One argument holds the whole body.
    Whole(String),
}

#[derive(Debug, Clone)]
pub(crate) struct BodyPlan {
    pub(crate) encoding: Encoding,
    pub(crate) args: BodyArgs,
    /// Form fields with an `encoding` entry: name, style and explode (the others are
    /// `form`, exploded, as OpenAPI's defaults say).
    pub(crate) field_styles: Vec<(String, Style, bool)>,
}

impl BodyPlan {
    /// How form field `name` is written.
    pub(crate) fn field_style(&self, name: &str) -> (Style, bool) {
        self.field_styles
            .iter()
            .find(|(n, _, _)| n == name)
            .map_or((Style::Form, true), |(_, s, e)| (*s, *e))
    }
}

/// Everything one operation's leaf needs per call.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) params: Vec<ParamArg>,
    pub(crate) body: Option<BodyPlan>,
    /// Non-object JSON results are wrapped as `{"result": …}` to fit the output schema.
    pub(crate) wrap_result: bool,
}
