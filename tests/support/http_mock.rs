//! A scripted HTTP server for the HTTP client tests: every request is recorded, and a
//! closure chooses the reply (a JSON body, an SSE stream written step by step, or a bare
//! status). Listens on 127.0.0.1 only.
//!
//! Include with `#[path = "support/http_mock.rs"] mod http_mock;`.
#![allow(dead_code, unreachable_pub)]

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};
use axum::response::Response;
use axum::Router;
use futures_util::StreamExt as _;
use serde_json::Value;

/// One request the server received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    /// Path and query.
    pub uri: String,
    pub headers: HeaderMap,
    /// The JSON body, if it had one.
    pub body: Option<Value>,
    pub at: Instant,
}

impl Recorded {
    /// A header's value as text (`""` when absent).
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    /// The JSON-RPC method of a POST (`""` for other requests).
    pub fn rpc_method(&self) -> &str {
        self.body
            .as_ref()
            .and_then(|b| b.get("method"))
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The JSON-RPC id of a POST.
    pub fn rpc_id(&self) -> Value {
        self.body
            .as_ref()
            .and_then(|b| b.get("id"))
            .cloned()
            .unwrap_or(Value::Null)
    }
}

/// A step of a streamed reply.
#[derive(Debug)]
pub enum Step {
    /// Write these bytes (an SSE event, with its blank line).
    Send(String),
    /// Pause.
    Wait(Duration),
    /// Keep the stream open until the client goes away.
    Hang,
    /// Write whatever comes through this channel (until it closes).
    Forward(tokio::sync::mpsc::UnboundedReceiver<String>),
}

/// What the server answers.
#[derive(Debug)]
pub enum Reply {
    /// A JSON body with a status and extra headers.
    Json(StatusCode, Value, Vec<(&'static str, String)>),
    /// `text/event-stream`, written step by step, with extra headers.
    Sse(Vec<Step>, Vec<(&'static str, String)>),
    /// A status with a plain-text body.
    Status(StatusCode, &'static str),
}

impl Reply {
    /// `200` with a JSON-RPC result for `id`.
    pub fn result(id: &Value, result: Value) -> Self {
        Self::Json(
            StatusCode::OK,
            serde_json::json!({"jsonrpc": "2.0", "id": id, "result": result}),
            Vec::new(),
        )
    }

    /// `202 Accepted`, no body.
    pub fn accepted() -> Self {
        Self::Status(StatusCode::ACCEPTED, "")
    }

    /// Adds a header to a JSON or SSE reply.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        match &mut self {
            Self::Json(_, _, headers) | Self::Sse(_, headers) => headers.push((name, value.into())),
            Self::Status(..) => panic!("a bare status takes no headers"),
        }
        self
    }
}

/// An SSE event carrying one JSON-RPC message (with an optional id).
pub fn event(id: Option<&str>, message: &Value) -> String {
    match id {
        Some(id) => format!("id: {id}\nevent: message\ndata: {message}\n\n"),
        None => format!("event: message\ndata: {message}\n\n"),
    }
}

/// What the server saw.
#[derive(Clone, Default)]
pub struct Log {
    requests: Arc<Mutex<Vec<Recorded>>>,
    hung_up: Arc<AtomicUsize>,
}

impl Log {
    pub fn all(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    /// The POSTs of JSON-RPC method `method`.
    pub fn posts(&self, method: &str) -> Vec<Recorded> {
        self.all()
            .into_iter()
            .filter(|r| r.method == Method::POST && r.rpc_method() == method)
            .collect()
    }

    /// The requests of HTTP method `method`.
    pub fn of(&self, method: Method) -> Vec<Recorded> {
        self.all()
            .into_iter()
            .filter(|r| r.method == method)
            .collect()
    }

    /// How many hanging streams the client closed.
    pub fn hung_up(&self) -> usize {
        self.hung_up.load(Ordering::SeqCst)
    }
}

type Script = Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>;

#[derive(Clone)]
struct Mock {
    log: Log,
    script: Script,
}

/// Counts a hanging stream the client closed, when it is dropped.
struct HangUp(Arc<AtomicUsize>);

impl Drop for HangUp {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

async fn handle(State(mock): State<Mock>, request: Request<Body>) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 16 << 20)
        .await
        .unwrap_or_default();
    let recorded = Recorded {
        method: parts.method,
        uri: parts.uri.to_string(),
        headers: parts.headers,
        body: serde_json::from_slice(&bytes).ok(),
        at: Instant::now(),
    };
    mock.log.requests.lock().unwrap().push(recorded.clone());
    let reply = (mock.script)(&recorded);
    let (status, content_type, headers, body) = match reply {
        Reply::Json(status, value, headers) => (
            status,
            "application/json",
            headers,
            Body::from(value.to_string()),
        ),
        Reply::Status(status, text) => (status, "text/plain", Vec::new(), Body::from(text)),
        Reply::Sse(steps, headers) => {
            let hung_up = mock.log.hung_up.clone();
            let stream = futures_util::stream::iter(steps).flat_map(move |step| {
                let hung_up = hung_up.clone();
                let chunks: futures_util::stream::BoxStream<'static, Bytes> = match step {
                    Step::Send(text) => {
                        futures_util::stream::once(async move { Bytes::from(text) }).boxed()
                    }
                    Step::Wait(pause) => futures_util::stream::once(tokio::time::sleep(pause))
                        .filter_map(|()| async { None })
                        .boxed(),
                    Step::Hang => futures_util::stream::once(async move {
                        let _guard = HangUp(hung_up);
                        std::future::pending::<()>().await;
                    })
                    .filter_map(|()| async { None })
                    .boxed(),
                    Step::Forward(mut rx) => {
                        futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
                            .map(Bytes::from)
                            .boxed()
                    }
                };
                chunks
            });
            let stream = stream.map(Ok::<_, Infallible>);
            (
                StatusCode::OK,
                "text/event-stream",
                headers,
                Body::from_stream(stream),
            )
        }
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    if status != StatusCode::ACCEPTED {
        response.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static(content_type),
        );
    }
    for (name, value) in headers {
        response.headers_mut().insert(
            HeaderName::from_static(name),
            HeaderValue::from_str(&value).unwrap(),
        );
    }
    response
}

/// Serves `script` on 127.0.0.1 (any path); returns the base URL (`http://127.0.0.1:PORT`)
/// and the log. The server stops when the test's runtime does.
pub async fn serve(script: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> (String, Log) {
    let log = Log::default();
    let mock = Mock {
        log: log.clone(),
        script: Arc::new(script),
    };
    let app = Router::new().fallback(handle).with_state(mock);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (format!("http://{addr}"), log)
}
