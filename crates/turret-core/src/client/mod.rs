//! The client side: a connection to a server, as a `tower::Service`.
//!
//! A [`Client`] is a cheap-to-clone handle over one connection. It implements
//! `Service<ClientRequest, Response = ServerResult, Error = McpError>`, so stock tower layers
//! (timeout, concurrency limit, retry, buffer…) wrap it unchanged, and it has async methods
//! for the common calls ([`list_tools`](Client::list_tools), [`call_tool`](Client::call_tool),
//! [`read_resource`](Client::read_resource), [`get_prompt`](Client::get_prompt)…).
//!
//! * **Eras.** [`ClientBuilder::connect`] settles the protocol era ([`Era`]): the sessionless
//!   2026-07-28 revision when the server speaks it, else the `initialize` handshake. On
//!   2026-07-28 every request carries the protocol version, client capabilities and client
//!   identity in `_meta`; the client adds them.
//! * **Server requests.** Sampling, elicitation and roots requests are answered by the
//!   [`ClientHandler`] (or the builder's `on_*` closures) on both eras: as JSON-RPC requests
//!   on the handshake era, and as the `input_required` rounds of 2026-07-28, which the client
//!   answers and retries on its own, so callers only see final results.
//! * **Notifications** (progress, log messages, list changes) go to every
//!   [`notifications`](Client::notifications) subscriber.
//! * **Cancellation.** Dropping a request's future before it completes (for instance under
//!   tower's `Timeout`) sends `notifications/cancelled` for it.
//!
//! ```no_run
//! use serde_json::json;
//! use turret_core::client::Client;
//! use turret_core::Transport;
//!
//! async fn run(transport: Transport) -> Result<(), Box<dyn std::error::Error>> {
//!     let client = Client::builder().connect(transport).await?;
//!     println!("connected with {}", client.protocol_version());
//!     for tool in client.list_tools().await? {
//!         println!("{}", tool.name);
//!     }
//!     let result = client.call_tool("add", json!({"a": 1, "b": 2})).await?;
//!     println!("{:?}", result.content);
//!     client.close().await?;
//!     Ok(())
//! }
//! ```

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex, RwLock};
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde_json::Value;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tower_service::Service;
use turret_types::{
    CallToolRequestParams, CallToolResult, ClientNotification, ClientRequest,
    CompleteRequestParams, Completion, CompletionArgument, CompletionReference, EmptyParams,
    GetPromptRequestParams, GetPromptResult, Implementation, JsonRpcNotification, LoggingLevel,
    PaginatedRequestParams, Prompt, ProtocolVersion, ReadResourceRequestParams, ReadResourceResult,
    Resource, ResourceTemplate, ServerCapabilities, ServerNotification, ServerResult,
    SetLevelRequestParams, Tool,
};

use crate::error::McpError;
use crate::session::connection::Connection;

mod builder;
mod driver;
mod era;
mod exchange;
mod handler;
mod mrtr;
mod outgoing;

pub use builder::ClientBuilder;
pub use era::Era;
pub use exchange::{Exchange, ExchangeEvent, IncomingRequest, Responder};
pub use handler::ClientHandler;

use era::Negotiated;
use exchange::{ScopeTx, Scopes};
use handler::{Answerer, ErasedHandler};
use outgoing::{closed_error, round_trip, Identity, OnDrop};

/// A connection to an MCP server, as a cloneable `tower::Service` (see the
/// [module docs](self)).
///
/// Clones share the connection. When the last clone is dropped the connection closes; call
/// [`close`](Self::close) to close it explicitly and wait until the transport is closed.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

/// The background tasks of one connection.
struct Tasks {
    driver: JoinHandle<()>,
    writer: JoinHandle<std::io::Result<()>>,
    /// Aborts the connection's own writer task (which `writer` watches).
    writer_abort: tokio::task::AbortHandle,
}

