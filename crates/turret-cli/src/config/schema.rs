//! The config file's keys, as serde reads them (unknown keys rejected), and the checks that
//! need more than types.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::cli::{NamingMode, RouteMapPreset};

/// The whole file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayConfig {
    /// The server's name, as clients see it.
    #[serde(default)]
    pub name: Option<String>,
    /// Guidance for the model using the gateway.
    #[serde(default)]
    pub instructions: Option<String>,
    /// Where to listen (the command line wins).
    #[serde(default)]
    pub listen: Option<ListenConfig>,
    /// An `mcpServers` file (as Claude Desktop, Cursor and VS Code write them): each server
    /// becomes a backend under its own name, beside those of `[backends]`.
    #[serde(default)]
    pub mcp_servers: Option<Spanned<PathBuf>>,
    /// The backends, by namespace.
    #[serde(default)]
    pub backends: BTreeMap<String, Spanned<BackendConfig>>,
    /// Layers around the whole gateway.
    #[serde(default)]
    pub layers: LayersConfig,
    /// Bearer-token authentication of the HTTP endpoint.
    #[serde(default)]
    pub auth: Option<AuthConfig>,
}

/// `[auth]`: the HTTP endpoint as an OAuth 2.1 resource server. Either JWTs from an
/// authorization server (`issuer` + `jwks_url`), or fixed `tokens` for development.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// The authorization server: the `iss` of its tokens, named in the protected-resource
    /// metadata so that clients know where to get tokens.
    #[serde(default)]
    pub issuer: Option<String>,
    /// Where the authorization server publishes its signing keys (a JWKS).
    #[serde(default)]
    pub jwks_url: Option<String>,
    /// This server as tokens name it in `aud` (default: the URL it serves).
    #[serde(default)]
    pub audience: Option<String>,
    /// Scopes every request needs.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Fixed bearer tokens and the subject each stands for: for development only.
    #[serde(default)]
    pub tokens: BTreeMap<String, String>,
}

impl AuthConfig {
    pub(crate) fn check(&self) -> Result<(), String> {
        let is_url = |u: &str| u.starts_with("http://") || u.starts_with("https://");
        match (&self.issuer, &self.jwks_url) {
            (Some(_), None) | (None, Some(_)) => {
                Err("[auth] needs both issuer and jwks_url (or only tokens)".into())
            }
            (None, None) if self.tokens.is_empty() => Err(
                "[auth] needs issuer and jwks_url for JWTs, or tokens = { \"…\" = \"subject\" }"
                    .into(),
            ),
            (Some(issuer), Some(jwks)) if !is_url(issuer) || !is_url(jwks) => Err(format!(
                "[auth] issuer {issuer:?} and jwks_url {jwks:?} must be http:// or https:// URLs"
            )),
            _ => Ok(()),
        }
    }
}

/// The transport a gateway is served on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// Streamable HTTP.
    #[default]
    Http,
    /// stdin/stdout.
    Stdio,
}

/// `[listen]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListenConfig {
    /// `http` (default) or `stdio`.
    #[serde(default)]
    pub transport: Transport,
    /// The HTTP address (default 127.0.0.1:3000).
    #[serde(default)]
    pub address: Option<SocketAddr>,
    /// The HTTP path of the MCP endpoint (default `/mcp`).
    #[serde(default)]
    pub path: Option<String>,
    /// The Redis replicas share sessions and stream events through (`redis://HOST:PORT`).
    #[serde(default)]
    pub redis: Option<String>,
    /// Serve handshake-era clients without sessions (JSON answers only).
    #[serde(default)]
    pub stateless: bool,
    /// The largest request body accepted, in bytes (default 4 MiB); a larger one is
    /// answered `413` with a JSON-RPC error naming the limit.
    #[serde(default)]
    pub max_body_bytes: Option<usize>,
}

impl ListenConfig {
    pub(crate) fn check(&self) -> Result<(), String> {
        match &self.path {
            Some(path) if !path.starts_with('/') => Err(format!(
                "[listen] path {path:?} must start with \"/\" (e.g. \"/mcp\")"
            )),
            _ if self.max_body_bytes == Some(0) => {
                Err("[listen] max_body_bytes must be at least 1".to_owned())
            }
            _ if self.stateless && self.redis.is_some() => Err(
                "[listen] stateless and redis exclude each other: stateless replicas share nothing"
                    .to_owned(),
            ),
            _ => Ok(()),
        }
    }
}

