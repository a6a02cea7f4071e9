//! One message, one POST: how a request's answer comes back (a JSON body, an SSE stream, or
//! later on another stream after a `202`), how HTTP failures become JSON-RPC errors, and
//! when a failure means something else: a `404` for an expired session (re-initialize), or
//! an `initialize` refused by a server of the old HTTP+SSE transport (switch to it).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Response, StatusCode};
use serde_json::{json, Value};
use turret_core::types::{JsonRpcError, JsonRpcMessage, JsonRpcRequest, RequestId};

use super::connection::{transport_error, Shared};
use super::headers::{self, MCP_SESSION_ID};
use super::service::{media_type, read_body, ResponseBody};
use super::{legacy, relist, resume, session};

/// How long a notification or response POST may take before the next message goes anyway.
const ONE_WAY_TIMEOUT: Duration = Duration::from_secs(30);

/// Sends a request and hands its answer (or a JSON-RPC error saying why there is none) to
/// the client.
pub(crate) async fn request(shared: Arc<Shared>, request: JsonRpcRequest, modern: Option<String>) {
    let id = request.id.clone();
    let body = Bytes::from(JsonRpcMessage::Request(request.clone()).to_vec());
    let initialize = request.method == "initialize" && modern.is_none();
    let mut renewed = false;
    let mut relisted = false;
    loop {
        let target = shared.target();
        if let Some(endpoint) = &target.legacy_endpoint {
            legacy::post(&shared, endpoint, body, Some(&id)).await;
            return;
        }
        let http_request = shared.post(&shared.config.url, body.clone(), |headers| match &modern {
            Some(version) => {
                let params = (request.method == "tools/call")
                    .then(|| request.params.as_ref()?.get("name")?.as_str())
                    .flatten()
                    .and_then(|name| shared.tool_params(name));
                headers::add_modern(headers, &request, version, params.as_deref());
            }
            // `initialize` goes without the version: it is what negotiates it.
            None => target.add_session(headers, !initialize),
        });
        let response = match shared.call(http_request).await {
            Ok(response) => response,
            Err(e) => {
                let url = &shared.config.url;
                shared.fail(
                    &id,
                    transport_error(format!("could not send {} to {url}: {e}", request.method)),
                );
                return;
            }
        };
        let status = response.status();
        // A 404 for a request in a session: the server ended the session; open a new one
        // and send the request again (once).
        if status == StatusCode::NOT_FOUND
            && target.session.is_some()
            && modern.is_none()
            && !initialize
            && !renewed
        {
            drop(response);
            if let Err(error) = session::renew(&shared, target.generation).await {
                shared.fail(&id, error);
                return;
            }
            renewed = true;
            continue;
        }
        if initialize && status.is_success() {
            shared.start_session(response.headers().get(MCP_SESSION_ID));
        }
        if !status.is_success() {
            let bytes = read_body(response.into_body()).await.unwrap_or_default();
            if let Some(version) = modern.as_deref().filter(|_| !relisted) {
                if request.method == "tools/call" && is_header_mismatch(&bytes) {
                    relisted = true;
                    if relist::relist(&shared, &request, version).await {
                        continue;
                    }
                }
            }
            if initialize && falls_back(&shared, status, &bytes) {
                match legacy::switch(&shared).await {
                    Ok(()) => continue,
                    Err(reason) => tracing::debug!(%reason, "no HTTP+SSE server there either"),
                }
            }
            shared.deliver(http_error(&id, status, &bytes));
            return;
        }
        answer(&shared, &id, response, modern.is_none()).await;
        return;
    }
}

/// Whether a refused `initialize` means an old HTTP+SSE server: 400, 404 or 405 without a
/// modern JSON-RPC error in the body.
fn falls_back(shared: &Shared, status: StatusCode, body: &[u8]) -> bool {
    shared.config.legacy_fallback
        && matches!(status.as_u16(), 400 | 404 | 405)
        && !is_modern_error(body)
}

