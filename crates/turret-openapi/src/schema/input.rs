//! A tool's input schema: parameters and body properties flattened into one object.
//!
//! Parameters keep their names unless two places share one (or a body property does): then
//! each such parameter becomes `name__location`. A body whose schema is an object (or an
//! `allOf` of objects) lends its properties; any other body is one argument.

use std::collections::{BTreeSet, HashSet};

use serde_json::{json, Map, Value};
use turret_types::JsonObject;

use super::convert::{Converter, Direction};
use super::defs::Definitions;
use crate::document::node::Node;
use crate::document::Spec;
use crate::error::Error;
use crate::execute::plan::{BodyArgs, BodyPlan, Encoding, ParamArg, Style};
use crate::naming::Naming;
use crate::operation::{resolve_schema, Body, Operation};

/// How deep `allOf` members are followed when merging a body's properties.
const MAX_ALL_OF_DEPTH: usize = 16;

/// The flattened input of one operation.
pub(crate) struct Input {
    pub(crate) schema: JsonObject,
    pub(crate) params: Vec<ParamArg>,
    pub(crate) body: Option<BodyPlan>,
    /// What was renamed or left out, for the generation report.
    pub(crate) notes: Vec<String>,
}

/// A body property: its name and schema.
type Field<'a> = (&'a str, &'a Node);

/// A body object's properties and required names, merged through `allOf`.
#[derive(Default)]
struct Fields<'a> {
    properties: Vec<(&'a str, &'a Node)>,
    required: Vec<&'a str>,
}

fn fields<'a>(spec: &'a Spec, schema: &'a Node) -> Fields<'a> {
    let mut out = Fields::default();
    // A body that is one of several shapes stays one argument, its `oneOf`/`anyOf` (and
    // what its discriminator says) intact: flattened, the choice would be lost and the
    // model could send several variants' fields at once.
    let resolved = resolve_schema(spec, schema);
    if resolved.get("oneOf").is_some() || resolved.get("anyOf").is_some() {
        return out;
    }
    let mut stack = Vec::new();
    merge(spec, schema, 0, &mut stack, &mut out);
    out
}

/// Adds `schema`'s properties (following references and `allOf`) to `out`.
fn merge<'a>(
    spec: &'a Spec,
    schema: &'a Node,
    depth: usize,
    stack: &mut Vec<*const Node>,
    out: &mut Fields<'a>,
) {
    let schema = resolve_schema(spec, schema);
    let id: *const Node = schema;
    if depth > MAX_ALL_OF_DEPTH || stack.contains(&id) {
        return;
    }
    stack.push(id);
    for member in schema
        .get("allOf")
        .and_then(Node::as_array)
        .unwrap_or_default()
    {
        merge(spec, member, depth + 1, stack, out);
    }
    stack.pop();
    if let Some(props) = schema.get("properties").and_then(Node::as_object) {
        for (name, p) in props {
            match out.properties.iter_mut().find(|(n, _)| *n == &**name) {
                Some(slot) => slot.1 = p,
                None => out.properties.push((name, p)),
            }
        }
    }
    for r in schema
        .get("required")
        .and_then(Node::as_array)
        .unwrap_or_default()
    {
        if let Some(r) = r.as_str() {
            if !out.required.contains(&r) {
                out.required.push(r);
            }
        }
    }
}

fn is_read_only(spec: &Spec, schema: &Node) -> bool {
    let flag = |n: &Node| n.get("readOnly").and_then(Node::as_bool) == Some(true);
    flag(schema) || flag(resolve_schema(spec, schema))
}

/// The name of a whole-body argument: FastMCP derives it from the schema's title.
fn whole_body_name(body: &Body<'_>, spec: &Spec, naming: Naming) -> String {
    if naming == Naming::Improved {
        return "body".to_owned();
    }
    let title = resolve_schema(spec, body.schema)
        .str("title")
        .unwrap_or("body")
        .to_lowercase();
    let name: String = title
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        "body_data".to_owned()
    } else {
        name
    }
}

