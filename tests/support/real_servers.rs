//! Third-party MCP servers from npm and PyPI, as `.ci/real-servers` installs them into
//! `target/mcp-servers`.
//!
//! Include with `#[path = "support/real_servers.rs"] mod real_servers;`.
#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/mcp-servers")
}

fn installed(relative: &str) -> String {
    let path = dir().join(relative);
    assert!(
        path.exists(),
        "{} is missing: install the third-party servers with `bash .ci/real-servers`",
        path.display()
    );
    path.display().to_string()
}

/// An npm server's launcher (`mcp-server-filesystem`, `mcp-server-memory`).
pub fn npm(bin: &str) -> String {
    installed(&format!("npm/node_modules/.bin/{bin}"))
}

/// A PyPI server's launcher (`mcp-server-time`, `mcp-server-git`).
pub fn python(bin: &str) -> String {
    installed(&format!("py/bin/{bin}"))
}
