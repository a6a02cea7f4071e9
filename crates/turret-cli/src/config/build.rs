//! From a checked config to the server: backends proxied, generated or imported and mounted
//! under their names, then the configured layers around the whole.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use tower::ServiceBuilder;
use turret_core::Router;
use turret_layers::{CacheLayer, FilterLayer, RateLimitLayer, ToolSearchLayer, TraceLayer};
use turret_openapi::{http_client, HttpClient, Naming, OpenApi, RouteMap, Spec};
use turret_proxy::config::McpServers;
use turret_proxy::{Backend, Gateway, Proxy, SessionPolicy};

use super::schema::{is_url, BackendConfig, Kind, LayersConfig};
use super::{ConfigError, LoadedConfig};
use crate::cli::{NamingMode, RouteMapPreset};
use crate::probes::{Probes, Watched};
use crate::reload::{boxed, BoxedServer};

/// A gateway ready to serve.
pub struct Built {
    /// The server with its layers.
    pub service: BoxedServer,
    /// The router inside (its notifier tells clients about changes).
    pub router: Router,
    /// One line per backend: namespace and what it is.
    pub summary: Vec<String>,
    /// The probes that report on the proxied backends.
    pub probes: Probes,
}

impl std::fmt::Debug for Built {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Built")
            .field("summary", &self.summary)
            .finish_non_exhaustive()
    }
}

/// A session policy by its config name.
pub(crate) fn session_policy(name: &str) -> Result<SessionPolicy, String> {
    match name {
        "per-session" => Ok(SessionPolicy::PerSession),
        "shared" => Ok(SessionPolicy::Shared),
        "per-request" => Ok(SessionPolicy::PerRequest),
        other => Err(format!(
            "unknown session_policy {other:?} (expected \"per-session\", \"shared\" or \"per-request\")"
        )),
    }
}

/// Builds the gateway `loaded` describes. Backends connect when first used; OpenAPI specs
/// given by URL are fetched now.
///
/// # Errors
/// A spec that cannot be fetched or generated, with the backend's position in the file.
pub async fn build(loaded: &LoadedConfig) -> Result<Built, ConfigError> {
    let config = &loaded.config;
    let mut gateway = Gateway::new();
    let mut generated = Vec::new();
    // The proxies of `[backends.NAME] mcp_servers` files, by NAME.
    let mut imported: Vec<(String, Vec<Proxy>)> = Vec::new();
    let mut summary = Vec::new();
    for (name, backend) in loaded.mcp_servers()? {
        summary.push(format!("{name}: {backend} (from mcp_servers)"));
        gateway = gateway.backend(name, backend);
    }
    for (name, spanned) in &config.backends {
        let backend = spanned.get_ref();
        let at = |message: String| {
            loaded.error_at(spanned.span().start, format!("backend {name:?}: {message}"))
        };
        summary.push(format!("{name}: {}", backend.describe()));
        match backend.kind().map_err(at)? {
            Kind::Command | Kind::Url => {
                let proxy = proxy(name, backend, loaded).map_err(at)?;
                gateway = gateway.proxy(name.clone(), proxy);
            }
            Kind::OpenApi => {
                generated.push((name.clone(), openapi(backend, loaded).await.map_err(at)?))
            }
            Kind::McpServers => {
                let file = loaded.base_dir().join(
                    backend
                        .mcp_servers
                        .as_deref()
                        .unwrap_or_else(|| "".as_ref()),
                );
                let servers = McpServers::from_file(&file).map_err(|e| at(e.to_string()))?;
                let nested = Gateway::from_config(&servers).map_err(|e| at(e.to_string()))?;
                imported.push((
                    name.clone(),
                    nested.proxies().map(|(_, p)| p.clone()).collect(),
                ));
                generated.push((name.clone(), nested.into_router()));
            }
        }
    }
    let required = |name: &str| {
        config
            .backends
            .get(name)
            .and_then(|b| b.get_ref().required)
            .unwrap_or(true)
    };
    let mut watched: Vec<Watched> = gateway
        .proxies()
        .map(|(name, proxy)| Watched {
            proxy: proxy.clone(),
            required: required(name),
        })
        .collect();
    watched.extend(imported.into_iter().flat_map(|(namespace, proxies)| {
        proxies.into_iter().map(move |proxy| Watched {
            proxy,
            required: required(&namespace),
        })
    }));
    let mut router = gateway.into_router();
    if let Some(name) = &config.name {
        router = router.name(name.clone());
    }
    if let Some(instructions) = &config.instructions {
        router = router.instructions(instructions.clone());
    }
    let router = generated
        .into_iter()
        .fold(router, |router, (name, child)| router.mount(name, child));
    let service = layered(router.clone(), &config.layers);
    Ok(Built {
        service,
        router,
        summary,
        probes: Probes::new(watched),
    })
}

