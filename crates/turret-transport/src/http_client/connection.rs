//! The state one HTTP client transport shares between its sink (outgoing messages), its
//! background tasks (the standalone GET stream, the legacy SSE stream) and its stream of
//! incoming messages, which also drives the requests in flight (see [`super::incoming`]).

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::Sink;
use http::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_TYPE};
use http::{Method, Request, Response, Uri};
use http_body_util::Full;
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::AbortHandle;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;
use turret_core::types::{
    ErrorCode, ErrorObject, JsonRpcError, JsonRpcMessage, JsonRpcRequest, RequestId,
};
use turret_core::{BoxError, Transport};

use super::headers::{self, ACCEPT_POST, ACCEPT_SSE, LAST_EVENT_ID, MCP_PROTOCOL_VERSION};
use super::incoming::{Inbox, IncomingStream};
use super::param_headers::{self, ParamHeader};
use super::service::{HttpService, ResponseBody};
use super::{exchange, standalone};

/// How long closing waits for the server to answer the session's `DELETE`.
const DELETE_TIMEOUT: Duration = Duration::from_secs(3);

/// How long the message after `notifications/initialized` waits for the standalone stream.
const STANDALONE_WAIT: Duration = Duration::from_secs(3);

/// The settings of one transport.
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) url: Uri,
    pub(crate) headers: HeaderMap,
    pub(crate) http: HttpService,
    pub(crate) legacy_fallback: bool,
    pub(crate) standalone_stream: bool,
    pub(crate) default_retry: Duration,
    pub(crate) max_reconnects: u32,
}

/// The handshake-era session, as sniffed from the traffic.
#[derive(Default)]
struct Session {
    /// `Mcp-Session-Id`, from the response to `initialize`.
    id: Option<HeaderValue>,
    /// Counts the sessions: a failed request names the one it failed in.
    generation: u64,
    /// The negotiated version (from the `initialize` result), sent as `MCP-Protocol-Version`.
    version: Option<HeaderValue>,
    /// What re-initializing replays.
    initialize: Option<JsonRpcRequest>,
    set_level: Option<JsonRpcRequest>,
    /// The standalone GET stream's task.
    standalone: Option<AbortHandle>,
}

/// A request sent and not answered yet.
struct InFlight {
    method: String,
    /// Carries 2026-07-28 `_meta` (no session, no resumption; closing is cancelling).
    modern: bool,
    task: Option<futures_util::future::AbortHandle>,
}

struct State {
    /// Set once the server turned out to speak the old HTTP+SSE transport: where to POST.
    legacy_endpoint: Option<Uri>,
    session: Session,
    in_flight: HashMap<RequestId, InFlight>,
    /// The `x-mcp-header` parameters of every tool listed so far.
    tools: HashMap<String, Arc<[ParamHeader]>>,
    /// The last `retry:` any stream asked for.
    retry: Option<Duration>,
}

/// Where and how the next HTTP request goes, read under one lock.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) legacy_endpoint: Option<Uri>,
    pub(crate) session: Option<HeaderValue>,
    pub(crate) version: Option<HeaderValue>,
    pub(crate) generation: u64,
}

impl Target {
    /// Adds `Mcp-Session-Id` and, with `version`, the negotiated `MCP-Protocol-Version`.
    pub(crate) fn add_session(&self, headers: &mut HeaderMap, version: bool) {
        if let Some(id) = &self.session {
            headers.insert(headers::MCP_SESSION_ID, id.clone());
        }
        if let Some(v) = self.version.as_ref().filter(|_| version) {
            headers.insert(MCP_PROTOCOL_VERSION, v.clone());
        }
    }
}

pub(crate) struct Shared {
    pub(crate) config: Config,
    inbox: Arc<Inbox>,
    state: Mutex<State>,
    /// Serializes re-initialization after a 404.
    pub(crate) renewing: tokio::sync::Mutex<()>,
    /// Cancelled when the transport closes: every background task stops.
    pub(crate) closed: CancellationToken,
}

