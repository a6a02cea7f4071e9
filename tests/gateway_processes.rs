//! The backend process model of a gateway: a session starts its own process of a backend
//! only when it uses that backend; processes of idle or ended sessions are stopped; a
//! killed backend process is reaped at once, not left a zombie.
//!
//! Processes are counted from `/proc`: the test's own children, told apart by a marker in
//! their environment. Prints the figures (children, their RSS) for the record.

#[path = "support/fixture.rs"]
mod fixture;

use std::time::{Duration, Instant};

use serde_json::json;
use turret::client::{Client, Era};
use turret::proxy::{Backend, Gateway, Proxy};
use turret::transport::memory_pair;
use turret::types::ProtocolVersion;
use turret::Router;

const SESSIONS: usize = 100;
const IDLE: Duration = Duration::from_secs(3);
const MARK: &str = "TURRET_PROCESS_TEST";

/// A process of this test: its pid, marker, RSS in KiB, and whether it is a zombie.
struct Child {
    pid: u32,
    mark: String,
    rss_kib: u64,
    zombie: bool,
}

/// Every child process of this test carrying the marker.
fn children() -> Vec<Child> {
    let me = std::process::id();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // After the command name in parentheses: state, then the parent's pid.
        let mut rest = stat
            .rsplit_once(')')
            .map_or("", |(_, r)| r)
            .split_whitespace();
        let (state, ppid) = (rest.next(), rest.next());
        if ppid != Some(&me.to_string()) {
            continue;
        }
        let zombie = state == Some("Z");
        let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        let mark = environ
            .split(|b| *b == 0)
            .filter_map(|kv| std::str::from_utf8(kv).ok())
            .find_map(|kv| kv.strip_prefix(&format!("{MARK}=")).map(str::to_owned));
        let rss_kib = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0);
        // A zombie has no environment left to read: count it whatever its mark.
        if let Some(mark) = mark.or_else(|| zombie.then(String::new)) {
            found.push(Child {
                pid,
                mark,
                rss_kib,
                zombie,
            });
        }
    }
    found
}

fn count(children: &[Child], mark: &str) -> usize {
    children.iter().filter(|c| c.mark == mark).count()
}

/// A gateway of three backends (each the fixture server, marked `a`, `b`, `c`).
fn gateway() -> (Router, Vec<Proxy>) {
    let proxies: Vec<Proxy> = ["a", "b", "c"]
        .into_iter()
        .map(|name| {
            let backend =
                Backend::command(fixture::fixture_server().display().to_string()).env(MARK, name);
            // The handshake era: on 2026-07-28 there are no backend sessions, and one
            // connection serves every session.
            Proxy::builder(name, backend)
                .backend_era(Era::Handshake(ProtocolVersion::LATEST_HANDSHAKE))
                .hide_when_down(true)
                .lazy_sessions(true)
                .idle_timeout(IDLE)
                .build()
        })
        .collect();
    let gateway = ["a", "b", "c"]
        .into_iter()
        .zip(proxies.iter().cloned())
        .fold(Gateway::new(), |g, (name, proxy)| g.proxy(name, proxy));
    (gateway.into_router(), proxies)
}

async fn session(router: &Router) -> Client {
    let (server, client) = memory_pair();
    tokio::spawn(turret::serve(router.clone(), server));
    // Sessions are of the handshake era (2026-07-28 requests share one connection).
    Client::builder()
        .era(Era::Handshake(ProtocolVersion::LATEST_HANDSHAKE))
        .connect(client)
        .await
        .unwrap()
}

/// Waits up to `limit` for `done` to hold of the children; gives them either way.
async fn until(limit: Duration, done: impl Fn(&[Child]) -> bool) -> Vec<Child> {
    let start = Instant::now();
    loop {
        let now = children();
        if done(&now) || start.elapsed() > limit {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_start_only_the_backends_they_use_and_idle_ones_stop() {
    let (router, proxies) = gateway();
    let mut clients = Vec::new();
    for _ in 0..SESSIONS {
        let client = session(&router).await;
        // Every session lists every backend, and calls one.
        let tools = client.list_tools().await.unwrap();
        assert!(tools.iter().any(|t| t.name == "c_test_simple_text"));
        let result = client
            .call_tool("a_test_simple_text", json!({}))
            .await
            .unwrap();
        assert_ne!(result.is_error, Some(true));
        clients.push(client);
    }
    let running = children();
    let (a, b, c) = (
        count(&running, "a"),
        count(&running, "b"),
        count(&running, "c"),
    );
    let rss: u64 = running.iter().map(|c| c.rss_kib).sum();
    println!(
        "{SESSIONS} sessions calling a: children a={a} b={b} c={c}, RSS of all {} children {} MiB \
         ({} KiB each on average)",
        running.len(),
        rss / 1024,
        rss / running.len().max(1) as u64,
    );
    let status: Vec<_> = proxies.iter().map(Proxy::status).collect();
    assert_eq!(status[0].sessions, SESSIONS, "{status:?}");
    assert_eq!(
        (status[1].sessions, status[2].sessions),
        (0, 0),
        "{status:?}"
    );
    // Besides the sessions' own: the shared connection and one for the lists, per backend.
    assert!(a <= SESSIONS + 2, "{a} children of a");
    assert!(
        b <= 2 && c <= 2,
        "b={b} c={c}: the sessions that never used them started some"
    );

    // A backend process that dies is reaped (and its session reconnects on next use).
    let victim = running.iter().find(|c| c.mark == "a").unwrap().pid;
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &victim.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let after = until(Duration::from_secs(5), |now| {
        now.iter().all(|c| c.pid != victim)
    })
    .await;
    assert!(
        after.iter().all(|c| c.pid != victim),
        "the killed backend {victim} is still there (zombie: {:?})",
        after.iter().find(|c| c.pid == victim).map(|c| c.zombie)
    );

    // The clients stay connected but idle: past the idle time their processes stop.
    let idle = until(IDLE * 3, |now| count(now, "a") <= 2).await;
    assert!(
        count(&idle, "a") <= 2,
        "{} processes of a still running {:?} after the sessions went idle",
        count(&idle, "a"),
        IDLE * 3
    );
    assert!(idle.iter().all(|c| !c.zombie), "zombies left");
    // And a session that comes back is served again, by a fresh backend session.
    let result = clients[0]
        .call_tool("a_test_simple_text", json!({}))
        .await
        .unwrap();
    assert_ne!(result.is_error, Some(true));

    // Sessions that end free their processes within a sweep.
    for client in clients {
        client.close().await.unwrap();
    }
    let ended = until(Duration::from_secs(5), |now| {
        proxies[0].status().sessions == 0 && count(now, "a") <= 2
    })
    .await;
    assert_eq!(proxies[0].status().sessions, 0);
    assert!(count(&ended, "a") <= 2, "{} left", count(&ended, "a"));
}
