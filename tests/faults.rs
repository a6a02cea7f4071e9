//! Faults, each ending in a clear error within its time limit and then full recovery: a
//! proxy backend stuck before its handshake, hung on a call, or printing garbage on stdout;
//! a client gone mid-SSE; an OpenAPI backend answering 500, trickling its body, or sending
//! an enormous one. (A backend killed mid-call and one that cannot start:
//! `proxy_faults.rs`.)

#[path = "support/client.rs"]
mod client;
#[path = "support/fixture.rs"]
mod fixture;
#[path = "support/http.rs"]
mod http_support;
#[path = "support/proc.rs"]
mod proc;

use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::body::Body as AxumBody;
use axum::routing::get;
use bytes::Bytes;
use futures_util::{Stream, StreamExt as _};
use http::StatusCode;
use http_body_util::Full;
use http_support::{modern, notification, rpc, tool_call, within, Served, TestServer};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::rt::TokioExecutor;
use proc::{mib, Pid};
use serde_json::{json, Value};
use turret::client::{Client, Era};
use turret::openapi::{http_client, OpenApi, Spec};
use turret::proxy::{Backend, Proxy};
use turret::transport::memory_pair;
use turret::transport::streamable_http::StreamableHttpService;
use turret::types::{CallToolResult, ErrorCode, ProtocolVersion};
use turret::{tool_fn, Context, Router};

/// The limit each fault must end within (the proxy's and the API's timeout).
const LIMIT: Duration = Duration::from_secs(2);
/// How much later than [`LIMIT`] the error may arrive (scheduling, a loaded machine).
const SLACK: Duration = Duration::from_secs(3);
const HANDSHAKE: Era = Era::Handshake(ProtocolVersion::LATEST_HANDSHAKE);

/// A client of `server` served in process, over memory.
async fn connect(server: impl Served) -> Result<Client, turret::McpError> {
    let (served, transport) = memory_pair();
    tokio::spawn(turret::serve(server, served));
    Client::builder().era(HANDSHAKE).connect(transport).await
}

/// Asserts that `elapsed` is at least the limit and not much more, and reports it.
fn at_the_limit(what: &str, elapsed: Duration) {
    assert!(
        elapsed >= LIMIT - Duration::from_millis(50) && elapsed < LIMIT + SLACK,
        "{what}: the error took {elapsed:?} (limit {LIMIT:?})"
    );
    eprintln!("{what}: clear error after {elapsed:?}");
}

// ---------------------------------------------------------------------------------------
// Proxy backends: a real Python process with a fault.

/// A stdio MCP server with a fault chosen by its first argument. `hang-start`: the first
/// process started (no marker file yet at `argv[2]`) writes its pid there and never answers.
/// `garbage`: lines that are no JSON-RPC message before its first answer and every answer.
/// Its tool `hang` is never answered; `echo` answers with its arguments and the ids of the
/// requests the client cancelled.
const FAULTY_BACKEND: &str = r#"
import json, os, sys

mode = sys.argv[1]
out = sys.stdout.buffer
cancelled = []

def send(message):
    out.write(json.dumps(message).encode() + b"\n")
    out.flush()

def garbage():
    if mode == "garbage":
        out.write(
            b"Loading model weights... 42%\n"
            b"\x1b[32mready\x1b[0m\n"
            b"{\"jsonrpc\": \"2.0\", \"id\":\n"
            b"[1, 2, 3]\n"
            b"{\"hello\": \"world\"}\n"
            b"{\"jsonrpc\": \"2.0\", \"id\": \"no-such-request\", \"result\": {}}\n"
            b"{\"jsonrpc\": \"2.0\", \"method\": \"notifications/bogus\"}\n"
            b"\xff\xfe not UTF-8\n"
        )
        out.flush()

if mode == "hang-start" and not os.path.exists(sys.argv[2]):
    with open(sys.argv[2], "w") as marker:
        marker.write(str(os.getpid()))
    for _ in sys.stdin:
        pass
    sys.exit(0)

garbage()
for line in sys.stdin:
    message = json.loads(line)
    method, id = message.get("method"), message.get("id")
    params = message.get("params") or {}
    if method == "notifications/cancelled":
        cancelled.append(params.get("requestId"))
    if id is None or (method == "tools/call" and params.get("name") == "hang"):
        continue
    garbage()
    if method == "initialize":
        result = {"protocolVersion": params["protocolVersion"], "capabilities": {"tools": {}},
                  "serverInfo": {"name": "faulty", "version": "0"}}
    elif method == "tools/list":
        result = {"tools": [{"name": n, "inputSchema": {"type": "object"}} for n in ("echo", "hang")]}
    elif method == "tools/call":
        text = json.dumps({"arguments": params.get("arguments") or {}, "cancelled": cancelled})
        result = {"content": [{"type": "text", "text": text}]}
    elif method == "ping":
        result = {}
    else:
        send({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": "no " + method}})
        continue
    send({"jsonrpc": "2.0", "id": id, "result": result})
"#;

/// A directory of this test binary's own, with the backend script in it.
fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("turret-faults-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("faulty.py"), FAULTY_BACKEND).unwrap();
        dir
    })
}