/// A proxy of a `command` or `url` backend.
fn proxy(name: &str, config: &BackendConfig, loaded: &LoadedConfig) -> Result<Proxy, String> {
    let backend = if let Some(command) = &config.command {
        let mut backend = Backend::command(command).args(&config.args);
        for (key, value) in &config.env {
            backend = backend.env(key, value);
        }
        if let Some(dir) = &config.cwd {
            backend = backend.current_dir(loaded.base_dir().join(dir));
        }
        backend
    } else {
        let url = config.url.clone().unwrap_or_default();
        let mut backend = match config.transport.as_deref() {
            Some("sse") => Backend::legacy_sse(url),
            _ => Backend::url(url),
        };
        for (key, value) in &config.headers {
            backend = backend.header(key, value).map_err(|e| e.to_string())?;
        }
        backend
    };
    let mut builder = Proxy::builder(name, backend)
        .hide_when_down(true)
        .lazy_sessions(true);
    if let Some(ms) = config.idle_timeout_ms {
        builder = builder.idle_timeout(Duration::from_millis(ms));
    }
    if let Some(policy) = &config.session_policy {
        builder = builder.session_policy(session_policy(policy)?);
    }
    if let Some(ms) = config.timeout_ms {
        builder = builder.timeout(Duration::from_millis(ms));
    }
    Ok(builder.build())
}

/// The server generated from an `openapi` backend's spec, calling the API over HTTP.
async fn openapi(config: &BackendConfig, loaded: &LoadedConfig) -> Result<Router, String> {
    let source = config.openapi.as_deref().unwrap_or_default();
    let text = if is_url(source) {
        fetch(source).await?
    } else {
        let path = loaded.base_dir().join(source);
        std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?
    };
    let spec = Spec::parse(&text).map_err(|e| format!("the spec {source}: {e}"))?;
    generator(
        spec,
        config.base_url.clone(),
        config.route_map.unwrap_or(RouteMapPreset::Tools),
        config.naming.unwrap_or(NamingMode::Compatible),
    )
    .into_router(remote_client(&config.headers)?)
    .map_err(|e| e.to_string())
}

/// Reads a spec from a file or an http:// URL.
pub(crate) async fn read_spec(source: &str) -> Result<Spec, String> {
    let text = if is_url(source) {
        fetch(source).await?
    } else {
        std::fs::read_to_string(source).map_err(|e| format!("cannot read {source}: {e}"))?
    };
    Spec::parse(&text).map_err(|e| format!("the spec {source}: {e}"))
}

/// OpenAPI generation with the CLI's options.
pub(crate) fn generator(
    spec: Spec,
    base_url: Option<String>,
    route_map: RouteMapPreset,
    naming: NamingMode,
) -> OpenApi {
    let builder = OpenApi::new(spec)
        .route_maps(match route_map {
            RouteMapPreset::Tools => RouteMap::all_tools(),
            RouteMapPreset::GetResources => RouteMap::get_as_resources(),
        })
        .naming(match naming {
            NamingMode::Compatible => Naming::Compatible,
            NamingMode::Improved => Naming::Improved,
        });
    match base_url {
        Some(url) => builder.base_url(url),
        None => builder,
    }
}

