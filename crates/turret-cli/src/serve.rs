//! `turret serve` and `turret proxy`: a server on stdio or streamable HTTP, with a startup
//! summary, graceful shutdown on Ctrl-C or `SIGTERM`, and config reload on `SIGHUP`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use tower::Layer as _;
use turret_core::McpService;
use turret_proxy::{Backend, Proxy};
use turret_transport::streamable_http::{serve, StreamableHttpConfig, StreamableHttpService};

use crate::cli::{ListenArgs, ProxyArgs, ServeArgs};
use crate::config::{build, AuthConfig, LoadedConfig, Transport};
use crate::probes::{Probes, Watched};
use crate::reload::{boxed, Reloadable};

/// Where a server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listen {
    /// stdin/stdout.
    Stdio,
    /// Streamable HTTP.
    Http {
        /// The address.
        addr: SocketAddr,
        /// The MCP endpoint's path.
        path: String,
        /// What replicas share.
        sharing: Sharing,
        /// The largest request body accepted (`None`: the endpoint's default, 4 MiB).
        max_body: Option<usize>,
    },
}

/// What the replicas of an HTTP endpoint share.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Sharing {
    /// Nothing: one process keeps its sessions.
    #[default]
    Nothing,
    /// Sessions and stream events, in the Redis at this URL.
    Redis(String),
    /// Nothing, since handshake-era clients get no sessions.
    Stateless,
}

impl Sharing {
    fn from_flags(redis: Option<&String>, stateless: bool) -> Option<Self> {
        match (redis, stateless) {
            (Some(url), _) => Some(Self::Redis(url.clone())),
            (None, true) => Some(Self::Stateless),
            (None, false) => None,
        }
    }

    /// The endpoint's configuration for this sharing.
    async fn config(&self) -> std::io::Result<StreamableHttpConfig> {
        let config = StreamableHttpConfig::new();
        Ok(match self {
            Self::Nothing => config,
            Self::Stateless => config.stateless(),
            Self::Redis(url) => {
                use turret_transport::streamable_http::replicas::Relay as _;
                let store = turret_redis::RedisStore::connect(url)
                    .await
                    .map_err(std::io::Error::other)?;
                tracing::info!(node = store.node(), "sharing sessions through {url}");
                config.replicated(store)
            }
        })
    }
}

/// Where servers listen unless told otherwise: loopback only.
pub const DEFAULT_ADDR: SocketAddr = SocketAddr::V4(std::net::SocketAddrV4::new(
    std::net::Ipv4Addr::LOCALHOST,
    3000,
));

impl Listen {
    /// The command line's choice, else `fallback`.
    pub fn resolve(args: &ListenArgs, fallback: Listen) -> Listen {
        if args.stdio {
            return Listen::Stdio;
        }
        let flags = Sharing::from_flags(args.redis.as_ref(), args.stateless);
        match (args.http, fallback) {
            // --redis and --stateless are for HTTP; a stdio server has one client.
            (None, Listen::Stdio) => Listen::Stdio,
            (Some(addr), Listen::Stdio) => Listen::Http {
                addr,
                path: "/mcp".into(),
                sharing: flags.unwrap_or_default(),
                max_body: None,
            },
            (
                addr,
                Listen::Http {
                    addr: fallback_addr,
                    path,
                    sharing,
                    max_body,
                },
            ) => Listen::Http {
                addr: addr.unwrap_or(fallback_addr),
                path,
                sharing: flags.unwrap_or(sharing),
                max_body,
            },
        }
    }

    /// Streamable HTTP at `127.0.0.1:3000/mcp`, nothing shared, default limits.
    pub(crate) fn http_default() -> Listen {
        Listen::Http {
            addr: DEFAULT_ADDR,
            path: "/mcp".into(),
            sharing: Sharing::Nothing,
            max_body: None,
        }
    }
}

/// Runs `turret serve`.
pub async fn serve_command(args: ServeArgs) -> ExitCode {
    let Some(path) = args.config else {
        let listen = Listen::resolve(&args.listen, Listen::http_default());
        let summary = vec![
            "the built-in demo (no config given)".to_owned(),
            "local: add, echo, demo://about, tour".to_owned(),
            "weather: a mounted router".to_owned(),
            "todos: generated from an OpenAPI spec, calling an in-process axum app".to_owned(),
        ];
        let service = Reloadable::new(boxed(crate::demo::demo()));
        return report(run(service, listen, &summary, None, &Probes::default()).await);
    };
    let loaded = match LoadedConfig::load(&path) {
        Ok(loaded) => loaded,
        Err(e) => return fail(e),
    };
    let built = match build(&loaded).await {
        Ok(built) => built,
        Err(e) => return fail(e),
    };
    let fallback = match &loaded.config.listen {
        Some(l) if l.transport == Transport::Stdio => Listen::Stdio,
        Some(l) => Listen::Http {
            addr: l.address.unwrap_or(DEFAULT_ADDR),
            path: l.path.clone().unwrap_or_else(|| "/mcp".into()),
            sharing: Sharing::from_flags(l.redis.as_ref(), l.stateless).unwrap_or_default(),
            max_body: l.max_body_bytes,
        },
        None => Listen::http_default(),
    };
    let listen = Listen::resolve(&args.listen, fallback);
    let service = Reloadable::new(built.service);
    let probes = built.probes.clone();
    spawn_reloader(path, service.clone(), built.router, probes.clone());
    let auth = loaded.config.auth.as_ref();
    report(run(service, listen, &built.summary, auth, &probes).await)
}

