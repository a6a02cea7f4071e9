//! `--hold`: the server's idle memory per handshake-era session, read from its resident set
//! before and after opening them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::cli::Args;
use crate::conn::{Conn, Target};
use crate::plan::{open_sessions, Plan};
use crate::BoxError;

/// The resident set of `pid` in KiB, from /proc.
fn rss_kib(pid: u32) -> Result<u64, BoxError> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| "no VmRSS in /proc/PID/status".into())
}

pub(crate) async fn hold(
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