struct Inner {
    /// Taken out by `close`, so no new request starts.
    conn: RwLock<Option<Connection>>,
    negotiated: Negotiated,
    identity: Identity,
    /// The level sent in `_meta` on 2026-07-28.
    log_level: Mutex<Option<LoggingLevel>>,
    handler: Arc<dyn ErasedHandler>,
    notifications: broadcast::Sender<ServerNotification>,
    scopes: Arc<Scopes>,
    input_rounds: usize,
    stop: CancellationToken,
    closed: CancellationToken,
    tasks: Mutex<Option<Tasks>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The last handle is gone: stop the read loop, which closes the connection.
        self.stop.cancel();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("protocol_version", &self.inner.negotiated.version)
            .field("server", &self.inner.negotiated.server_info.name)
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

/// How long [`Client::close`] waits for queued messages to be written.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

impl Client {
    /// A builder with the defaults (see [`ClientBuilder::new`]).
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// The protocol revision in use.
    pub fn protocol_version(&self) -> ProtocolVersion {
        self.inner.negotiated.version
    }

    /// The server's name and version (from `initialize`, or from `server/discover`'s
    /// `_meta`; empty if the server did not say).
    pub fn server_info(&self) -> &Implementation {
        &self.inner.negotiated.server_info
    }

    /// What the server offers.
    pub fn server_capabilities(&self) -> &ServerCapabilities {
        &self.inner.negotiated.capabilities
    }

    /// The server's guidance for the model, if any.
    pub fn instructions(&self) -> Option<&str> {
        self.inner.negotiated.instructions.as_deref()
    }

    /// Whether the connection has ended (closed by either side).
    pub fn is_closed(&self) -> bool {
        self.inner.closed.is_cancelled()
    }

    /// Waits until the connection has ended (closed by either side).
    pub async fn closed(&self) {
        self.inner.closed.cancelled().await
    }

    /// Subscribes to the server's notifications (progress, log messages, list changes,
    /// resource updates, cancellations…).
    ///
    /// A `tokio::sync::broadcast` receiver: each subscriber sees every notification that
    /// arrives after it subscribed (subscribe before the request whose notifications you
    /// want). A subscriber that falls more than the
    /// [capacity](ClientBuilder::notification_capacity) behind gets `RecvError::Lagged` and
    /// misses the oldest ones; `RecvError::Closed` means the connection ended.
    pub fn notifications(&self) -> broadcast::Receiver<ServerNotification> {
        self.inner.notifications.subscribe()
    }

    /// Sends any request and waits for its final result (what [`Service::call`] does).
    pub async fn request(&self, request: ClientRequest) -> Result<ServerResult, McpError> {
        self.inner.clone().send(request, None).await
    }

    /// Sends a request and hands back what the server sends about it as it runs: its
    /// requests of the client (sampling, elicitation, roots, on either era), its progress
    /// (with the caller's own token) and log messages, then the result. For callers that
    /// relay that traffic, such as a proxy; see [`Exchange`] for how messages are matched to
    /// exchanges.
    ///
    /// ```no_run
    /// use futures_util::StreamExt as _;
    /// use turret_core::client::{Client, ExchangeEvent};
    /// use turret_core::types::ClientRequest;
    ///
    /// # async fn run(client: Client, request: ClientRequest) {
    /// let mut exchange = client.exchange(request);
    /// while let Some(event) = exchange.next().await {
    ///     match event {
    ///         ExchangeEvent::Notification(n) => println!("{}", n.method()),
    ///         ExchangeEvent::Request(r) => r.respond(Err(turret_core::McpError::internal("no"))),
    ///         ExchangeEvent::Done(result) => println!("{result:?}"),
    ///     }
    /// }
    /// # }
    /// ```
    pub fn exchange(&self, mut request: ClientRequest) -> Exchange {
        let (guard, scope, events) = self.inner.scopes.open(&mut request);
        let call = Box::pin(self.inner.clone().send(request, Some(scope)));
        Exchange::new(events, call, guard)
    }

