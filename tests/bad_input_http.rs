//! Malformed and misplaced input over streamable HTTP, on both protocol eras (issue #11, the
//! HTTP half of the bad-input suite; the stdio half is `stdio_bad_input.rs`).
//!
//! One table, [`cases`], lists every bad input with what each era must answer: the exact HTTP
//! status and JSON-RPC error code (and id), a tool error (`isError`), or the edge's own
//! plain-text refusal. Each case is sent on a fresh keep-alive connection to a real server on
//! `127.0.0.1:0`, inside a fresh session on the handshake era; then a valid `tools/call` must
//! still be served in that same session over that same connection (a new connection only
//! where the server rightly closes it, a new session only where the case ended it).

#[path = "support/http.rs"]
mod http_support;
#[path = "support/tools.rs"]
mod tools;

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use http::header::{ACCEPT, CONTENT_TYPE, HOST};
use http::{HeaderValue, Request, StatusCode};
use http_body_util::{BodyExt as _, StreamBody};
use http_support::{full, modern, rpc, within, Body, Session, TestServer, MODERN};
use hyper::body::{Bytes, Frame};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use turret::transport::streamable_http::StreamableHttpService;
use turret::{prompt_fn, resource_fn, tool_fn, Args, BoxError, Router};

const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;
const RESOURCE_NOT_FOUND: i64 = -32002;
const HEADER_MISMATCH: i64 = -32020;
const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

const OK: StatusCode = StatusCode::OK;
const BAD_REQUEST: StatusCode = StatusCode::BAD_REQUEST;
const NOT_FOUND: StatusCode = StatusCode::NOT_FOUND;

/// The id of the slow call the duplicate-id case holds in flight.
const HELD_ID: i64 = 34;

const MIB: usize = 1024 * 1024;

// ---------------------------------------------------------------------------------------
// The server

#[derive(Deserialize, JsonSchema)]
struct Greeting {
    name: String,
}

async fn greeting(Args(Greeting { name }): Args<Greeting>) -> String {
    format!("Hello, {name}")
}

async fn readme() -> &'static str {
    "read me"
}

/// Holds a `slow` call open: the tool signals `started`, then waits for `release`.
#[derive(Clone, Default)]
struct Gate {
    started: Arc<Notify>,
    release: Arc<Notify>,
}

fn router(gate: Gate) -> Router {
    let slow = move || {
        let gate = gate.clone();
        async move {
            gate.started.notify_one();
            gate.release.notified().await;
            "slow done".to_owned()
        }
    };
    Router::new()
        .name("bad-input")
        .tool("add", tool_fn(tools::add))
        .tool("slow", tool_fn(slow))
        .prompt("greeting", prompt_fn(greeting))
        .resource("test://readme", resource_fn(readme))
}

// ---------------------------------------------------------------------------------------
// The table

/// Where a case runs: in a session negotiated at a handshake-era revision, or sessionless.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Era {
    Handshake(&'static str),
    Modern,
}

impl fmt::Display for Era {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Handshake(version) => write!(f, "the handshake era ({version})"),
            Self::Modern => write!(f, "the sessionless era ({MODERN})"),
        }
    }
}

/// What one era answers to a case.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// A JSON-RPC error: HTTP status, error code, and the id it echoes (`None` when the id
    /// could not be read: JSON-RPC writes `null`, MCP from 2025-11-25 leaves it out).
    Error(StatusCode, i64, Option<i64>),
    /// A `tools/call` result with `isError: true` (bad arguments are the model's to fix).
    ToolError(i64),
    /// A normal result answering this id.
    Served(i64),
    /// Refused by the HTTP edge before any JSON-RPC is read or run: a plain-text body.
    Refused(StatusCode),
    /// 202 Accepted with an empty body (messages that get no answer).
    Accepted,
    /// The case has no meaning on this era, for the reason given.
    NotApplicable(&'static str),
}

