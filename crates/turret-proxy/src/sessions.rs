//! Backend connections by [`SessionPolicy`]: which frontend request uses which backend
//! session, reconnecting when one has ended, and backing off when the backend cannot be
//! reached.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use turret_core::client::ClientBuilder;
use turret_core::router::Notifier;
use turret_core::session::RootsChanges;
use turret_core::{Client, McpError, Peer, RequestContext};

use crate::backend::Backend;
use crate::link::{Audience, Link};
use crate::session_questions::SessionQuestions;
use crate::slots::{sweep_until_gone, Entry, Key, Slots, MAX_LISTINGS};

/// Which backend session a frontend request goes through.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SessionPolicy {
    /// One backend session per frontend session (the default): the backend sees each
    /// client's log level, subscriptions and state apart, as if connected directly.
    /// Sessionless (2026-07-28) requests, and backends that turn out to be sessionless,
    /// share one connection, since there is no session state to keep apart.
    #[default]
    PerSession,
    /// One backend session for everyone.
    Shared,
    /// A new backend session for each request, closed after it (slow; for backends that
    /// must not keep state between calls).
    PerRequest,
}

/// What a request needs of the backend connection it goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Use {
    /// The session's own (calls, reads, subscriptions: anything that may touch session
    /// state at the backend).
    Own,
    /// The session's own if it has one, else a listing connection for its capabilities.
    List,
    /// Any connection (the backend's identity and capabilities, a ping).
    Any,
}

/// How backend sessions are kept (see the [`ProxyBuilder`](crate::ProxyBuilder) options of
/// the same names).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SessionSettings {
    pub(crate) policy: SessionPolicy,
    pub(crate) backoff: Duration,
    /// The proxy's request timeout, which also bounds connecting.
    pub(crate) timeout: Option<Duration>,
    pub(crate) idle: Option<Duration>,
    pub(crate) lazy: bool,
}

/// The client backend sessions connect with.
#[derive(Debug)]
pub(crate) struct BackendClient {
    pub(crate) builder: ClientBuilder,
    /// Whether a backend session for one frontend session declares what that session's
    /// client declared (the default client), rather than the builder's capabilities.
    pub(crate) mirror: bool,
}

/// Whether the backend can be reached, as far as the last attempt tells.
#[derive(Debug, Clone, Default)]
pub(crate) struct Health {
    pub(crate) failures: u32,
    pub(crate) last_error: Option<String>,
    pub(crate) retry_at: Option<Instant>,
    pub(crate) connected_once: bool,
}

/// The longest wait between attempts at a backend that is down.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

