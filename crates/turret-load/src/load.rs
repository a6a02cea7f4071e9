//! The load run: callers drive `tools/call` for a warm-up and a measuring window, and their
//! latencies make the report (requests per second, nearest-rank percentiles).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::HeaderValue;
use serde_json::{json, Value};

use crate::cli::{Args, Era, SESSIONLESS_VERSION};
use crate::conn::{Conn, Target};
use crate::plan::{open_sessions, Plan};
use crate::BoxError;

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

pub(crate) async fn load(
    args: &Args,
    plan: Arc<Plan>,
    target: Arc<Target>,
) -> Result<Value, BoxError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let sorted: Vec<u64> = (1..=100).map(|i| i * 1_000_000).collect();
        assert_eq!(percentile(&sorted, 0.50), 50.0);
        assert_eq!(percentile(&sorted, 0.99), 99.0);
        assert_eq!(percentile(&sorted, 1.0), 100.0);
        assert!(percentile(&[], 0.5).is_nan());
    }
}