impl Expect {
    fn status(self) -> StatusCode {
        match self {
            Self::Error(status, ..) | Self::Refused(status) => status,
            Self::ToolError(_) | Self::Served(_) => OK,
            Self::Accepted => StatusCode::ACCEPTED,
            Self::NotApplicable(why) => unreachable!("not run: {why}"),
        }
    }
}

/// What happens before the case's request is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setup {
    Nothing,
    /// The session is ended with DELETE first.
    EndSession,
    /// A `slow` call with id [`HELD_ID`] is kept in flight (on another connection) while the
    /// case is sent, and must still get its own answer afterwards.
    SameIdInFlight,
}

/// One bad input and what each era answers.
struct Case {
    name: &'static str,
    build: fn(&Env) -> Request<Body>,
    /// Run at every handshake-era revision in [`HANDSHAKE_VERSIONS`].
    handshake: Expect,
    modern: Expect,
    setup: Setup,
    /// Whether the server keeps the connection open after answering: not when it refuses a
    /// body before reading it all (it drains at most 64 MiB, then closes).
    keeps_connection: bool,
}

fn case(
    name: &'static str,
    build: fn(&Env) -> Request<Body>,
    handshake: Expect,
    modern: Expect,
) -> Case {
    Case {
        name,
        build,
        handshake,
        modern,
        setup: Setup::Nothing,
        keeps_connection: true,
    }
}

impl Case {
    fn setup(self, setup: Setup) -> Self {
        Self { setup, ..self }
    }

    fn closes_connection(self) -> Self {
        Self {
            keeps_connection: false,
            ..self
        }
    }

    fn expect(&self, era: Era) -> Expect {
        match era {
            Era::Handshake(_) => self.handshake,
            Era::Modern => self.modern,
        }
    }
}

fn error(status: StatusCode, code: i64, id: i64) -> Expect {
    Expect::Error(status, code, Some(id))
}

/// An error answering a message whose id could not be read.
fn anonymous(status: StatusCode, code: i64) -> Expect {
    Expect::Error(status, code, None)
}

/// The handshake-era revisions the handshake column runs at. 2025-03-26 is left out: it is
/// the one revision that allowed JSON-RPC batches, and the edge rejects batches on every
/// revision, so the batch case would not hold there.
const HANDSHAKE_VERSIONS: [&str; 2] = ["2025-06-18", "2025-11-25"];

const SESSIONLESS: &str = "2026-07-28 is sessionless: there is no session to name, end or open";

