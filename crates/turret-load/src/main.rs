//! `turret-load`: a load generator for MCP servers over streamable HTTP.
//!
//! It opens sessions (handshake era: `initialize`, then `notifications/initialized`, then
//! every call carries `Mcp-Session-Id` and `MCP-Protocol-Version`; 2026-07-28: no handshake,
//! every call carries the version in `_meta` and in the `MCP-Protocol-Version`, `Mcp-Method`
//! and `Mcp-Name` headers), then drives `tools/call` over `--concurrency` keep-alive
//! connections for a warm-up and a bounded measuring window, and reports requests per second
//! and p50/p90/p99 latency. Answers may come as JSON or as an SSE stream.
//!
//! With `--hold N` it measures idle session memory instead: it opens N handshake-era sessions,
//! reads the server's resident set (`--pid`) before and after, and checks that the first and
//! the last session still answer.
//!
//! ```text
//! turret-load http://127.0.0.1:3000/mcp --era 2026 -c 32 --duration 5 --warmup 1
//! turret-load http://127.0.0.1:3000/mcp --era handshake --hold 10000 --pid 1234 --json
//! ```

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::{Parser, ValueEnum};
use http::{HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpStream;

/// The protocol era the generator speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Era {
    /// `initialize` + `Mcp-Session-Id` (2025-03-26 … 2025-11-25).
    Handshake,
    /// 2026-07-28: no handshake, version and capabilities in every request's `_meta`.
    #[value(name = "2026", alias = "sessionless", alias = "2026-07-28")]
    Sessionless,
}

const SESSIONLESS_VERSION: &str = "2026-07-28";

/// Drive `tools/call` against an MCP server over streamable HTTP and report throughput and
/// latency.
#[derive(Parser, Debug)]
#[command(name = "turret-load", version)]
struct Args {
    /// The MCP endpoint, e.g. `http://127.0.0.1:3000/mcp` (plain HTTP only).
    url: String,
    /// Protocol era.
    #[arg(long, value_enum, default_value_t = Era::Sessionless)]
    era: Era,
    /// The revision offered in `initialize` (handshake era).
    #[arg(long, default_value = "2025-11-25")]
    protocol_version: String,
    /// Concurrent connections, one caller on each.
    #[arg(short, long, default_value_t = 1)]
    concurrency: usize,
    /// Sessions to open and spread the callers over (handshake era; default: one per
    /// connection).
    #[arg(long)]
    sessions: Option<usize>,
    /// Measuring window in seconds.
    #[arg(short, long, default_value_t = 5.0)]
    duration: f64,
    /// Warm-up in seconds before the window (calls made, not counted).
    #[arg(short, long, default_value_t = 1.0)]
    warmup: f64,
    /// The tool to call; it must answer with its `text` argument as the first text block.
    #[arg(long, default_value = "echo")]
    tool: String,
    /// The `text` argument sent.
    #[arg(long, default_value = "hello")]
    text: String,
    /// Give up on one request after this many seconds (counted as an error).
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
    /// Instead of load: open this many idle sessions and report the server's memory per
    /// session (needs `--pid`).
    #[arg(long)]
    hold: Option<usize>,
    /// The server's process id, whose resident set `--hold` reads from /proc.
    #[arg(long)]
    pid: Option<u32>,
    /// The server answers every request with one fixed body (a ceiling baseline): check only
    /// the status and the echoed text, not the response id.
    #[arg(long)]
    fixed: bool,
    /// A label for the report.
    #[arg(long, default_value = "")]
    label: String,
    /// Print one JSON object instead of a line of text.
    #[arg(long)]
    json: bool,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Where to send requests.
struct Target {
    addr: SocketAddr,
    authority: HeaderValue,
    path: http::Uri,
}

impl Target {
    async fn parse(url: &str) -> Result<Self, BoxError> {
        let uri: http::Uri = url.parse()?;
        if uri.scheme_str() != Some("http") {
            return Err("only http:// URLs are supported".into());
        }
        let authority = uri.authority().ok_or("the URL has no host")?.clone();
        let port = authority.port_u16().unwrap_or(80);
        let addr = tokio::net::lookup_host((authority.host(), port))
            .await?
            .next()
            .ok_or("the host does not resolve")?;
        let path = uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
            .parse()?;
        Ok(Self {
            addr,
            authority: HeaderValue::from_str(authority.as_str())?,
            path,
        })
    }
}

/// One keep-alive HTTP/1.1 connection, reopened when the server closes it.
struct Conn {
    target: Arc<Target>,
    sender: Option<SendRequest<Full<Bytes>>>,
    timeout: Duration,
}

/// An answer: status, content type, session id header and the whole body.
struct Answer {
    status: StatusCode,
    sse: bool,
    session: Option<HeaderValue>,
    body: Bytes,
}

impl Conn {
    fn new(target: Arc<Target>, timeout: Duration) -> Self {
        Self {
            target,
            sender: None,
            timeout,
        }
    }