    /// Every tool, following `nextCursor` through all pages.
    pub async fn list_tools(&self) -> Result<Vec<Tool>, McpError> {
        self.list_all(ClientRequest::ListTools, |r| match r {
            ServerResult::ListTools(r) => Ok((r.tools, r.next_cursor)),
            other => Err(unexpected("tools/list", &other)),
        })
        .await
    }

    /// Calls a tool. `arguments` is a JSON object (a `serde_json::Value` or a `JsonObject`),
    /// or `Value::Null` for none.
    ///
    /// A tool that ran and failed is not an error here: the result has `is_error` set.
    pub async fn call_tool(
        &self,
        name: impl Into<String>,
        arguments: impl Into<Value>,
    ) -> Result<CallToolResult, McpError> {
        let arguments = match arguments.into() {
            Value::Null => None,
            Value::Object(o) => Some(o),
            other => {
                return Err(McpError::invalid_params(format!(
                    "tool arguments must be a JSON object, not {other}"
                )))
            }
        };
        let params = CallToolRequestParams {
            name: name.into(),
            arguments,
            ..Default::default()
        };
        match self.request(ClientRequest::CallTool(params)).await? {
            ServerResult::CallTool(r) => Ok(r),
            other => Err(unexpected("tools/call", &other)),
        }
    }

    /// Every resource, following `nextCursor` through all pages.
    pub async fn list_resources(&self) -> Result<Vec<Resource>, McpError> {
        self.list_all(ClientRequest::ListResources, |r| match r {
            ServerResult::ListResources(r) => Ok((r.resources, r.next_cursor)),
            other => Err(unexpected("resources/list", &other)),
        })
        .await
    }

    /// Every resource template, following `nextCursor` through all pages.
    pub async fn list_resource_templates(&self) -> Result<Vec<ResourceTemplate>, McpError> {
        self.list_all(ClientRequest::ListResourceTemplates, |r| match r {
            ServerResult::ListResourceTemplates(r) => Ok((r.resource_templates, r.next_cursor)),
            other => Err(unexpected("resources/templates/list", &other)),
        })
        .await
    }

    /// Reads a resource.
    pub async fn read_resource(
        &self,
        uri: impl Into<String>,
    ) -> Result<ReadResourceResult, McpError> {
        let params = ReadResourceRequestParams {
            uri: uri.into(),
            ..Default::default()
        };
        match self.request(ClientRequest::ReadResource(params)).await? {
            ServerResult::ReadResource(r) => Ok(r),
            other => Err(unexpected("resources/read", &other)),
        }
    }

    /// Every prompt, following `nextCursor` through all pages.
    pub async fn list_prompts(&self) -> Result<Vec<Prompt>, McpError> {
        self.list_all(ClientRequest::ListPrompts, |r| match r {
            ServerResult::ListPrompts(r) => Ok((r.prompts, r.next_cursor)),
            other => Err(unexpected("prompts/list", &other)),
        })
        .await
    }

    /// Gets a prompt. `arguments` is a JSON object of strings (`json!({"topic": "rust"})`),
    /// or `Value::Null` for none.
    pub async fn get_prompt(
        &self,
        name: impl Into<String>,
        arguments: impl Into<Value>,
    ) -> Result<GetPromptResult, McpError> {
        let arguments = match arguments.into() {
            Value::Null => None,
            Value::Object(o) => Some(
                o.into_iter()
                    .map(|(k, v)| match v {
                        Value::String(s) => Ok((k, s)),
                        other => Err(McpError::invalid_params(format!(
                            "prompt argument {k:?} must be a string, not {other}"
                        ))),
                    })
                    .collect::<Result<_, _>>()?,
            ),
            other => {
                return Err(McpError::invalid_params(format!(
                    "prompt arguments must be a JSON object of strings, not {other}"
                )))
            }
        };
        let params = GetPromptRequestParams {
            name: name.into(),
            arguments,
            ..Default::default()
        };
        match self.request(ClientRequest::GetPrompt(params)).await? {
            ServerResult::GetPrompt(r) => Ok(r),
            other => Err(unexpected("prompts/get", &other)),
        }
    }