fn cases() -> Vec<Case> {
    use Expect::{Accepted, NotApplicable, Refused, Served, ToolError};
    vec![
        // Bodies that are not JSON: nothing, not even the id, can be read.
        case(
            "truncated JSON",
            |e| {
                let like = e.call(1, "add", json!({ "a": 1, "b": 2 }));
                let text = like.to_string();
                e.post_raw(full(text[..text.len() - 2].to_owned()), &like)
            },
            anonymous(BAD_REQUEST, PARSE_ERROR),
            anonymous(BAD_REQUEST, PARSE_ERROR),
        ),
        case(
            "a body that is not JSON at all",
            |e| e.post_raw(full("not json at all"), &e.message(2, "tools/list", json!({}))),
            anonymous(BAD_REQUEST, PARSE_ERROR),
            anonymous(BAD_REQUEST, PARSE_ERROR),
        ),
        case(
            "an empty body",
            |e| e.post_raw(full(""), &e.message(3, "tools/list", json!({}))),
            anonymous(BAD_REQUEST, PARSE_ERROR),
            anonymous(BAD_REQUEST, PARSE_ERROR),
        ),
        case(
            "invalid UTF-8 in a string",
            |e| {
                let like = e.call(4, "add", json!({ "a": "@@", "b": 2 }));
                e.post_raw(full(splice(&like, "@@", b"\xff\xfe")), &like)
            },
            anonymous(BAD_REQUEST, PARSE_ERROR),
            anonymous(BAD_REQUEST, PARSE_ERROR),
        ),
        // Refused before parsing, so a parser that recurses cannot overflow its stack.
        case(
            "JSON nested 100,000 deep",
            |e| {
                let like = e.call(5, "add", json!({ "a": 1, "b": 2, "deep": "@@" }));
                let deep = ["[".repeat(100_000), "]".repeat(100_000)].concat();
                e.post_raw(full(splice(&like, "\"@@\"", deep.as_bytes())), &like)
            },
            anonymous(BAD_REQUEST, PARSE_ERROR),
            anonymous(BAD_REQUEST, PARSE_ERROR),
        ),
        // Past the 4 MiB default limit; streamed, so neither side holds 64 MiB.
        case(
            "a 64 MiB chunked body",
            |e| e.post_raw(sixty_four_mib(), &e.call(6, "add", json!({ "a": 1, "b": 2 }))),
            anonymous(StatusCode::PAYLOAD_TOO_LARGE, INVALID_REQUEST),
            anonymous(StatusCode::PAYLOAD_TOO_LARGE, INVALID_REQUEST),
        )
        .closes_connection(),
        // JSON, but not a JSON-RPC request.
        case(
            "jsonrpc \"1.0\"",
            |e| e.post(&member(e.message(7, "tools/list", json!({})), "jsonrpc", json!("1.0"))),
            error(BAD_REQUEST, INVALID_REQUEST, 7),
            error(BAD_REQUEST, INVALID_REQUEST, 7),
        ),
        case(
            "no jsonrpc member",
            |e| e.post(&without(e.message(8, "tools/list", json!({})), "jsonrpc")),
            error(BAD_REQUEST, INVALID_REQUEST, 8),
            error(BAD_REQUEST, INVALID_REQUEST, 8),
        ),
        case(
            "a null id",
            |e| e.post(&member(e.message(9, "tools/list", json!({})), "id", Value::Null)),
            anonymous(BAD_REQUEST, INVALID_REQUEST),
            anonymous(BAD_REQUEST, INVALID_REQUEST),
        ),
        // Batches were dropped in 2025-06-18 (and never existed in 2026-07-28).
        case(
            "a batch",
            |e| {
                let first = e.message(10, "tools/list", json!({}));
                let batch = json!([first, e.message(11, "tools/list", json!({}))]);
                e.post_raw(full(batch.to_string()), &first)
            },
            anonymous(BAD_REQUEST, INVALID_REQUEST),
            anonymous(BAD_REQUEST, INVALID_REQUEST),
        ),
        case(
            "params that are a number, not an object",
            |e| e.post(&member(e.message(12, "tools/list", json!({})), "params", json!(5))),
            error(BAD_REQUEST, INVALID_REQUEST, 12),
            error(BAD_REQUEST, INVALID_REQUEST, 12),
        ),
        // Well-formed requests the server cannot serve.
        case(
            "a cursor that is a number",
            |e| e.post(&e.message(13, "tools/list", json!({ "cursor": 5 }))),
            error(OK, INVALID_PARAMS, 13),
            error(OK, INVALID_PARAMS, 13),
        ),
        // On 2026-07-28 the headers are checked first, and no `Mcp-Name` can match a number.
        case(
            "a tool name that is a number",
            |e| e.post(&e.message(14, "tools/call", json!({ "name": 5, "arguments": {} }))),
            error(OK, INVALID_PARAMS, 14),
            error(BAD_REQUEST, HEADER_MISMATCH, 14),
        ),
        case(
            "an unknown method",
            |e| e.post(&e.message(15, "no/such/method", json!({}))),
            error(OK, METHOD_NOT_FOUND, 15),
            error(NOT_FOUND, METHOD_NOT_FOUND, 15),
        ),
        case(
            "a method of the other era",
            |e| {
                let method = match e.era {
                    Era::Handshake(_) => "subscriptions/listen",
                    Era::Modern => "ping",
                };
                let params = json!({ "notifications": { "toolsListChanged": true } });
                e.post(&e.message(16, method, params))
            },
            error(OK, METHOD_NOT_FOUND, 16),
            error(NOT_FOUND, METHOD_NOT_FOUND, 16),
        ),
        case(
            "an unknown tool",
            |e| e.post(&e.call(17, "no_such_tool", json!({}))),
            error(OK, INVALID_PARAMS, 17),
            error(OK, INVALID_PARAMS, 17),
        ),
        case(
            "an unknown prompt",
            |e| e.post(&e.message(18, "prompts/get", json!({ "name": "no_such_prompt" }))),
            error(OK, INVALID_PARAMS, 18),
            error(OK, INVALID_PARAMS, 18),
        ),
        // -32002 on the handshake era; 2026-07-28 folds it into -32602.
        case(
            "an unknown resource",
            |e| e.post(&e.message(19, "resources/read", json!({ "uri": "test://nothing" }))),
            error(OK, RESOURCE_NOT_FOUND, 19),
            error(OK, INVALID_PARAMS, 19),
        ),
        case(
            "a garbage cursor",
            |e| e.post(&e.message(20, "tools/list", json!({ "cursor": "garbage!" }))),
            error(OK, INVALID_PARAMS, 20),
            error(OK, INVALID_PARAMS, 20),
        ),
        // Tool arguments that do not fit the schema are a tool error the model can read, on
        // every revision (the `isError` docs of each schema allow it; 2025-11-25 asks for it).
        case(
            "missing required tool arguments",
            |e| e.post(&e.call(21, "add", json!({ "a": 1 }))),
            ToolError(21),
            ToolError(21),
        ),
        case(
            "tool arguments that violate the input schema",
            |e| e.post(&e.call(22, "add", json!({ "a": "one", "b": 2 }))),
            ToolError(22),
            ToolError(22),
        ),
        // Prompts have no isError: their bad arguments stay protocol errors.
        case(
            "missing required prompt arguments",
            |e| e.post(&e.message(23, "prompts/get", json!({ "name": "greeting" }))),
            error(OK, INVALID_PARAMS, 23),
            error(OK, INVALID_PARAMS, 23),
        ),
        // HTTP-level refusals.
        case(
            "a foreign Origin",
            |e| header(e.post(&e.list(24)), "origin", "http://evil.example.com"),
            Refused(StatusCode::FORBIDDEN),
            Refused(StatusCode::FORBIDDEN),
        ),
        case(
            "a foreign Host",
            |e| header(e.post(&e.list(25)), "host", "evil.example.com"),
            Refused(StatusCode::FORBIDDEN),
            Refused(StatusCode::FORBIDDEN),
        ),
        case(
            "Content-Type text/plain",
            |e| header(e.post(&e.list(26)), "content-type", "text/plain"),
            Refused(StatusCode::UNSUPPORTED_MEDIA_TYPE),
            Refused(StatusCode::UNSUPPORTED_MEDIA_TYPE),
        ),
        case(
            "Accept text/html",
            |e| header(e.post(&e.list(27)), "accept", "text/html"),
            Refused(StatusCode::NOT_ACCEPTABLE),
            Refused(StatusCode::NOT_ACCEPTABLE),
        ),
        // On 2026-07-28 the version lives in `_meta` too, so a bad header is a mismatch.
        case(
            "a garbage MCP-Protocol-Version header",
            |e| header(e.post(&e.list(28)), "mcp-protocol-version", "garbage"),
            Refused(BAD_REQUEST),
            error(BAD_REQUEST, HEADER_MISMATCH, 28),
        ),
        case(
            "an unsupported protocol version in header and _meta",
            |e| {
                let meta = json!({ "io.modelcontextprotocol/protocolVersion": "1999-01-01" });
                e.post(&e.message(29, "tools/list", json!({ "_meta": meta })))
            },
            NotApplicable("the handshake era negotiates its version in initialize; a bad header is the case above"),
            error(BAD_REQUEST, UNSUPPORTED_PROTOCOL_VERSION, 29),
        ),
        // `Mcp-Method` means nothing before 2026-07-28, so the handshake era ignores it.
        case(
            "an Mcp-Method header naming another method",
            |e| header(e.post(&e.list(30)), "mcp-method", "prompts/list"),
            Served(30),
            error(BAD_REQUEST, HEADER_MISMATCH, 30),
        ),
        case(
            "a 2026-07-28 request without _meta",
            |e| e.post(&rpc(31, "tools/list", json!({}))),
            NotApplicable("_meta is optional on the handshake era"),
            error(BAD_REQUEST, INVALID_PARAMS, 31),
        ),
        // Sessions.
        case(
            "an unknown session",
            |e| header(e.post(&e.list(32)), "mcp-session-id", &"0".repeat(64)),
            Refused(NOT_FOUND),
            NotApplicable(SESSIONLESS),
        ),
        case(
            "an ended session (after DELETE)",
            |e| e.post(&e.list(33)),
            Refused(NOT_FOUND),
            NotApplicable(SESSIONLESS),
        )
        .setup(Setup::EndSession),
        case(
            "DELETE of an ended session",
            |e| e.delete(),
            Refused(NOT_FOUND),
            NotApplicable(SESSIONLESS),
        )
        .setup(Setup::EndSession),
        // 2026-07-28 has no standalone stream: GET is not allowed at all.
        case(
            "a GET naming an unknown session",
            |e| header(e.get(), "mcp-session-id", &"0".repeat(64)),
            Refused(NOT_FOUND),
            Refused(StatusCode::METHOD_NOT_ALLOWED),
        ),
        case(
            "a request before initialize (no session id)",
            |e| {
                let request = unset(e.post(&e.list(35)), "mcp-session-id");
                unset(request, "mcp-protocol-version")
            },
            Refused(BAD_REQUEST),
            NotApplicable("2026-07-28 has no initialize: every request carries its version"),
        ),
        // Ids must be unique within a session; a sessionless POST is an exchange of its own,
        // so the same id elsewhere clashes with nothing.
        case(
            "a duplicate id in flight",
            |e| e.post(&e.call(HELD_ID, "add", json!({ "a": 3, "b": 4 }))),
            error(BAD_REQUEST, INVALID_REQUEST, HELD_ID),
            Served(HELD_ID),
        )
        .setup(Setup::SameIdInFlight),
        // Answers to requests the server never sent: nothing waits for them. 2026-07-28
        // clients answer input requests by retrying, so a response there is malformed.
        case(
            "a response to a request never sent",
            |e| e.post(&json!({ "jsonrpc": "2.0", "id": 9999, "result": {} })),
            Accepted,
            Refused(BAD_REQUEST),
        ),
        case(
            "an error response to a request never sent",
            |e| {
                let object = json!({ "code": -32603, "message": "no" });
                e.post(&json!({ "jsonrpc": "2.0", "id": 9998, "error": object }))
            },
            Accepted,
            Refused(BAD_REQUEST),
        ),
        // Notifications get no answer, malformed or not.
        case(
            "a cancellation with a malformed request id",
            |e| {
                let params = json!({ "requestId": { "not": "an id" } });
                e.post(&notification(e, "notifications/cancelled", params))
            },
            Accepted,
            Accepted,
        ),
    ]
}

