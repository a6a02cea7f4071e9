//! tower's stock layers around a Router and around a proxy, served over a real transport:
//! `TimeoutLayer` (a slow tool times out with a clear error), `ConcurrencyLimitLayer` (a
//! second call waits for the first), `BufferLayer` (waiting calls queue) and `LoadShedLayer`
//! (a call that finds the buffer full is shed); `RetryLayer` retries a call that failed.
//! And tower-http's layers on the HTTP edge: request id, trace, CORS, compression.

#[path = "support/layers.rs"]
mod layers_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::rt::TokioExecutor;
use layers_support::{connect, proxy};
use serde_json::json;
use tokio::sync::Notify;
use tower::{BoxError, Service, ServiceBuilder};
use turret::client::Client;
use turret::transport::streamable_http::{serve, StreamableHttpService};
use turret::types::{ErrorCode, ServerResult};
use turret::{tool_fn, Request, Router, State};

#[derive(Default)]
struct Log {
    events: Mutex<Vec<&'static str>>,
    started: Notify,
    release: Notify,
}

type Shared = Arc<Log>;

impl Log {
    fn push(&self, event: &'static str) {
        self.events.lock().unwrap().push(event);
    }
}

async fn hold(State(log): State<Shared>) -> &'static str {
    log.push("hold:start");
    log.started.notify_one();
    log.release.notified().await;
    log.push("hold:end");
    "held"
}

async fn quick(State(log): State<Shared>) -> &'static str {
    log.push("quick");
    "quick"
}

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_secs(30)).await;
    "too late"
}

fn router(log: &Shared) -> Router<Shared> {
    Router::with_state(log.clone())
        .tool("hold", tool_fn(hold))
        .tool("quick", tool_fn(quick))
        .tool("slow", tool_fn(slow))
}

/// Load shed, a buffer of one (tower's worker holds one more request while the inner service
/// is not ready), one call at a time, a one-second timeout: tower's own layers, unchanged.
fn stock<S>(
    inner: S,
) -> impl Service<Request, Response = ServerResult, Error = BoxError, Future = impl Send>
       + Clone
       + Send
       + 'static
where
    S: Service<Request, Response = ServerResult> + Send + 'static,
    S::Error: Into<BoxError> + Send + Sync,
    S::Future: Send + 'static,
{
    ServiceBuilder::new()
        .load_shed()
        .buffer(1)
        .concurrency_limit(1)
        .timeout(Duration::from_secs(1))
        .service(inner)
}

