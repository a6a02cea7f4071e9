//! Backend connections by [`SessionPolicy`]: which frontend request uses which backend
//! session, reconnecting when one has ended, and backing off when the backend cannot be
//! reached.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use turret_core::client::ClientBuilder;
use turret_core::router::Notifier;
use turret_core::session::RootsChanges;
use turret_core::{Client, McpError, Peer, RequestContext};

use crate::backend::Backend;
use crate::link::{Audience, Link};
use crate::session_questions::SessionQuestions;

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

/// The client backend sessions connect with.
#[derive(Debug)]
pub(crate) struct BackendClient {
    pub(crate) builder: ClientBuilder,
    /// Whether a backend session for one frontend session declares what that session's
    /// client declared (the default client), rather than the builder's capabilities.
    pub(crate) mirror: bool,
}

/// Where a frontend request's backend connection comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Shared,
    Session(String),
}

/// A connection slot: connecting happens under its lock, so racing requests wait for one.
type Slot = Arc<tokio::sync::Mutex<Option<(Link, Peer)>>>;

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
    slots: Mutex<HashMap<Key, Slot>>,
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
        policy: SessionPolicy,
        notifier: Notifier,
        backoff: Duration,
        timeout: Option<Duration>,
    ) -> Self {
        Self {
            name,
            backend,
            client,
            policy,
            notifier,
            slots: Mutex::default(),
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
        let slots: Vec<Slot> = lock(&self.slots).values().cloned().collect();
        slots
            .iter()
            .filter(|s| {
                s.try_lock()
                    .map(|g| g.as_ref().is_some_and(|(l, _)| l.is_alive()))
                    .unwrap_or(true)
            })
            .count()
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

    /// The connection `ctx`'s request goes through, connecting if there is none (or it
    /// ended). With [`SessionPolicy::PerRequest`] the caller owns a fresh one.
    pub(crate) async fn link(&self, ctx: &RequestContext) -> Result<Link, McpError> {
        if self.policy == SessionPolicy::PerRequest {
            let peer = ctx.session_peer().clone();
            return self.connect(Some(ctx), |_| Audience::Session(peer)).await;
        }
        let key = self.key(ctx);
        let slot = {
            let mut slots = lock(&self.slots);
            if !slots.contains_key(&key) {
                Self::sweep(&mut slots);
            }
            slots.entry(key.clone()).or_default().clone()
        };
        let mut guard = slot.lock().await;
        if let Some((link, _)) = guard.as_ref().filter(|(l, _)| l.is_alive()) {
            return Ok(link.clone());
        }
        let shared = key == Key::Shared;
        let peer = ctx.session_peer().clone();
        let notifier = self.notifier.clone();
        let frontend = (!shared).then_some(ctx);
        let link = self
            .connect(frontend, move |client| {
                if shared || client.protocol_version().is_sessionless() {
                    Audience::All(notifier)
                } else {
                    Audience::Session(peer)
                }
            })
            .await?;
        if link.client().protocol_version().is_sessionless() && key != Key::Shared {
            // No session state to keep apart: this one connection serves everyone.
            self.sessionless
                .store(true, std::sync::atomic::Ordering::Relaxed);
            let slot = lock(&self.slots).entry(Key::Shared).or_default().clone();
            if let Ok(mut shared) = slot.try_lock() {
                if shared.as_ref().is_none_or(|(l, _)| !l.is_alive()) {
                    *shared = Some((link.clone(), Peer::detached()));
                }
            };
        }
        *guard = Some((link.clone(), ctx.session_peer().clone()));
        Ok(link)
    }

    /// Forgets a connection that failed, so the next request reconnects.
    pub(crate) fn evict(&self, ctx: &RequestContext) {
        let key = self.key(ctx);
        if let Some(slot) = lock(&self.slots).get(&key) {
            if let Ok(mut guard) = slot.try_lock() {
                guard.take();
            }
        }
    }

    /// Drops the connections of frontend sessions that have ended.
    fn sweep(slots: &mut HashMap<Key, Slot>) {
        slots.retain(|key, slot| {
            *key == Key::Shared
                || slot
                    .try_lock()
                    .map(|g| g.as_ref().is_none_or(|(_, peer)| !peer.is_closed()))
                    .unwrap_or(true)
        });
    }

    /// The client a backend session connects with: for one frontend session (with the
    /// default client), one that declares what that session's client declared, asks that
    /// session what the backend asks outside any request, and tells the backend when the
    /// client's roots change.
    fn client_for(
        &self,
        frontend: Option<&RequestContext>,
    ) -> (ClientBuilder, Option<RootsChanges>) {
        let builder = self.client.builder.clone();
        match frontend.filter(|_| self.client.mirror) {
            Some(ctx) => (
                builder
                    .capabilities(ctx.capabilities().clone())
                    .handler(SessionQuestions(ctx.session_peer().clone())),
                ctx.roots_changes(),
            ),
            None => (builder, None),
        }
    }

    /// Opens a new backend connection (for `frontend`'s session, or shared with `None`),
    /// unless the backend failed recently (then the last error comes back at once, until
    /// the backoff has passed).
    pub(crate) async fn connect(
        &self,
        frontend: Option<&RequestContext>,
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
            let (client, roots) = self.client_for(frontend);
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
