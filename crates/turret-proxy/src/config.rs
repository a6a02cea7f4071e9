//! The `mcpServers` JSON that MCP clients share (Claude Desktop, Cursor, FastMCP…): each
//! entry is a command to run or a URL to reach.
//!
//! ```json
//! {
//!   "mcpServers": {
//!     "files": { "command": "mcp-files", "args": ["--root", "."], "env": {"LOG": "1"}, "cwd": "/srv" },
//!     "search": { "url": "http://127.0.0.1:8000/mcp", "headers": {"x-api-key": "…"} },
//!     "old": { "url": "http://127.0.0.1:9000/sse", "transport": "sse" }
//!   }
//! }
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::backend::Backend;

/// A parsed `mcpServers` file: backends by name (in name order). The format grows, so this
/// is `#[non_exhaustive]`: parse it, or start from `McpServers::default()` and fill it in.
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpServers {
    /// The servers, by name.
    #[serde(rename = "mcpServers")]
    pub servers: BTreeMap<String, ServerEntry>,
}

/// One server of an `mcpServers` file. `#[non_exhaustive]` like [`McpServers`]: build one
/// from `ServerEntry::default()` and set its fields.
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerEntry {
    /// The program of a stdio server.
    #[serde(default)]
    pub command: Option<String>,
    /// Its arguments.
    #[serde(default)]
    pub args: Vec<String>,
    /// Environment variables to set for it.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Its working directory.
    #[serde(default)]
    pub cwd: Option<PathBuf>,
    /// The endpoint of an HTTP server.
    #[serde(default)]
    pub url: Option<String>,
    /// `http` / `streamable-http` (the default for a URL), `sse` (2024-11-05 HTTP+SSE), or
    /// `stdio` (the default for a command). `type` is accepted as another name for it.
    #[serde(default, alias = "type")]
    pub transport: Option<String>,
    /// HTTP headers to send (authorization, API keys).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

/// An `mcpServers` file that cannot be used, with what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl McpServers {
    /// Parses the JSON text of an `mcpServers` file.
    ///
    /// # Errors
    /// Malformed JSON or an unknown key (with line and column), or an entry that is neither
    /// a command nor a URL.
    ///
    /// ```
    /// use turret_proxy::config::McpServers;
    ///
    /// let config = McpServers::from_json(r#"{"mcpServers": {"calc": {"command": "calc-server"}}}"#)?;
    /// let backends = config.backends()?;
    /// assert_eq!(backends[0].0, "calc");
    /// assert_eq!(backends[0].1.to_string(), "calc-server");
    /// # Ok::<(), turret_proxy::config::ConfigError>(())
    /// ```
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        let config: Self = serde_json::from_str(text)
            .map_err(|e| ConfigError(format!("line {}, column {}: {e}", e.line(), e.column())))?;
        config.backends()?;
        Ok(config)
    }

    /// Reads and parses an `mcpServers` file.
    ///
    /// # Errors
    /// As [`from_json`](Self::from_json), prefixed with the path; or the file cannot be read.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
        Self::from_json(&text).map_err(|e| ConfigError(format!("{}: {e}", path.display())))
    }

    /// Each server as a [`Backend`], by name.
    ///
    /// # Errors
    /// An entry with both or neither of `command` and `url`, an unknown transport, a URL
    /// that is not `http(s)://`, or a header that is not valid HTTP.
    pub fn backends(&self) -> Result<Vec<(String, Backend)>, ConfigError> {
        self.servers
            .iter()
            .map(|(name, entry)| {
                entry
                    .backend()
                    .map(|b| (name.clone(), b))
                    .map_err(|e| ConfigError(format!("server {name:?}: {e}")))
            })
            .collect()
    }
}

impl ServerEntry {
    fn backend(&self) -> Result<Backend, String> {
        let transport = self.transport.as_deref();
        match (&self.command, &self.url) {
            (Some(_), Some(_)) => Err("has both \"command\" and \"url\"; keep one".into()),
            (None, None) => {
                Err("needs \"command\" (a stdio server) or \"url\" (an HTTP server)".into())
            }
            (Some(command), None) => {
                if !matches!(transport, None | Some("stdio")) {
                    return Err(format!(
                        "transport {:?} does not go with \"command\" (use \"stdio\" or leave it out)",
                        transport.unwrap_or_default()
                    ));
                }
                let mut backend = Backend::command(command).args(&self.args);
                for (key, value) in &self.env {
                    backend = backend.env(key, value);
                }
                if let Some(dir) = &self.cwd {
                    backend = backend.current_dir(dir);
                }
                Ok(backend)
            }
            (None, Some(url)) => {
                let parsed = url
                    .parse::<http::Uri>()
                    .map_err(|e| format!("url {url:?} is not a valid URL: {e}"))?;
                if !matches!(parsed.scheme_str(), Some("http" | "https")) || parsed.host().is_none()
                {
                    return Err(format!(
                        "url {url:?} must be an http:// or https:// URL with a host"
                    ));
                }
                let mut backend = match transport {
                    None | Some("http" | "streamable-http" | "streamableHttp") => Backend::url(url),
                    Some("sse") => Backend::legacy_sse(url),
                    Some(other) => {
                        return Err(format!(
                            "unknown transport {other:?} (expected \"http\", \"streamable-http\" or \"sse\")"
                        ))
                    }
                };
                for (name, value) in &self.headers {
                    backend = backend.header(name, value).map_err(|e| e.to_string())?;
                }
                Ok(backend)
            }
        }
    }
}