/// Flattens `op`'s parameters and body into one input schema and the plan to undo it.
pub(crate) fn input(
    op: &Operation<'_>,
    defs: &mut Definitions<'_>,
    naming: Naming,
) -> Result<Input, Error> {
    let spec = defs.spec();
    let mut converter = Converter::new(spec, Direction::Input);
    let body_fields = op.body.as_ref().map(|b| fields(spec, b.schema));
    let mut notes = Vec::new();
    let (body_props, read_only): (Vec<Field<'_>>, Vec<Field<'_>>) = body_fields
        .as_ref()
        .map(|f| {
            f.properties
                .iter()
                .copied()
                .partition(|(_, s)| !is_read_only(spec, s))
        })
        .unwrap_or_default();
    if !read_only.is_empty() {
        let names: Vec<&str> = read_only.iter().map(|(n, _)| *n).collect();
        notes.push(format!(
            "readOnly body properties left out: {}",
            names.join(", ")
        ));
    }
    let whole = match &op.body {
        Some(b)
            if body_props.is_empty()
                && body_fields.as_ref().is_none_or(|f| f.properties.is_empty()) =>
        {
            Some(whole_body_name(b, spec, naming))
        }
        _ => None,
    };

    // Names used by more than one parameter, or by a parameter and the body.
    let mut taken: HashSet<&str> = body_props.iter().map(|(n, _)| *n).collect();
    taken.extend(whole.as_deref());
    let mut seen = HashSet::new();
    let mut clashes: HashSet<&str> = HashSet::new();
    for p in &op.parameters {
        if taken.contains(p.name) || !seen.insert(p.name) {
            clashes.insert(p.name);
        }
    }

    let mut properties = Map::new();
    let mut required = Vec::new();
    let mut params = Vec::new();
    for p in &op.parameters {
        let clash = clashes.contains(p.name);
        let arg = if clash {
            let arg = format!("{}__{}", p.name, p.location.as_str());
            notes.push(format!(
                "{} parameter {:?} is argument {arg:?}: the name is taken",
                p.location.as_str(),
                p.name
            ));
            arg
        } else {
            p.name.to_owned()
        };
        let mut schema = match p.schema {
            Some(s) => converter.convert(s)?,
            None => json!({}),
        };
        if let Value::Object(o) = &mut schema {
            let own = o
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_owned);
            let text = own.or(p.description.map(str::to_owned));
            let text = match (text, clash) {
                (Some(t), true) => Some(format!(
                    "{t} ({} parameter)",
                    capitalized(p.location.as_str())
                )),
                (None, true) => Some(format!("({} parameter)", capitalized(p.location.as_str()))),
                (t, false) => t,
            };
            if let Some(t) = text {
                o.insert("description".into(), t.into());
            }
        }
        if p.required {
            required.push(Value::String(arg.clone()));
        }
        properties.insert(arg.clone(), schema);
        let style = Style::of(p.style, p.location);
        params.push(ParamArg {
            arg,
            name: p.name.to_owned(),
            location: p.location,
            style,
            explode: p.explode.unwrap_or(style == Style::Form),
        });
    }

    let body = match &op.body {
        None => None,
        Some(b) => {
            let encoding = Encoding::of(b.media_type);
            if !b.others.is_empty() {
                notes.push(format!(
                    "request body sent as {}; also accepted: {}",
                    b.media_type,
                    b.others.join(", ")
                ));
            }
            if let Encoding::Other(media) = &encoding {
                notes.push(format!(
                    "request body of type {media} is one argument, sent as its text"
                ));
            }
            let args = if let Some(name) = whole {
                let mut schema = converter.convert(b.schema)?;
                if let (Value::Object(o), Some(d)) = (&mut schema, b.description) {
                    o.entry("description").or_insert(d.into());
                }
                if b.required {
                    required.push(Value::String(name.clone()));
                }
                properties.insert(name.clone(), schema);
                BodyArgs::Whole(name)
            } else {
                let wanted: BTreeSet<&str> = body_fields
                    .as_ref()
                    .map(|f| f.required.iter().copied().collect())
                    .unwrap_or_default();
                let mut names = Vec::new();
                for (name, schema) in &body_props {
                    properties.insert((*name).to_owned(), converter.convert(schema)?);
                    if b.required && wanted.contains(name) {
                        required.push(Value::String((*name).to_owned()));
                    }
                    names.push((*name).to_owned());
                }
                BodyArgs::Properties(names)
            };
            Some(BodyPlan {
                encoding,
                args,
                field_styles: field_styles(b.encoding),
            })
        }
    };

    let mut schema = JsonObject::new();
    schema.insert("type".into(), "object".into());
    schema.insert("properties".into(), Value::Object(properties));
    schema.insert("required".into(), Value::Array(required));
    let refs = std::mem::take(&mut converter.refs);
    if !refs.is_empty() {
        schema.insert(
            "$defs".into(),
            Value::Object(defs.closure(refs, Direction::Input)?),
        );
    }
    Ok(Input {
        schema,
        params,
        body,
        notes,
    })
}

/// The `style`/`explode` of each form field that the media type's `encoding` names.
fn field_styles(encoding: Option<&Node>) -> Vec<(String, Style, bool)> {
    let fields = encoding.and_then(Node::as_object).into_iter().flatten();
    fields
        .map(|(name, e)| {
            let style = Style::of(e.str("style"), crate::operation::Location::Query);
            let explode = e
                .get("explode")
                .and_then(Node::as_bool)
                .unwrap_or(style == Style::Form);
            (name.to_string(), style, explode)
        })
        .collect()
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}
