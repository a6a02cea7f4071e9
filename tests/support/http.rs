//! A real streamable HTTP server on `127.0.0.1:0` and a hyper client that speaks to it over
//! TCP: request builders for both protocol eras, and an SSE reader that takes the response
//! body frame by frame, so tests see events as they arrive (and can stop reading mid-stream).
//!
//! Include with `#[path = "support/http.rs"] mod http_support;`.
// Each test binary that includes this file uses only some of it; the rest would warn.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http::header::{HeaderName, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper_util::client::legacy::connect::{HttpConnector, HttpInfo};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower::Service;
use turret::transport::streamable_http::{serve, StreamableHttpService};
use turret::types::ServerResult;
use turret::BoxError;

/// How long any single step (a response head, the next SSE event, a body) may take.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The 2026-07-28 revision string.
pub const MODERN: &str = "2026-07-28";

/// Any request body: whole JSON, or a stream.
pub type Body = UnsyncBoxBody<Bytes, BoxError>;

/// hyper-util's pooled client over plain TCP.
pub type HttpClient = Client<HttpConnector, Body>;

/// Awaits `f`, failing the test with `what` if it takes longer than [`TIMEOUT`].
pub async fn within<F: Future>(what: &str, f: F) -> F::Output {
    tokio::time::timeout(TIMEOUT, f)
        .await
        .unwrap_or_else(|_| panic!("timed out after {TIMEOUT:?}: {what}"))
}

/// A whole body from bytes.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|e| match e {})
        .boxed_unsync()
}

/// A JSON-RPC request object.
pub fn rpc(id: i64, method: &str, params: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })
}

/// A JSON-RPC notification object.
pub fn notification(method: &str, params: Value) -> Value {
    json!({ "jsonrpc": "2.0", "method": method, "params": params })
}

/// The `_meta` every 2026-07-28 request carries, declaring `capabilities`.
pub fn modern_meta(capabilities: Value) -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": capabilities,
        "io.modelcontextprotocol/clientInfo": { "name": "http-test", "version": "0.0.0" },
    })
}

/// A 2026-07-28 request: `params` plus the per-request `_meta` (declaring no capabilities),
/// merged into any `_meta` the params already have.
pub fn modern(id: i64, method: &str, mut params: Value) -> Value {
    let meta = params
        .as_object_mut()
        .expect("params must be an object")
        .entry("_meta")
        .or_insert_with(|| json!({}));
    let defaults = modern_meta(json!({}));
    for (k, v) in defaults.as_object().unwrap() {
        meta.as_object_mut()
            .unwrap()
            .entry(k.clone())
            .or_insert_with(|| v.clone());
    }
    rpc(id, method, params)
}

/// Handshake-era `initialize` params at `version`, declaring `capabilities`, with a
/// `clientInfo` of `name` and `version`.
pub fn initialize_params(version: &str, capabilities: Value, client: (&str, &str)) -> Value {
    json!({
        "protocolVersion": version,
        "capabilities": capabilities,
        "clientInfo": { "name": client.0, "version": client.1 },
    })
}

/// A JSON-RPC `tools/call` request of tool `name` with `arguments`.
pub fn tool_call(id: i64, name: &str, arguments: Value) -> Value {
    rpc(
        id,
        "tools/call",
        json!({ "name": name, "arguments": arguments }),
    )
}

/// A 2026-07-28 `tools/call` request of tool `name` with `arguments`.
pub fn modern_tool_call(id: i64, name: &str, arguments: Value) -> Value {
    modern(
        id,
        "tools/call",
        json!({ "name": name, "arguments": arguments }),
    )
}

/// A handshake-era session: its id and the revision it negotiated.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub version: String,
}

/// A service [`TestServer`] can serve: what [`StreamableHttpService`] wraps.
pub trait Served:
    Service<turret::Request, Response = ServerResult, Error: Into<BoxError>, Future: Send + 'static>
    + Clone
    + Send
    + Sync
    + 'static
{
}

impl<S> Served for S where
    S: Service<
            turret::Request,
            Response = ServerResult,
            Error: Into<BoxError>,
            Future: Send + 'static,
        > + Clone
        + Send
        + Sync
        + 'static
{
}

