//! Validates MCP messages against the official JSON Schema of each protocol revision, for
//! tests.
//!
//! The schemas are read from `shared/mcp-schema/<version>/schema.json` beside the repository.
//! Include this file from a test with `#[path = "support/schema.rs"] mod schema;` (adjust the
//! path to where the test lives) and call [`validate_message`] on each serialized message, or
//! [`validate_result`] on a result object with the name of its schema definition.
//!
//! Compiled validators are cached per (version, definition) for the life of the test binary.
#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;

/// Where the schemas are, `shared/mcp-schema` beside the repository root. The root package
/// finds it at `$CARGO_MANIFEST_DIR/../shared/mcp-schema`; a workspace member including this
/// file finds it by walking up from its own manifest directory.
pub fn schema_dir() -> PathBuf {
    let direct = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/mcp-schema"));
    if direct.is_dir() {
        return direct.to_path_buf();
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|dir| dir.join("shared/mcp-schema"))
        .find(|dir| dir.is_dir())
        .unwrap_or_else(|| direct.to_path_buf())
}

/// One revision's schema document, with what is derived from it once.
struct Document {
    /// The whole `schema.json`.
    root: Value,
    /// `definitions` (draft-07) or `$defs` (2020-12).
    defs_key: &'static str,
    /// Request and notification definitions by the method they fix with `const`.
    by_method: HashMap<String, Vec<String>>,
}

impl Document {
    fn definitions(&self) -> Option<&serde_json::Map<String, Value>> {
        self.root.get(self.defs_key).and_then(Value::as_object)
    }

    fn has(&self, def: &str) -> bool {
        self.definitions().is_some_and(|d| d.contains_key(def))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic elsewhere while holding the lock leaves the cache itself consistent.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn document(version: &str) -> Result<Arc<Document>, String> {
    static DOCUMENTS: OnceLock<Mutex<HashMap<String, Arc<Document>>>> = OnceLock::new();
    let mut documents = lock(DOCUMENTS.get_or_init(Default::default));
    if let Some(doc) = documents.get(version) {
        return Ok(Arc::clone(doc));
    }
    if version.is_empty() || !version.chars().all(|c| c.is_ascii_digit() || c == '-') {
        return Err(format!("{version:?} is not a protocol version"));
    }
    let path = schema_dir().join(version).join("schema.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("no schema for MCP {version} at {}: {e}", path.display()))?;
    let root: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let defs_key = if root.get("$defs").is_some() {
        "$defs"
    } else {
        "definitions"
    };
    let mut by_method: HashMap<String, Vec<String>> = HashMap::new();
    if let Some(defs) = root.get(defs_key).and_then(Value::as_object) {
        for (name, def) in defs {
            let method = def
                .pointer("/properties/method/const")
                .and_then(Value::as_str);
            if let Some(method) = method {
                by_method
                    .entry(method.to_owned())
                    .or_default()
                    .push(name.clone());
            }
        }
    }
    let doc = Arc::new(Document {
        root,
        defs_key,
        by_method,
    });
    documents.insert(version.to_owned(), Arc::clone(&doc));
    Ok(doc)
}

fn validator(version: &str, def: &str) -> Result<Arc<jsonschema::Validator>, String> {
    type Cache = HashMap<(String, String), Arc<jsonschema::Validator>>;
    static VALIDATORS: OnceLock<Mutex<Cache>> = OnceLock::new();
    let key = (version.to_owned(), def.to_owned());
    if let Some(v) = lock(VALIDATORS.get_or_init(Default::default)).get(&key) {
        return Ok(Arc::clone(v));
    }
    let doc = document(version)?;
    if !doc.has(def) {
        return Err(format!("MCP {version} defines no {def:?}"));
    }
    // The whole document with a root `$ref` to the definition, so every internal reference
    // resolves. (In draft-07 `$ref` overrides its siblings; in 2020-12 the siblings are only
    // `$schema` and the definitions, which assert nothing.)
    let mut wrapper = doc.root.clone();
    if let Value::Object(o) = &mut wrapper {
        o.insert(
            "$ref".to_owned(),
            Value::from(format!("#/{}/{def}", doc.defs_key)),
        );
    }
    let compiled = jsonschema::options()
        .should_validate_formats(true)
        .build(&wrapper)
        .map_err(|e| format!("MCP {version} schema for {def} does not compile: {e}"))?;
    let compiled = Arc::new(compiled);
    lock(VALIDATORS.get_or_init(Default::default)).insert(key, Arc::clone(&compiled));
    Ok(compiled)
}

/// Validates `value` against the definition `def` (e.g. `"CallToolRequest"`, `"Tool"`) of MCP
/// `version`. The error lists every violation with its location in `value`.
pub fn validate_definition(version: &str, def: &str, value: &Value) -> Result<(), String> {
    let validator = validator(version, def)?;
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| {
            let at = e.instance_path().to_string();
            format!("  at {}: {e}", if at.is_empty() { "/" } else { &at })
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "not a valid MCP {version} {def}:\n{}\n  value: {value}",
            errors.join("\n")
        ))
    }
}

/// Validates a result object (the `result` member of a response, or an input response) against
/// a named definition such as `"CallToolResult"` or `"InitializeResult"`.
pub fn validate_result(version: &str, def: &str, result: &Value) -> Result<(), String> {
    if !result.is_object() {
        return Err(format!("a {def} must be a JSON object, got {result}"));
    }
    validate_definition(version, def, result)
}

/// The kind of a JSON-RPC message, told from its members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Has `method` and `id`.
    Request,
    /// Has `method` and no `id`.
    Notification,
    /// Has `result`.
    Result,
    /// Has `error`.
    Error,
}