    async fn open(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, BoxError> {
        if self.sender.as_ref().is_some_and(SendRequest::is_closed) {
            self.sender = None;
        }
        if self.sender.is_none() {
            let stream = TcpStream::connect(self.target.addr).await?;
            stream.set_nodelay(true)?;
            let (sender, conn) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            self.sender = Some(sender);
        }
        Ok(self.sender.as_mut().expect("just opened"))
    }

    /// Sends one request with the given extra headers and reads the whole answer.
    async fn send(
        &mut self,
        method: Method,
        headers: &[(&'static str, &HeaderValue)],
        body: Bytes,
    ) -> Result<Answer, BoxError> {
        let mut request = Request::builder()
            .method(method)
            .uri(self.target.path.clone())
            .header(http::header::HOST, self.target.authority.clone())
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::ACCEPT, "application/json, text/event-stream");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Full::new(body))?;
        let timeout = self.timeout;
        let result = tokio::time::timeout(timeout, async {
            let sender = self.open().await?;
            sender.ready().await?;
            let response = sender.send_request(request).await?;
            let (parts, body) = response.into_parts();
            let body = body.collect().await?.to_bytes();
            let sse = parts
                .headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("text/event-stream"));
            Ok::<_, BoxError>(Answer {
                status: parts.status,
                sse,
                session: parts.headers.get("mcp-session-id").cloned(),
                body,
            })
        })
        .await;
        match result {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) => {
                self.sender = None;
                Err(e)
            }
            Err(_) => {
                self.sender = None;
                Err("request timed out".into())
            }
        }
    }
}

/// The JSON-RPC messages of an answer: the body itself, or every SSE event's data.
fn messages(answer: &Answer) -> Vec<Value> {
    if !answer.sse {
        return serde_json::from_slice(&answer.body).into_iter().collect();
    }
    let mut out = Vec::new();
    let mut data = String::new();
    let text = String::from_utf8_lossy(&answer.body);
    for line in text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)) {
        if line.is_empty() {
            if !data.is_empty() {
                out.extend(serde_json::from_str::<Value>(&data).ok());
                data.clear();
            }
        } else if let Some(rest) = line.strip_prefix("data:") {
            if !data.is_empty() {
                data.push('\n');
            }
            data.push_str(rest.strip_prefix(' ').unwrap_or(rest));
        }
    }
    if !data.is_empty() {
        out.extend(serde_json::from_str::<Value>(&data).ok());
    }
    out
}