/// A body a 2026-07-28 server sends when it refuses a request: a JSON-RPC error about the
/// version, a header, a capability, the parameters, or an unknown method.
pub(crate) fn is_modern_error(body: &[u8]) -> bool {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return false;
    };
    let code = value
        .get("error")
        .and_then(|e| e.get("code"))
        .and_then(Value::as_i64);
    matches!(code, Some(-32022 | -32021 | -32020 | -32602 | -32601))
}

/// Whether a body is a `-32020` (header mismatch) error.
fn is_header_mismatch(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("error")?.get("code")?.as_i64())
        == Some(-32020)
}

/// The JSON-RPC error for request `id` that an HTTP error status stands for: the body's own
/// JSON-RPC error if it has one, else one naming the status.
pub(crate) fn http_error(id: &RequestId, status: StatusCode, body: &[u8]) -> JsonRpcMessage {
    if let Ok(JsonRpcMessage::Error(e)) = JsonRpcMessage::parse(body) {
        return JsonRpcMessage::Error(JsonRpcError {
            id: Some(id.clone()),
            error: e.error,
        });
    }
    let reason = status.canonical_reason().unwrap_or("");
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let detail = if text.is_empty() {
        String::new()
    } else {
        let cut: String = text.chars().take(200).collect();
        format!(": {cut}")
    };
    let error = transport_error(format!(
        "the server answered HTTP {} {reason}{detail}",
        status.as_u16()
    ))
    .with_data(json!({ "httpStatus": status.as_u16() }));
    JsonRpcMessage::Error(JsonRpcError {
        id: Some(id.clone()),
        error,
    })
}

/// Reads a successful response to request `id`: an SSE stream (followed, and resumed if it
/// breaks and `resumable`), a JSON body, or nothing (the answer comes on another stream).
async fn answer(
    shared: &Arc<Shared>,
    id: &RequestId,
    response: Response<ResponseBody>,
    resumable: bool,
) {
    let status = response.status();
    let kind = media_type(response.headers());
    let body = response.into_body();
    if kind == "text/event-stream" {
        return resume::follow(shared, id, body, resumable).await;
    }
    let bytes = match read_body(body).await {
        Ok(bytes) => bytes,
        Err(e) => return shared.fail(id, transport_error(e)),
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    let kind = if kind.is_empty() {
        "no content type"
    } else {
        &kind
    };
    match deliver_body(shared, &bytes, Some(id)) {
        Ok(true) => {}
        // A JSON body is the answer: one that is not would leave the request waiting forever.
        Ok(false) => shared.fail(
            id,
            transport_error(format!(
                "the server's answer (HTTP {status}, {kind}) does not answer request {id}"
            )),
        ),
        Err(e) => shared.fail(
            id,
            transport_error(format!(
                "the server's answer (HTTP {status}, {kind}) is not JSON-RPC: {e}"
            )),
        ),
    }
}

/// Hands every message of a JSON body (one message, or a batch) to the client. An error
/// without an id is taken as the answer to `answering`. Returns whether one answered it.
pub(crate) fn deliver_body(
    shared: &Shared,
    bytes: &[u8],
    answering: Option<&RequestId>,
) -> Result<bool, String> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let values = match value {
        Value::Array(values) => values,
        single => vec![single],
    };
    let mut answered = false;
    let mut bad = None;
    for value in values {
        match JsonRpcMessage::from_value(value) {
            Ok(mut message) => {
                if let (JsonRpcMessage::Error(e), Some(id)) = (&mut message, answering) {
                    e.id.get_or_insert_with(|| id.clone());
                }
                answered |= answers(&message, answering);
                shared.deliver(message);
            }
            Err(e) => bad = Some(e.to_string()),
        }
    }
    match bad {
        Some(e) if !answered => Err(e),
        _ => Ok(answered),
    }
}

/// Whether `message` is the answer to `id`.
pub(crate) fn answers(message: &JsonRpcMessage, id: Option<&RequestId>) -> bool {
    let Some(id) = id else { return false };
    match message {
        JsonRpcMessage::Response(r) => &r.id == id,
        JsonRpcMessage::Error(e) => e.id.as_ref() == Some(id),
        _ => false,
    }
}

