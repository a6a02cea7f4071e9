//! The seed's mount example through the Python `mcp` and `fastmcp` clients over stdio: the
//! prefixed names, a routed call and a routed read.

#[path = "support/fixture.rs"]
mod fixture;

use std::process::Command;
use std::time::Duration;

#[test]
fn python_clients_see_and_use_the_mounted_names() {
    let python = fixture::harness_program("py/bin/python");
    let script = fixture::shared_dir().join("harness/pyclient_check.py");
    let mount = fixture::example("mount");
    let output = fixture::run_with_timeout(
        Command::new(python).arg(script).args([
            "--stdio",
            &mount.display().to_string(),
            "--tool",
            "serviceB-process_b",
            "--tool-args",
            r#"{"data":21}"#,
            "--resource",
            "serviceA+a://config",
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
        "'serviceA+a://config'",
        "'serviceB:b://status'",
    ] {
        assert!(stdout.contains(name), "{name} not listed:\n{stdout}");
    }
    assert!(stdout.contains("B processed: 42"), "{stdout}");
    assert!(stdout.contains(r#"{\"a_ver\":1}"#), "{stdout}");
}
