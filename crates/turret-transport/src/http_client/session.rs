//! Re-initializing after the server ended the session (a `404` for a request that carried
//! `Mcp-Session-Id`): the transport replays the client's own `initialize` (same
//! capabilities, same requested version, an id of its own so the answer stays inside the
//! transport), records the new session id, sends `notifications/initialized`, replays the
//! last `logging/setLevel`, reopens the standalone stream, and the failed request is sent
//! again. The client above never notices, as long as the server agrees to the same version.

use std::sync::Arc;

use bytes::Bytes;
use http::Response;
use serde_json::Value;
use turret_core::types::{
    ErrorObject, JsonRpcMessage, JsonRpcNotification, JsonRpcRequest, RequestId,
};

use super::connection::{transport_error, Shared};
use super::exchange::answers;
use super::headers::MCP_SESSION_ID;
use super::service::{media_type, read_body, ResponseBody};
use super::sse::{next_event, Read, SseDecoder};

/// Opens a new session in place of `generation`, unless another request already did.
pub(crate) async fn renew(shared: &Arc<Shared>, generation: u64) -> Result<(), ErrorObject> {
    let _one_at_a_time = shared.renewing.lock().await;
    let Some((initialize, set_level)) = shared.end_session(generation) else {
        return Ok(());
    };
    let fail = |why: String| {
        transport_error(format!(
            "the server ended the session (HTTP 404) and opening a new one failed: {why}"
        ))
    };
    let Some(mut initialize) = initialize else {
        return Err(fail("no initialize was sent to replay".into()));
    };
    initialize.id = RequestId::String(format!("turret-reinitialize-{generation}"));
    let (response, session) = internal_request(shared, initialize, false)
        .await
        .map_err(fail)?;
    let version = response
        .get("protocolVersion")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let before = shared.target().version;
    if before.as_ref().and_then(|v| v.to_str().ok()) != Some(version.as_str()) {
        tracing::warn!(
            before = ?before,
            now = %version,
            "the server negotiated another protocol version for the new session"
        );
    }
    shared.set_version(http::HeaderValue::from_str(&version).ok());
    let generation = shared.start_session(session.as_ref());

    let initialized = JsonRpcMessage::Notification(JsonRpcNotification {
        method: "notifications/initialized".into(),
        params: None,
    });
    let target = shared.target();
    let request = shared.post(
        &shared.config.url,
        Bytes::from(initialized.to_vec()),
        |headers| target.add_session(headers, true),
    );
    match shared.call(request).await {
        Ok(r) if r.status().is_success() => {}
        Ok(r) => {
            return Err(fail(format!(
                "notifications/initialized got HTTP {}",
                r.status()
            )))
        }
        Err(e) => return Err(fail(e.to_string())),
    }
    shared.open_standalone(generation).await;
    if let Some(mut set_level) = set_level {
        set_level.id = RequestId::String(format!("turret-reinitialize-{generation}-level"));
        if let Err(e) = internal_request(shared, set_level, true).await {
            tracing::warn!(error = %e, "the new session refused the log level");
        }
    }
    tracing::debug!("re-initialized after the server ended the session");
    Ok(())
}

/// Sends a request the transport makes on its own behalf and reads its result (other
/// messages on its stream go to the client). With `in_session` the session headers go too.
/// Returns the result and the `Mcp-Session-Id` of the response.
async fn internal_request(
    shared: &Arc<Shared>,
    request: JsonRpcRequest,
    in_session: bool,
) -> Result<(Value, Option<http::HeaderValue>), String> {
    let id = request.id.clone();
    let target = shared.target();
    let body = Bytes::from(JsonRpcMessage::Request(request).to_vec());
    let http_request = shared.post(&shared.config.url, body, |headers| {
        if in_session {
            target.add_session(headers, true);
        }
    });
    let response = shared.call(http_request).await.map_err(|e| e.to_string())?;
    let status = response.status();
    let session = response.headers().get(MCP_SESSION_ID).cloned();
    if !status.is_success() {
        let body = read_body(response.into_body()).await.unwrap_or_default();
        return Err(format!(
            "HTTP {status}: {}",
            String::from_utf8_lossy(&body).trim()
        ));
    }
    let result = read_answer(shared, &id, response).await?;
    Ok((result, session))
}

/// Finds the answer to `id` in a JSON or SSE response, handing anything else to the client.
pub(crate) async fn read_answer(
    shared: &Shared,
    id: &RequestId,
    response: Response<ResponseBody>,
) -> Result<Value, String> {
    let sse = media_type(response.headers()) == "text/event-stream";
    let mut body = response.into_body();
    let handle = |data: &[u8]| -> Option<Result<Value, String>> {
        let value: Value = serde_json::from_slice(data).ok()?;
        let values = match value {
            Value::Array(values) => values,
            one => vec![one],
        };
        let mut found = None;
        for value in values {
            let Ok(message) = JsonRpcMessage::from_value(value) else {
                continue;
            };
            if !answers(&message, Some(id)) {
                shared.deliver(message);
                continue;
            }
            found = Some(match message {
                JsonRpcMessage::Response(r) => Ok(r.result),
                JsonRpcMessage::Error(e) => Err(e.error.to_string()),
                _ => continue,
            });
        }
        found
    };
    if !sse {
        let bytes = read_body(body).await?;
        return handle(&bytes).unwrap_or_else(|| Err("the answer did not come".into()));
    }
    let mut decoder = SseDecoder::new();
    loop {
        match next_event(&mut body, &mut decoder).await {
            Read::Event(event) if event.is_message() => {
                if let Some(found) = handle(event.data.as_bytes()) {
                    return found;
                }
            }
            Read::Event(_) => {}
            Read::End => return Err("the stream ended before the answer came".into()),
            Read::Failed(e) => return Err(e),
        }
    }
}