/// POSTs a notification or a response (the answer to a server request), and waits until
/// the server took it.
pub(crate) async fn one_way(shared: Arc<Shared>, message: JsonRpcMessage) {
    let initialized = matches!(&message, JsonRpcMessage::Notification(n) if n.method == "notifications/initialized");
    let notification = matches!(message, JsonRpcMessage::Notification(_));
    let body = Bytes::from(message.to_vec());
    let mut renewed = false;
    loop {
        let target = shared.target();
        if let Some(endpoint) = &target.legacy_endpoint {
            legacy::post(&shared, endpoint, body, None).await;
            return;
        }
        let request = shared.post(&shared.config.url, body.clone(), |headers| {
            target.add_session(headers, true)
        });
        let response = match tokio::time::timeout(ONE_WAY_TIMEOUT, shared.call(request)).await {
            Ok(Ok(response)) => response,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "could not send a message to the server");
                return;
            }
            Err(_) => {
                tracing::warn!("the server took more than {ONE_WAY_TIMEOUT:?} to accept a message; sending the next one anyway");
                return;
            }
        };
        let status = response.status();
        if status == StatusCode::NOT_FOUND
            && target.session.is_some()
            && notification
            && !initialized
            && !renewed
        {
            drop(response);
            if session::renew(&shared, target.generation).await.is_err() {
                return;
            }
            renewed = true;
            continue;
        }
        if !status.is_success() {
            let bytes = read_body(response.into_body()).await.unwrap_or_default();
            tracing::warn!(
                %status,
                body = %String::from_utf8_lossy(&bytes),
                "the server refused a notification or response"
            );
            return;
        }
        if initialized {
            shared.open_standalone(target.generation).await;
        }
        // A body is unusual (202 is the rule) but allowed: read what it carries.
        let kind = media_type(response.headers());
        if kind == "text/event-stream" || kind == "application/json" {
            let reader = shared.clone();
            shared.spawn(async move { drain(&reader, response).await });
        }
        return;
    }
}

/// Reads the body of an answer to a notification or response, handing over any message
/// in it; unreadable ones are only logged (some servers answer `202` bodies loosely).
async fn drain(shared: &Arc<Shared>, response: Response<ResponseBody>) {
    if media_type(response.headers()) == "text/event-stream" {
        return resume::drain(shared, response.into_body()).await;
    }
    if let Ok(bytes) = read_body(response.into_body()).await {
        if let Err(e) = deliver_body(shared, &bytes, None) {
            tracing::debug!(error = %e, "ignored the body of an accepted notification");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use turret_core::types::ErrorCode;

    #[test]
    fn recognises_modern_errors_only() {
        assert!(is_modern_error(
            br#"{"jsonrpc":"2.0","id":1,"error":{"code":-32022,"message":"x","data":{"supported":["2026-07-28"]}}}"#
        ));
        assert!(!is_modern_error(
            br#"{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Bad Request"}}"#
        ));
        assert!(!is_modern_error(b"Not Found"));
        assert!(!is_modern_error(b""));
    }

    #[test]
    fn http_errors_become_errors_for_the_request() {
        let id = RequestId::Number(3);
        let passed = http_error(
            &id,
            StatusCode::BAD_REQUEST,
            br#"{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"No session"}}"#,
        );
        let JsonRpcMessage::Error(e) = passed else {
            panic!("{passed:?}")
        };
        assert_eq!(e.id, Some(id.clone()));
        assert_eq!(e.error.code, ErrorCode(-32000));

        let made = http_error(&id, StatusCode::SERVICE_UNAVAILABLE, b"try later");
        let JsonRpcMessage::Error(e) = made else {
            panic!("{made:?}")
        };
        assert_eq!(
            e.error.message,
            "the server answered HTTP 503 Service Unavailable: try later"
        );
        assert_eq!(e.error.data, Some(json!({"httpStatus": 503})));
    }
}