    /// Asks the server to complete the argument `name` of a prompt or resource template,
    /// given what the user typed so far (`value`).
    pub async fn complete(
        &self,
        reference: CompletionReference,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<Completion, McpError> {
        let params = CompleteRequestParams {
            reference,
            argument: CompletionArgument {
                name: name.into(),
                value: value.into(),
            },
            context: None,
            meta: None,
            extra: Default::default(),
        };
        match self.request(ClientRequest::Complete(params)).await? {
            ServerResult::Complete(r) => Ok(r.completion),
            other => Err(unexpected("completion/complete", &other)),
        }
    }

    /// Sets the level of log messages the server sends: `logging/setLevel` on the handshake
    /// era; on 2026-07-28 the level rides in the `_meta` of every later request.
    pub async fn set_log_level(&self, level: LoggingLevel) -> Result<(), McpError> {
        *lock(&self.inner.log_level) = Some(level);
        if self.protocol_version().is_sessionless() {
            return Ok(());
        }
        let params = SetLevelRequestParams {
            level,
            meta: None,
            extra: Default::default(),
        };
        self.request(ClientRequest::SetLevel(params))
            .await
            .map(drop)
    }

    /// Checks that the server is alive (handshake era only: 2026-07-28 has no `ping`).
    pub async fn ping(&self) -> Result<(), McpError> {
        self.handshake_only("ping")?;
        self.request(ClientRequest::Ping(EmptyParams::default()))
            .await
            .map(drop)
    }

    /// Tells the server the client's roots changed (handshake era only: on 2026-07-28 the
    /// server asks for roots when it needs them).
    pub async fn notify_roots_list_changed(&self) -> Result<(), McpError> {
        self.handshake_only("notifications/roots/list_changed")?;
        let n = ClientNotification::RootsListChanged(EmptyParams::default());
        let conn = self.connection()?;
        let message = JsonRpcNotification {
            method: n.method().to_owned(),
            params: n.params_value(),
        };
        if conn.send(message.into()).await {
            Ok(())
        } else {
            Err(closed_error())
        }
    }

    /// Closes the connection: no new request starts, requests still waiting fail, queued
    /// messages are written (for up to 5 s), and the transport's sink is closed (for a child
    /// process that closes its stdin, the graceful shutdown signal of stdio). Every clone
    /// sees the connection closed. Closing twice is harmless.
    ///
    /// The error is the transport's, if writing or closing failed; a server that had already
    /// gone (a broken pipe) is not an error.
    pub async fn close(&self) -> std::io::Result<()> {
        let conn = self
            .inner
            .conn
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        drop(conn);
        self.inner.stop.cancel();
        let Some(tasks) = lock(&self.inner.tasks).take() else {
            return Ok(());
        };
        let _ = tasks.driver.await;
        let mut writer = tasks.writer;
        let result = match tokio::time::timeout(CLOSE_GRACE, &mut writer).await {
            Ok(joined) => joined.unwrap_or_else(|e| Err(std::io::Error::other(e))),
            Err(_) => {
                // The transport does not take what is queued (a server that stopped reading):
                // drop the sink unflushed.
                tasks.writer_abort.abort();
                writer.abort();
                Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("the transport took no more messages for {CLOSE_GRACE:?}; closed it unflushed"),
                ))
            }
        };
        match result {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        }
    }

    fn connection(&self) -> Result<Connection, McpError> {
        self.inner.connection()
    }

