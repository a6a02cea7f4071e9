//! Following a request's SSE stream to its answer, and resuming it when the server closes it
//! first (handshake era, 2025-03-26 on): wait the `retry:` delay the server asked for, then
//! `GET` with `Last-Event-ID` naming the last event seen, as often as the server keeps
//! closing (each resumed stream that carries nothing counts against
//! [`max_reconnects`](super::StreamableHttpClient::max_reconnects)).

use std::sync::Arc;

use http::StatusCode;
use turret_core::types::RequestId;

use super::connection::{transport_error, Shared};
use super::service::{media_type, ResponseBody};
use super::sse::{next_event, Read, SseDecoder, SseEvent};

/// Hands the message(s) of an SSE event to the client; `true` if one answered `answering`.
pub(crate) fn deliver_event(
    shared: &Shared,
    event: &SseEvent,
    answering: Option<&RequestId>,
) -> bool {
    match super::exchange::deliver_body(shared, event.data.as_bytes(), answering) {
        Ok(answered) => answered,
        Err(e) => {
            tracing::warn!(error = %e, data = %event.data, "ignored an SSE event that is not JSON-RPC");
            false
        }
    }
}

/// Reads request `id`'s stream until its answer; resumes it if it ends first.
pub(crate) async fn follow(
    shared: &Arc<Shared>,
    id: &RequestId,
    mut body: ResponseBody,
    resumable: bool,
) {
    let mut decoder = SseDecoder::new();
    let mut last_id: Option<String> = None;
    let mut fruitless = 0;
    loop {
        let mut progressed = false;
        let broken = loop {
            match next_event(&mut body, &mut decoder).await {
                Read::Event(event) => {
                    progressed = true;
                    if event.is_message() && deliver_event(shared, &event, Some(id)) {
                        return;
                    }
                }
                Read::End => break None,
                Read::Failed(e) => break Some(e),
            }
        };
        if let Some(last) = decoder.last_event_id() {
            last_id = Some(last.to_owned());
        }
        if let Some(retry) = decoder.retry() {
            shared.set_retry(retry);
        }
        if !shared.waiting(id) {
            return;
        }
        let how = broken.map_or_else(|| "closed".to_owned(), |e| format!("broke ({e})"));
        let Some(resume_from) = last_id.clone().filter(|_| resumable) else {
            let why = if resumable {
                "it sent no event id to resume from"
            } else {
                "2026-07-28 streams cannot be resumed; send the request again"
            };
            return shared.fail(
                id,
                transport_error(format!(
                    "the server's response stream {how} before the answer came, and {why}"
                )),
            );
        };
        fruitless = if progressed { 0 } else { fruitless + 1 };
        match reconnect(shared, &resume_from, &mut fruitless).await {
            Ok(next) => {
                body = next;
                decoder = SseDecoder::new();
            }
            Err(reason) => {
                return shared.fail(
                    id,
                    transport_error(format!(
                        "the server's response stream {how} before the answer came, and resuming it failed: {reason}"
                    )),
                )
            }
        }
    }
}

/// Waits the retry delay, then resumes the stream after event `last_id` with a GET; tries
/// again (counting in `fruitless`) while the server cannot be reached.
async fn reconnect(
    shared: &Arc<Shared>,
    last_id: &str,
    fruitless: &mut u32,
) -> Result<ResponseBody, String> {
    loop {
        if *fruitless > shared.config.max_reconnects {
            return Err(format!(
                "{} reconnections in a row brought nothing",
                shared.config.max_reconnects
            ));
        }
        tokio::time::sleep(shared.retry()).await;
        let target = shared.target();
        let response = match shared.call(shared.get(&target, Some(last_id))).await {
            Ok(response) => response,
            Err(e) => {
                tracing::debug!(error = %e, "resuming a stream failed; trying again");
                *fruitless += 1;
                continue;
            }
        };
        let status = response.status();
        if status.is_success() && media_type(response.headers()) == "text/event-stream" {
            return Ok(response.into_body());
        }
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            *fruitless += 1;
            continue;
        }
        return Err(format!(
            "the GET with Last-Event-ID {last_id:?} got HTTP {status}"
        ));
    }
}

/// Reads a stream that answers no request of ours (one opened by a notification), handing
/// its messages over until it ends.
pub(crate) async fn drain(shared: &Arc<Shared>, mut body: ResponseBody) {
    let mut decoder = SseDecoder::new();
    while let Read::Event(event) = next_event(&mut body, &mut decoder).await {
        if event.is_message() {
            deliver_event(shared, &event, None);
        }
    }
}