/// The response to request `id` among an answer's messages.
fn response_to(answer: &Answer, id: u64) -> Result<Value, BoxError> {
    if !answer.status.is_success() {
        return Err(format!(
            "HTTP {}: {}",
            answer.status,
            String::from_utf8_lossy(&answer.body)
        )
        .into());
    }
    let found = messages(answer)
        .into_iter()
        .find(|m| m.get("id").and_then(Value::as_u64) == Some(id))
        .ok_or_else(|| {
            format!(
                "no response to request {id} in: {}",
                String::from_utf8_lossy(&answer.body)
            )
        })?;
    if let Some(error) = found.get("error") {
        return Err(format!("JSON-RPC error: {error}").into());
    }
    found
        .get("result")
        .cloned()
        .ok_or_else(|| "a response without result".into())
}

/// What every request of a run shares.
struct Plan {
    era: Era,
    tool: String,
    text: String,
    protocol_version: HeaderValue,
    tool_header: HeaderValue,
    method_header: HeaderValue,
    /// The bytes a correct answer contains (cheap check on the hot path).
    expect: Vec<u8>,
    /// Never parse answers fully (`--fixed`).
    fixed: bool,
    next_id: AtomicU64,
}

impl Plan {
    fn new(args: &Args) -> Result<Self, BoxError> {
        let version = match args.era {
            Era::Handshake => args.protocol_version.as_str(),
            Era::Sessionless => SESSIONLESS_VERSION,
        };
        Ok(Self {
            era: args.era,
            tool: args.tool.clone(),
            text: args.text.clone(),
            protocol_version: HeaderValue::from_str(version)?,
            tool_header: HeaderValue::from_str(&args.tool)?,
            method_header: HeaderValue::from_static("tools/call"),
            expect: serde_json::to_vec(&Value::String(args.text.clone()))?,
            fixed: args.fixed,
            next_id: AtomicU64::new(1),
        })
    }

    fn id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    fn call_body(&self, id: u64) -> Bytes {
        let mut params = json!({"name": self.tool, "arguments": {"text": self.text}});
        if self.era == Era::Sessionless {
            params["_meta"] = json!({
                "io.modelcontextprotocol/protocolVersion": SESSIONLESS_VERSION,
                "io.modelcontextprotocol/clientCapabilities": {},
                "io.modelcontextprotocol/clientInfo": {"name": "turret-load", "version": env!("CARGO_PKG_VERSION")},
            });
        }
        let message = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params});
        Bytes::from(serde_json::to_vec(&message).expect("serializable"))
    }

    /// One `tools/call`; `full` parses and checks the answer, otherwise only its status and
    /// that it carries the echoed text.
    async fn call(
        &self,
        conn: &mut Conn,
        session: Option<&HeaderValue>,
        full: bool,
    ) -> Result<(), BoxError> {
        let id = self.id();
        let mut headers: Vec<(&'static str, &HeaderValue)> =
            vec![("mcp-protocol-version", &self.protocol_version)];
        if let Some(session) = session {
            headers.push(("mcp-session-id", session));
        }
        if self.era == Era::Sessionless {
            headers.push(("mcp-method", &self.method_header));
            headers.push(("mcp-name", &self.tool_header));
        }
        let answer = conn
            .send(Method::POST, &headers, self.call_body(id))
            .await?;
        if full {
            let result = response_to(&answer, id)?;
            let text = result
                .pointer("/content/0/text")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if text != self.text || result.get("isError") == Some(&Value::Bool(true)) {
                return Err(format!("unexpected tools/call result: {result}").into());
            }
        } else if !answer.status.is_success()
            || !answer
                .body
                .windows(self.expect.len())
                .any(|w| w == self.expect.as_slice())
        {
            return Err(format!(
                "HTTP {}: {}",
                answer.status,
                String::from_utf8_lossy(&answer.body)
            )
            .into());
        }
        Ok(())
    }

    /// A handshake-era session: `initialize`, then `notifications/initialized`. `None` when
    /// the server gave no session id (it is stateless).
    async fn open_session(&self, conn: &mut Conn) -> Result<Option<HeaderValue>, BoxError> {
        let id = self.id();
        let init = json!({
            "jsonrpc": "2.0", "id": id, "method": "initialize",
            "params": {
                "protocolVersion": self.protocol_version.to_str()?,
                "capabilities": {},
                "clientInfo": {"name": "turret-load", "version": env!("CARGO_PKG_VERSION")},
            }
        });
        let answer = conn
            .send(Method::POST, &[], Bytes::from(serde_json::to_vec(&init)?))
            .await?;
        response_to(&answer, id)?;
        let session = answer.session;
        let mut headers: Vec<(&'static str, &HeaderValue)> =
            vec![("mcp-protocol-version", &self.protocol_version)];
        if let Some(session) = &session {
            headers.push(("mcp-session-id", session));
        }
        let note = br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
        let answer = conn
            .send(Method::POST, &headers, Bytes::from_static(note))
            .await?;
        if !answer.status.is_success() {
            return Err(format!("notifications/initialized: HTTP {}", answer.status).into());
        }
        Ok(session)
    }

    async fn close_session(&self, conn: &mut Conn, session: &HeaderValue) {
        let headers = [
            ("mcp-protocol-version", &self.protocol_version),
            ("mcp-session-id", session),
        ];
        let _ = conn.send(Method::DELETE, &headers, Bytes::new()).await;
    }
}

/// Opens `count` sessions over `concurrency` connections.
async fn open_sessions(
    plan: &Arc<Plan>,
    target: &Arc<Target>,
    timeout: Duration,
    count: usize,
    concurrency: usize,
) -> Result<Vec<Option<HeaderValue>>, BoxError> {
    let per = count.div_ceil(concurrency.max(1));
    let mut tasks = Vec::new();
    let mut left = count;
    while left > 0 {
        let n = per.min(left);
        left -= n;
        let (plan, target) = (plan.clone(), target.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::new(target, timeout);
            let mut out = Vec::with_capacity(n);
            for _ in 0..n {
                out.push(plan.open_session(&mut conn).await?);
            }
            Ok::<_, BoxError>(out)
        }));
    }
    let mut sessions = Vec::with_capacity(count);
    for task in tasks {
        sessions.extend(task.await??);
    }
    Ok(sessions)
}