/// A plain-HTTP client for remote APIs, sending `headers` with every request.
pub(crate) fn remote_client(
    headers: &std::collections::BTreeMap<String, String>,
) -> Result<HttpClient, String> {
    let mut fixed = http::HeaderMap::new();
    for (name, value) in headers {
        let name = http::HeaderName::try_from(name.as_str())
            .map_err(|_| format!("{name:?} is not a valid HTTP header name"))?;
        let value = http::HeaderValue::try_from(value.as_str())
            .map_err(|_| format!("the value of header {name} is not valid HTTP"))?;
        fixed.insert(name, value);
    }
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let client = ServiceBuilder::new()
        .map_request(move |mut req: http::Request<Full<Bytes>>| {
            for (name, value) in &fixed {
                req.headers_mut().insert(name.clone(), value.clone());
            }
            req
        })
        .service(client);
    Ok(http_client(client))
}

/// Fetches a spec over plain HTTP.
pub(crate) async fn fetch(url: &str) -> Result<String, String> {
    if url.starts_with("https://") {
        return Err(format!(
            "cannot fetch {url}: this build has no TLS; download the spec and give its path"
        ));
    }
    let uri: http::Uri = url.parse().map_err(|e| format!("{url:?}: {e}"))?;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let response = tokio::time::timeout(Duration::from_secs(30), client.get(uri))
        .await
        .map_err(|_| format!("fetching {url} took more than 30 s"))?
        .map_err(|e| format!("cannot fetch {url}: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("fetching {url} answered {}", response.status()));
    }
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("reading {url}: {e}"))?
        .to_bytes();
    String::from_utf8(body.to_vec()).map_err(|_| format!("{url} is not UTF-8 text"))
}

/// The router inside the configured layers: trace, rate limit, tool search, filter, cache,
/// timeout. Tool search is outside the filter, so a search finds only what the filter lets
/// the caller list.
pub(crate) fn layered(router: Router, layers: &LayersConfig) -> BoxedServer {
    let changes = router.notifier();
    let cache = layers.cache.as_ref().map(|c| {
        let mut layer = CacheLayer::new().invalidate_on(changes.subscribe());
        if let Some(ms) = c.ttl_ms {
            layer = layer.ttl(Duration::from_millis(ms));
        }
        if let Some(n) = c.max_entries {
            layer = layer.max_entries(n);
        }
        if let Some(n) = c.max_bytes {
            layer = layer.max_bytes(n);
        }
        layer
    });
    let filter = layers.filter.as_ref().map(|f| {
        // An empty list is "no rule", not "match nothing".
        let mut layer = FilterLayer::new().refresh_on(changes.subscribe());
        if !f.include_tags.is_empty() {
            layer = layer.include_tags(f.include_tags.clone());
        }
        if !f.exclude_tags.is_empty() {
            layer = layer.exclude_tags(f.exclude_tags.clone());
        }
        if !f.include_names.is_empty() {
            layer = layer.include_names(f.include_names.clone());
        }
        if !f.exclude_names.is_empty() {
            layer = layer.exclude_names(f.exclude_names.clone());
        }
        layer
    });
    let rate_limit = layers.rate_limit.as_ref().map(|r| {
        let layer = RateLimitLayer::new(r.requests, Duration::from_millis(r.per_ms));
        match r.max_concurrent {
            Some(n) => layer.max_concurrent(n),
            None => layer,
        }
    });
    let tool_search = layers.tool_search.as_ref().map(|t| {
        let mut layer = ToolSearchLayer::new()
            .pin(t.pin.clone())
            .refresh_on(changes.subscribe());
        if let Some(limit) = t.limit {
            layer = layer.limit(limit);
        }
        if let Some(threshold) = t.threshold {
            layer = layer.threshold(threshold);
        }
        if t.search_name.is_some() || t.call_name.is_some() {
            layer = layer.names(
                t.search_name.as_deref().unwrap_or("search_tools"),
                t.call_name.as_deref().unwrap_or("call_tool"),
            );
        }
        layer
    });
    let service = ServiceBuilder::new()
        .option_layer(layers.trace.then(TraceLayer::new))
        .option_layer(rate_limit)
        .option_layer(tool_search)
        .option_layer(filter)
        .option_layer(cache)
        .option_layer(
            layers
                .timeout_ms
                .map(|ms| tower::timeout::TimeoutLayer::new(Duration::from_millis(ms))),
        )
        // One error type at every level, as each optional layer's `Either` needs.
        .map_err(Into::<turret_core::BoxError>::into)
        .service(router);
    boxed(service)
}
