//! Oversized request bodies over real sockets: the client reads a `413` with a JSON-RPC error
//! naming the limit, however it sends the body (declared length or chunked, reading while it
//! writes or only after, `Expect: 100-continue`), and a connection whose body was drained
//! serves on. Raw TCP clients, so that nothing between the test and the socket reads early
//! or retries; and the Python `mcp` client, whose session must survive the refusal.

#[path = "support/fixture.rs"]
mod fixture;
#[path = "support/http.rs"]
mod http_support;

use std::process::Command;
use std::time::Duration;

use http_support::{within, TestServer};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpStream;
use turret::transport::streamable_http::StreamableHttpService;
use turret::{tool_fn, Args, Router};

const MIB: usize = 1024 * 1024;
/// The server's default limit.
const LIMIT: usize = 4 * MIB;

#[derive(Deserialize, JsonSchema)]
struct Echo {
    text: String,
}

fn router() -> Router {
    Router::new().tool(
        "echo",
        tool_fn(|Args(Echo { text }): Args<Echo>| async move { format!("{} bytes", text.len()) }),
    )
}

async fn server() -> TestServer {
    TestServer::start(StreamableHttpService::new(router())).await
}

fn initialize() -> Vec<u8> {
    json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                   "clientInfo": {"name": "raw", "version": "0"}}
    })
    .to_string()
    .into_bytes()
}

/// A JSON-RPC request of `size` bytes (a ping padded with spaces).
fn padded(size: usize) -> Vec<u8> {
    let mut body = br#"{"jsonrpc":"2.0","id":2,"method":"ping","params":{}"#.to_vec();
    body.resize(size - 1, b' ');
    body.push(b'}');
    body
}

fn head(length: Option<usize>, extra: &str) -> String {
    let length = match length {
        Some(n) => format!("content-length: {n}\r\n"),
        None => "transfer-encoding: chunked\r\n".to_owned(),
    };
    format!(
        "POST /mcp HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n\
         accept: application/json, text/event-stream\r\n{length}{extra}\r\n"
    )
}

/// Writes `body` in 256 KiB pieces, chunk-encoded when `chunked`; stops at the first write
/// error (the server may close once it has drained what it will).
async fn write_body(w: &mut (impl AsyncWrite + Unpin), body: &[u8], chunked: bool) {
    for piece in body.chunks(256 * 1024) {
        let sent = if chunked {
            let mut framed = format!("{:x}\r\n", piece.len()).into_bytes();
            framed.extend_from_slice(piece);
            framed.extend_from_slice(b"\r\n");
            w.write_all(&framed).await
        } else {
            w.write_all(piece).await
        };
        if sent.is_err() {
            return;
        }
    }
    if chunked {
        let _ = w.write_all(b"0\r\n\r\n").await;
    }
}

/// One HTTP/1.1 response: status, headers (lower-cased names) and its Content-Length body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

async fn read_answer(r: &mut (impl AsyncRead + Unpin)) -> Answer {
    let mut buf = Vec::new();
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let mut piece = [0u8; 4096];
        let n = r.read(&mut piece).await.expect("reading the answer");
        assert!(n > 0, "the server closed before answering");
        buf.extend_from_slice(&piece[..n]);
    };
    let text = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = text.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = buf[end + 4..].to_vec();
    while body.len() < length {
        let mut piece = [0u8; 4096];
        let n = r.read(&mut piece).await.expect("reading the body");
        assert!(n > 0, "the server closed inside the answer's body");
        body.extend_from_slice(&piece[..n]);
    }
    body.truncate(length);
    Answer {
        status,
        headers,
        body,
    }
}

/// The 413 this server gives: JSON, `-32600`, the limit named in the message and in
/// `data.maxBytes`, a null id.
fn assert_refusal(answer: &Answer) {
    assert_eq!(answer.status, 413);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    let error = answer.json();
    assert_eq!(error["id"], Value::Null, "{error}");
    assert_eq!(error["error"]["code"], -32600, "{error}");
    assert_eq!(error["error"]["data"]["maxBytes"], LIMIT, "{error}");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains(&LIMIT.to_string()), "{message}");
}