/// One caller's record.
#[derive(Default)]
struct Record {
    latencies: Vec<u64>,
    errors: u64,
    first_error: Option<String>,
}

async fn caller(
    plan: Arc<Plan>,
    target: Arc<Target>,
    timeout: Duration,
    session: Option<HeaderValue>,
    measure_from: Instant,
    end: Instant,
) -> Record {
    let mut conn = Conn::new(target, timeout);
    let mut record = Record::default();
    let mut full = !plan.fixed;
    loop {
        let start = Instant::now();
        if start >= end {
            break;
        }
        match plan.call(&mut conn, session.as_ref(), full).await {
            Ok(()) => {
                full = false;
                if start >= measure_from {
                    record.latencies.push(start.elapsed().as_nanos() as u64);
                }
            }
            Err(e) => {
                record.errors += 1;
                record.first_error.get_or_insert_with(|| e.to_string());
                if record.errors > 1000 && record.latencies.is_empty() {
                    break;
                }
                // Do not spin on a server that refuses everything.
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    }
    record
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1] as f64 / 1e6
}

async fn load(args: &Args, plan: Arc<Plan>, target: Arc<Target>) -> Result<Value, BoxError> {
    let timeout = Duration::from_secs_f64(args.timeout);
    let concurrency = args.concurrency.max(1);
    let mut sessions: VecDeque<Option<HeaderValue>> = match args.era {
        Era::Handshake => {
            let count = args.sessions.unwrap_or(concurrency).max(1);
            open_sessions(&plan, &target, timeout, count, concurrency)
                .await?
                .into()
        }
        Era::Sessionless => VecDeque::from([None]),
    };
    let session_count = sessions.iter().filter(|s| s.is_some()).count();
    let measure_from = Instant::now() + Duration::from_secs_f64(args.warmup);
    let end = measure_from + Duration::from_secs_f64(args.duration);
    let callers: Vec<_> = (0..concurrency)
        .map(|i| {
            let session = sessions[i % sessions.len()].clone();
            tokio::spawn(caller(
                plan.clone(),
                target.clone(),
                timeout,
                session,
                measure_from,
                end,
            ))
        })
        .collect();
    let mut all = Vec::new();
    let mut errors = 0;
    let mut first_error = None;
    for c in callers {
        let record = c.await?;
        all.extend(record.latencies);
        errors += record.errors;
        if first_error.is_none() {
            first_error = record.first_error;
        }
    }
    let mut conn = Conn::new(target.clone(), timeout);
    while let Some(session) = sessions.pop_front() {
        if let Some(session) = session {
            plan.close_session(&mut conn, &session).await;
        }
    }
    all.sort_unstable();
    Ok(json!({
        "label": args.label,
        "url": args.url,
        "era": match args.era { Era::Handshake => "handshake", Era::Sessionless => SESSIONLESS_VERSION },
        "concurrency": concurrency,
        "sessions": session_count,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "requests": all.len(),
        "errors": errors,
        "first_error": first_error,
        "rps": all.len() as f64 / args.duration,
        "p50_ms": percentile(&all, 0.50),
        "p90_ms": percentile(&all, 0.90),
        "p99_ms": percentile(&all, 0.99),
        "max_ms": percentile(&all, 1.0),
    }))
}

/// The resident set of `pid` in KiB, from /proc.
fn rss_kib(pid: u32) -> Result<u64, BoxError> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| "no VmRSS in /proc/PID/status".into())
}