// ---------------------------------------------------------------------------------------
// Building requests

/// What a case's request is built from: the era, the server's address, the session.
struct Env {
    era: Era,
    host: String,
    session: Option<Session>,
}

impl Env {
    /// A request of this era: 2026-07-28 requests carry their version in `_meta`.
    fn message(&self, id: i64, method: &str, params: Value) -> Value {
        match self.era {
            Era::Handshake(_) => rpc(id, method, params),
            Era::Modern => modern(id, method, params),
        }
    }

    fn call(&self, id: i64, tool: &str, arguments: Value) -> Value {
        let params = json!({ "name": tool, "arguments": arguments });
        self.message(id, "tools/call", params)
    }

    /// A valid `tools/list`, for the cases whose fault is in the headers.
    fn list(&self, id: i64) -> Value {
        self.message(id, "tools/list", json!({}))
    }

    /// A POST of `message` with the headers this era's client sends for it.
    fn post(&self, message: &Value) -> Request<Body> {
        self.post_raw(full(message.to_string()), message)
    }

    /// A POST of `body` (which need not be JSON) with the headers a client sends for `like`:
    /// the session's id and version, or the 2026-07-28 `MCP-Protocol-Version`, `Mcp-Method`
    /// and `Mcp-Name` read from the message.
    fn post_raw(&self, body: Body, like: &Value) -> Request<Body> {
        let mut request = Request::post("/mcp")
            .header(HOST, &self.host)
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json, text/event-stream")
            .body(body)
            .expect("a valid request");
        match self.era {
            Era::Handshake(_) => request = self.in_session(request),
            Era::Modern => {
                let params = &like["params"];
                let version = params["_meta"]["io.modelcontextprotocol/protocolVersion"]
                    .as_str()
                    .unwrap_or(MODERN);
                request = header(request, "mcp-protocol-version", version);
                if let Some(method) = like["method"].as_str() {
                    request = header(request, "mcp-method", method);
                    let name = match method {
                        "tools/call" | "prompts/get" => params["name"].as_str(),
                        "resources/read" => params["uri"].as_str(),
                        _ => None,
                    };
                    if let Some(name) = name {
                        request = header(request, "mcp-name", name);
                    }
                }
            }
        }
        request
    }