async fn observe_each_layer(client: Client, log: &Shared) {
    // Timeout: the slow tool is cut off with a clear error.
    let started = tokio::time::Instant::now();
    let error = client.call_tool("slow", json!({})).await.unwrap_err();
    assert_eq!(error.code(), ErrorCode::REQUEST_TIMEOUT);
    assert_eq!(error.message(), "request timed out");
    assert!(started.elapsed() < Duration::from_secs(5));

    // Concurrency limit: `hold` runs; the next calls wait for it. The buffer's worker holds
    // one of them while the inner service is not ready, its channel (one slot) the other.
    let first = tokio::spawn({
        let client = client.clone();
        async move { client.call_tool("hold", json!({})).await }
    });
    log.started.notified().await;
    let mut queued = Vec::new();
    for _ in 0..2 {
        queued.push(tokio::spawn({
            let client = client.clone();
            async move { client.call_tool("quick", json!({})).await }
        }));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Load shed: the buffer is full, so the next call is refused at once.
    let shed = client.call_tool("quick", json!({})).await.unwrap_err();
    assert_eq!(shed.code(), ErrorCode::INTERNAL_ERROR);
    assert_eq!(shed.message(), "server overloaded, try again later");

    log.release.notify_one();
    first.await.unwrap().unwrap();
    for call in queued {
        call.await.unwrap().unwrap();
    }
    assert_eq!(
        *log.events.lock().unwrap(),
        ["hold:start", "hold:end", "quick", "quick"],
        "the queued calls ran only after the first finished"
    );
}

#[tokio::test]
async fn stock_layers_compose_around_a_router() {
    let log = Shared::default();
    let client = connect(stock(router(&log))).await;
    observe_each_layer(client, &log).await;
}

#[tokio::test]
async fn stock_layers_compose_around_a_proxy() {
    let log = Shared::default();
    let backend = connect(router(&log)).await;
    let client = connect(stock(proxy(backend))).await;
    observe_each_layer(client, &log).await;
}

#[tokio::test]
async fn tower_http_layers_compose_on_the_http_edge() {
    use tower_http::compression::CompressionLayer;
    use tower_http::cors::CorsLayer;
    use tower_http::request_id::{
        MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
    };

    #[derive(Clone)]
    struct Fixed;
    impl MakeRequestId for Fixed {
        fn make_request_id<B>(&mut self, _: &http::Request<B>) -> Option<RequestId> {
            Some(RequestId::new(http::HeaderValue::from_static("req-1")))
        }
    }

    let log = Shared::default();
    let mcp = StreamableHttpService::new(stock(router(&log)));
    let app = ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(Fixed))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(CorsLayer::permissive())
        .layer(CompressionLayer::new())
        .service(mcp);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, app, async move {
        let _ = stopped.await;
    }));

    let client = HttpClient::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let body = json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "0"},
        },
    });
    let request = http::Request::post(&url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("accept-encoding", "gzip")
        .header("origin", "http://localhost:5173")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let response = client.request(request).await.unwrap();
    assert_eq!(response.status(), http::StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers["x-request-id"], "req-1");
    assert_eq!(headers["access-control-allow-origin"], "*");
    assert_eq!(headers["content-encoding"], "gzip");
    let compressed = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&compressed[..2], [0x1f, 0x8b], "a gzip stream");

    let _ = stop.send(());
    let _: Result<(), std::io::Error> = server.await.unwrap();
}

/// Retries a failed request, at most the given number of times.
#[derive(Clone)]
struct RetryOnError(usize);

impl<E> tower::retry::Policy<Request, ServerResult, E> for RetryOnError {
    type Future = std::future::Ready<()>;

    fn retry(
        &mut self,
        _: &mut Request,
        result: &mut Result<ServerResult, E>,
    ) -> Option<Self::Future> {
        if result.is_err() && self.0 > 0 {
            self.0 -= 1;
            Some(std::future::ready(()))
        } else {
            None
        }
    }

    fn clone_request(&mut self, req: &Request) -> Option<Request> {
        Some(req.clone())
    }
}

#[tokio::test]
async fn retry_composes_around_a_router_and_a_proxy() {
    use std::sync::atomic::{AtomicUsize, Ordering};

    // A leaf that fails every other call with a protocol error.
    let calls = Arc::new(AtomicUsize::new(0));
    let flaky = {
        let calls = calls.clone();
        tower::service_fn(move |_: Request| {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                if n.is_multiple_of(2) {
                    Err(turret::McpError::internal("flaky backend"))
                } else {
                    Ok(ServerResult::CallTool(
                        turret::types::CallToolResult::success(vec![
                            turret::types::ContentBlock::text("ok"),
                        ]),
                    ))
                }
            }
        })
    };
    let def = turret::types::Tool {
        name: "flaky".into(),
        input_schema: Arc::new(json!({"type": "object"}).as_object().cloned().unwrap()),
        ..Default::default()
    };
    let router = Router::new().tool_service(def, flaky);

    let client = connect(
        ServiceBuilder::new()
            .retry(RetryOnError(1))
            .service(router.clone()),
    )
    .await;
    client.call_tool("flaky", json!({})).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2, "failed once, retried once");

    let backend = connect(router).await;
    let client = connect(
        ServiceBuilder::new()
            .retry(RetryOnError(1))
            .service(proxy(backend)),
    )
    .await;
    client.call_tool("flaky", json!({})).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 4, "the proxy retried too");
}
