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

mod answer;
mod cli;
mod conn;
mod hold;
mod load;
mod plan;

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser as _;
use serde_json::Value;

use crate::cli::{Args, Era};
use crate::conn::Target;
use crate::plan::Plan;

/// Every fallible step's error: the binary only prints it.
type BoxError = Box<dyn std::error::Error + Send + Sync>;

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
            hold::hold(args, count, plan, target).await
        }
        None => load::load(args, plan, target).await,
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
