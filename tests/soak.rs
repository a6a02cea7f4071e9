//! A bounded soak of the fixture server over streamable HTTP. The server runs as a child
//! process, so its memory and file descriptors are its own to measure. Sixteen tasks load
//! it for `SOAK_SECS` seconds (default 15): four churn handshake-era sessions (initialize,
//! three calls, DELETE), twelve make sessionless 2026-07-28 calls. Every request must be
//! answered exactly once, nothing may fail, and once the load stops the server's RSS and
//! open descriptors must settle back near where they stood after a warm-up.
//!
//! The long form: `SOAK_SECS=120 cargo test --test soak -- --nocapture`.

#[path = "support/fixture.rs"]
mod fixture;
#[path = "support/http.rs"]
mod http_support;
#[path = "support/proc.rs"]
mod proc;

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::StatusCode;
use http_support::{modern, tool_call, Reply, TestServer};
use proc::{mib, Pid};
use serde_json::{json, Value};

const CHURNERS: usize = 4;
const CALLERS: usize = 12;
const CALLS_PER_SESSION: usize = 3;
const WARM_UP: Duration = Duration::from_secs(3);
/// How long the server gets to close what the load left open before it is measured.
const SETTLE: Duration = Duration::from_secs(2);
/// How far the open descriptors may end from their count after the warm-up.
const FD_BAND: usize = 4;
/// How much resident memory may grow past its size after the warm-up (allocator caches).
const RSS_BAND: u64 = 8 * 1024 * 1024;

/// What the load did: requests sent, answers seen per request id, sessions, failures.
#[derive(Default)]
struct Ledger {
    next_id: AtomicI64,
    answers: Mutex<HashMap<i64, u32>>,
    sessions: AtomicU64,
    failures: Mutex<Vec<String>>,
}

impl Ledger {
    fn fail(&self, what: String) {
        self.failures.lock().unwrap().push(what);
    }

    /// Sends `tools/call test_custom_header` with a region unique to the call, through
    /// `send` (which adds the session or the 2026-07-28 headers); records the answers.
    async fn call(&self, send: impl FnOnce(i64, Value) -> http_support::Req) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let region = format!("r{id}");
        let reply = send(
            id,
            tool_call(id, "test_custom_header", json!({ "region": region })),
        )
        .send()
        .await;
        if reply.status != StatusCode::OK {
            return self.fail(format!("call {id}: HTTP {}", reply.status));
        }
        for message in messages(reply).await {
            let Some(answered) = message["id"].as_i64() else {
                continue;
            };
            *self.answers.lock().unwrap().entry(answered).or_default() += 1;
            let text = &message["result"]["content"][0]["text"];
            if answered != id || *text != json!(format!("region {region}")) {
                self.fail(format!("call {id} was answered with {message}"));
            }
        }
    }

    /// How many requests were sent and how many of those were not answered exactly once.
    fn tally(&self) -> (i64, Vec<(i64, u32)>) {
        let sent = self.next_id.load(Ordering::Relaxed);
        let answers = self.answers.lock().unwrap();
        let wrong = (1..=sent)
            .map(|id| (id, answers.get(&id).copied().unwrap_or(0)))
            .filter(|(_, n)| *n != 1)
            .collect();
        (sent, wrong)
    }
}

/// The JSON-RPC messages of a response: its JSON body, or each SSE event's.
async fn messages(reply: Reply) -> Vec<Value> {
    if reply.content_type() == Some("text/event-stream") {
        let events = reply.sse().rest().await;
        events
            .iter()
            .filter(|e| e.has_message())
            .map(|e| e.json())
            .collect()
    } else {
        vec![reply.json().await]
    }
}

