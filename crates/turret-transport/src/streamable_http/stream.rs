//! From a call's outgoing messages to an HTTP response: one JSON object, or an SSE stream
//! that is resumable (handshake era with sessions) or tied to the connection (2026-07-28,
//! where closing the stream cancels the request).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt as _;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::{BodyExt as _, Full, StreamBody};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use turret_core::types::{JsonRpcMessage, RequestId};

use super::event_store::EventStore;
use super::sse::{keep_alive, Event};
use super::ResponseBody;

/// What a call sends towards its response.
#[derive(Debug)]
pub(crate) enum Outbound {
    /// A message for the client.
    Message(JsonRpcMessage),
    /// Close the SSE connection now without ending the stream (the client resumes).
    CloseConnection,
}

/// Lets a handler close its SSE connection mid-call, so the client reconnects with
/// `Last-Event-ID` (handshake era, resumable streams only; elsewhere it does nothing).
/// Handlers take it as `Option<Extension<SseStream>>`.
#[derive(Debug, Clone)]
pub struct SseStream {
    tx: mpsc::Sender<Outbound>,
}

impl SseStream {
    pub(crate) fn new(tx: mpsc::Sender<Outbound>) -> Self {
        Self { tx }
    }

    /// Closes the connection carrying this call's stream; later messages are kept for
    /// the client's resumption.
    pub async fn close_connection(&self) {
        let _ = self.tx.send(Outbound::CloseConnection).await;
    }
}

/// Whether `m` is the answer to request `id`.
pub(crate) fn is_final(m: &JsonRpcMessage, id: &RequestId) -> bool {
    match m {
        JsonRpcMessage::Response(r) => r.id == *id,
        JsonRpcMessage::Error(e) => e.id.as_ref() == Some(id),
        _ => false,
    }
}

/// An SSE response over `rx`.
pub(crate) fn sse_response(rx: mpsc::UnboundedReceiver<Bytes>) -> Response<ResponseBody> {
    let body =
        StreamBody::new(tokio_stream(rx).map(|b| Ok::<_, Infallible>(http_body::Frame::data(b))));
    sse_headers(Response::new(http_body_util::BodyExt::boxed_unsync(body)))
}

/// An SSE response holding just the answer, as one body.
pub(crate) fn sse_single(message: &JsonRpcMessage) -> Response<ResponseBody> {
    let bytes = Event::message(None, message.clone()).to_bytes();
    sse_headers(Response::new(
        Full::new(bytes).map_err(|e| match e {}).boxed_unsync(),
    ))
}

fn sse_headers(mut response: Response<ResponseBody>) -> Response<ResponseBody> {
    let h = response.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, no-transform"),
    );
    // Proxies such as nginx must not buffer a stream of small events.
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

fn tokio_stream<T: Send + 'static>(
    mut rx: mpsc::UnboundedReceiver<T>,
) -> impl futures_core::Stream<Item = T> + Send + 'static {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// A JSON response holding one message.
pub(crate) fn json_response(
    status: StatusCode,
    message: &JsonRpcMessage,
) -> Response<ResponseBody> {
    let mut response = Response::new(
        Full::new(Bytes::from(message.to_vec()))
            .map_err(|e| match e {})
            .boxed_unsync(),
    );
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// One resumable stream: where its events go live (if anyone is connected) and whether its
/// answer was sent.
#[derive(Debug, Default)]
pub(crate) struct Slot {
    pub(crate) live: Option<mpsc::UnboundedSender<Bytes>>,
    pub(crate) done: bool,
}

/// What every stream producer needs. Producers run until their call answers, also during
/// shutdown: in-flight calls finish (long-lived ones are cancelled by the endpoint).
#[derive(Clone)]
pub(crate) struct Pump {
    pub(crate) keep_alive: Option<Duration>,
}

impl Pump {
    fn ticker(&self) -> tokio::time::Interval {
        let every = self.keep_alive.unwrap_or(Duration::from_secs(3600));
        let mut t = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        t
    }

    /// Streams `rx` to `live` until the answer to `id` is sent. Closing the connection
    /// trips `cancel` (the 2026-07-28 rule: a closed stream cancels the request).
    pub(crate) async fn direct(
        self,
        mut rx: mpsc::Receiver<Outbound>,
        first: Option<JsonRpcMessage>,
        live: mpsc::UnboundedSender<Bytes>,
        id: RequestId,
        cancel: CancellationToken,
    ) {
        let mut ticker = self.ticker();
        let mut next = first.map(Outbound::Message);
        loop {
            let item = match next.take() {
                Some(item) => item,
                None => tokio::select! {
                    m = rx.recv() => match m { Some(m) => m, None => break },
                    () = live.closed() => { cancel.cancel(); break }
                    _ = ticker.tick() => { let _ = live.send(keep_alive()); continue }
                },
            };
            match item {
                Outbound::CloseConnection => break,
                Outbound::Message(m) => {
                    let done = is_final(&m, &id);
                    if live.send(Event::message(None, m).to_bytes()).is_err() {
                        cancel.cancel();
                        break;
                    }
                    if done {
                        break;
                    }
                }
            }
        }
    }

    /// Streams `rx` into the event store and to whoever is connected to `slot`, until the
    /// answer to `id` is stored. The call goes on when the connection drops.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn resumable(
        self,
        mut rx: mpsc::Receiver<Outbound>,
        first: Option<JsonRpcMessage>,
        slot: Arc<tokio::sync::Mutex<Slot>>,
        store: Arc<dyn EventStore>,
        stream: String,
        id: RequestId,
    ) {
        let mut ticker = self.ticker();
        let mut next = first.map(Outbound::Message);
        loop {
            let item = match next.take() {
                Some(item) => item,
                None => tokio::select! {
                    m = rx.recv() => match m { Some(m) => m, None => break },
                    _ = ticker.tick() => {
                        if let Some(live) = &slot.lock().await.live {
                            let _ = live.send(keep_alive());
                        }
                        continue;
                    }
                },
            };
            let mut s = slot.lock().await;
            match item {
                Outbound::CloseConnection => s.live = None,
                Outbound::Message(m) => {
                    let done = is_final(&m, &id);
                    let event_id = store.append(&stream, &m).await;
                    if let Some(live) = &s.live {
                        if live
                            .send(Event::message(Some(event_id), m).to_bytes())
                            .is_err()
                        {
                            s.live = None;
                        }
                    }
                    if done {
                        s.done = true;
                        s.live = None;
                        break;
                    }
                }
            }
        }
    }
}
