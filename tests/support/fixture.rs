//! The fixture server (`examples/fixture_server.rs`) as a program for tests to run, and the
//! external harness (`../shared/harness`) tests point at it.
//!
//! Include with `#[path = "support/fixture.rs"] mod fixture;`.
#![allow(dead_code, unreachable_pub)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The fixture server binary (see [`example`]).
pub fn fixture_server() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| example("fixture_server")).as_path()
}

/// The example program `name`, built once per test binary with `cargo build --example NAME`
/// (a no-op when `cargo test` already built it). The path comes from cargo's own build
/// report, so `CARGO_TARGET_DIR` and `--target-dir` are honored.
pub fn example(name: &str) -> PathBuf {
    built(&["--example", name], name)
}

/// The binary `name` of the workspace package `package` (`binary("turret-cli", "turret")`),
/// built once per test binary with `cargo build -p PACKAGE --bin NAME`: `cargo test` builds
/// the binaries of the package under test only, not those of other workspace members.
pub fn binary(package: &str, name: &str) -> PathBuf {
    built(&["-p", package, "--bin", name], name)
}

/// The executable named `name` that `cargo build SELECTION…` makes, built at most once per
/// test binary for each selection.
fn built(selection: &[&str], name: &str) -> PathBuf {
    static BUILT: OnceLock<std::sync::Mutex<std::collections::HashMap<String, PathBuf>>> =
        OnceLock::new();
    let mut built = BUILT
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    built
        .entry(selection.join(" "))
        .or_insert_with(|| build(selection, name))
        .clone()
}

fn build(selection: &[&str], name: &str) -> PathBuf {
    let output = Command::new(env!("CARGO"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("build")
        .args(selection)
        .arg("--message-format=json-render-diagnostics")
        .output()
        .expect("could not run cargo to build a test program");
    let selection = selection.join(" ");
    assert!(
        output.status.success(),
        "cargo build {selection} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let executable = stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == name)
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .unwrap_or_else(|| panic!("cargo build {selection} did not report the executable {name}"));
    assert!(
        executable.is_file(),
        "cargo reported {} but it is not there",
        executable.display()
    );
    executable
}

/// `shared/` beside the repository: the harness scripts and the protocol schemas.
pub fn shared_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared"))
}

/// Where `shared/harness/setup.sh` installed the external harnesses: `$MCP_HARNESS_DIR`, or
/// `$HOME/.cache/mcp-harness`.
pub fn harness_dir() -> PathBuf {
    match std::env::var_os("MCP_HARNESS_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => {
            let home = std::env::var_os("HOME").unwrap_or_default();
            PathBuf::from(home).join(".cache/mcp-harness")
        }
    }
}

/// A program the harness installed, at `relative` under [`harness_dir`]. Fails the test
/// with the set-up instructions when it is missing: CI installs the harness, so a missing
/// one is an error, not a reason to skip.
pub fn harness_program(relative: &str) -> PathBuf {
    let path = harness_dir().join(relative);
    assert!(
        path.exists(),
        "{} is missing: install the external MCP harness with ../shared/harness/setup.sh \
         (and set MCP_HARNESS_DIR if you installed it elsewhere than ~/.cache/mcp-harness)",
        path.display()
    );
    path
}

/// A `PATH` with the harness's own `node` first, for the npm programs' `#!/usr/bin/env node`.
pub fn harness_path_env() -> std::ffi::OsString {
    let mut dirs = vec![harness_dir().join("bin")];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).expect("PATH entries contain no separator")
}

/// Runs `command` to completion with its output captured; kills it and fails the test if it
/// takes longer than `timeout` (a hung client must not hang the test run).
pub fn run_with_timeout(command: &mut Command, timeout: Duration) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("could not run {command:?}: {e}"));
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout is piped")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr is piped")));
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().expect("could not wait for the child") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            let (out, err) = (
                stdout.join().unwrap_or_default(),
                stderr.join().unwrap_or_default(),
            );
            panic!(
                "{command:?} did not finish within {timeout:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&err)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

/// A fixture server on an ephemeral loopback port, killed when dropped.
pub struct HttpFixture {
    child: std::process::Child,
    /// The MCP endpoint, `http://127.0.0.1:PORT/mcp`.
    pub url: String,
}

impl HttpFixture {
    /// Starts `fixture_server --http 127.0.0.1:0` and waits for its address.
    pub fn start() -> Self {
        Self::spawn(
            Command::new(fixture_server()).args(["--http", "127.0.0.1:0"]),
            "fixture_server: ",
        )
    }

    /// Starts `examples/proxy --http 127.0.0.1:0` bridging the fixture server run over stdio.
    pub fn proxied_stdio() -> Self {
        let mut command = Command::new(example("proxy"));
        command
            .args(["--http", "127.0.0.1:0", "--"])
            .arg(fixture_server());
        Self::spawn(&mut command, "proxy: ")
    }

    /// Starts `turret proxy --http 127.0.0.1:0` in front of the fixture server over stdio.
    pub fn turret_proxied_stdio() -> Self {
        let mut command = Command::new(binary("turret-cli", "turret"));
        command
            .args(["proxy", "--http", "127.0.0.1:0", "--"])
            .arg(fixture_server());
        Self::spawn(&mut command, "turret: serving ")
    }

    /// Runs `command` and waits for the line starting with `prefix` that names its URL.
    pub fn spawn(command: &mut Command, prefix: &str) -> Self {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("could not start the HTTP server");
        let mut lines =
            std::io::BufReader::new(child.stderr.take().expect("stderr is piped")).lines();
        use std::io::BufRead as _;
        let url = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|line| line.strip_prefix(prefix).map(str::to_owned))
            .expect("the HTTP server did not print its address");
        // Keep draining its log so it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Self { child, url }
    }
}

impl HttpFixture {
    /// The server's process id (to send it signals).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits up to `timeout` for the server to exit; its status, if it did.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for HttpFixture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
