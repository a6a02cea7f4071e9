//! Snapshots of `turret --help` and of the help of the commands, so a change to the command
//! line shows up in review. `INSTA_UPDATE=always cargo test --test cli_help` rewrites them.

#[path = "support/fixture.rs"]
mod fixture;

use std::process::Command;
use std::time::Duration;

/// The help `turret ARGS…` prints (on stdout, exit 0).
fn help(args: &[&str]) -> String {
    let mut command = Command::new(fixture::binary("turret-cli", "turret"));
    command.args(args);
    let output = fixture::run_with_timeout(&mut command, Duration::from_secs(30));
    assert!(
        output.status.success(),
        "turret {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).expect("help is UTF-8");
    assert!(text.contains("Usage: turret"), "{text}");
    text
}

#[test]
fn turret_help() {
    insta::assert_snapshot!("turret_help", help(&["--help"]));
}

#[test]
fn serve_help() {
    insta::assert_snapshot!("serve_help", help(&["serve", "--help"]));
}

#[test]
fn inspect_help() {
    insta::assert_snapshot!("inspect_help", help(&["inspect", "--help"]));
}

#[test]
fn call_help() {
    insta::assert_snapshot!("call_help", help(&["call", "--help"]));
}
