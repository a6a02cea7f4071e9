//! The meta-tools' definitions, their arguments and the search's answer.

use std::sync::Arc;

use serde_json::{json, Value};
use turret_core::types::{CallToolResult, ContentBlock, JsonObject, Tool, ToolAnnotations};

use super::index::lead;
use super::query::Hit;

/// Longest query accepted: a task said in words, not a document.
pub(crate) const MAX_QUERY_BYTES: usize = 4096;
/// Most tools one search may return.
pub(crate) const MAX_LIMIT: usize = 50;
/// Longest description in the text rendering of an answer.
const TEXT_DESCRIPTION: usize = 160;

fn object(value: Value) -> Arc<JsonObject> {
    match value {
        Value::Object(o) => Arc::new(o),
        _ => unreachable!("schemas here are objects"),
    }
}

/// The definition of the search meta-tool.
pub(crate) fn search_tool(name: &str, call_name: &str, limit: usize) -> Tool {
    Tool {
        name: name.to_owned(),
        title: Some("Search tools".into()),
        description: Some(format!(
            "Finds the tools that can do a task, among all the tools of this server. Say what \
         you want to do in a few words (\"refund a charge\", \"list open pull requests\"). \
         Returns each tool's name, description and input schema, best first; call one with \
         `{call_name}`. An empty list means that no tool fits."
        )),
        input_schema: object(json!({
        "type": "object",
        "properties": {
            "query": {
                "type": "string",
                "description": "The task, in a few words.",
                "maxLength": MAX_QUERY_BYTES,
            },
            "limit": {
                "type": "integer",
                "description": "How many tools to return at most.",
                "minimum": 1,
                "maximum": MAX_LIMIT,
                "default": limit,
            },
        },
        "required": ["query"],
        })),
        output_schema: Some(object(json!({
        "type": "object",
        "properties": {
            "tools": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "description": {"type": "string"},
                        "inputSchema": {"type": "object"},
                        "score": {"type": "number"},
                    },
                    "required": ["name", "inputSchema", "score"],
                },
            },
        },
        "required": ["tools"],
        }))),
        annotations: Some(ToolAnnotations {
            read_only_hint: Some(true),
            open_world_hint: Some(false),
            ..ToolAnnotations::default()
        }),
        ..Tool::default()
    }
}

/// The definition of the call meta-tool.
pub(crate) fn call_tool(name: &str, search_name: &str) -> Tool {
    Tool {
        name: name.to_owned(),
        title: Some("Call a tool".into()),
        description: Some(format!(
            "Calls a tool found with `{search_name}`, by its name, with arguments that follow \
             its input schema."
        )),
        input_schema: object(json!({
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "The tool's name."},
            "arguments": {"type": "object", "description": "The tool's arguments."},
        },
        "required": ["name"],
        })),
        ..Tool::default()
    }
}

/// The arguments of a search, checked.
#[derive(Debug)]
pub(crate) struct SearchArgs {
    pub(crate) query: String,
    pub(crate) limit: usize,
}

/// Reads a search's arguments; `Err` holds the message for an `isError` result.
pub(crate) fn search_args(
    args: Option<&JsonObject>,
    default_limit: usize,
) -> Result<SearchArgs, String> {
    let query = match args.and_then(|a| a.get("query")) {
        Some(Value::String(q)) => q,
        Some(_) => return Err("`query` must be a string".into()),
        None => return Err("`query` is required: say what you want to do".into()),
    };
    if query.trim().is_empty() {
        return Err("`query` is empty: say what you want to do".into());
    }
    if query.len() > MAX_QUERY_BYTES {
        return Err(format!(
            "`query` is {} bytes long; at most {MAX_QUERY_BYTES} are searched: say the task \
             in a few words",
            query.len()
        ));
    }
    let limit = match args.and_then(|a| a.get("limit")) {
        None | Some(Value::Null) => default_limit,
        Some(v) => match v.as_u64() {
            Some(n @ 1..) if n <= MAX_LIMIT as u64 => n as usize,
            _ => return Err(format!("`limit` must be an integer from 1 to {MAX_LIMIT}")),
        },
    };
    Ok(SearchArgs {
        query: query.clone(),
        limit,
    })
}

/// Reads a call's arguments: the tool's name and its arguments.
pub(crate) fn call_args(args: Option<&JsonObject>) -> Result<(String, Option<JsonObject>), String> {
    let name = match args.and_then(|a| a.get("name")) {
        Some(Value::String(n)) if !n.is_empty() => n.clone(),
        Some(Value::String(_)) => return Err("`name` is empty: name the tool to call".into()),
        Some(_) => return Err("`name` must be a string".into()),
        None => return Err("`name` is required: the tool to call".into()),
    };
    let arguments = match args.and_then(|a| a.get("arguments")) {
        None | Some(Value::Null) => None,
        Some(Value::Object(o)) => Some(o.clone()),
        Some(_) => return Err("`arguments` must be an object".into()),
    };
    Ok((name, arguments))
}

/// A description's first sentence without markup, cut for a one-line rendering.
fn short(description: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in lead(description).chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(if c.is_whitespace() { ' ' } else { c }),
            _ => {}
        }
    }
    if out.chars().count() > TEXT_DESCRIPTION {
        out = out.chars().take(TEXT_DESCRIPTION).collect::<String>() + "…";
    }
    out
}

/// The answer to a search: the tools as structured content, and a short text rendering.
pub(crate) fn answer(query: &str, hits: &[Hit], searched: usize) -> CallToolResult {
    let tools: Vec<Value> = hits
        .iter()
        .map(|h| {
            let t = h.tool();
            let mut entry = json!({
                "name": t.name,
                "inputSchema": t.input_schema,
                "score": (h.score() * 1000.0).round() / 1000.0,
            });
            if let Some(d) = &t.description {
                entry["description"] = Value::String(d.clone());
            }
            entry
        })
        .collect();
    let text = if hits.is_empty() {
        format!(
            "No tool fits \"{query}\" among {searched} tools. Say the task in other words, or \
             tell the user that this server cannot do it."
        )
    } else {
        let mut text = format!("Tools for \"{query}\", best first:");
        for h in hits {
            let t = h.tool();
            let d = t.description.as_deref().map(short).unwrap_or_default();
            text.push_str(&format!("\n- {} ({:.2}): {d}", t.name, h.score()));
        }
        text
    };
    let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
    result.structured_content = Some(json!({ "tools": tools }));
    result
}
