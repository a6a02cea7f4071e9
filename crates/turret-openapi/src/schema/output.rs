//! A tool's output schema, from the primary 2xx response: objects as they are, anything
//! else wrapped as `{"result": …}` (MCP structured content is always an object).

use serde_json::{json, Value};
use turret_types::JsonObject;

use super::convert::{Converter, Direction};
use super::defs::Definitions;
use crate::document::node::Node;
use crate::error::Error;
use crate::operation::resolve_schema;

/// FastMCP's marker for a wrapped result (clients that know it unwrap `result`).
pub(crate) const WRAP_MARKER: &str = "x-fastmcp-wrap-result";

/// The output schema and whether results are wrapped.
///
/// `budget` bounds the bytes of `$defs` (see [`Definitions::bounded`]): response graphs
/// such as Stripe's reach nearly every definition from every operation.
pub(crate) fn output(
    response: Option<&Node>,
    defs: &mut Definitions<'_>,
    budget: Option<usize>,
) -> Result<Option<(JsonObject, bool)>, Error> {
    let Some(response) = response else {
        return Ok(None);
    };
    let spec = defs.spec();
    let resolved = resolve_schema(spec, response);
    let is_object = match resolved.get("type") {
        Some(t) => t.as_str() == Some("object"),
        None => resolved.get("properties").is_some(),
    };
    let mut converter = Converter::new(spec, Direction::Output);
    // The root of an output schema must say `"type": "object"` itself, so a reference to
    // an object component is replaced by the component.
    let (root, mut refs) = match Definitions::component_of(response) {
        Some(name) if is_object => defs.schema(&name, Direction::Output)?,
        _ => (converter.convert(response)?, Vec::new()),
    };
    refs.extend(std::mem::take(&mut converter.refs));
    let (mut schema, wrapped) = match root {
        Value::Object(o) if is_object => (o, false),
        other => {
            let mut o = JsonObject::new();
            o.insert("type".into(), "object".into());
            o.insert("properties".into(), json!({ "result": other }));
            o.insert("required".into(), json!(["result"]));
            o.insert(WRAP_MARKER.into(), true.into());
            (o, true)
        }
    };
    if !refs.is_empty() {
        let kept = match budget {
            Some(budget) => {
                let mut root = Value::Object(std::mem::take(&mut schema));
                let kept = defs.bounded(&mut root, refs, Direction::Output, budget)?;
                if let Value::Object(o) = root {
                    schema = o;
                }
                kept
            }
            None => defs.closure(refs, Direction::Output)?,
        };
        if !kept.is_empty() {
            schema.insert("$defs".into(), Value::Object(kept));
        }
    }
    Ok(Some((schema, wrapped)))
}
