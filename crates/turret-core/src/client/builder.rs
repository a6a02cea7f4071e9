//! [`ClientBuilder`]: who the client is, which era it speaks, how it answers the server.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use turret_types::{
    ClientCapabilities, CreateMessageRequestParams, CreateMessageResult, ElicitRequestParams,
    ElicitResult, Implementation, ListRootsResult, LoggingLevel,
};

use super::driver::Driver;
use super::era::{Era, Negotiation};
use super::exchange::Scopes;
use super::handler::{Callbacks, ClientHandler};
use super::outgoing::Identity;
use super::{mrtr, Client, Inner, Tasks};
use crate::error::McpError;
use crate::session::connection::Connection;
use crate::transport::Transport;

/// Configures and connects a [`Client`]; start with [`Client::builder`].
///
/// ```no_run
/// use std::time::Duration;
/// use turret_core::client::{Client, Era};
/// use turret_core::types::{
///     ContentBlock, CreateMessageResult, Implementation, Role, SamplingContent,
/// };
/// use turret_core::Transport;
///
/// async fn connect(transport: Transport) -> Result<Client, turret_core::McpError> {
///     Client::builder()
///         .info(Implementation::new("my-app", "1.0.0"))
///         .era(Era::Auto)
///         .probe_timeout(Duration::from_secs(1))
///         .on_sampling(|params| async move {
///             let asked = params.messages.len();
///             Ok(CreateMessageResult {
///                 role: Role::Assistant,
///                 content: SamplingContent::One(ContentBlock::text(format!("{asked} messages seen"))),
///                 model: "none".into(),
///                 stop_reason: None,
///                 meta: None,
///                 extra: Default::default(),
///             })
///         })
///         .connect(transport)
///         .await
/// }
/// ```
#[must_use = "a builder does nothing until `connect` is called"]
#[derive(Clone)]
pub struct ClientBuilder {
    info: Implementation,
    capabilities: ClientCapabilities,
    era: Era,
    probe_timeout: Duration,
    log_level: Option<LoggingLevel>,
    callbacks: Callbacks,
    input_rounds: usize,
    notification_capacity: usize,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("info", &self.info)
            .field("capabilities", &self.capabilities)
            .field("era", &self.era)
            .field("probe_timeout", &self.probe_timeout)
            .field("log_level", &self.log_level)
            .field("input_rounds", &self.input_rounds)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientBuilder {
    /// A builder with the defaults: identity `turret-client`, no capabilities, [`Era::Auto`]
    /// with a 3 s probe timeout, no callbacks, 8 `input_required` rounds, 256 buffered
    /// notifications per subscriber.
    pub fn new() -> Self {
        Self {
            info: Implementation::new("turret-client", env!("CARGO_PKG_VERSION")),
            capabilities: ClientCapabilities::default(),
            era: Era::Auto,
            probe_timeout: Duration::from_secs(3),
            log_level: None,
            callbacks: Callbacks::default(),
            input_rounds: mrtr::DEFAULT_ROUNDS,
            notification_capacity: 256,
        }
    }

    /// The client's name and version, as the server sees them.
    pub fn info(mut self, info: Implementation) -> Self {
        self.info = info;
        self
    }

    /// The capabilities the client declares. The `on_*` callbacks add theirs on top.
    pub fn capabilities(mut self, capabilities: ClientCapabilities) -> Self {
        self.capabilities = capabilities;
        self
    }

    /// How the protocol era is chosen (default [`Era::Auto`]).
    pub fn era(mut self, era: Era) -> Self {
        self.era = era;
        self
    }

    /// How long the `server/discover` probe waits for an answer (default 3 s). Past it,
    /// [`Era::Auto`] takes the server for a legacy one and sends `initialize` (a modern server
    /// that merely started slowly refuses that with -32022, and the client then probes again
    /// without a limit); [`Era::Sessionless`] fails. Raise it for servers that start slowly.
    pub fn probe_timeout(mut self, timeout: Duration) -> Self {
        self.probe_timeout = timeout;
        self
    }

    /// The log level asked of the server: sent with `logging/setLevel` after the handshake,
    /// or carried in every request's `_meta` on 2026-07-28.
    pub fn log_level(mut self, level: LoggingLevel) -> Self {
        self.log_level = Some(level);
        self
    }

    /// The handler for server requests that no `on_*` callback takes.
    pub fn handler(mut self, handler: impl ClientHandler) -> Self {
        self.callbacks.fallback = Arc::new(handler);
        self
    }

    /// Answers `sampling/createMessage` with `f`, and declares the `sampling` capability.
    pub fn on_sampling<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(CreateMessageRequestParams) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<CreateMessageResult, McpError>> + Send + 'static,
    {
        self.callbacks.sampling = Some(Arc::new(move |p| Box::pin(f(p))));
        self.capabilities
            .sampling
            .get_or_insert_with(Default::default);
        self
    }

    /// Answers `elicitation/create` with `f`, and declares the `elicitation` capability.
    pub fn on_elicitation<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(ElicitRequestParams) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<ElicitResult, McpError>> + Send + 'static,
    {
        self.callbacks.elicitation = Some(Arc::new(move |p| Box::pin(f(p))));
        self.capabilities
            .elicitation
            .get_or_insert_with(Default::default);
        self
    }

    /// Answers `roots/list` with `f`, and declares the `roots` capability.
    pub fn on_roots<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<ListRootsResult, McpError>> + Send + 'static,
    {
        self.callbacks.roots = Some(Arc::new(move || Box::pin(f())));
        self.capabilities.roots.get_or_insert_with(Default::default);
        self
    }

    /// How many `input_required` rounds (2026-07-28) the client answers for one request
    /// before it fails it (default 8). With `0` the client answers none and returns the
    /// `input_required` result to the caller (for a proxy that forwards them).
    pub fn input_rounds(mut self, rounds: usize) -> Self {
        self.input_rounds = rounds;
        self
    }

    /// How many notifications each [`Client::notifications`] subscriber may fall behind
    /// before it misses some (default 256).
    pub fn notification_capacity(mut self, capacity: usize) -> Self {
        self.notification_capacity = capacity.max(1);
        self
    }

    /// Starts the connection over `transport` and settles the protocol era with the server
    /// (see [`Era`]). Needs a tokio runtime.
    ///
    /// Fails if the server does not answer as the era requires, or chooses a protocol version
    /// this client does not speak; the transport is closed then. Only the `server/discover`
    /// probe has a time limit ([`probe_timeout`](Self::probe_timeout)): to bound the whole
    /// connection, wrap this future in `tokio::time::timeout`.
    pub async fn connect(self, transport: Transport) -> Result<Client, McpError> {
        let (incoming, sink) = transport.into_parts();
        let (conn, writer) = Connection::start(sink);
        let stop = CancellationToken::new();
        let closed = CancellationToken::new();
        let (notifications, _) = broadcast::channel(self.notification_capacity);
        let handler = Arc::new(self.callbacks);
        let scopes = Arc::new(Scopes::default());

        let driver = tokio::spawn(
            Driver {
                incoming,
                conn: conn.clone(),
                handler: handler.clone(),
                notifications: notifications.clone(),
                scopes: scopes.clone(),
                stop: stop.clone(),
                closed: closed.clone(),
            }
            .run(),
        );
        // A broken write side makes the connection useless: stop reading too.
        let writer_stop = stop.clone();
        let writer_abort = writer.abort_handle();
        let writer = tokio::spawn(async move {
            let result = writer
                .await
                .unwrap_or_else(|e| Err(std::io::Error::other(e)));
            if let Err(e) = &result {
                tracing::debug!(error = %e, "writing to the server failed");
                writer_stop.cancel();
            }
            result
        });

        let identity = Identity {
            info: self.info,
            capabilities: self.capabilities,
        };
        let negotiated = Negotiation {
            conn: &conn,
            closed: &closed,
            identity: &identity,
            probe_timeout: self.probe_timeout,
        }
        .run(self.era)
        .await;
        let negotiated = match negotiated {
            Ok(n) => n,
            Err(e) => {
                stop.cancel();
                return Err(e);
            }
        };
        let client = Client {
            inner: Arc::new(Inner {
                conn: RwLock::new(Some(conn)),
                negotiated,
                identity,
                log_level: Mutex::new(None),
                handler,
                notifications,
                scopes,
                input_rounds: self.input_rounds,
                stop,
                closed,
                tasks: Mutex::new(Some(Tasks {
                    driver,
                    writer,
                    writer_abort,
                })),
            }),
        };
        if let Some(level) = self.log_level {
            // A server without logging may refuse the level; that should not fail the connection.
            if let Err(e) = client.set_log_level(level).await {
                tracing::warn!(error = %e, "the server refused the log level");
            }
        }
        Ok(client)
    }
}