/// `[backends.NAME]`: exactly one of `command`, `url`, `openapi` or `mcp_servers`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackendConfig {
    /// A stdio server's program.
    #[serde(default)]
    pub command: Option<String>,
    /// Its arguments.
    #[serde(default)]
    pub args: Vec<String>,
    /// Its environment variables.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Its working directory (relative to the config file).
    #[serde(default)]
    pub cwd: Option<PathBuf>,
    /// An HTTP server's endpoint.
    #[serde(default)]
    pub url: Option<String>,
    /// `streamable-http` (default) or `sse` for a `url`.
    #[serde(default)]
    pub transport: Option<String>,
    /// HTTP headers for a `url` or an `openapi` API.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// An OpenAPI spec: a file (relative to the config file) or an http(s) URL.
    #[serde(default)]
    pub openapi: Option<String>,
    /// The API's base URL (default: the spec's first server).
    #[serde(default)]
    pub base_url: Option<String>,
    /// Which operations become what (default `tools`).
    #[serde(default)]
    pub route_map: Option<RouteMapPreset>,
    /// Tool names (default `compatible`).
    #[serde(default)]
    pub naming: Option<NamingMode>,
    /// An `mcpServers` JSON file: each server mounted under its own name.
    #[serde(default)]
    pub mcp_servers: Option<PathBuf>,
    /// `per-session` (default), `shared` or `per-request` backend sessions.
    #[serde(default)]
    pub session_policy: Option<String>,
    /// The longest a forwarded request may take, in milliseconds (default 60000).
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// Close a backend session unused for this many milliseconds (and stop its process),
    /// so that clients gone without ending their session free it (default: it lives as
    /// long as the client's session).
    #[serde(default)]
    pub idle_timeout_ms: Option<u64>,
    /// Whether `/readyz` waits for this backend to be up (default `true`).
    #[serde(default)]
    pub required: Option<bool>,
}

/// Which kind of backend a `[backends.NAME]` table is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Command,
    Url,
    OpenApi,
    McpServers,
}

impl BackendConfig {
    pub(crate) fn kind(&self) -> Result<Kind, String> {
        let kinds: Vec<Kind> = [
            self.command.as_ref().map(|_| Kind::Command),
            self.url.as_ref().map(|_| Kind::Url),
            self.openapi.as_ref().map(|_| Kind::OpenApi),
            self.mcp_servers.as_ref().map(|_| Kind::McpServers),
        ]
        .into_iter()
        .flatten()
        .collect();
        match kinds[..] {
            [kind] => Ok(kind),
            [] => Err("needs one of \"command\" (a stdio server), \"url\" (an HTTP server), \"openapi\" (a spec) or \"mcp_servers\" (a file of servers)".into()),
            _ => Err("has more than one of \"command\", \"url\", \"openapi\" and \"mcp_servers\"; keep one per backend".into()),
        }
    }

    /// What the backend is, in a few words.
    pub fn describe(&self) -> String {
        match self.kind() {
            Ok(Kind::Command) => {
                let mut line = self.command.clone().unwrap_or_default();
                self.args.iter().for_each(|a| {
                    line.push(' ');
                    line.push_str(a);
                });
                format!("stdio: {line}")
            }
            Ok(Kind::Url) => format!("http: {}", self.url.as_deref().unwrap_or_default()),
            Ok(Kind::OpenApi) => {
                format!("openapi: {}", self.openapi.as_deref().unwrap_or_default())
            }
            Ok(Kind::McpServers) => format!(
                "mcpServers: {}",
                self.mcp_servers
                    .as_deref()
                    .unwrap_or(Path::new(""))
                    .display()
            ),
            Err(e) => e,
        }
    }

    /// Checks what types cannot: one kind, options that belong to it, URLs, files.
    pub(crate) fn check(&self, base: &Path) -> Result<(), String> {
        let kind = self.kind()?;
        let stray = |key: &str, set: bool, owner: &str| {
            if set {
                Err(format!("\"{key}\" only goes with \"{owner}\""))
            } else {
                Ok(())
            }
        };
        stray(
            "args",
            !self.args.is_empty() && kind != Kind::Command,
            "command",
        )?;
        stray(
            "env",
            !self.env.is_empty() && kind != Kind::Command,
            "command",
        )?;
        stray(
            "cwd",
            self.cwd.is_some() && kind != Kind::Command,
            "command",
        )?;
        stray(
            "transport",
            self.transport.is_some() && kind != Kind::Url,
            "url",
        )?;
        stray(
            "base_url",
            self.base_url.is_some() && kind != Kind::OpenApi,
            "openapi",
        )?;
        stray(
            "route_map",
            self.route_map.is_some() && kind != Kind::OpenApi,
            "openapi",
        )?;
        stray(
            "naming",
            self.naming.is_some() && kind != Kind::OpenApi,
            "openapi",
        )?;
        stray(
            "headers",
            !self.headers.is_empty() && !matches!(kind, Kind::Url | Kind::OpenApi),
            "url or openapi",
        )?;
        if let Some(policy) = &self.session_policy {
            crate::config::build::session_policy(policy)?;
        }
        match kind {
            Kind::Command => {
                if self.command.as_deref().is_some_and(str::is_empty) {
                    return Err("\"command\" is empty".into());
                }
            }
            Kind::Url => {
                check_url("url", self.url.as_deref().unwrap_or_default())?;
                match self.transport.as_deref() {
                    None | Some("streamable-http" | "http" | "sse") => {}
                    Some(other) => {
                        return Err(format!(
                            "unknown transport {other:?} (expected \"streamable-http\" or \"sse\")"
                        ))
                    }
                }
            }
            Kind::OpenApi => {
                let spec = self.openapi.as_deref().unwrap_or_default();
                if !is_url(spec) && !base.join(spec).is_file() {
                    return Err(format!(
                        "the spec file {} does not exist (paths are relative to the config file)",
                        base.join(spec).display()
                    ));
                }
                if let Some(url) = &self.base_url {
                    check_url("base_url", url)?;
                }
            }
            Kind::McpServers => {
                let file = base.join(self.mcp_servers.as_deref().unwrap_or(Path::new("")));
                turret_proxy::config::McpServers::from_file(&file).map_err(|e| e.to_string())?;
            }
        }
        for name in self.headers.keys() {
            http::HeaderName::try_from(name.as_str())
                .map_err(|_| format!("{name:?} is not a valid HTTP header name"))?;
        }
        Ok(())
    }
}