/// Runs `turret proxy`.
pub async fn proxy_command(args: ProxyArgs) -> ExitCode {
    let (backend, fallback) = match (&args.url, args.target.command.split_first()) {
        (Some(url), None) => (Backend::url(url), Listen::Stdio),
        (None, Some((program, rest))) => {
            (Backend::command(program).args(rest), Listen::http_default())
        }
        _ => {
            eprintln!("turret proxy: give the backend as a URL, or as a command after --");
            return ExitCode::from(2);
        }
    };
    let summary = vec![format!("a proxy of {backend}")];
    let listen = Listen::resolve(&args.listen, fallback);
    let proxy = Proxy::new("backend", backend);
    let probes = Probes::new(vec![Watched {
        proxy: proxy.clone(),
        required: true,
    }]);
    report(run(proxy, listen, &summary, None, &probes).await)
}

/// Serves `service` until stdin closes (stdio) or Ctrl-C / `SIGTERM` (HTTP), behind bearer
/// tokens if `auth` says so (HTTP only: a stdio server's caller is whoever started it),
/// with the health and readiness `probes` beside it over HTTP (outside the auth: an
/// orchestrator probes without a token).
pub async fn run<S: McpService>(
    service: S,
    listen: Listen,
    summary: &[String],
    auth: Option<&AuthConfig>,
    probes: &Probes,
) -> std::io::Result<()> {
    match listen {
        Listen::Stdio => {
            for line in summary {
                tracing::info!("{line}");
            }
            if auth.is_some() {
                tracing::warn!("[auth] applies to HTTP only; serving stdio without it");
            }
            tracing::info!("serving on stdio");
            turret_transport::serve_stdio(service).await
        }
        Listen::Http {
            addr,
            path,
            sharing,
            max_body,
        } => {
            let mut config = sharing.config().await?;
            if let Some(bytes) = max_body {
                config = config.max_body_bytes(bytes);
            }
            let mcp = StreamableHttpService::with_config(service, config);
            let app = axum::Router::new().route_service(&path, mcp.clone());
            let listener = tokio::net::TcpListener::bind(addr).await?;
            let url = format!("http://{}{path}", listener.local_addr()?);
            let auth = auth
                .map(|config| crate::auth::layer(config, &url))
                .transpose()
                .map_err(std::io::Error::other)?;
            for line in summary {
                tracing::info!("{line}");
            }
            if auth.is_some() {
                tracing::info!("bearer tokens required (OAuth 2.1 resource server)");
            }
            // Tools and tests read the URL from this line.
            eprintln!("turret: serving {url}");
            let stop = async move {
                shutdown_signal().await;
                tracing::info!("shutting down");
                mcp.shutdown();
            };
            let probes = probes.routes();
            match auth {
                Some(auth) => {
                    let app = probes.fallback_service(auth.layer(app));
                    serve(listener, app, stop).await
                }
                None => serve(listener, probes.merge(app), stop).await,
            }
        }
    }
}

/// Ctrl-C, or `SIGTERM` on Unix.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Reloads the config on `SIGHUP`: live sessions stay, later requests reach the new
/// gateway, and clients are told every list may have changed. A config that no longer
/// loads leaves the running one in place.
fn spawn_reloader(path: PathBuf, service: Reloadable, router: turret_core::Router, probes: Probes) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            return;
        };
        let mut current = router;
        while hup.recv().await.is_some() {
            let built = match LoadedConfig::load(&path) {
                Ok(loaded) => build(&loaded).await,
                Err(e) => Err(e),
            };
            match built {
                Ok(built) => {
                    service.replace(built.service);
                    probes.replace(&built.probes);
                    let old = std::mem::replace(&mut current, built.router);
                    let notifier = old.notifier();
                    notifier.tools_changed().await;
                    notifier.resources_changed().await;
                    notifier.prompts_changed().await;
                    tracing::info!(config = %path.display(), "reloaded");
                }
                Err(e) => {
                    tracing::error!(error = %e, "reload failed; still serving the previous config")
                }
            }
        }
    });
    #[cfg(not(unix))]
    let _ = (path, service, router, probes);
}

fn fail(error: impl std::fmt::Display) -> ExitCode {
    eprintln!("turret: {error}");
    ExitCode::from(2)
}

fn report(result: std::io::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}