pub(crate) struct Sessions {
    pub(crate) name: String,
    backend: Backend,
    client: BackendClient,
    policy: SessionPolicy,
    notifier: Notifier,
    slots: Arc<Slots>,
    /// Closes connections nobody uses (see [`Slots::sweep`]); started with the first.
    sweeper: std::sync::OnceLock<tokio::task::AbortHandle>,
    /// How long a connection may go unused before it is closed (`None`: as long as its
    /// frontend session lives).
    idle: Option<Duration>,
    /// Whether a session's own connection waits for a request that needs it.
    lazy: bool,
    /// Set once a backend answered on the sessionless era: every request shares then.
    sessionless: std::sync::atomic::AtomicBool,
    health: Mutex<Health>,
    backoff: Duration,
    /// The proxy's request timeout, which also bounds connecting.
    timeout: Option<Duration>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Sessions {
    pub(crate) fn new(
        name: String,
        backend: Backend,
        client: BackendClient,
        notifier: Notifier,
        settings: SessionSettings,
    ) -> Self {
        let SessionSettings {
            policy,
            backoff,
            timeout,
            idle,
            lazy,
        } = settings;
        Self {
            name,
            backend,
            client,
            policy,
            notifier,
            slots: Arc::default(),
            sweeper: std::sync::OnceLock::new(),
            idle,
            lazy,
            sessionless: Default::default(),
            health: Mutex::default(),
            backoff,
            timeout,
        }
    }

    pub(crate) fn health(&self) -> Health {
        lock(&self.health).clone()
    }

    pub(crate) fn policy(&self) -> SessionPolicy {
        self.policy
    }

    /// How many backend connections are open.
    pub(crate) fn open_connections(&self) -> usize {
        self.slots.count(|_| true)
    }

    /// How many backend connections serve one frontend session each.
    pub(crate) fn session_connections(&self) -> usize {
        self.slots.count(|k| matches!(k, Key::Session(_)))
    }

    fn key(&self, ctx: &RequestContext) -> Key {
        let sessionless = ctx.version().is_sessionless()
            || self.sessionless.load(std::sync::atomic::Ordering::Relaxed);
        match self.policy {
            SessionPolicy::PerSession if !sessionless => Key::Session(match ctx.session_id() {
                Some(id) => format!("id:{id}"),
                None => format!("peer:{}", ctx.session_peer().id()),
            }),
            _ => Key::Shared,
        }
    }

    /// Where a request of `kind` from `ctx`'s session goes: a session's first connection is
    /// made by its first request that needs one, so a session that only lists a backend, or
    /// never uses it, starts no process of its own for it.
    fn route(&self, ctx: &RequestContext, kind: Use) -> Key {
        let key = self.key(ctx);
        if !self.lazy || !matches!(key, Key::Session(_)) || kind == Use::Own || self.slots.has(&key)
        {
            return key;
        }
        match kind {
            Use::Any => Key::Shared,
            _ => {
                let listing = Key::Listing(if self.client.mirror {
                    serde_json::to_string(ctx.capabilities()).unwrap_or_default()
                } else {
                    String::new()
                });
                if self.slots.has(&listing) || self.slots.listings() < MAX_LISTINGS {
                    listing
                } else {
                    key
                }
            }
        }
    }

    /// The connection `ctx`'s request goes through, connecting if there is none (or it
    /// ended). With [`SessionPolicy::PerRequest`] the caller owns a fresh one.
    pub(crate) async fn link(&self, ctx: &RequestContext, kind: Use) -> Result<Link, McpError> {
        if self.policy == SessionPolicy::PerRequest {
            let peer = ctx.session_peer().clone();
            return self.connect(Some(ctx), |_| Audience::Session(peer)).await;
        }
        self.sweeper.get_or_init(|| {
            let sweep = sweep_until_gone(Arc::downgrade(&self.slots), self.idle);
            tokio::spawn(sweep).abort_handle()
        });
        let key = self.route(ctx, kind);
        let slot = self.slots.slot(&key);
        let mut guard = slot.lock().await;
        if let Some(entry) = guard.as_mut().filter(|e| e.link.is_alive()) {
            entry.used = Instant::now();
            return Ok(entry.link.clone());
        }
        let own = matches!(key, Key::Session(_));
        let peer = ctx.session_peer().clone();
        let notifier = self.notifier.clone();
        let (frontend, listing) = match key {
            Key::Session(_) => (Some(ctx), false),
            Key::Listing(_) => (Some(ctx), true),
            Key::Shared => (None, false),
        };
        let link = self
            .connect_as(frontend, listing, move |client| {
                if own && !client.protocol_version().is_sessionless() {
                    Audience::Session(peer)
                } else {
                    Audience::All(notifier)
                }
            })
            .await?;
        if link.client().protocol_version().is_sessionless() && key != Key::Shared {
            // No session state to keep apart: this one connection serves everyone.
            self.sessionless
                .store(true, std::sync::atomic::Ordering::Relaxed);
            let slot = self.slots.slot(&Key::Shared);
            if let Ok(mut shared) = slot.try_lock() {
                if shared.as_ref().is_none_or(|e| !e.link.is_alive()) {
                    *shared = Some(Entry {
                        link: link.clone(),
                        peer: Peer::detached(),
                        used: Instant::now(),
                    });
                }
            };
        }
        *guard = Some(Entry {
            link: link.clone(),
            peer: ctx.session_peer().clone(),
            used: Instant::now(),
        });
        Ok(link)
    }

    /// Forgets a connection that failed, so the next request reconnects.
    pub(crate) fn evict(&self, link: &Link) {
        self.slots.evict(link);
    }

    /// The client a backend connection connects with. For one frontend session (with the
    /// default client): one that declares what that session's client declared, asks that
    /// session what the backend asks outside any request, and tells the backend when the
    /// client's roots change. For the lists of sessions declaring the same: one that
    /// declares that.
    fn client_for(
        &self,
        frontend: Option<&RequestContext>,
        listing: bool,
    ) -> (ClientBuilder, Option<RootsChanges>) {
        let builder = self.client.builder.clone();
        match frontend.filter(|_| self.client.mirror) {
            Some(ctx) if listing => (builder.capabilities(ctx.capabilities().clone()), None),
            Some(ctx) => (
                builder
                    .capabilities(ctx.capabilities().clone())
                    .handler(SessionQuestions(ctx.session_peer().clone())),
                ctx.roots_changes(),
            ),
            None => (builder, None),
        }
    }

    /// Opens a new backend connection for `frontend`'s session (or shared, with `None`).
    pub(crate) async fn connect(
        &self,
        frontend: Option<&RequestContext>,
        audience: impl FnOnce(&Client) -> Audience,
    ) -> Result<Link, McpError> {
        self.connect_as(frontend, false, audience).await
    }

    /// Opens a new backend connection, unless the backend failed recently (then the last
    /// error comes back at once, until the backoff has passed).
    async fn connect_as(
        &self,
        frontend: Option<&RequestContext>,
        listing: bool,
        audience: impl FnOnce(&Client) -> Audience,
    ) -> Result<Link, McpError> {
        if let Some(error) = self.backing_off() {
            return Err(error);
        }
        let attempt = async {
            let (transport, child) = self
                .backend
                .open()
                .await
                .map_err(|e| format!("could not start {}: {e}", self.backend))?;
            let (client, roots) = self.client_for(frontend, listing);
            let handshake = client.connect(transport);
            // Bounded too: a backend stuck before answering `initialize` would otherwise
            // hold the request, and every request waiting on this slot, forever.
            let connected = match self.timeout {
                None => handshake.await,
                Some(limit) => tokio::time::timeout(limit, handshake).await.map_err(|_| {
                    format!(
                        "{} did not complete the MCP handshake within {} ms",
                        self.backend,
                        limit.as_millis()
                    )
                })?,
            };
            let client = connected.map_err(|e| {
                format!(
                    "{} did not complete the MCP handshake: {}",
                    self.backend,
                    e.message()
                )
            })?;
            let audience = audience(&client);
            Ok::<_, String>(Link::new(client, child, audience, roots))
        };
        match attempt.await {
            Ok(link) => {
                let recovered = {
                    let mut health = lock(&self.health);
                    let recovered = health.failures > 0 && health.connected_once;
                    *health = Health {
                        connected_once: true,
                        ..Health::default()
                    };
                    recovered
                };
                if recovered {
                    tracing::info!(backend = %self.name, "backend reachable again");
                    self.notifier.tools_changed().await;
                    self.notifier.resources_changed().await;
                    self.notifier.prompts_changed().await;
                }
                Ok(link)
            }
            Err(reason) => {
                let mut health = lock(&self.health);
                health.failures += 1;
                let exp = health.failures.saturating_sub(1).min(16);
                let wait = self.backoff.saturating_mul(1 << exp).min(MAX_BACKOFF);
                health.retry_at = Some(Instant::now() + wait);
                health.last_error = Some(reason.clone());
                tracing::warn!(backend = %self.name, error = %reason, retry_in = ?wait, "backend unreachable");
                Err(self.unreachable(&reason))
            }
        }
    }

    fn backing_off(&self) -> Option<McpError> {
        let health = lock(&self.health);
        let retry_at = health.retry_at?;
        let left = retry_at.checked_duration_since(Instant::now())?;
        let reason = health.last_error.clone().unwrap_or_default();
        Some(self.unreachable(&format!("{reason}; retrying in {} ms", left.as_millis())))
    }

    fn unreachable(&self, reason: &str) -> McpError {
        McpError::internal(format!("backend {} is unavailable: {reason}", self.name))
    }
}