/// A proxy named `faulty` of the Python backend run with `args`, with the test's limit.
fn faulty_proxy(args: &[&str]) -> Proxy {
    let python = fixture::harness_program("py/bin/python");
    let script = scratch().join("faulty.py");
    let backend = Backend::command(python.display().to_string())
        .arg("-u")
        .arg(script.display().to_string())
        .args(args.iter().copied());
    Proxy::builder("faulty", backend)
        .backend_era(HANDSHAKE)
        .timeout(LIMIT)
        .backoff(Duration::from_millis(100))
        .build()
}

/// `echo` through `client`: the arguments the backend saw and the requests it heard
/// cancelled.
async fn echo(client: &Client, arguments: Value) -> Value {
    let result = client.call_tool("echo", arguments.clone()).await.unwrap();
    let answer: Value = serde_json::from_str(&client::text(&result.content)).unwrap();
    assert_eq!(answer["arguments"], arguments);
    answer
}

#[tokio::test]
async fn a_backend_stuck_before_its_handshake_fails_within_the_timeout_then_recovers() {
    let marker = scratch().join("hang-start.pid");
    let _ = std::fs::remove_file(&marker);
    let proxy = faulty_proxy(&["hang-start", &marker.display().to_string()]);

    let started = Instant::now();
    let err = within("the connection to fail", connect(proxy.clone()))
        .await
        .unwrap_err();
    at_the_limit("backend stuck before its handshake", started.elapsed());
    assert!(
        err.message().contains("backend faulty is unavailable")
            && err
                .message()
                .contains("did not complete the MCP handshake within 2000 ms"),
        "{}",
        err.message()
    );
    // The stuck process is stopped, not left behind.
    let stuck: u32 = std::fs::read_to_string(&marker)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    within("the stuck backend to be stopped", async {
        while !Pid::Of(stuck).is_gone() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;

    // Past the backoff, the next connection starts a backend that answers.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let client = connect(proxy).await.unwrap();
    echo(&client, json!({"after": "recovery"})).await;
}

#[tokio::test]
async fn a_call_the_backend_never_answers_times_out_is_cancelled_and_the_next_works() {
    let client = connect(faulty_proxy(&["hang-call"])).await.unwrap();
    let started = Instant::now();
    let err = within("the hung call to fail", client.call_tool("hang", json!({})))
        .await
        .unwrap_err();
    at_the_limit("backend hung on a call", started.elapsed());
    assert_eq!(err.code(), ErrorCode::REQUEST_TIMEOUT, "{}", err.message());
    assert_eq!(
        err.message(),
        "backend faulty did not answer tools/call within 2000 ms"
    );

    let started = Instant::now();
    echo(&client, json!({"n": 1})).await;
    assert!(started.elapsed() < LIMIT, "the next call is not held up");
    // The backend hears that the hung request was given up.
    within("the backend to hear the cancellation", async {
        while echo(&client, json!({"n": 2})).await["cancelled"]
            .as_array()
            .unwrap()
            .is_empty()
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn garbage_on_a_backends_stdout_is_skipped() {
    let started = Instant::now();
    let client = connect(faulty_proxy(&["garbage"])).await.unwrap();
    assert_eq!(client::tool_names(&client).await, ["echo", "hang"]);
    for n in 0..5 {
        echo(&client, json!({"n": n, "text": "ünïcode ✓"})).await;
    }
    let elapsed = started.elapsed();
    // Skipped at once: no answer waited for a timeout.
    assert!(elapsed < LIMIT, "took {elapsed:?}");
    eprintln!("backend printing garbage: handshake, a list and 5 calls in {elapsed:?}");
}

// ---------------------------------------------------------------------------------------
// A client gone mid-SSE.

/// Counts a handler as live from its start until it returns or is dropped.
struct Live(Arc<AtomicUsize>);

impl Live {
    fn enter(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Self(count.clone())
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// `watch` reports progress, then works for a minute; `ping` answers at once.
fn watching(live: Arc<AtomicUsize>) -> Router {
    let watch = move |ctx: Context| {
        let live = live.clone();
        async move {
            let _live = Live::enter(&live);
            ctx.progress(1.0, None, None).await;
            tokio::time::sleep(Duration::from_secs(60)).await;
            "finished".to_owned()
        }
    };
    Router::new()
        .tool("watch", tool_fn(watch))
        .tool("ping", tool_fn(|| async { "pong" }))
}

/// Polls `done` until it holds (failing the test past [`http_support::TIMEOUT`]).
async fn wait_until(what: &str, done: impl Fn() -> bool) {
    within(what, async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
}

/// The runtime's count of live tasks once it has held still for 200 ms.
async fn settled_tasks() -> usize {
    let metrics = tokio::runtime::Handle::current().metrics();
    within("the task count to settle", async {
        let (mut last, mut still) = (metrics.num_alive_tasks(), 0);
        while still < 10 {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let now = metrics.num_alive_tasks();
            (last, still) = if now == last {
                (last, still + 1)
            } else {
                (now, 0)
            };
        }
        last
    })
    .await
}

/// What follows the disconnect.
#[derive(Debug, Clone, Copy)]
enum Then {
    /// 2026-07-28: the closed stream itself cancels the request.
    Nothing,
    /// Handshake era: `notifications/cancelled` for the request.
    Cancel,
    /// Handshake era: DELETE of the session.
    EndSession,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_gone_mid_sse_leaves_no_handler_or_task_behind() {
    let live = Arc::new(AtomicUsize::new(0));
    let mut server = TestServer::start(StreamableHttpService::new(watching(live.clone()))).await;
    // No idle pooled connections, whose tasks would blur the count of live tasks.
    server.client = HyperClient::builder(TokioExecutor::new())
        .pool_max_idle_per_host(0)
        .build_http();
    let metrics = tokio::runtime::Handle::current().metrics();
    let params = json!({"name": "watch", "arguments": {}, "_meta": {"progressToken": "w"}});

    for (id, then) in [(1, Then::Nothing), (2, Then::Cancel), (3, Then::EndSession)] {
        let session = match then {
            Then::Nothing => None,
            _ => Some(server.initialize("2025-11-25", json!({})).await),
        };
        let baseline = settled_tasks().await;
        let request = match &session {
            None => server.modern_post(&modern(id, "tools/call", params.clone())),
            Some(s) => server.session_post(s, &rpc(id, "tools/call", params.clone())),
        };
        let mut stream = request.expect(StatusCode::OK).await.sse();
        let (_, progress) = stream.next_message().await.expect("a progress event");
        assert_eq!(progress["method"], "notifications/progress");
        assert_eq!(live.load(Ordering::SeqCst), 1);
        let since = Instant::now();
        drop(stream);

        let since = match &session {
            None => since,
            Some(session) => {
                // Handshake era: a closed stream is no cancellation (the client may resume it).
                tokio::time::sleep(Duration::from_millis(300)).await;
                assert_eq!(live.load(Ordering::SeqCst), 1, "{then:?}: still working");
                let request = match then {
                    Then::Cancel => server.session_post(
                        session,
                        &notification("notifications/cancelled", json!({"requestId": id})),
                    ),
                    _ => server.delete().in_session(session),
                };
                let since = Instant::now();
                assert!(request.send().await.status.is_success(), "{then:?}");
                since
            }
        };
        wait_until("the handler to stop", || live.load(Ordering::SeqCst) == 0).await;
        let stopped = since.elapsed();
        wait_until("the live tasks to return to their baseline", || {
            metrics.num_alive_tasks() <= baseline
        })
        .await;
        let settled = since.elapsed();
        eprintln!(
            "client gone mid-SSE, then {then:?}: handler stopped {stopped:?} after that, live \
             tasks back to {} (baseline {baseline}) {settled:?} after",
            metrics.num_alive_tasks()
        );

        // Full recovery: the server answers the next call (in the same session if it lives).
        let ping = tool_call(10 + id, "ping", json!({}));
        let reply = match (&session, then) {
            (Some(s), Then::Cancel) => server.session_post(s, &ping),
            (Some(_), _) => {
                let fresh = server.initialize("2025-11-25", json!({})).await;
                server.session_post(&fresh, &ping)
            }
            (None, _) => server.modern_post(&modern(10 + id, "tools/call", ping["params"].clone())),
        };
        let body = reply.expect(StatusCode::OK).await.json().await;
        assert_eq!(
            body["result"]["content"][0]["text"], "pong",
            "{then:?}: {body}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// OpenAPI backends: a real API on 127.0.0.1:0 with faulty routes.

const FAULTY_API: &str = r#"
openapi: 3.1.0
info: {title: Faulty API, version: "1"}
paths:
  /ok: {get: {operationId: ok, responses: {'200': {description: fine}}}}
  /fail: {get: {operationId: fail, responses: {'200': {description: never}}}}
  /slow: {get: {operationId: slow, responses: {'200': {description: eventually}}}}
  /huge: {get: {operationId: huge, responses: {'200': {description: enormous}}}}
  /declared: {get: {operationId: declared, responses: {'200': {description: says enormous}}}}
"#;

/// The enormous bodies: 200 MiB in 64 KiB chunks.
const HUGE: u64 = 200 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;

/// `HUGE` bytes, counted into `sent` as the server takes each chunk to send.
fn enormous(sent: Arc<AtomicU64>) -> AxumBody {
    let chunk = Bytes::from(vec![b'x'; CHUNK]);
    let chunks = futures_util::stream::iter(0..HUGE / CHUNK as u64).map(move |_| {
        sent.fetch_add(CHUNK as u64, Ordering::Relaxed);
        Ok::<_, Infallible>(chunk.clone())
    });
    AxumBody::from_stream(chunks)
}

/// A body that never ends: a byte every 200 ms.
fn trickle() -> impl Stream<Item = Result<Bytes, Infallible>> {
    futures_util::stream::unfold((), |()| async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        Some((Ok(Bytes::from_static(b" ")), ()))
    })
}

/// The API on a loopback port; its base URL.
async fn faulty_api(sent: Arc<AtomicU64>) -> String {
    let declared = sent.clone();
    let app = axum::Router::new()
        .route("/ok", get(|| async { axum::Json(json!({"ok": true})) }))
        .route(
            "/fail",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "database on fire") }),
        )
        .route("/slow", get(|| async { AxumBody::from_stream(trickle()) }))
        .route(
            "/huge",
            get(move || std::future::ready(enormous(sent.clone()))),
        )
        .route(
            "/declared",
            get(move || {
                let length = (http::header::CONTENT_LENGTH, HUGE.to_string());
                std::future::ready(([length], enormous(declared.clone())))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// Calls `tool` and returns its error text and how long it took; fails if it succeeded.
async fn tool_error(client: &Client, tool: &str) -> (String, Duration) {
    let started = Instant::now();
    let result: CallToolResult = within(tool, client.call_tool(tool, json!({})))
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(result.is_error, Some(true), "{tool}: {:?}", result.content);
    (client::text(&result.content), elapsed)
}

/// Full recovery: the API's healthy route works through the same client.
async fn api_answers(client: &Client) {
    let ok = client.call_tool("ok", json!({})).await.unwrap();
    assert_ne!(ok.is_error, Some(true), "{:?}", ok.content);
    assert_eq!(ok.structured_content, Some(json!({"ok": true})));
}

#[tokio::test]
async fn openapi_backend_faults_end_in_tool_errors_and_the_next_call_works() {
    let sent = Arc::new(AtomicU64::new(0));
    let base = faulty_api(sent.clone()).await;
    let http = HyperClient::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let router = OpenApi::new(Spec::parse(FAULTY_API).unwrap())
        .base_url(base)
        .timeout(Some(LIMIT))
        .into_router(http_client(http))
        .unwrap();
    let client = connect(router).await.unwrap();

    // The API's status and message, and nothing of the server's insides.
    let (text, elapsed) = tool_error(&client, "fail").await;
    assert_eq!(text, "HTTP 500 Internal Server Error: database on fire");
    eprintln!("API answering 500: tool error after {elapsed:?}");
    api_answers(&client).await;

    let (text, elapsed) = tool_error(&client, "slow").await;
    assert_eq!(text, "the API did not answer within 2s");
    at_the_limit("API trickling its body", elapsed);
    api_answers(&client).await;

    let limit = turret::openapi::DEFAULT_MAX_RESPONSE_BYTES;
    let too_large = format!("the response body is larger than {limit} bytes");
    let before = Pid::Own.rss();
    let (text, elapsed) = tool_error(&client, "huge").await;
    assert_eq!(text, too_large);
    // Reading stopped at the limit: the rest was never sent, nor held in memory.
    let streamed = sent.swap(0, Ordering::Relaxed);
    let growth = Pid::Own.peak_rss().saturating_sub(before);
    eprintln!(
        "API sending a {} MiB body: tool error after {elapsed:?}; {:.1} MiB sent, peak RSS \
         {:.1} MiB over the {:.1} MiB before",
        HUGE >> 20,
        mib(streamed),
        mib(growth),
        mib(before)
    );
    assert!(streamed < HUGE / 4, "{streamed} bytes were sent");
    assert!(growth < 4 * limit as u64, "memory grew by {growth} bytes");
    assert!(elapsed < LIMIT, "took {elapsed:?}");
    api_answers(&client).await;

    // A declared length over the limit fails before the body is read.
    let (text, elapsed) = tool_error(&client, "declared").await;
    assert_eq!(text, too_large);
    eprintln!(
        "API declaring a {} MiB body: tool error after {elapsed:?}",
        HUGE >> 20
    );
    assert!(elapsed < LIMIT, "took {elapsed:?}");
    api_answers(&client).await;
}