    /// A DELETE ending the session.
    fn delete(&self) -> Request<Body> {
        let request = Request::delete("/mcp")
            .header(HOST, &self.host)
            .body(full(""))
            .expect("a valid request");
        self.in_session(request)
    }

    /// A GET for the session's standalone stream (on 2026-07-28, one naming the version).
    fn get(&self) -> Request<Body> {
        let request = Request::get("/mcp")
            .header(HOST, &self.host)
            .header(ACCEPT, "text/event-stream")
            .body(full(""))
            .expect("a valid request");
        match self.era {
            Era::Handshake(_) => self.in_session(request),
            Era::Modern => header(request, "mcp-protocol-version", MODERN),
        }
    }

    fn in_session(&self, request: Request<Body>) -> Request<Body> {
        let session = self
            .session
            .as_ref()
            .expect("a handshake-era case has a session");
        let request = header(request, "mcp-session-id", &session.id);
        header(request, "mcp-protocol-version", &session.version)
    }
}

/// A notification of this era (`_meta` on 2026-07-28).
fn notification(e: &Env, method: &str, params: Value) -> Value {
    without(e.message(0, method, params), "id")
}

/// Sets (replaces) a header.
fn header(mut request: Request<Body>, name: &'static str, value: &str) -> Request<Body> {
    let value = HeaderValue::from_str(value).expect("a valid header value");
    request.headers_mut().insert(name, value);
    request
}