/// Opens a session, calls in it, deletes it; again and again until `until`.
async fn churn(server: Arc<TestServer>, ledger: Arc<Ledger>, until: Instant) {
    while Instant::now() < until {
        let session = server.initialize("2025-11-25", json!({})).await;
        ledger.sessions.fetch_add(1, Ordering::Relaxed);
        for _ in 0..CALLS_PER_SESSION {
            ledger
                .call(|_, body| server.session_post(&session, &body))
                .await;
        }
        let deleted = server.delete().in_session(&session).send().await;
        if !deleted.status.is_success() {
            ledger.fail(format!("DELETE {}: HTTP {}", session.id, deleted.status));
        }
    }
}

/// Sessionless 2026-07-28 calls, one after another, until `until`.
async fn call(server: Arc<TestServer>, ledger: Arc<Ledger>, until: Instant) {
    while Instant::now() < until {
        ledger
            .call(|id, body| {
                let region = body["params"]["arguments"]["region"].clone();
                server
                    .modern_post(&modern(id, "tools/call", body["params"].clone()))
                    .header("mcp-param-region", region.as_str().unwrap_or_default())
            })
            .await;
    }
}

/// Runs the load for `length` with a client of its own (dropped at the end, so the
/// server's connections close too).
async fn load(url: &str, ledger: &Arc<Ledger>, length: Duration) {
    let server = Arc::new(TestServer::remote(url));
    let until = Instant::now() + length;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..CHURNERS {
        tasks.spawn(churn(server.clone(), ledger.clone(), until));
    }
    for _ in 0..CALLERS {
        tasks.spawn(call(server.clone(), ledger.clone(), until));
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("a load task failed");
    }
}

/// The server's RSS and open descriptors after [`SETTLE`].
async fn settled(pid: Pid) -> (u64, usize) {
    tokio::time::sleep(SETTLE).await;
    (pid.rss(), pid.open_fds())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_server_holds_steady_under_session_churn_and_concurrent_calls() {
    let secs = std::env::var("SOAK_SECS")
        .ok()
        .map(|s| s.parse::<u64>().expect("SOAK_SECS is a number of seconds"))
        .unwrap_or(15);
    let server = fixture::HttpFixture::start();
    let pid = Pid::Of(server.pid());
    let (start_rss, start_fds) = (pid.rss(), pid.open_fds());

    // The baseline is taken after a warm-up: pools, caches and the allocator's arenas filled.
    let warm_up = Arc::new(Ledger::default());
    load(&server.url, &warm_up, WARM_UP).await;
    let (base_rss, base_fds) = settled(pid).await;

    let ledger = Arc::new(Ledger::default());
    let started = Instant::now();
    load(&server.url, &ledger, Duration::from_secs(secs)).await;
    let elapsed = started.elapsed();
    let (end_rss, end_fds) = settled(pid).await;
    let peak = pid.peak_rss();

    let (sent, wrong) = ledger.tally();
    let failures = ledger.failures.lock().unwrap();
    eprintln!(
        "soak: {secs} s, {sent} calls ({:.0}/s) in {} sessions plus sessionless, {} failures; \
         server RSS {:.1} MiB at start, {:.1} after warm-up, peak {:.1}, {:.1} after; \
         fds {start_fds} at start, {base_fds} after warm-up, {end_fds} after",
        sent as f64 / elapsed.as_secs_f64(),
        ledger.sessions.load(Ordering::Relaxed),
        failures.len(),
        mib(start_rss),
        mib(base_rss),
        mib(peak),
        mib(end_rss),
    );
    assert!(sent > 0, "no call was made");
    assert!(
        failures.is_empty(),
        "failures: {:?}",
        &failures[..failures.len().min(10)]
    );
    assert!(
        wrong.is_empty(),
        "requests not answered exactly once (id, answers): {:?}",
        &wrong[..wrong.len().min(10)]
    );
    assert!(
        end_fds.abs_diff(base_fds) <= FD_BAND,
        "open fds went from {base_fds} to {end_fds}"
    );
    assert!(
        end_rss <= base_rss + RSS_BAND,
        "RSS grew from {:.1} MiB to {:.1} MiB",
        mib(base_rss),
        mib(end_rss)
    );
}