pub(crate) fn is_url(text: &str) -> bool {
    text.starts_with("http://") || text.starts_with("https://")
}

fn check_url(key: &str, url: &str) -> Result<(), String> {
    let parsed: http::Uri = url
        .parse()
        .map_err(|e| format!("{key} {url:?} is not a valid URL: {e}"))?;
    if !matches!(parsed.scheme_str(), Some("http" | "https")) || parsed.host().is_none() {
        return Err(format!(
            "{key} {url:?} must be an http:// or https:// URL with a host"
        ));
    }
    Ok(())
}

/// `[layers]`: applied around the whole gateway, outermost first in this order: trace, rate
/// limit, tool search, filter, cache, timeout.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayersConfig {
    /// A tracing span per request (default on).
    #[serde(default = "yes")]
    pub trace: bool,
    /// The longest a request may take, in milliseconds.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// A response cache.
    #[serde(default)]
    pub cache: Option<CacheConfig>,
    /// Tag and name filters.
    #[serde(default)]
    pub filter: Option<FilterConfig>,
    /// Per-caller rate limits.
    #[serde(default)]
    pub rate_limit: Option<RateLimitConfig>,
    /// Tool search in place of the tool list.
    #[serde(default)]
    pub tool_search: Option<ToolSearchConfig>,
}

impl Default for LayersConfig {
    fn default() -> Self {
        Self {
            trace: true,
            timeout_ms: None,
            cache: None,
            filter: None,
            rate_limit: None,
            tool_search: None,
        }
    }
}

fn yes() -> bool {
    true
}

/// `[layers.cache]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheConfig {
    /// How long an entry lives, in milliseconds.
    #[serde(default)]
    pub ttl_ms: Option<u64>,
    /// The most entries kept.
    #[serde(default)]
    pub max_entries: Option<u64>,
    /// The most bytes kept.
    #[serde(default)]
    pub max_bytes: Option<u64>,
}

/// `[layers.filter]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterConfig {
    /// Only what has one of these tags.
    #[serde(default)]
    pub include_tags: Vec<String>,
    /// Nothing that has one of these tags.
    #[serde(default)]
    pub exclude_tags: Vec<String>,
    /// Only names matching one of these patterns.
    #[serde(default)]
    pub include_names: Vec<String>,
    /// No name matching one of these patterns.
    #[serde(default)]
    pub exclude_names: Vec<String>,
}

/// `[layers.tool_search]`: `tools/list` answers `search_tools` and `call_tool` (and the
/// pinned tools) instead of every tool.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolSearchConfig {
    /// Tools listed beside the meta-tools.
    #[serde(default)]
    pub pin: Vec<String>,
    /// Tools a search returns when the query does not say (1 to 50; default 5).
    #[serde(default)]
    pub limit: Option<usize>,
    /// The score (0 to 1) under which a search answers that no tool fits.
    #[serde(default)]
    pub threshold: Option<f64>,
    /// The search meta-tool's name (default `search_tools`).
    #[serde(default)]
    pub search_name: Option<String>,
    /// The call meta-tool's name (default `call_tool`).
    #[serde(default)]
    pub call_name: Option<String>,
}

impl ToolSearchConfig {
    pub(crate) fn check(&self) -> Result<(), String> {
        if let Some(limit) = self.limit.filter(|l| !(1..=50).contains(l)) {
            return Err(format!(
                "[layers] tool_search limit {limit} must be from 1 to 50"
            ));
        }
        if let Some(t) = self.threshold.filter(|t| !(0.0..=1.0).contains(t)) {
            return Err(format!(
                "[layers] tool_search threshold {t} must be from 0 to 1"
            ));
        }
        let search = self.search_name.as_deref().unwrap_or("search_tools");
        let call = self.call_name.as_deref().unwrap_or("call_tool");
        if search.is_empty() || call.is_empty() || search == call {
            return Err(format!(
                "[layers] tool_search names {search:?} and {call:?} must be two different, non-empty names"
            ));
        }
        Ok(())
    }
}

/// `[layers.rate_limit]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Requests per window, per caller.
    pub requests: u32,
    /// The window, in milliseconds.
    pub per_ms: u64,
    /// Requests in flight at once, per caller.
    #[serde(default)]
    pub max_concurrent: Option<usize>,
}