fn unset(mut request: Request<Body>, name: &'static str) -> Request<Body> {
    request.headers_mut().remove(name);
    request
}

/// `message` with member `name` set to `value`.
fn member(mut message: Value, name: &str, value: Value) -> Value {
    message[name] = value;
    message
}

fn without(mut message: Value, name: &str) -> Value {
    message.as_object_mut().expect("an object").remove(name);
    message
}

/// `message` serialized, with the first `placeholder` replaced by raw `bytes`.
fn splice(message: &Value, placeholder: &str, bytes: &[u8]) -> Vec<u8> {
    let text = message.to_string().into_bytes();
    let at = text
        .windows(placeholder.len())
        .position(|w| w == placeholder.as_bytes())
        .expect("the placeholder");
    [&text[..at], bytes, &text[at + placeholder.len()..]].concat()
}

/// The start of a request, then 64 MiB of spaces in 1 MiB chunks without a Content-Length.
/// The pause between chunks lets the client read an early 413 before its next write: the
/// server drains at most 64 MiB after the 413 and then closes, so a client still writing
/// past that would see a reset instead.
fn sixty_four_mib() -> Body {
    let chunk = Bytes::from(vec![b' '; MIB]);
    let head = futures_util::stream::once(async {
        Ok::<_, BoxError>(Frame::data(Bytes::from_static(b"{\"jsonrpc\":\"2.0\",")))
    });
    let spaces = futures_util::stream::iter(0..64).then(move |_| {
        let chunk = chunk.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(2)).await;
            Ok::<_, BoxError>(Frame::data(chunk))
        }
    });
    StreamBody::new(head.chain(spaces)).boxed_unsync()
}

