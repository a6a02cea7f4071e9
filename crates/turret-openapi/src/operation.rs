//! The operations of a spec, in document order, with their parameters, body and primary
//! response resolved.

use std::collections::HashSet;

use http::Method;

use crate::document::node::Node;
use crate::document::{pointer, Spec};
use crate::error::Error;

/// Methods in the order FastMCP visits them within a path (it decides which duplicate
/// name gets the `_2`).
const METHODS: [(&str, Method); 8] = [
    ("get", Method::GET),
    ("put", Method::PUT),
    ("post", Method::POST),
    ("delete", Method::DELETE),
    ("options", Method::OPTIONS),
    ("head", Method::HEAD),
    ("patch", Method::PATCH),
    ("trace", Method::TRACE),
];

/// One operation of the spec, as route maps and the override function see it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Operation<'a> {
    /// The HTTP method.
    pub method: Method,
    /// The path template, as written (`/pets/{petId}`).
    pub path: &'a str,
    /// `operationId`.
    pub operation_id: Option<&'a str>,
    /// `summary`.
    pub summary: Option<&'a str>,
    /// `description`.
    pub description: Option<&'a str>,
    /// `tags`.
    pub tags: Vec<&'a str>,
    pub(crate) parameters: Vec<Parameter<'a>>,
    pub(crate) body: Option<Body<'a>>,
    /// The primary 2xx response's JSON schema, if any.
    pub(crate) response: Option<&'a Node>,
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Location {
    Path,
    Query,
    Header,
    Cookie,
}

impl Location {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "path" => Self::Path,
            "query" => Self::Query,
            "header" => Self::Header,
            "cookie" => Self::Cookie,
            _ => return None,
        })
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Path => "path",
            Self::Query => "query",
            Self::Header => "header",
            Self::Cookie => "cookie",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Parameter<'a> {
    pub(crate) name: &'a str,
    pub(crate) location: Location,
    pub(crate) required: bool,
    pub(crate) description: Option<&'a str>,
    pub(crate) schema: Option<&'a Node>,
    pub(crate) style: Option<&'a str>,
    pub(crate) explode: Option<bool>,
}

#[derive(Debug, Clone)]
pub(crate) struct Body<'a> {
    pub(crate) required: bool,
    pub(crate) description: Option<&'a str>,
    pub(crate) media_type: &'a str,
    pub(crate) schema: &'a Node,
    /// The media type's `encoding` map (per-property `style`/`explode` of form bodies).
    pub(crate) encoding: Option<&'a Node>,
    /// The other media types the body may have (the first with a schema is sent).
    pub(crate) others: Vec<&'a str>,
}

/// The `(location, name)` pairs that security schemes fill in: never arguments.
fn security_parameters(spec: &Spec) -> HashSet<(Location, String)> {
    let mut out = HashSet::new();
    let schemes = spec
        .root
        .get("components")
        .and_then(|c| c.get("securitySchemes"))
        .and_then(Node::as_object);
    for scheme in schemes.into_iter().flat_map(|s| s.values()) {
        let Ok(scheme) = spec.deref(scheme) else {
            continue;
        };
        match scheme.str("type") {
            Some("apiKey") => {
                if let (Some(loc), Some(name)) = (
                    scheme.str("in").and_then(Location::parse),
                    scheme.str("name"),
                ) {
                    let name = if loc == Location::Header {
                        name.to_ascii_lowercase()
                    } else {
                        name.to_owned()
                    };
                    out.insert((loc, name));
                }
            }
            Some("http") | Some("oauth2") | Some("openIdConnect") => {
                out.insert((Location::Header, "authorization".to_owned()));
            }
            _ => {}
        }
    }
    out
}

/// An operation that could not be read, and why.
#[derive(Debug)]
pub(crate) struct Unreadable<'a> {
    pub(crate) method: String,
    pub(crate) path: &'a str,
    pub(crate) operation_id: Option<&'a str>,
    pub(crate) reason: Error,
}

/// Every operation of `spec`, paths in document order, methods in FastMCP's order; one
/// that cannot be read (a dangling reference, a parameter without a name) is reported,
/// and the others still come.
pub(crate) fn operations(spec: &Spec) -> Vec<Result<Operation<'_>, Unreadable<'_>>> {
    let security = security_parameters(spec);
    let mut out = Vec::new();
    let Some(paths) = spec.root.get("paths").and_then(Node::as_object) else {
        return out;
    };
    for (path, item) in paths {
        let item = match spec.deref(item) {
            Ok(item) => item,
            Err(e) => {
                out.push(Err(Unreadable {
                    method: "*".into(),
                    path,
                    operation_id: None,
                    reason: e,
                }));
                continue;
            }
        };
        for (key, method) in &METHODS {
            let Some(op) = item.get(key) else { continue };
            out.push(
                operation(spec, &security, path, item, op, method).map_err(|e| Unreadable {
                    method: method.to_string(),
                    path,
                    operation_id: op.str("operationId"),
                    reason: e,
                }),
            );
        }
    }
    out
}

