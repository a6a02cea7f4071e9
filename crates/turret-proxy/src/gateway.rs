//! Many backends behind one server: each proxied and mounted under its name, watched, and
//! retried with backoff while it is down.

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use turret_core::{resource_fn, Router};

use crate::backend::Backend;
use crate::config::{ConfigError, McpServers};
use crate::service::Proxy;
use crate::status::{BackendState, BackendStatus};

/// The URI of a gateway's status resource: every backend's [`BackendStatus`], as JSON.
pub const STATUS_URI: &str = "turret://gateway/status";

/// How often a backend that is up is looked at (to notice it went down).
const WATCH_INTERVAL: Duration = Duration::from_secs(1);

/// Builds a [`Router`] that mounts one [`Proxy`] per backend under the backend's name.
///
/// One backend that fails to start or dies does not take the others down: its tools,
/// resources and prompts disappear from the lists, it is retried with backoff in the
/// background, its clients are told the lists changed when it is back, and its state is in
/// the resource [`STATUS_URI`].
///
/// ```no_run
/// use turret_proxy::config::McpServers;
/// use turret_proxy::Gateway;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let config = McpServers::from_file("mcp.json")?;
/// let router = Gateway::from_config(&config)?.into_router();
/// turret_transport::serve_stdio(router).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Default)]
pub struct Gateway {
    proxies: Vec<(String, Proxy)>,
}

impl Gateway {
    /// A gateway with no backends yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A gateway of every server in an `mcpServers` file.
    ///
    /// # Errors
    /// An entry that does not describe a usable backend.
    pub fn from_config(config: &McpServers) -> Result<Self, ConfigError> {
        Ok(config
            .backends()?
            .into_iter()
            .fold(Self::new(), |g, (name, backend)| g.backend(name, backend)))
    }

    /// Adds a backend under `name`, proxied with the defaults (lists hidden while it is
    /// down; a session's own backend session starts when it first uses the backend, see
    /// [`ProxyBuilder::lazy_sessions`](crate::ProxyBuilder::lazy_sessions)).
    pub fn backend(self, name: impl Into<String>, backend: Backend) -> Self {
        let name = name.into();
        let proxy = Proxy::builder(name.clone(), backend)
            .hide_when_down(true)
            .lazy_sessions(true)
            .build();
        self.proxy(name, proxy)
    }

    /// Adds an already configured proxy under `name`.
    pub fn proxy(mut self, name: impl Into<String>, proxy: Proxy) -> Self {
        self.proxies.push((name.into(), proxy));
        self
    }

    /// Every backend's name and proxy, in the order they were added (to watch them from
    /// elsewhere: a readiness probe, metrics).
    pub fn proxies(&self) -> impl Iterator<Item = (&str, &Proxy)> {
        self.proxies
            .iter()
            .map(|(name, proxy)| (name.as_str(), proxy))
    }

    /// The state of every backend, in the order they were added.
    pub fn statuses(&self) -> Vec<BackendStatus> {
        self.proxies.iter().map(|(_, p)| p.status()).collect()
    }

    /// The server: every backend mounted under its name, the status resource, and the
    /// background watch that starts with the router.
    pub fn into_router(self) -> Router {
        let proxies: Arc<[Proxy]> = self.proxies.iter().map(|(_, p)| p.clone()).collect();
        let watchers: Arc<Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let status = {
            let proxies = proxies.clone();
            resource_fn(move || {
                let statuses: Vec<BackendStatus> = proxies.iter().map(Proxy::status).collect();
                async move { serde_json::to_string_pretty(&statuses).unwrap_or_default() }
            })
            .name("gateway-status")
            .description("The state of every backend of this gateway")
            .mime_type("application/json")
        };
        let start = {
            let proxies = proxies.clone();
            let watchers = watchers.clone();
            move || {
                let mut handles = watchers.lock().unwrap_or_else(|e| e.into_inner());
                for proxy in proxies.iter() {
                    handles.push(tokio::spawn(watch(proxy.downgrade())).abort_handle());
                }
                async { Ok(()) }
            }
        };
        let stop = move || {
            for handle in watchers.lock().unwrap_or_else(|e| e.into_inner()).drain(..) {
                handle.abort();
            }
            async { Ok(()) }
        };
        let router = Router::new()
            .name("turret-gateway")
            .resource(STATUS_URI, status)
            .on_startup(start)
            .on_shutdown(stop);
        self.proxies
            .into_iter()
            .fold(router, |router, (name, proxy)| router.mount(name, proxy))
    }
}

/// Connects to the backend, and again whenever it is down and its backoff has passed.
/// Ends when the proxy is gone.
async fn watch(proxy: Weak<crate::service::Shared>) {
    loop {
        let Some(proxy) = Proxy::upgrade(&proxy) else {
            return;
        };
        let wait = match proxy.status().state {
            BackendState::Down { retry_in_ms, .. } if retry_in_ms > 0 => {
                Duration::from_millis(retry_in_ms)
            }
            BackendState::Up if proxy.status().connections > 0 => WATCH_INTERVAL,
            _ => match proxy.connect().await {
                Err(e) => {
                    tracing::debug!(error = %e, "gateway backend still unavailable");
                    continue;
                }
                // A backend that ends every connection at once is not retried in a loop.
                Ok(()) => WATCH_INTERVAL,
            },
        };
        drop(proxy);
        tokio::time::sleep(wait).await;
    }
}