// ---------------------------------------------------------------------------------------
// One keep-alive connection

/// One HTTP/1.1 connection: every request sent on it travels over the same TCP stream, so
/// a follow-up that succeeds proves the connection survived the case.
struct Conn {
    sender: http1::SendRequest<Body>,
}

/// A response, read whole.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    content_type: Option<String>,
    /// `Err` when the body could not be read (a server that closes after an early refusal
    /// may reset the connection before the body arrives).
    body: Result<Bytes, String>,
}

impl Conn {
    async fn open(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .expect("an HTTP/1.1 handshake");
        tokio::spawn(async move {
            // Ends when either side closes; a refused body may end it with an error.
            let _ = connection.await;
        });
        Self { sender }
    }

    async fn send(&mut self, request: Request<Body>, what: &str) -> Answer {
        let response = within(&format!("the answer to {what}"), async {
            self.sender.ready().await?;
            self.sender.send_request(request).await
        })
        .await
        .unwrap_or_else(|e| panic!("{what}: the connection failed: {e}"));
        let status = response.status();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or("").trim().to_owned());
        let body = within(
            &format!("the body of {what}"),
            response.into_body().collect(),
        )
        .await
        .map(|b| b.to_bytes())
        .map_err(|e| e.to_string());
        Answer {
            status,
            content_type,
            body,
        }
    }
}

impl Answer {
    fn json(&self, what: &str) -> Value {
        assert_eq!(
            self.content_type.as_deref(),
            Some("application/json"),
            "{what}: {self:?}"
        );
        let body = self.body.as_ref().unwrap_or_else(|e| panic!("{what}: {e}"));
        serde_json::from_slice(body)
            .unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {}", String::from_utf8_lossy(body)))
    }
}

/// Asserts that `answer` is what `expect` says, down to the JSON-RPC code and id.
fn check(what: &str, expect: Expect, answer: &Answer) {
    assert_eq!(answer.status, expect.status(), "{what}: {answer:?}");
    match expect {
        Expect::Error(_, code, id) => {
            let body = answer.json(what);
            assert_eq!(body["jsonrpc"], "2.0", "{what}: {body}");
            assert_eq!(body["error"]["code"], code, "{what}: {body}");
            assert!(body["error"]["message"].is_string(), "{what}: {body}");
            assert!(body.get("result").is_none(), "{what}: {body}");
            match id {
                Some(id) => assert_eq!(body.get("id"), Some(&json!(id)), "{what}: {body}"),
                None => assert!(body.get("id").is_none_or(Value::is_null), "{what}: {body}"),
            }
        }
        Expect::ToolError(id) => {
            let body = answer.json(what);
            assert_eq!(body["id"], id, "{what}: {body}");
            assert_eq!(body["result"]["isError"], true, "{what}: {body}");
            let text = body["result"]["content"][0]["text"].as_str();
            assert!(text.is_some_and(|t| !t.is_empty()), "{what}: {body}");
        }
        Expect::Served(id) => {
            let body = answer.json(what);
            assert_eq!(body["id"], id, "{what}: {body}");
            assert!(body["result"].is_object(), "{what}: {body}");
            assert_ne!(body["result"]["isError"], true, "{what}: {body}");
        }
        Expect::Refused(_) => {
            // The edge's own refusals carry a reason in plain text, not a JSON-RPC error.
            assert_eq!(answer.content_type.as_deref(), Some("text/plain"), "{what}");
        }
        Expect::Accepted => {
            let body = answer
                .body
                .as_ref()
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            assert!(body.is_empty(), "{what}: {answer:?}");
        }
        Expect::NotApplicable(why) => unreachable!("{what} is not run: {why}"),
    }
}

// ---------------------------------------------------------------------------------------
// Running the table

