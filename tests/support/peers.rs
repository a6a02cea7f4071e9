//! Third-party peers from the harness pointed at an HTTP server: the Python clients
//! (`pyclient_check.py --url`) and the MCP Inspector CLI.
//!
//! Include with `#[path = "support/fixture.rs"] mod fixture;` and
//! `#[path = "support/peers.rs"] mod peers;`.
#![allow(dead_code, unreachable_pub)]

use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use super::fixture;

/// What `pyclient_check.py` exercises: a tool to call, a resource to read, a prompt to get.
pub struct Probe<'a> {
    pub tool: &'a str,
    pub resource: &'a str,
    pub prompt: &'a str,
}

/// Runs `pyclient_check.py --url URL --mode MODE` and asserts it ends with 0 failed.
pub fn pyclient_check(url: &str, mode: &str, probe: &Probe<'_>) {
    let python = fixture::harness_program("py/bin/python");
    let script = fixture::shared_dir().join("harness/pyclient_check.py");
    let output = fixture::run_with_timeout(
        Command::new(python).arg(script).args([
            "--url",
            url,
            "--mode",
            mode,
            "--tool",
            probe.tool,
            "--resource",
            probe.resource,
            "--prompt",
            probe.prompt,
        ]),
        Duration::from_secs(120),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    assert!(
        output.status.success() && last.starts_with("pyclient: ") && last.ends_with(" 0 failed"),
        "pyclient_check.py --mode {mode}: {}\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `inspector --cli --format json URL <args>`, parsed (the MCP result inside).
pub fn inspector(url: &str, args: &[&str]) -> Value {
    let inspector = fixture::harness_program("npm/node_modules/.bin/inspector");
    let output = fixture::run_with_timeout(
        Command::new(inspector)
            .args(["--cli", "--format", "json", url])
            .args(args)
            .env("PATH", fixture::harness_path_env()),
        Duration::from_secs(120),
    );
    let report = format!(
        "inspector {args:?}: {}\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{report}");
    let value: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {report}"));
    // `--format json` wraps the MCP result in {"result": …}.
    value.get("result").cloned().unwrap_or(value)
}

/// The names in a `tools/list` result.
pub fn tool_names(tools: &Value) -> Vec<String> {
    tools["tools"]
        .as_array()
        .expect("a tools array")
        .iter()
        .filter_map(|t| t["name"].as_str().map(str::to_owned))
        .collect()
}
