//! Tool handlers that more than one test or bench registers on its router.
//!
//! Include with `#[path = "support/tools.rs"] mod tools;` (from `benches/`,
//! `#[path = "../tests/support/tools.rs"]`).
// Each binary that includes this file uses only some of it; the rest would warn.
#![allow(dead_code, unreachable_pub)]

use schemars::JsonSchema;
use serde::Deserialize;
use turret_core::types::{CallToolRequestParams, ClientRequest};
use turret_core::{Args, Request};

// The arguments of `add`: no doc comment, as it would become the schema's description.
#[derive(Deserialize, JsonSchema)]
pub struct Add {
    pub a: i64,
    pub b: i64,
}

/// Adds two integers.
pub async fn add(Args(Add { a, b }): Args<Add>) -> String {
    (a + b).to_string()
}

/// A `tools/call` request for `name` with `arguments` (a JSON object), without extensions.
pub fn call(name: &str, arguments: serde_json::Value) -> Request {
    Request::new(ClientRequest::CallTool(CallToolRequestParams {
        name: name.to_owned(),
        arguments: arguments.as_object().cloned(),
        ..Default::default()
    }))
}