/// A 100 MiB body, more than the server drains: a client that reads while it writes (as
/// curl and hyper do) gets the 413, although the server closes before the body ends.
async fn hundred_mib_read_while_writing(chunked: bool) {
    let server = server().await;
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let (mut r, mut w) = stream.into_split();
    let length = (!chunked).then_some(100 * MIB);
    w.write_all(head(length, "").as_bytes()).await.unwrap();
    let writer = tokio::spawn(async move {
        write_body(&mut w, &padded(100 * MIB), chunked).await;
        w
    });
    let answer = within("the 413", read_answer(&mut r)).await;
    assert_refusal(&answer);
    writer.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_mib_with_content_length_reads_the_413() {
    hundred_mib_read_while_writing(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_mib_chunked_reads_the_413() {
    hundred_mib_read_while_writing(true).await;
}

/// A body over the limit but within the drain, written whole before the client reads
/// anything, as Python's httpx does: the client sees the 413, and since the server read
/// the body to its end, the same connection serves the next request.
async fn written_whole_then_read(size: usize, chunked: bool) {
    let server = server().await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let body = padded(size);
    let length = (!chunked).then_some(body.len());
    stream.write_all(head(length, "").as_bytes()).await.unwrap();
    within("writing the body", write_body(&mut stream, &body, chunked)).await;
    let answer = within("the 413", read_answer(&mut stream)).await;
    assert_refusal(&answer);
    assert_ne!(answer.header("connection"), Some("close"));

    let init = initialize();
    stream
        .write_all(head(Some(init.len()), "").as_bytes())
        .await
        .unwrap();
    stream.write_all(&init).await.unwrap();
    let answer = within("the initialize answer", read_answer(&mut stream)).await;
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    assert!(answer.header("mcp-session-id").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_mib_with_content_length_written_whole_gets_the_413_and_the_connection_serves_on() {
    written_whole_then_read(5 * MIB, false).await;
}

/// The size a client once got a broken pipe for: now it reads the 413.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_mib_written_whole_gets_the_413_and_the_connection_serves_on() {
    written_whole_then_read(64 * MIB, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_mib_chunked_written_whole_gets_the_413_and_the_connection_serves_on() {
    written_whole_then_read(5 * MIB, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expect_100_continue_gets_the_413_instead_of_continue() {
    let server = server().await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let head = head(Some(64 * MIB), "expect: 100-continue\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    // Nothing of the body is sent: the answer comes from the headers alone.
    let answer = within("the 413", read_answer(&mut stream)).await;
    assert_refusal(&answer);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lower_limit_is_the_one_named() {
    let service = StreamableHttpService::with_config(
        router(),
        turret::transport::streamable_http::StreamableHttpConfig::new().max_body_bytes(1000),
    );
    let server = TestServer::start(service).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let body = padded(2000);
    stream
        .write_all(head(Some(body.len()), "").as_bytes())
        .await
        .unwrap();
    stream.write_all(&body).await.unwrap();
    let answer = within("the 413", read_answer(&mut stream)).await;
    assert_eq!(answer.status, 413);
    assert_eq!(answer.json()["error"]["data"]["maxBytes"], 1000);
}

/// The Python `mcp` client sends a 5 MB argument: that call fails with an error (no hang, no
/// broken pipe) and the session goes on (the next call is answered). The client (mcp 2.3)
/// shows its own "Server returned an error response" here rather than our message: it parses
/// a non-2xx body only when the error carries an `id`, and a body refused unread has none
/// (MCP 2025-11-25 leaves the id out then; the raw-TCP tests above read our body).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_session_survives_an_oversized_call() {
    let server = server().await;
    let script = r#"
import asyncio, sys
from mcp import Client

async def main(url):
    async with Client(url, mode="legacy") as c:
        try:
            await c.call_tool("echo", {"text": "x" * 5_000_000})
            print("oversized: answered")
        except Exception as e:
            print("oversized:", e)
        small = await c.call_tool("echo", {"text": "hello"})
        print("small:", small.content[0].text)

asyncio.run(main(sys.argv[1]))
"#;
    let url = server.url.clone();
    let output = tokio::task::spawn_blocking(move || {
        fixture::run_with_timeout(
            Command::new(fixture::harness_program("py/bin/python")).args(["-c", script, &url]),
            Duration::from_secs(60),
        )
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report = format!("{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{report}");
    let oversized = stdout
        .lines()
        .find(|l| l.starts_with("oversized:"))
        .unwrap_or_default();
    assert!(
        oversized.contains("request body too large")
            || oversized.contains("Server returned an error response"),
        "{report}"
    );
    assert!(stdout.contains("small: 5 bytes"), "{report}");
}