/// The text of a `tools/call` result answering `id`.
fn call_text(answer: &Answer, id: i64, what: &str) -> String {
    check(what, Expect::Served(id), answer);
    let body = answer.json(what);
    body["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("{what}: no text in {body}"))
        .to_owned()
}

/// A new session at `version`, for a handshake-era case.
async fn open_session(server: &TestServer, version: &str) -> Session {
    let session = server.initialize(version, json!({})).await;
    assert_eq!(
        session.version, version,
        "the server negotiated another version"
    );
    session
}

/// Runs every case that applies to `era` on `server`; returns how many ran.
async fn run_era(era: Era) -> usize {
    let gate = Gate::default();
    let server = TestServer::start(StreamableHttpService::new(router(gate.clone()))).await;
    let mut ran = 0;
    for case in cases() {
        let expect = case.expect(era);
        if matches!(expect, Expect::NotApplicable(_)) {
            continue;
        }
        run_case(&server, &gate, era, &case, expect).await;
        ran += 1;
    }
    eprintln!("bad_input_http: {ran} bad-input cases on {era}");
    ran
}

async fn run_case(server: &TestServer, gate: &Gate, era: Era, case: &Case, expect: Expect) {
    let what = format!("{:?} on {era}", case.name);
    let mut env = Env {
        era,
        host: server.addr.to_string(),
        session: None,
    };
    if let Era::Handshake(version) = era {
        env.session = Some(open_session(server, version).await);
    }
    let mut conn = Conn::open(server.addr).await;

    let held = match case.setup {
        Setup::Nothing => None,
        Setup::EndSession => {
            let ended = conn
                .send(env.delete(), &format!("DELETE before {what}"))
                .await;
            assert_eq!(ended.status, StatusCode::NO_CONTENT, "{what}: {ended:?}");
            None
        }
        Setup::SameIdInFlight => {
            let mut other = Conn::open(server.addr).await;
            let slow = env.post(&env.call(HELD_ID, "slow", json!({})));
            let label = format!("the held call of {what}");
            let held = tokio::spawn(async move { other.send(slow, &label).await });
            within("the slow tool to start", gate.started.notified()).await;
            Some(held)
        }
    };

    let answer = conn.send((case.build)(&env), &what).await;
    check(&what, expect, &answer);

    if let Some(held) = held {
        // The call that held the id first is unharmed: it still gets its own answer.
        gate.release.notify_one();
        let first = within("the held call's answer", held)
            .await
            .expect("the held call's task");
        let label = format!("the held call of {what}");
        assert_eq!(call_text(&first, HELD_ID, &label), "slow done");
    }
    if !case.keeps_connection {
        conn = Conn::open(server.addr).await;
    }
    if let (Setup::EndSession, Era::Handshake(version)) = (case.setup, era) {
        // An ended session stays ended; a new one must work on the same connection.
        env.session = Some(open_session(server, version).await);
    }

    let follow_up = env.post(&env.call(1000, "add", json!({ "a": 2, "b": 3 })));
    let label = format!("the valid call after {what}");
    let answer = conn.send(follow_up, &label).await;
    assert_eq!(call_text(&answer, 1000, &label), "5");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_on_the_handshake_era() {
    for version in HANDSHAKE_VERSIONS {
        run_era(Era::Handshake(version)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_on_the_sessionless_era_2026_07_28() {
    run_era(Era::Modern).await;
}

#[test]
fn every_case_applies_to_some_era_and_the_count_is_reported() {
    let cases = cases();
    for case in &cases {
        assert!(
            !matches!(
                (case.handshake, case.modern),
                (Expect::NotApplicable(_), Expect::NotApplicable(_))
            ),
            "{:?} applies to no era",
            case.name
        );
    }
    let on = |era| {
        cases
            .iter()
            .filter(|c| !matches!(c.expect(era), Expect::NotApplicable(_)))
            .count()
    };
    let handshake = on(Era::Handshake(HANDSHAKE_VERSIONS[0]));
    let modern = on(Era::Modern);
    eprintln!(
        "bad_input_http: {} bad-input cases: {handshake} on the handshake era (run at {}), \
         {modern} on 2026-07-28",
        cases.len(),
        HANDSHAKE_VERSIONS.join(" and ")
    );
}