/// Tells a message's shape.
pub fn shape(message: &Value) -> Result<Shape, String> {
    let Some(o) = message.as_object() else {
        return Err(format!(
            "a JSON-RPC message must be an object, got {message}"
        ));
    };
    match (
        o.contains_key("method"),
        o.contains_key("result"),
        o.contains_key("error"),
    ) {
        (true, false, false) if o.contains_key("id") => Ok(Shape::Request),
        (true, false, false) => Ok(Shape::Notification),
        (false, true, false) => Ok(Shape::Result),
        (false, false, true) => Ok(Shape::Error),
        _ => Err(format!(
            "a message needs exactly one of \"method\", \"result\" or \"error\": {message}"
        )),
    }
}

/// The envelope definition for a message of `shape` in `version`: the revisions name them
/// differently (`JSONRPCResponse`/`JSONRPCError` up to 2025-06-18,
/// `JSONRPCResultResponse`/`JSONRPCErrorResponse` from 2025-11-25).
pub fn envelope_definition(version: &str, shape: Shape) -> Result<&'static str, String> {
    let doc = document(version)?;
    let pick = |newer: &'static str, older: &'static str| {
        if doc.has(newer) {
            newer
        } else {
            older
        }
    };
    Ok(match shape {
        Shape::Request => "JSONRPCRequest",
        Shape::Notification => "JSONRPCNotification",
        Shape::Result => pick("JSONRPCResultResponse", "JSONRPCResponse"),
        Shape::Error => pick("JSONRPCErrorResponse", "JSONRPCError"),
    })
}

/// The definitions of the request (or notification) with this method in `version`, e.g.
/// `["CallToolRequest"]` for `tools/call`; empty for a method the revision does not define.
pub fn method_definitions(
    version: &str,
    method: &str,
    shape: Shape,
) -> Result<Vec<String>, String> {
    let suffix = match shape {
        Shape::Request => "Request",
        Shape::Notification => "Notification",
        _ => return Ok(Vec::new()),
    };
    let doc = document(version)?;
    Ok(doc
        .by_method
        .get(method)
        .map(|defs| {
            defs.iter()
                .filter(|d| d.ends_with(suffix))
                .cloned()
                .collect()
        })
        .unwrap_or_default())
}

/// Validates one serialized JSON-RPC message against MCP `version`'s schema: against the
/// envelope definition for its shape (request, notification, result response or error
/// response), and, for a request or notification whose method the revision defines, against
/// that method's definition too (e.g. `CallToolRequest`), which checks the params.
///
/// A result's own shape depends on the request it answers, which the message does not say:
/// check it with [`validate_result`].
pub fn validate_message(version: &str, message: &Value) -> Result<(), String> {
    let shape = shape(message)?;
    validate_definition(version, envelope_definition(version, shape)?, message)?;
    if let Some(method) = message.get("method").and_then(Value::as_str) {
        for def in method_definitions(version, method, shape)? {
            validate_definition(version, &def, message)?;
        }
    }
    Ok(())
}