    fn handshake_only(&self, method: &str) -> Result<(), McpError> {
        if self.protocol_version().is_sessionless() {
            return Err(McpError::invalid_request(format!(
                "{method} does not exist on protocol {}; it is part of the handshake era only",
                self.protocol_version()
            )));
        }
        Ok(())
    }

    async fn list_all<T>(
        &self,
        make: impl Fn(PaginatedRequestParams) -> ClientRequest,
        take: impl Fn(ServerResult) -> Result<(Vec<T>, Option<String>), McpError>,
    ) -> Result<Vec<T>, McpError> {
        let mut items = Vec::new();
        let mut cursor = None;
        let mut seen = HashSet::new();
        loop {
            let request = make(PaginatedRequestParams {
                cursor: cursor.take(),
                ..Default::default()
            });
            let method = request.method().to_owned();
            let (page, next) = take(self.request(request).await?)?;
            items.extend(page);
            match next {
                None => return Ok(items),
                Some(next) if !seen.insert(next.clone()) => {
                    return Err(McpError::internal(format!(
                        "the server returned the cursor {next:?} of {method} twice; stopped paging to avoid a loop"
                    )))
                }
                Some(next) => cursor = Some(next),
            }
        }
    }
}

fn unexpected(method: &str, got: &ServerResult) -> McpError {
    let kind = match got {
        ServerResult::InputRequired(_) => "input_required (the client answered no more rounds)",
        ServerResult::Empty(_) => "an empty result",
        _ => "a result of another kind",
    };
    McpError::internal(format!("the server answered {method} with {kind}"))
}

impl Inner {
    fn connection(&self) -> Result<Connection, McpError> {
        self.conn
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .filter(|_| !self.closed.is_cancelled())
            .ok_or_else(closed_error)
    }

    /// One request through to its final result: `_meta` on 2026-07-28, and the
    /// `input_required` rounds answered and retried.
    async fn send(
        self: Arc<Self>,
        mut request: ClientRequest,
        scope: Option<ScopeTx>,
    ) -> Result<ServerResult, McpError> {
        let conn = self.connection()?;
        let version = self.negotiated.version;
        if version.is_sessionless() {
            let level = *lock(&self.log_level);
            self.identity.stamp(&mut request, version, level);
        }
        let mut rounds = 0;
        loop {
            let method = request.method().to_owned();
            let value = round_trip(
                &conn,
                &self.closed,
                &method,
                request.params_value(),
                OnDrop::Cancel,
            )
            .await?;
            let result = ServerResult::from_value(&method, value).map_err(|e| {
                McpError::internal(format!("the server's answer to {method} is malformed: {e}"))
            })?;
            let ServerResult::InputRequired(input) = result else {
                return Ok(result);
            };
            if self.input_rounds == 0 {
                return Ok(ServerResult::InputRequired(input));
            }
            if rounds == self.input_rounds {
                return Err(McpError::internal(format!(
                    "the server still asked for input after {rounds} rounds of {method}; giving up"
                )));
            }
            rounds += 1;
            let answerer = match &scope {
                Some(scope) => Answerer::Exchange(scope.clone()),
                None => Answerer::Handler(self.handler.clone()),
            };
            mrtr::prepare_retry(&answerer, &mut request, input).await?;
        }
    }
}

impl Service<ClientRequest> for Client {
    type Response = ServerResult;
    type Error = McpError;
    type Future = BoxFuture<'static, Result<ServerResult, McpError>>;

    /// Always ready: requests queue on the connection's writer.
    fn poll_ready(&mut self, _cx: &mut TaskContext<'_>) -> Poll<Result<(), McpError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: ClientRequest) -> Self::Future {
        Box::pin(self.inner.clone().send(request, None))
    }
}

// A client is shared across tasks and handed to tower layers that need `Send + Sync`.
const _: fn() = || {
    fn shared<T: Clone + Send + Sync + 'static>() {}
    shared::<Client>();
    shared::<ClientBuilder>();
};
