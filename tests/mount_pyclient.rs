//! The seed's mount example through the Python `mcp` and `fastmcp` clients, over stdio and
//! over streamable HTTP (`turret::run` picks by the command line): the prefixed names, a
//! routed call and a routed read.

#[path = "support/fixture.rs"]
mod fixture;

use std::process::Command;
use std::time::Duration;

/// Runs pyclient_check against the mount example at `target` (`--stdio PATH` or
/// `--url URL`) and checks what it saw.
fn check_mounted_names(target: [&str; 2]) {
    let python = fixture::harness_program("py/bin/python");
    let script = fixture::shared_dir().join("harness/pyclient_check.py");
    let output = fixture::run_with_timeout(
        Command::new(python).arg(script).args(target).args([
            "--tool",
            "serviceB-process_b",
            "--tool-args",
            r#"{"data":21}"#,
            "--resource",
            "a://serviceA/config",
        ]),
        Duration::from_secs(120),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.trim_end().ends_with("pyclient: 12 passed, 0 failed"),
        "{stdout}"
    );
    for name in [
        "'serviceA_process_a'",
        "'serviceB-process_b'",
        "'a://serviceA/config'",
        "'serviceB:b://status'",
    ] {
        assert!(stdout.contains(name), "{name} not listed:\n{stdout}");
    }
    assert!(stdout.contains("B processed: 42"), "{stdout}");
    assert!(stdout.contains(r#"{\"a_ver\":1}"#), "{stdout}");
}

#[test]
fn python_clients_see_and_use_the_mounted_names_over_stdio() {
    let mount = fixture::example("mount");
    check_mounted_names(["--stdio", &mount.display().to_string()]);
}

#[test]
fn python_clients_see_and_use_the_mounted_names_over_http() {
    let server = fixture::HttpFixture::spawn(
        Command::new(fixture::example("mount")).args(["--http", "127.0.0.1:0"]),
        "serving ",
    );
    assert!(server.url.ends_with("/mcp"), "{}", server.url);
    check_mounted_names(["--url", &server.url]);
}

#[test]
fn a_command_line_it_does_not_understand_exits_2_with_the_usage() {
    let output = fixture::run_with_timeout(
        Command::new(fixture::example("mount")).args(["--http", "localhost"]),
        Duration::from_secs(30),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("`localhost` is not a socket address"),
        "{stderr}"
    );
    assert!(stderr.contains("usage: [--http ADDR]"), "{stderr}");
}
