//! [`StreamableHttpConfig`]: what the endpoint accepts and how it answers.

use std::sync::Arc;
use std::time::Duration;

use crate::request_body::BodyLimit;

use super::event_store::{EventStore, MemoryEventStore};
use super::replicas::{Relay, SessionStore};

/// How a POST that carries a request is answered.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResponseMode {
    /// JSON when the handler only returns a result; SSE as soon as it sends a notification
    /// or a request to the client first (the default).
    #[default]
    Auto,
    /// Always one JSON object (notifications sent while handling are dropped).
    Json,
    /// Always an SSE stream.
    Sse,
}

/// Configuration of a [`StreamableHttpService`](super::StreamableHttpService), built with
/// chained methods.
///
/// The defaults suit a server on the local machine: only `localhost`, `127.0.0.1` and
/// `[::1]` are accepted as `Host` and `Origin` (DNS-rebinding protection); add the names a
/// deployment is reached by with [`allow_host`](Self::allow_host) and
/// [`allow_origin`](Self::allow_origin).
#[derive(Clone)]
pub struct StreamableHttpConfig {
    pub(crate) allowed_hosts: Vec<String>,
    pub(crate) allowed_origins: Vec<String>,
    pub(crate) any_host: bool,
    pub(crate) any_origin: bool,
    pub(crate) max_body: usize,
    pub(crate) drain_bytes: u64,
    pub(crate) drain_for: Duration,
    pub(crate) max_depth: usize,
    pub(crate) max_in_flight: usize,
    pub(crate) response: ResponseMode,
    pub(crate) sessions: bool,
    pub(crate) standalone_stream: bool,
    pub(crate) sse_retry: Option<Duration>,
    pub(crate) keep_alive: Option<Duration>,
    pub(crate) session_idle: Duration,
    pub(crate) event_store: Arc<dyn EventStore>,
    pub(crate) replicas: Option<Replicas>,
}

/// The shared state of replicated endpoints.
#[derive(Clone)]
pub(crate) struct Replicas {
    pub(crate) sessions: Arc<dyn SessionStore>,
    pub(crate) relay: Arc<dyn Relay>,
}