impl Shared {
    /// A transport over `config`, with its shared state.
    pub(crate) fn transport(config: Config) -> (Transport, Arc<Self>) {
        let inbox = Arc::<Inbox>::default();
        let shared = Arc::new(Self {
            config,
            inbox: inbox.clone(),
            state: Mutex::new(State {
                legacy_endpoint: None,
                session: Session::default(),
                in_flight: HashMap::new(),
                tools: HashMap::new(),
                retry: None,
            }),
            renewing: tokio::sync::Mutex::new(()),
            closed: CancellationToken::new(),
        });
        let stream = IncomingStream::new(inbox, shared.closed.clone());
        let sink = HttpSink {
            shared: shared.clone(),
            pending: None,
            closing: None,
        };
        (Transport::new(stream, sink), shared)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `task` in the background until it ends or the transport closes.
    pub(crate) fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) -> AbortHandle {
        let closed = self.closed.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = closed.cancelled() => {}
                () = task => {}
            }
        })
        .abort_handle()
    }

    pub(crate) fn target(&self) -> Target {
        let state = self.lock();
        Target {
            legacy_endpoint: state.legacy_endpoint.clone(),
            session: state.session.id.clone(),
            version: state.session.version.clone(),
            generation: state.session.generation,
        }
    }

    /// Switches to the old HTTP+SSE transport: every later message is POSTed to `endpoint`.
    pub(crate) fn use_legacy_endpoint(&self, endpoint: Uri) {
        self.lock().legacy_endpoint = Some(endpoint);
    }

    /// Records the session the server opened in answer to `initialize` (a new generation).
    pub(crate) fn start_session(&self, id: Option<&HeaderValue>) -> u64 {
        let mut state = self.lock();
        state.session.id = id.cloned();
        state.session.generation += 1;
        if let Some(old) = state.session.standalone.take() {
            old.abort();
        }
        state.session.generation
    }

    /// Forgets a session the server ended (before re-initializing), unless it was already
    /// replaced; returns what to replay: `initialize`, then `logging/setLevel` if one was sent.
    pub(crate) fn end_session(
        &self,
        generation: u64,
    ) -> Option<(Option<JsonRpcRequest>, Option<JsonRpcRequest>)> {
        let mut state = self.lock();
        if state.session.generation != generation {
            return None;
        }
        state.session.id = None;
        if let Some(old) = state.session.standalone.take() {
            old.abort();
        }
        Some((
            state.session.initialize.clone(),
            state.session.set_level.clone(),
        ))
    }

    /// Sets the negotiated version (after a re-initialization).
    pub(crate) fn set_version(&self, version: Option<HeaderValue>) {
        self.lock().session.version = version;
    }

    /// Keeps the standalone stream's task of session `generation` (aborting an older one).
    pub(crate) fn set_standalone(&self, generation: u64, task: AbortHandle) {
        let mut state = self.lock();
        if state.session.generation != generation || self.closed.is_cancelled() {
            task.abort();
        } else if let Some(old) = state.session.standalone.replace(task) {
            old.abort();
        }
    }

    pub(crate) fn retry(&self) -> Duration {
        self.lock().retry.unwrap_or(self.config.default_retry)
    }

    pub(crate) fn set_retry(&self, retry: Duration) {
        self.lock().retry = Some(retry);
    }

    /// The annotated parameters of tool `name`, if it was listed.
    pub(crate) fn tool_params(&self, name: &str) -> Option<Arc<[ParamHeader]>> {
        self.lock().tools.get(name).cloned()
    }

    /// Whether `id` is still waiting for its answer.
    pub(crate) fn waiting(&self, id: &RequestId) -> bool {
        self.lock().in_flight.contains_key(id)
    }

    /// Hands a message to the client, after learning what it teaches: the negotiated version
    /// from an `initialize` result, `x-mcp-header` annotations from a 2026-07-28 `tools/list`
    /// (whose invalid tools are dropped here).
    pub(crate) fn deliver(&self, mut message: JsonRpcMessage) {
        let answered = match &message {
            JsonRpcMessage::Response(r) => Some(r.id.clone()),
            JsonRpcMessage::Error(e) => e.id.clone(),
            _ => None,
        };
        if let Some(id) = answered {
            let entry = self.lock().in_flight.remove(&id);
            if let (Some(entry), JsonRpcMessage::Response(r)) = (entry, &mut message) {
                self.observe(&entry, &mut r.result);
            }
        }
        self.inbox.push(Ok(message));
    }

    fn observe(&self, entry: &InFlight, result: &mut Value) {
        match entry.method.as_str() {
            "initialize" if !entry.modern => {
                let version = result
                    .get("protocolVersion")
                    .and_then(Value::as_str)
                    .and_then(|v| HeaderValue::from_str(v).ok());
                self.lock().session.version = version;
            }
            "tools/list" if entry.modern => self.learn_tools(result),
            _ => {}
        }
    }

    /// Learns the `x-mcp-header` parameters of a `tools/list` result, dropping invalid tools.
    pub(crate) fn learn_tools(&self, result: &mut Value) {
        let learned = param_headers::learn(result);
        let mut state = self.lock();
        for (name, params) in learned {
            state.tools.insert(name, params.into());
        }
    }

    /// Fails request `id` with `error`, unless it was answered already.
    pub(crate) fn fail(&self, id: &RequestId, error: ErrorObject) {
        if self.waiting(id) {
            self.deliver(JsonRpcMessage::Error(JsonRpcError {
                id: Some(id.clone()),
                error,
            }));
        }
    }

    /// Sends one HTTP request with the configured client.
    pub(crate) async fn call(
        &self,
        request: Request<Full<Bytes>>,
    ) -> Result<Response<ResponseBody>, BoxError> {
        self.config.http.clone().oneshot(request).await
    }

    fn request(&self, method: Method, uri: &Uri, body: Bytes) -> Request<Full<Bytes>> {
        let mut request = Request::new(Full::new(body));
        *request.method_mut() = method;
        *request.uri_mut() = uri.clone();
        request.headers_mut().extend(self.config.headers.clone());
        request
    }

    /// A POST of `body` (one JSON-RPC message) to `uri`; `add` adds the MCP headers.
    pub(crate) fn post(
        &self,
        uri: &Uri,
        body: Bytes,
        add: impl FnOnce(&mut HeaderMap),
    ) -> Request<Full<Bytes>> {
        let mut request = self.request(Method::POST, uri, body);
        let headers = request.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(ACCEPT, ACCEPT_POST);
        add(headers);
        request
    }

    /// A GET opening (or, with `last_event_id`, resuming) an SSE stream of the session.
    pub(crate) fn get(&self, target: &Target, last_event_id: Option<&str>) -> Request<Full<Bytes>> {
        let mut request = self.request(Method::GET, &self.config.url, Bytes::new());
        let headers = request.headers_mut();
        headers.insert(ACCEPT, ACCEPT_SSE);
        target.add_session(headers, true);
        if let Some(id) = last_event_id.and_then(|id| HeaderValue::from_str(id).ok()) {
            headers.insert(LAST_EVENT_ID, id);
        }
        request
    }

    /// Queues one outgoing message. Requests are sent at once and then run in the incoming
    /// stream (they may take long);
    /// notifications and responses return a future the sink finishes before it takes the
    /// next message, so the server sees them in order (`notifications/initialized` before
    /// the requests that follow it).
    fn send(self: &Arc<Self>, message: JsonRpcMessage) -> Option<BoxFuture<'static, ()>> {
        match message {
            JsonRpcMessage::Request(request) => {
                self.start_request(request);
                None
            }
            JsonRpcMessage::Notification(n) if n.method == "notifications/cancelled" => {
                let target = n
                    .params
                    .as_ref()
                    .and_then(|p| p.get("requestId"))
                    .and_then(|id| serde_json::from_value::<RequestId>(id.clone()).ok());
                let entry = target.and_then(|id| self.lock().in_flight.remove(&id));
                if let Some(task) = entry.as_ref().and_then(|e| e.task.as_ref()) {
                    task.abort();
                }
                // On 2026-07-28, closing the response stream (done above) is the cancellation.
                if entry.is_some_and(|e| e.modern) {
                    return None;
                }
                let message = JsonRpcMessage::Notification(n);
                Some(Box::pin(exchange::one_way(self.clone(), message)))
            }
            other => Some(Box::pin(exchange::one_way(self.clone(), other))),
        }
    }

    fn start_request(self: &Arc<Self>, request: JsonRpcRequest) {
        let modern = headers::modern_version(&request);
        let id = request.id.clone();
        {
            let mut state = self.lock();
            if modern.is_none() {
                match request.method.as_str() {
                    "initialize" => state.session.initialize = Some(request.clone()),
                    "logging/setLevel" => state.session.set_level = Some(request.clone()),
                    _ => {}
                }
            }
            state.in_flight.insert(
                id.clone(),
                InFlight {
                    method: request.method.clone(),
                    modern: modern.is_some(),
                    task: None,
                },
            );
        }
        let task = self
            .inbox
            .start(exchange::request(self.clone(), request, modern));
        if let Some(entry) = self.lock().in_flight.get_mut(&id) {
            entry.task = Some(task);
        }
    }

    /// Closes the transport: background tasks stop, the incoming stream ends, and a
    /// handshake-era session is ended with `DELETE` (a `405` is fine: the server keeps
    /// sessions until they expire).
    async fn shutdown(self: Arc<Self>) {
        if self.closed.is_cancelled() {
            return;
        }
        let target = self.target();
        self.closed.cancel();
        let Some(session) = target.session.filter(|_| target.legacy_endpoint.is_none()) else {
            return;
        };
        let mut request = self.request(Method::DELETE, &self.config.url, Bytes::new());
        let headers = request.headers_mut();
        headers.insert(headers::MCP_SESSION_ID, session);
        if let Some(version) = target.version {
            headers.insert(MCP_PROTOCOL_VERSION, version);
        }
        match tokio::time::timeout(DELETE_TIMEOUT, self.call(request)).await {
            Ok(Ok(response)) => {
                tracing::debug!(status = %response.status(), "ended the session with DELETE")
            }
            Ok(Err(e)) => tracing::debug!(error = %e, "DELETE of the session failed"),
            Err(_) => tracing::debug!("the server did not answer the session's DELETE in time"),
        }
    }

    /// Starts the standalone GET stream of session `generation` (if configured), and waits
    /// (up to 3 s) until the server answered the GET: a server may send a request there as
    /// soon as the client's next request arrives, and drop it if no stream is open yet.
    pub(crate) async fn open_standalone(self: &Arc<Self>, generation: u64) {
        if !self.config.standalone_stream {
            return;
        }
        let (opened, answered) = oneshot::channel();
        let task = self.spawn(standalone::run(self.clone(), generation, opened));
        self.set_standalone(generation, task);
        let _ = tokio::time::timeout(STANDALONE_WAIT, answered).await;
    }
}

