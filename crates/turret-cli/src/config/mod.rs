//! The gateway config: a TOML file naming backends (stdio commands, URLs, OpenAPI specs,
//! imported `mcpServers` files), the layers around them, and where to listen.
//!
//! ```toml
//! name = "my-gateway"
//! mcp_servers = "mcp.json"    # an mcpServers file: each server under its own name
//!
//! [listen]
//! transport = "http"          # or "stdio"
//! address = "127.0.0.1:3000"  # loopback unless you say otherwise
//!
//! [backends.files]            # mounted under "files": files_read, files_write…
//! command = "mcp-files"
//! args = ["--root", "."]
//!
//! [backends.search]
//! url = "http://127.0.0.1:8000/mcp"
//! headers = { x-api-key = "…" }
//!
//! [backends.pets]
//! openapi = "specs/petstore.yaml"   # a file, or an http(s) URL
//! base_url = "http://127.0.0.1:9000"
//! route_map = "get-resources"
//! schema_shape = "inline"           # or "defs" (the default): see `turret openapi --help`
//!
//! [backends.desktop]           # a file's servers under one more prefix: desktop_git_status…
//! mcp_servers = "claude_desktop_config.json"
//!
//! [layers]
//! timeout_ms = 30000
//! cache = { ttl_ms = 30000 }
//! filter = { exclude_tags = ["admin"] }
//! rate_limit = { requests = 20, per_ms = 1000 }
//!
//! [auth]                      # bearer tokens on the HTTP endpoint (OAuth 2.1)
//! issuer = "https://auth.example.com"
//! jwks_url = "https://auth.example.com/.well-known/jwks.json"
//! scopes = ["mcp"]
//! ```
//!
//! Unknown keys are errors, and every error names the file, line and column and what to fix.

pub(crate) mod build;
mod schema;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub use build::{build, Built};
pub use schema::{
    AuthConfig, BackendConfig, CacheConfig, FilterConfig, GatewayConfig, LayersConfig,
    ListenConfig, RateLimitConfig, Transport,
};

/// A config that cannot be used: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line and column, when the problem has a place.
    pub position: Option<(usize, usize)>,
    /// What is wrong and what to do.
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.position {
            Some((line, column)) => write!(
                f,
                "{}:{line}:{column}: {}",
                self.path.display(),
                self.message
            ),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

/// 1-based line and column of byte `offset` in `text`.
pub(crate) fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

/// A config file, read and checked.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    /// The file.
    pub path: PathBuf,
    /// Its text (for positions of later errors).
    pub text: String,
    /// What it says.
    pub config: GatewayConfig,
}

impl LoadedConfig {
    /// Reads and parses `path`, and checks every backend.
    ///
    /// # Errors
    /// An unreadable file, bad TOML, an unknown key, or a backend that cannot work (with
    /// its position).
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            path: path.to_owned(),
            position: None,
            message: format!("cannot read the config: {e}"),
        })?;
        Self::parse(path, text)
    }

    /// Parses config text as if read from `path`.
    ///
    /// # Errors
    /// As [`load`](Self::load).
    pub fn parse(path: &Path, text: String) -> Result<Self, ConfigError> {
        let config: GatewayConfig = toml::from_str(&text).map_err(|e| ConfigError {
            path: path.to_owned(),
            position: e.span().map(|s| position(&text, s.start)),
            message: e.message().trim().to_owned(),
        })?;
        let loaded = Self {
            path: path.to_owned(),
            text,
            config,
        };
        loaded.validate()?;
        Ok(loaded)
    }

    /// An error at byte `offset` of the file.
    pub(crate) fn error_at(&self, offset: usize, message: impl Into<String>) -> ConfigError {
        ConfigError {
            path: self.path.clone(),
            position: Some(position(&self.text, offset)),
            message: message.into(),
        }
    }

    /// Where relative paths in the config start: the config's own directory.
    pub(crate) fn base_dir(&self) -> PathBuf {
        self.path.parent().map(Path::to_owned).unwrap_or_default()
    }

    /// The servers of the top-level `mcp_servers` file, each under its own name (none
    /// without one).
    ///
    /// # Errors
    /// A file that does not read as an `mcpServers` file, or a server named as one of
    /// `[backends]` (there would be two backends under one namespace).
    pub(crate) fn mcp_servers(&self) -> Result<Vec<(String, turret_proxy::Backend)>, ConfigError> {
        let Some(file) = &self.config.mcp_servers else {
            return Ok(Vec::new());
        };
        let at =
            |message: String| self.error_at(file.span().start, format!("mcp_servers: {message}"));
        let path = self.base_dir().join(file.get_ref());
        let servers = turret_proxy::config::McpServers::from_file(&path)
            .and_then(|servers| servers.backends())
            .map_err(|e| at(e.to_string()))?;
        if let Some((name, _)) = servers
            .iter()
            .find(|(n, _)| self.config.backends.contains_key(n))
        {
            return Err(at(format!(
                "{} names a server {name:?}, and [backends.{name}] is another; rename one",
                path.display()
            )));
        }
        Ok(servers)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        self.mcp_servers()?;
        for (name, backend) in &self.config.backends {
            backend
                .get_ref()
                .check(&self.base_dir())
                .map_err(|message| {
                    self.error_at(backend.span().start, format!("backend {name:?}: {message}"))
                })?;
        }
        if let Some(listen) = &self.config.listen {
            listen.check().map_err(|m| self.error_at(0, m))?;
        }
        if let Some(auth) = &self.config.auth {
            let at = self.text.find("[auth]").unwrap_or(0);
            auth.check().map_err(|m| self.error_at(at, m))?;
        }
        if let Some(search) = &self.config.layers.tool_search {
            let at = self.text.find("tool_search").unwrap_or(0);
            search.check().map_err(|m| self.error_at(at, m))?;
        }
        Ok(())
    }
}

/// Runs `turret config check`.
pub fn check_command(path: &Path) -> ExitCode {
    match LoadedConfig::load(path) {
        Ok(loaded) => {
            println!("{}: ok", path.display());
            for (name, backend) in loaded.mcp_servers().unwrap_or_default() {
                println!("  {name}: {backend} (from mcp_servers)");
            }
            for (name, backend) in &loaded.config.backends {
                println!("  {name}: {}", backend.get_ref().describe());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}