/// A streamable HTTP endpoint served over real TCP, and a client for it.
pub struct TestServer {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:<port>/mcp`.
    pub url: String,
    pub client: HttpClient,
    shutdown_service: Arc<dyn Fn() + Send + Sync>,
    stop: Option<oneshot::Sender<()>>,
    serving: Option<JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    /// Serves `service` with the transport's own [`serve`] helper (which puts the peer's
    /// address into each request).
    pub async fn start<S: Served>(service: StreamableHttpService<S>) -> Self {
        Self::start_with(service, |listener, svc, stopped| {
            tokio::spawn(serve(listener, svc, async move {
                let _ = stopped.await;
            }))
        })
        .await
    }

    /// Serves `service` behind `outer`, a function of each HTTP request (where an auth
    /// layer would stand), with the transport's own [`serve`].
    pub async fn start_behind<S: Served>(
        service: StreamableHttpService<S>,
        outer: fn(Request<Incoming>) -> Request<Incoming>,
    ) -> Self {
        Self::start_with(service, move |listener, svc, stopped| {
            let svc = tower::ServiceBuilder::new().map_request(outer).service(svc);
            tokio::spawn(serve(listener, svc, async move {
                let _ = stopped.await;
            }))
        })
        .await
    }

    /// Serves `service` nested at `/mcp` in an axum router, with `axum::serve`.
    pub async fn start_axum<S: Served>(service: StreamableHttpService<S>) -> Self {
        Self::start_with(service, |listener, svc, stopped| {
            let app = axum::Router::new().nest_service("/mcp", svc);
            tokio::spawn(async move {
                axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = stopped.await;
                    })
                    .await
            })
        })
        .await
    }

    /// A client of an endpoint another process serves: `url` is its MCP endpoint on
    /// `127.0.0.1`. Only the requests apply; [`stop`](Self::stop) has nothing to stop.
    pub fn remote(url: &str) -> Self {
        let addr = url
            .strip_prefix("http://")
            .and_then(|rest| rest.split('/').next())
            .and_then(|host| host.parse().ok())
            .unwrap_or_else(|| panic!("{url} is not http://IP:PORT/…"));
        let client = Client::builder(TokioExecutor::new()).build_http();
        Self {
            addr,
            url: url.to_owned(),
            client,
            shutdown_service: Arc::new(|| {}),
            stop: None,
            serving: None,
        }
    }

    /// Binds `127.0.0.1:0` and hands the listener, a clone of `service` and the stop signal
    /// to `spawn`, which starts serving.
    async fn start_with<S: Served>(
        service: StreamableHttpService<S>,
        spawn: impl FnOnce(
            TcpListener,
            StreamableHttpService<S>,
            oneshot::Receiver<()>,
        ) -> JoinHandle<std::io::Result<()>>,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = spawn(listener, service.clone(), stopped);
        Self::new(addr, Arc::new(move || service.shutdown()), stop, serving)
    }

    fn new(
        addr: SocketAddr,
        shutdown_service: Arc<dyn Fn() + Send + Sync>,
        stop: oneshot::Sender<()>,
        serving: JoinHandle<std::io::Result<()>>,
    ) -> Self {
        let client = Client::builder(TokioExecutor::new()).build_http();
        Self {
            addr,
            url: format!("http://{addr}/mcp"),
            client,
            shutdown_service,
            stop: Some(stop),
            serving: Some(serving),
        }
    }

    /// Calls `StreamableHttpService::shutdown` on the served endpoint.
    pub fn shutdown_service(&self) {
        (self.shutdown_service)()
    }

    /// Makes the serve loop stop accepting and wait for open connections; returns what the
    /// serve future returned (or fails the test if it does not return in time).
    pub async fn stop(&mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let serving = self.serving.take().expect("already stopped");
        within("the serve future to return", serving)
            .await
            .expect("the serve task panicked")
    }

    /// A request to the endpoint with no headers set yet.
    pub fn request(&self, method: Method) -> Req {
        Req {
            client: self.client.clone(),
            builder: Request::builder().method(method).uri(&self.url),
            body: full(Bytes::new()),
        }
    }

    /// A POST of `body` with `Content-Type: application/json` and an `Accept` naming both
    /// JSON and SSE.
    pub fn post(&self, body: &Value) -> Req {
        self.request(Method::POST)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(full(serde_json::to_vec(body).unwrap()))
    }

    /// A GET for an SSE stream.
    pub fn get(&self) -> Req {
        self.request(Method::GET)
            .header("accept", "text/event-stream")
    }

    /// A DELETE.
    pub fn delete(&self) -> Req {
        self.request(Method::DELETE)
    }

    /// A POST within `session`: its id and negotiated version as headers.
    pub fn session_post(&self, session: &Session, body: &Value) -> Req {
        self.post(body).in_session(session)
    }

    /// `initialize` at `version` declaring `capabilities`, then `notifications/initialized`
    /// (which must be accepted with 202). Asserts the handshake's status codes and headers.
    pub async fn initialize(&self, version: &str, capabilities: Value) -> Session {
        let reply = self
            .post(&rpc(
                0,
                "initialize",
                initialize_params(version, capabilities, ("http-test", "0.0.0")),
            ))
            .send()
            .await;
        assert_eq!(reply.status, StatusCode::OK, "initialize");
        let id = reply
            .header("mcp-session-id")
            .expect("initialize must assign Mcp-Session-Id")
            .to_owned();
        let body = reply.json().await;
        let negotiated = body["result"]["protocolVersion"]
            .as_str()
            .unwrap_or_else(|| panic!("initialize result without protocolVersion: {body}"))
            .to_owned();
        let session = Session {
            id,
            version: negotiated,
        };
        let initialized = self
            .session_post(
                &session,
                &notification("notifications/initialized", json!({})),
            )
            .send()
            .await;
        assert_eq!(initialized.status, StatusCode::ACCEPTED, "initialized");
        session
    }

    /// A 2026-07-28 POST: `MCP-Protocol-Version`, `Mcp-Method` and (for `tools/call`,
    /// `prompts/get`, `resources/read`) `Mcp-Name` taken from the body.
    pub fn modern_post(&self, body: &Value) -> Req {
        let version = body["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"]
            .as_str()
            .unwrap_or(MODERN)
            .to_owned();
        let method = body["method"].as_str().expect("a request").to_owned();
        let mut req = self
            .post(body)
            .header("mcp-protocol-version", &version)
            .header("mcp-method", &method);
        let name = match method.as_str() {
            "tools/call" | "prompts/get" => body["params"]["name"].as_str(),
            "resources/read" => body["params"]["uri"].as_str(),
            _ => None,
        };
        if let Some(name) = name {
            req = req.header("mcp-name", name);
        }
        req
    }
}

/// A request being built: headers set later replace earlier ones of the same name.
pub struct Req {
    client: HttpClient,
    builder: http::request::Builder,
    body: Body,
}

impl Req {
    /// Sets (replaces) a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let headers = self.builder.headers_mut().expect("a valid request");
        headers.insert(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
        self
    }

    /// Removes a header set earlier.
    pub fn without(mut self, name: &str) -> Self {
        self.builder
            .headers_mut()
            .expect("a valid request")
            .remove(name);
        self
    }

    /// Replaces the body.
    pub fn body(mut self, body: Body) -> Self {
        self.body = body;
        self
    }

    /// Adds a session's id and negotiated version.
    pub fn in_session(self, session: &Session) -> Self {
        let version = session.version.clone();
        self.header("mcp-session-id", &session.id)
            .header("mcp-protocol-version", &version)
    }

    /// Sends the request and waits for the response head.
    pub async fn send(self) -> Reply {
        let request = self.builder.body(self.body).expect("a valid request");
        let what = format!("{} {}", request.method(), request.uri());
        let response = within(
            &format!("the response head of {what}"),
            self.client.request(request),
        )
        .await
        .unwrap_or_else(|e| panic!("{what} failed: {e:?}"));
        let local_addr = response
            .extensions()
            .get::<HttpInfo>()
            .map(HttpInfo::local_addr);
        let (parts, body) = response.into_parts();
        Reply {
            status: parts.status,
            headers: parts.headers,
            local_addr,
            body,
        }
    }

    /// Sends the request and asserts the response's status.
    pub async fn expect(self, status: StatusCode) -> Reply {
        let reply = self.send().await;
        assert_eq!(reply.status, status, "{reply:?}");
        reply
    }
}

/// A response whose body has not been read yet.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The client side of the connection that carried it.
    pub local_addr: Option<SocketAddr>,
    body: Incoming,
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reply")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}

impl Reply {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The media type of `Content-Type`, without parameters.
    pub fn content_type(&self) -> Option<&str> {
        self.header(CONTENT_TYPE.as_str())
            .map(|v| v.split(';').next().unwrap_or("").trim())
    }

    /// The whole body.
    pub async fn bytes(self) -> Bytes {
        within("the response body", self.body.collect())
            .await
            .expect("reading the body")
            .to_bytes()
    }

    /// The whole body as text.
    pub async fn text(self) -> String {
        String::from_utf8(self.bytes().await.to_vec()).expect("a UTF-8 body")
    }

    /// The body as one JSON object; asserts `Content-Type: application/json`.
    pub async fn json(self) -> Value {
        assert_eq!(
            self.content_type(),
            Some("application/json"),
            "expected a JSON response, got {self:?}"
        );
        let bytes = self.bytes().await;
        serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&bytes)
            )
        })
    }

    /// The body as an SSE stream; asserts `Content-Type: text/event-stream`.
    pub fn sse(self) -> Sse {
        assert_eq!(
            self.content_type(),
            Some("text/event-stream"),
            "expected an SSE response, got {self:?}"
        );
        Sse {
            body: self.body,
            buf: String::new(),
            ended: false,
            error: None,
        }
    }
}

/// One server-sent event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Event {
    pub id: Option<String>,
    pub event: Option<String>,
    /// `None` when the event had no `data:` line; `Some("")` for an empty one.
    pub data: Option<String>,
    pub retry: Option<u64>,
}

impl Event {
    /// The data as JSON (fails the test if it is not).
    pub fn json(&self) -> Value {
        let data = self.data.as_deref().unwrap_or("");
        serde_json::from_str(data)
            .unwrap_or_else(|e| panic!("event data is not JSON ({e}): {self:?}"))
    }

    /// Whether the event carries a message (non-empty data).
    pub fn has_message(&self) -> bool {
        self.data.as_deref().is_some_and(|d| !d.is_empty())
    }
}

/// Reads an SSE body frame by frame.
pub struct Sse {
    body: Incoming,
    buf: String,
    ended: bool,
    /// Why the body ended abnormally, if it did.
    pub error: Option<String>,
}

impl Sse {
    /// The next event (comments skipped), or `None` when the body ended.
    pub async fn next_event(&mut self) -> Option<Event> {
        within("the next SSE event", self.next_event_inner()).await
    }

    /// The next event, waiting at most `wait`: `Err(())` if none arrived in time.
    pub async fn next_event_within(&mut self, wait: Duration) -> Result<Option<Event>, ()> {
        tokio::time::timeout(wait, self.next_event_inner())
            .await
            .map_err(|_| ())
    }

    async fn next_event_inner(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.take_event() {
                return Some(event);
            }
            if self.ended {
                return None;
            }
            match self.body.frame().await {
                None => self.ended = true,
                Some(Err(e)) => {
                    self.error = Some(e.to_string());
                    self.ended = true;
                }
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        let text = std::str::from_utf8(&data).expect("SSE is UTF-8");
                        self.buf.push_str(&text.replace("\r\n", "\n"));
                    }
                }
            }
        }
    }

    /// The next event that carries a message, as JSON, with its event id.
    pub async fn next_message(&mut self) -> Option<(Option<String>, Value)> {
        loop {
            let event = self.next_event().await?;
            if event.has_message() {
                let value = event.json();
                return Some((event.id, value));
            }
        }
    }

    /// Every remaining event until the body ends.
    pub async fn rest(&mut self) -> Vec<Event> {
        let mut events = Vec::new();
        while let Some(e) = self.next_event().await {
            events.push(e);
        }
        events
    }

    /// Parses one complete event out of the buffer, skipping comment-only blocks.
    fn take_event(&mut self) -> Option<Event> {
        loop {
            let end = self.buf.find("\n\n")?;
            let block: String = self.buf.drain(..end + 2).collect();
            let mut event = Event::default();
            let mut any = false;
            for line in block.lines() {
                if line.is_empty() || line.starts_with(':') {
                    continue;
                }
                let (field, value) = match line.split_once(':') {
                    Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
                    None => (line, ""),
                };
                any = true;
                match field {
                    "id" => event.id = Some(value.to_owned()),
                    "event" => event.event = Some(value.to_owned()),
                    "retry" => event.retry = value.parse().ok(),
                    "data" => match &mut event.data {
                        Some(d) => {
                            d.push('\n');
                            d.push_str(value);
                        }
                        None => event.data = Some(value.to_owned()),
                    },
                    _ => {}
                }
            }
            if any {
                return Some(event);
            }
        }
    }
}
