//! After a `-32020` (header mismatch) for a 2026-07-28 `tools/call`, the tool's
//! `x-mcp-header` annotations the transport knows may be stale: list the tools again (with the
//! call's own `_meta`) so the call can be retried with the right `Mcp-Param-*` headers.

use std::sync::Arc;

use bytes::Bytes;
use serde_json::{json, Value};
use turret_core::types::{JsonRpcMessage, JsonRpcRequest, RequestId};

use super::connection::Shared;
use super::headers;
use super::session::read_answer;

/// The most pages of `tools/list` read.
const MAX_PAGES: usize = 20;

/// Lists every tool again and learns their annotations; `false` if the listing failed.
pub(crate) async fn relist(shared: &Arc<Shared>, call: &JsonRpcRequest, version: &str) -> bool {
    let mut meta = call
        .params
        .as_ref()
        .and_then(|p| p.get("_meta"))
        .cloned()
        .unwrap_or_else(|| json!({}));
    if let Some(meta) = meta.as_object_mut() {
        meta.remove("progressToken");
    }
    let mut cursor: Option<Value> = None;
    for page in 0..MAX_PAGES {
        let mut params = json!({ "_meta": meta });
        if let Some(cursor) = cursor.take() {
            params["cursor"] = cursor;
        }
        let request = JsonRpcRequest {
            id: RequestId::String(format!("turret-relist-{}-{page}", call.id)),
            method: "tools/list".into(),
            params: Some(params),
        };
        let http_request = shared.post(
            &shared.config.url,
            Bytes::from(JsonRpcMessage::Request(request.clone()).to_vec()),
            |h| headers::add_modern(h, &request, version, None),
        );
        let response = match shared.call(http_request).await {
            Ok(response) if response.status().is_success() => response,
            _ => return false,
        };
        let Ok(mut result) = read_answer(shared, &request.id, response).await else {
            return false;
        };
        shared.learn_tools(&mut result);
        match result.get("nextCursor") {
            Some(next @ Value::String(_)) => cursor = Some(next.clone()),
            _ => return true,
        }
    }
    true
}
