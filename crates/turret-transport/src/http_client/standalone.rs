//! The standalone GET stream of a handshake-era session: where the server sends requests and
//! notifications that belong to no request of the client's. Opened once the server accepted
//! `notifications/initialized`; a `405` means the server offers none, other refusals are
//! only logged. When the server closes it, it is reopened after the `retry:` delay (with
//! `Last-Event-ID` when the stream had event ids), until it stops carrying anything.

use std::sync::Arc;

use tokio::sync::oneshot;

use super::connection::Shared;
use super::resume::deliver_event;
use super::service::media_type;
use super::sse::{next_event, Read, SseDecoder};

/// Keeps session `generation`'s stream open while that session lasts; `opened` is told (or
/// dropped) once the server answered the first GET.
pub(crate) async fn run(shared: Arc<Shared>, generation: u64, opened: oneshot::Sender<()>) {
    let mut opened = Some(opened);
    let mut last_id: Option<String> = None;
    let mut fruitless = 0;
    loop {
        let target = shared.target();
        if target.generation != generation || target.legacy_endpoint.is_some() {
            return;
        }
        let response = match shared.call(shared.get(&target, last_id.as_deref())).await {
            Ok(response) => response,
            Err(e) => {
                tracing::debug!(error = %e, "could not open the standalone SSE stream");
                return;
            }
        };
        if let Some(opened) = opened.take() {
            let _ = opened.send(());
        }
        let status = response.status();
        if status == http::StatusCode::METHOD_NOT_ALLOWED {
            tracing::debug!("the server offers no standalone SSE stream (405)");
            return;
        }
        if !status.is_success() || media_type(response.headers()) != "text/event-stream" {
            tracing::debug!(%status, "the server refused the standalone SSE stream");
            return;
        }
        let mut body = response.into_body();
        let mut decoder = SseDecoder::new();
        let mut progressed = false;
        while let Read::Event(event) = next_event(&mut body, &mut decoder).await {
            progressed = true;
            if event.is_message() {
                deliver_event(&shared, &event, None);
            }
        }
        if let Some(id) = decoder.last_event_id() {
            last_id = Some(id.to_owned());
        }
        if let Some(retry) = decoder.retry() {
            shared.set_retry(retry);
        }
        fruitless = if progressed { 0 } else { fruitless + 1 };
        if fruitless > shared.config.max_reconnects {
            tracing::debug!("the standalone SSE stream keeps closing empty; not reopening it");
            return;
        }
        tokio::time::sleep(shared.retry()).await;
    }
}
