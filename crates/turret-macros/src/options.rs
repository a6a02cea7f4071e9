//! The options inside `#[tool(…)]`, `#[resource("uri", …)]` and `#[prompt(…)]`.

use proc_macro2::{Ident, TokenStream};
use syn::parse::{ParseStream, Parser as _};
use syn::{LitBool, LitStr, Token};

/// Which macro is expanding.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Tool,
    Resource,
    Prompt,
}

impl Kind {
    pub(crate) fn attribute(self) -> &'static str {
        match self {
            Kind::Tool => "#[tool]",
            Kind::Resource => "#[resource]",
            Kind::Prompt => "#[prompt]",
        }
    }

    /// The options this macro accepts besides a resource's URI.
    fn accepts(self) -> &'static [&'static str] {
        match self {
            Kind::Tool => &[
                "name",
                "title",
                "description",
                "tags",
                "read_only",
                "destructive",
                "idempotent",
                "open_world",
            ],
            Kind::Resource => &["name", "title", "description", "mime_type", "tags"],
            Kind::Prompt => &["name", "title", "description", "tags"],
        }
    }
}

/// The tool annotation hints and the `ToolAnnotations` field each one sets.
pub(crate) const HINTS: [(&str, &str); 4] = [
    ("read_only", "read_only_hint"),
    ("destructive", "destructive_hint"),
    ("idempotent", "idempotent_hint"),
    ("open_world", "open_world_hint"),
];

/// The parsed options.
#[derive(Default)]
pub(crate) struct Options {
    /// A resource's URI or URI template.
    pub(crate) uri: Option<LitStr>,
    pub(crate) name: Option<LitStr>,
    pub(crate) title: Option<LitStr>,
    pub(crate) description: Option<LitStr>,
    pub(crate) mime_type: Option<LitStr>,
    pub(crate) tags: Vec<LitStr>,
    /// Annotation hints as (`ToolAnnotations` field, value).
    pub(crate) hints: Vec<(Ident, bool)>,
}

impl Options {
    /// Parses the attribute's arguments for `kind`.
    pub(crate) fn parse(kind: Kind, attr: TokenStream) -> syn::Result<Self> {
        let mut options = Options::default();
        let parser = |input: ParseStream<'_>| {
            if kind == Kind::Resource {
                if !input.peek(LitStr) {
                    return Err(input.error(
                        "#[resource] needs the URI first: `#[resource(\"a://config\")]` or a template such as `#[resource(\"users://{id}/profile\")]`",
                    ));
                }
                options.uri = Some(input.parse()?);
                if !input.is_empty() {
                    input.parse::<Token![,]>()?;
                }
            }
            while !input.is_empty() {
                options.parse_one(kind, input)?;
                if !input.is_empty() {
                    input.parse::<Token![,]>()?;
                }
            }
            Ok(())
        };
        parser.parse2(attr)?;
        Ok(options)
    }

    fn parse_one(&mut self, kind: Kind, input: ParseStream<'_>) -> syn::Result<()> {
        let key: Ident = input.parse()?;
        let name = key.to_string();
        if !kind.accepts().contains(&name.as_str()) {
            let message = format!(
                "unknown option `{name}` of {}; expected one of: {}",
                kind.attribute(),
                kind.accepts().join(", ")
            );
            return Err(syn::Error::new(key.span(), message));
        }
        let slot = match name.as_str() {
            "name" => &mut self.name,
            "title" => &mut self.title,
            "description" => &mut self.description,
            "mime_type" => &mut self.mime_type,
            "tags" => {
                let content;
                syn::parenthesized!(content in input);
                let tags =
                    content.parse_terminated(<LitStr as syn::parse::Parse>::parse, Token![,])?;
                self.tags.extend(tags);
                return Ok(());
            }
            hint => {
                let field = HINTS.iter().find(|(h, _)| *h == hint).map(|(_, f)| *f);
                let field = Ident::new(field.unwrap_or(hint), key.span());
                let value = if input.peek(Token![=]) {
                    input.parse::<Token![=]>()?;
                    input.parse::<LitBool>()?.value
                } else {
                    true
                };
                self.hints.push((field, value));
                return Ok(());
            }
        };
        input.parse::<Token![=]>()?;
        *slot = Some(input.parse()?);
        Ok(())
    }
}