fn operation<'a>(
    spec: &'a Spec,
    security: &HashSet<(Location, String)>,
    path: &'a str,
    item: &'a Node,
    op: &'a Node,
    method: &Method,
) -> Result<Operation<'a>, Error> {
    let mut parameters = Vec::new();
    let mut seen = HashSet::new();
    // The operation's own parameters override the path item's (same name and place).
    for p in list(op.get("parameters")).chain(list(item.get("parameters"))) {
        let p = spec.deref(p)?;
        let parameter = parameter(p)
            .ok_or_else(|| Error::Invalid("a parameter lacks `name` or a valid `in`".to_owned()))?;
        let key = (parameter.location, parameter.name);
        let lowered = match parameter.location {
            Location::Header => parameter.name.to_ascii_lowercase(),
            _ => parameter.name.to_owned(),
        };
        if !seen.insert(key) || security.contains(&(parameter.location, lowered)) {
            continue;
        }
        parameters.push(parameter);
    }
    Ok(Operation {
        method: method.clone(),
        path,
        operation_id: op.str("operationId"),
        summary: op.str("summary"),
        description: op.str("description"),
        tags: list(op.get("tags")).filter_map(Node::as_str).collect(),
        parameters,
        body: body(spec, op.get("requestBody"))?,
        response: response(spec, op.get("responses"))?,
    })
}

fn list(node: Option<&Node>) -> impl Iterator<Item = &Node> {
    node.and_then(Node::as_array).unwrap_or_default().iter()
}

fn parameter(p: &Node) -> Option<Parameter<'_>> {
    let location = Location::parse(p.str("in")?)?;
    // A parameter described by `content` takes its first media type's schema.
    let schema = p.get("schema").or_else(|| {
        p.get("content")?
            .as_object()?
            .values()
            .find_map(|m| m.get("schema"))
    });
    Some(Parameter {
        name: p.str("name")?,
        location,
        required: location == Location::Path
            || p.get("required").and_then(Node::as_bool) == Some(true),
        description: p.str("description"),
        schema,
        style: p.str("style"),
        explode: p.get("explode").and_then(Node::as_bool),
    })
}

fn body<'a>(spec: &'a Spec, node: Option<&'a Node>) -> Result<Option<Body<'a>>, Error> {
    let Some(node) = node else { return Ok(None) };
    let node = spec.deref(node)?;
    let first = node.get("content").and_then(Node::as_object).and_then(|c| {
        c.iter()
            .find_map(|(media, m)| Some((&**media, m.get("schema")?, m.get("encoding"))))
    });
    let media_types = node.get("content").and_then(Node::as_object);
    Ok(first.map(|(media_type, schema, encoding)| Body {
        required: node.get("required").and_then(Node::as_bool) == Some(true),
        description: node.str("description"),
        media_type,
        schema,
        encoding,
        others: media_types
            .into_iter()
            .flatten()
            .map(|(m, _)| &**m)
            .filter(|m| *m != media_type)
            .collect(),
    }))
}

/// The JSON schema of the primary success response: 200, 201, 202, 204, 207, then the
/// first other 2xx (or `2XX`, or `default`), as FastMCP picks it.
fn response<'a>(spec: &'a Spec, node: Option<&'a Node>) -> Result<Option<&'a Node>, Error> {
    let Some(responses) = node.and_then(Node::as_object) else {
        return Ok(None);
    };
    let primary = ["200", "201", "202", "204", "207"]
        .iter()
        .find_map(|code| responses.get(*code))
        .or_else(|| {
            responses
                .iter()
                .find(|(code, _)| {
                    code.parse::<u16>().is_ok_and(|c| (200..300).contains(&c))
                        || code.eq_ignore_ascii_case("2XX")
                        || &***code == "default"
                })
                .map(|(_, r)| r)
        });
    let Some(primary) = primary else {
        return Ok(None);
    };
    let primary = spec.deref(primary)?;
    let Some(content) = primary.get("content").and_then(Node::as_object) else {
        return Ok(None);
    };
    Ok(content
        .iter()
        .find(|(media, _)| is_json(media))
        .and_then(|(_, m)| m.get("schema")))
}

/// `application/json` and the `+json` family.
pub(crate) fn is_json(media: &str) -> bool {
    let essence = media.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
        || essence.ends_with("+json")
        || essence == "*/*"
}

/// The component named by a reference, resolved (for shape checks).
pub(crate) fn resolve_schema<'a>(spec: &'a Spec, mut schema: &'a Node) -> &'a Node {
    for _ in 0..32 {
        match schema
            .str("$ref")
            .and_then(|r| pointer::resolve(&spec.root, r).ok())
        {
            Some(target) => schema = target,
            None => break,
        }
    }
    schema
}
