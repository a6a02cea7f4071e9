//! Third-party clients against the fixture server over stdio: the Python SDK's `mcp.Client`
//! and `fastmcp.Client`, through `../shared/harness/pyclient_check.py`, in each protocol mode;
//! and the same through `examples/proxy --stdio URL` in front of the HTTP fixture server.
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
    pyclient_check_command(&shell_word(fixture::fixture_server()), mode);
}

/// The check against the proxy bridging the HTTP fixture server to stdio.
fn pyclient_check_through_proxy(mode: &str) {
    let backend = fixture::HttpFixture::start();
    let proxy = shell_word(&fixture::example("proxy"));
    pyclient_check_command(&format!("{proxy} --stdio {}", backend.url), mode);
}

/// `server` is the shell command line of a stdio server.
fn pyclient_check_command(server: &str, mode: &str) {
    let python = fixture::harness_program("py/bin/python");
    let script = fixture::shared_dir().join("harness/pyclient_check.py");
    assert!(script.is_file(), "{} is missing", script.display());
    let output = fixture::run_with_timeout(
        Command::new(python)
            .arg(&script)
            .args(["--stdio", server, "--mode", mode])
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

#[test]
fn python_clients_pass_through_a_proxy_on_the_handshake_era() {
    pyclient_check_through_proxy("legacy");
}

#[test]
fn python_clients_pass_through_a_proxy_on_2026_07_28() {
    pyclient_check_through_proxy("2026-07-28");
}

#[test]
fn python_clients_pass_through_a_proxy_when_negotiating() {
    pyclient_check_through_proxy("auto");
}