async fn hold(
    args: &Args,
    count: usize,
    plan: Arc<Plan>,
    target: Arc<Target>,
) -> Result<Value, BoxError> {
    let pid = args.pid.ok_or("--hold needs --pid")?;
    let timeout = Duration::from_secs_f64(args.timeout);
    let concurrency = args.concurrency.max(1);
    // Warm the server first (allocator arenas, connection buffers), then read the baseline.
    let warm = open_sessions(&plan, &target, timeout, concurrency, concurrency).await?;
    let mut conn = Conn::new(target.clone(), timeout);
    for i in 0..200 {
        plan.call(&mut conn, warm[i % warm.len()].as_ref(), true)
            .await?;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = rss_kib(pid)?;
    let started = Instant::now();
    let sessions = open_sessions(&plan, &target, timeout, count, concurrency).await?;
    let open_s = started.elapsed().as_secs_f64();
    if sessions.iter().any(Option::is_none) {
        return Err("the server gave no session id: it holds no sessions".into());
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = rss_kib(pid)?;
    // Every session is still there: the first and the last opened answer a call.
    let mut held = true;
    for session in [sessions.first(), sessions.last()].into_iter().flatten() {
        if let Err(e) = plan.call(&mut conn, session.as_ref(), true).await {
            eprintln!("turret-load: a held session no longer answers: {e}");
            held = false;
        }
    }
    Ok(json!({
        "label": args.label,
        "url": args.url,
        "sessions": count,
        "open_s": open_s,
        "rss_before_kib": before,
        "rss_after_kib": after,
        "kib_per_session": after.saturating_sub(before) as f64 / count as f64,
        "held": held,
    }))
}

fn print(args: &Args, report: &Value) {
    if args.json {
        println!("{report}");
        return;
    }
    let f = |k: &str| report.get(k).and_then(Value::as_f64).unwrap_or(f64::NAN);
    if args.hold.is_some() {
        println!(
            "{:<30} {} sessions in {:.1} s: RSS {} -> {} KiB, {:.1} KiB/session, held: {}",
            args.label,
            report["sessions"],
            f("open_s"),
            report["rss_before_kib"],
            report["rss_after_kib"],
            f("kib_per_session"),
            report["held"]
        );
    } else {
        println!(
            "{:<30} c={:<3} {:>9.0} req/s   p50 {:.3} ms   p90 {:.3} ms   p99 {:.3} ms   errors {}",
            args.label,
            report["concurrency"],
            f("rps"),
            f("p50_ms"),
            f("p90_ms"),
            f("p99_ms"),
            report["errors"]
        );
        if let Some(e) = report["first_error"].as_str() {
            eprintln!("turret-load: first error: {e}");
        }
    }
}

async fn run(args: &Args) -> Result<Value, BoxError> {
    let target = Arc::new(Target::parse(&args.url).await?);
    let plan = Arc::new(Plan::new(args)?);
    match args.hold {
        Some(count) => {
            if args.era != Era::Handshake {
                return Err("--hold opens handshake-era sessions: use --era handshake".into());
            }
            hold(args, count, plan, target).await
        }
        None => load(args, plan, target).await,
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    // One thread: the generator is meant to be pinned to one CPU (`taskset -c 1`).
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("turret-load: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(&args)) {
        Ok(report) => {
            print(&args, &report);
            let failed = report.get("requests").and_then(Value::as_u64) == Some(0)
                || report.get("held") == Some(&Value::Bool(false));
            if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("turret-load: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(sse: bool, body: &str) -> Answer {
        Answer {
            status: StatusCode::OK,
            sse,
            session: None,
            body: Bytes::from(body.to_owned()),
        }
    }

    #[test]
    fn reads_the_response_among_sse_events() {
        let body = "id: 0\r\nretry: 3000\r\ndata:\r\n\r\n\
                    event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{}}\n\n\
                    data: {\"jsonrpc\":\"2.0\",\"id\":7,\n\
                    data: \"result\":{\"content\":[{\"type\":\"text\",\"text\":\"hello\"}]}}\n\n";
        let result = response_to(&answer(true, body), 7).expect("the response to 7");
        assert_eq!(result.pointer("/content/0/text"), Some(&json!("hello")));
        assert!(response_to(&answer(true, body), 8).is_err());
    }

    #[test]
    fn reads_a_json_response_and_reports_errors() {
        let ok = r#"{"jsonrpc":"2.0","id":3,"result":{"content":[]}}"#;
        assert!(response_to(&answer(false, ok), 3).is_ok());
        let error = r#"{"jsonrpc":"2.0","id":3,"error":{"code":-32602,"message":"no"}}"#;
        let e = response_to(&answer(false, error), 3).expect_err("an error response");
        assert!(e.to_string().contains("-32602"));
        let mut refused = answer(false, "bad");
        refused.status = StatusCode::BAD_REQUEST;
        assert!(response_to(&refused, 3).is_err());
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let sorted: Vec<u64> = (1..=100).map(|i| i * 1_000_000).collect();
        assert_eq!(percentile(&sorted, 0.50), 50.0);
        assert_eq!(percentile(&sorted, 0.99), 99.0);
        assert_eq!(percentile(&sorted, 1.0), 100.0);
        assert!(percentile(&[], 0.5).is_nan());
    }

    #[test]
    fn sessionless_calls_carry_the_version_in_meta() {
        let args = Args::parse_from(["turret-load", "http://127.0.0.1:1/mcp", "--era", "2026"]);
        let plan = Plan::new(&args).expect("plan");
        let body: Value = serde_json::from_slice(&plan.call_body(5)).expect("json");
        assert_eq!(
            body.pointer("/params/_meta/io.modelcontextprotocol~1protocolVersion"),
            Some(&json!("2026-07-28"))
        );
        assert_eq!(body["params"]["name"], "echo");
        assert_eq!(body["id"], 5);
        let args = Args::parse_from([
            "turret-load",
            "http://127.0.0.1:1/mcp",
            "--era",
            "handshake",
        ]);
        let plan = Plan::new(&args).expect("plan");
        let body: Value = serde_json::from_slice(&plan.call_body(5)).expect("json");
        assert!(body.pointer("/params/_meta").is_none());
    }
}