impl std::fmt::Debug for StreamableHttpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamableHttpConfig")
            .field("allowed_hosts", &self.allowed_hosts)
            .field("allowed_origins", &self.allowed_origins)
            .field("max_body", &self.max_body)
            .field("drain_bytes", &self.drain_bytes)
            .field("drain_for", &self.drain_for)
            .field("max_depth", &self.max_depth)
            .field("max_in_flight", &self.max_in_flight)
            .field("response", &self.response)
            .field("sessions", &self.sessions)
            .field("standalone_stream", &self.standalone_stream)
            .field("sse_retry", &self.sse_retry)
            .field("keep_alive", &self.keep_alive)
            .field("session_idle", &self.session_idle)
            .field("replicated", &self.replicas.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for StreamableHttpConfig {
    fn default() -> Self {
        Self {
            allowed_hosts: vec!["localhost".into(), "127.0.0.1".into(), "[::1]".into()],
            allowed_origins: Vec::new(),
            any_host: false,
            any_origin: false,
            max_body: 4 * 1024 * 1024,
            drain_bytes: BodyLimit::new(0).drain_bytes,
            drain_for: BodyLimit::new(0).drain_for,
            max_depth: 64,
            max_in_flight: turret_core::MAX_IN_FLIGHT,
            response: ResponseMode::Auto,
            sessions: true,
            standalone_stream: true,
            sse_retry: Some(Duration::from_millis(1000)),
            keep_alive: Some(Duration::from_secs(15)),
            session_idle: Duration::from_secs(30 * 60),
            event_store: Arc::new(MemoryEventStore::default()),
            replicas: None,
        }
    }
}

impl StreamableHttpConfig {
    /// The defaults (see the type's docs).
    pub fn new() -> Self {
        Self::default()
    }

    /// Accepts requests whose `Host` names `host` (without port), besides the local names.
    pub fn allow_host(mut self, host: impl Into<String>) -> Self {
        self.allowed_hosts.push(host.into().to_ascii_lowercase());
        self
    }

    /// Accepts any `Host` (when a proxy in front already checks it).
    pub fn allow_any_host(mut self) -> Self {
        self.any_host = true;
        self
    }

    /// Accepts browser requests from `origin` (`scheme://host[:port]`), besides local ones.
    pub fn allow_origin(mut self, origin: impl Into<String>) -> Self {
        self.allowed_origins
            .push(origin.into().to_ascii_lowercase());
        self
    }

    /// Accepts any `Origin`. Only for endpoints that authenticate every request.
    pub fn allow_any_origin(mut self) -> Self {
        self.any_origin = true;
        self
    }

    /// The largest request body accepted (default 4 MiB). A larger one is answered `413` with
    /// a JSON-RPC error (`-32600`, the limit in `data.maxBytes`), and the rest of it is read
    /// and discarded (see [`drain_oversized`](Self::drain_oversized)) so that the client,
    /// still writing, can read that answer.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// How much of an oversized body is read and thrown away after its `413`, at most
    /// (default 64 MiB or 5 s, whichever comes first); past that the connection is closed.
    /// A client that writes its whole body before reading the answer sees the `413` when the
    /// body fits within this bound; `0` closes at once. Bodies sent after
    /// `Expect: 100-continue` are never drained: such a client gets the `413` first.
    pub fn drain_oversized(mut self, bytes: u64, within: Duration) -> Self {
        self.drain_bytes = bytes;
        self.drain_for = within;
        self
    }

    /// The body limits, as the request readers take them.
    pub(crate) fn body_limit(&self) -> BodyLimit {
        BodyLimit {
            max: self.max_body,
            drain_bytes: self.drain_bytes,
            drain_for: self.drain_for,
        }
    }

    /// The most requests one session may have in flight (default
    /// [`MAX_IN_FLIGHT`](turret_core::MAX_IN_FLIGHT), 256); more are answered `429` with
    /// JSON-RPC error `-32000` until some finish. Sessionless (2026-07-28) requests are bounded
    /// per server instead, with tower's `ConcurrencyLimitLayer`.
    pub fn max_requests_in_flight(mut self, limit: usize) -> Self {
        self.max_in_flight = limit;
        self
    }

    /// The deepest JSON nesting accepted (default 64).
    pub fn max_json_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }

    /// How requests are answered (default [`ResponseMode::Auto`]).
    pub fn response_mode(mut self, mode: ResponseMode) -> Self {
        self.response = mode;
        self
    }

    /// Whether handshake-era clients get a session id (default on). Without sessions the
    /// server is stateless on that era too: no standalone stream, no resumption.
    pub fn sessions(mut self, on: bool) -> Self {
        self.sessions = on;
        self
    }

    /// Serves handshake-era clients without sessions, as 2026-07-28 clients are served:
    /// every POST stands alone and is answered with JSON, so any replica behind a load
    /// balancer can answer any request with nothing shared. The price: no server→client
    /// requests (sampling, elicitation, roots), no standalone stream, no resumption, no
    /// progress or log notifications.
    pub fn stateless(self) -> Self {
        self.sessions(false)
            .response_mode(ResponseMode::Json)
            .standalone_stream(false)
    }

    /// Whether GET opens the standalone server→client stream (default on; off answers 405).
    pub fn standalone_stream(mut self, on: bool) -> Self {
        self.standalone_stream = on;
        self
    }

    /// The reconnection delay announced on SSE streams (default 1 s; `None` sends none).
    pub fn sse_retry(mut self, retry: Option<Duration>) -> Self {
        self.sse_retry = retry;
        self
    }

    /// How often idle SSE streams get a keep-alive comment (default 15 s).
    pub fn keep_alive(mut self, every: Option<Duration>) -> Self {
        self.keep_alive = every;
        self
    }

    /// How long a session may stay unused before it ends (default 30 minutes).
    pub fn session_idle_timeout(mut self, idle: Duration) -> Self {
        self.session_idle = idle;
        self
    }

    /// Where events of resumable streams are kept (default: bounded, in memory).
    pub fn event_store(mut self, store: Arc<dyn EventStore>) -> Self {
        self.event_store = store;
        self
    }

    /// Shares handshake-era sessions with other replicas of this endpoint through `store`
    /// (sessions, stream events and the relay between replicas; see
    /// [`replicas`](super::replicas)), so a load balancer may send any request to any replica.
    /// The `turret-redis` crate's store is one.
    pub fn replicated<T>(self, store: Arc<T>) -> Self
    where
        T: SessionStore + EventStore + Relay,
    {
        self.replicated_with(store.clone(), store.clone(), store)
    }

    /// [`replicated`](Self::replicated), with each part from its own store.
    pub fn replicated_with(
        mut self,
        sessions: Arc<dyn SessionStore>,
        events: Arc<dyn EventStore>,
        relay: Arc<dyn Relay>,
    ) -> Self {
        self.event_store = events;
        self.replicas = Some(Replicas { sessions, relay });
        self
    }
}