/// A JSON-RPC error for a failure of the HTTP exchange itself.
pub(crate) fn transport_error(message: impl Into<String>) -> ErrorObject {
    ErrorObject::new(ErrorCode::INTERNAL_ERROR, message)
}

/// The sending half: each message becomes an HTTP request.
struct HttpSink {
    shared: Arc<Shared>,
    /// A notification or response still being POSTed (the next message waits for it).
    pending: Option<BoxFuture<'static, ()>>,
    closing: Option<BoxFuture<'static, ()>>,
}

impl HttpSink {
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if let Some(pending) = &mut self.pending {
            ready!(pending.as_mut().poll(cx));
            self.pending = None;
        }
        Poll::Ready(())
    }
}

impl Sink<JsonRpcMessage> for HttpSink {
    type Error = io::Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx));
        if this.shared.closed.is_cancelled() {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the HTTP transport is closed",
            )));
        }
        Poll::Ready(Ok(()))
    }

    fn start_send(self: Pin<&mut Self>, message: JsonRpcMessage) -> io::Result<()> {
        let this = self.get_mut();
        this.pending = this.shared.send(message);
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.get_mut().poll_pending(cx));
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx));
        let shared = this.shared.clone();
        let closing = this
            .closing
            .get_or_insert_with(|| Box::pin(shared.shutdown()));
        ready!(closing.as_mut().poll(cx));
        Poll::Ready(Ok(()))
    }
}

impl Drop for HttpSink {
    fn drop(&mut self) {
        // Dropped without closing (the client went away): stop every background task.
        self.shared.closed.cancel();
    }
}
