//! Third-party clients against the fixture server over stdio: the Python SDK's `mcp.Client`
//! and `fastmcp.Client`, through `../shared/harness/pyclient_check.py`, in each protocol mode.
//!
//! Needs the external harness (`../shared/harness/setup.sh`); CI installs it.

#[path = "support/fixture.rs"]
mod fixture;

use std::process::Command;
use std::time::Duration;

/// A path as one word of a POSIX shell command line (the script splits `--stdio` with
/// `shlex`).
fn shell_word(path: &std::path::Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

fn pyclient_check(mode: &str) {
    let python = fixture::harness_program("py/bin/python");
    let script = fixture::shared_dir().join("harness/pyclient_check.py");
    assert!(script.is_file(), "{} is missing", script.display());
    let server = shell_word(fixture::fixture_server());
    let output = fixture::run_with_timeout(
        Command::new(python)
            .arg(&script)
            .args(["--stdio", &server, "--mode", mode])
            .args(["--tool", "test_simple_text"])
            .args(["--resource", "test://static-text"])
            .args(["--prompt", "test_simple_prompt"])
            .env("PATH", fixture::harness_path_env()),
        Duration::from_secs(180),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report = format!(
        "pyclient_check.py --mode {mode} exited with {}\n--- stdout ---\n{stdout}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{report}");
    let last = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    assert!(
        last.starts_with("pyclient: ") && last.ends_with(" 0 failed"),
        "{report}"
    );
}

#[test]
fn python_clients_pass_on_the_handshake_era() {
    pyclient_check("legacy");
}

#[test]
fn python_clients_pass_on_2026_07_28() {
    pyclient_check("2026-07-28");
}

#[test]
fn python_clients_pass_when_negotiating() {
    pyclient_check("auto");
}
