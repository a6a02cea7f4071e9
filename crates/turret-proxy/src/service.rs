//! [`Proxy`]: the service that forwards every request to the backend.

use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use futures_util::future::BoxFuture;
use tower_service::Service;
use turret_core::client::{ClientBuilder, Era};
use turret_core::mrtr::InputCollector;
use turret_core::param_headers::{self, ParamHeaders};
use turret_core::router::{is_lifespan_signal, Notifier};
use turret_core::{Client, Context, McpError, Request, RequestContext};
use turret_types::meta::SERVER_INFO_KEY;
use turret_types::{
    ClientCapabilities, ClientRequest, DiscoverResult, EmptyResult, ErrorCode, Implementation,
    InitializeResult, Meta, ProtocolVersion, ServerResult,
};

use crate::backend::Backend;
use crate::forward::{adapt_meta, exchange};
use crate::sessions::{BackendClient, SessionPolicy, SessionSettings, Sessions, Use};
use crate::status::BackendStatus;

/// An MCP server that forwards everything to a backend server (see the
/// [crate docs](crate)): a `tower::Service<Request>`, cheap to clone.
///
/// * Lists, calls, reads, prompts, completion, subscriptions, `logging/setLevel`, `ping` and
///   methods it does not know are forwarded as they are; lists are live.
/// * The backend's requests (sampling, elicitation, roots), progress and log messages reach
///   the frontend request that caused them, across eras: a handshake-era backend's sampling
///   request becomes an `input_required` result for a 2026-07-28 client, and the call runs
///   again when the client retries with the answer (so, as for any 2026-07-28 handler, a
///   backend tool should be safe to repeat up to its question).
/// * List changes and resource updates reach the frontend clients.
/// * Dropping a request (the frontend cancelled, or a timeout) cancels it at the backend.
/// * Errors pass through unchanged; a backend that cannot be reached, hangs past the
///   [timeout](ProxyBuilder::timeout) or dies gives an error naming it.
///
/// ```no_run
/// use turret_proxy::{Backend, Proxy};
///
/// # async fn run() -> std::io::Result<()> {
/// // A stdio server, bridged to stdio (wrap it in layers, mount it, serve it over HTTP…).
/// let proxy = Proxy::new("weather", Backend::command("weather-server"));
/// turret_transport::serve_stdio(proxy).await
/// # }
/// ```
#[derive(Clone)]
pub struct Proxy {
    shared: Arc<Shared>,
}

pub(crate) struct Shared {
    sessions: Sessions,
    notifier: Notifier,
    timeout: Option<Duration>,
    hide_when_down: bool,
    cache_lists: bool,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("name", &self.shared.sessions.name)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Proxy`].
#[derive(Debug)]
pub struct ProxyBuilder {
    name: String,
    backend: Backend,
    client: ClientBuilder,
    mirror: bool,
    policy: SessionPolicy,
    timeout: Option<Duration>,
    backoff: Duration,
    idle: Option<Duration>,
    lazy: bool,
    hide_when_down: bool,
    cache_lists: bool,
}

impl ProxyBuilder {
    /// The client the proxy connects with (era, probe timeout, identity…), declaring the
    /// same capabilities and answering with the same callbacks for every backend session.
    ///
    /// Without it, a backend session that serves one frontend session
    /// ([`SessionPolicy::PerSession`] and [`PerRequest`](SessionPolicy::PerRequest))
    /// declares exactly what that frontend's client declared, so the backend offers what it
    /// would offer that client directly (a tool that needs sampling stays hidden from a
    /// client without it; URL-mode elicitation shows for a client with it). The backend's
    /// requests outside any frontend request (a `roots/list` after `initialized`) are asked
    /// of that frontend session, and the client's `notifications/roots/list_changed` reach
    /// the backend. A shared backend session (sessionless clients, [`SessionPolicy::Shared`])
    /// declares sampling, elicitation and roots, which the proxy relays within requests.
    pub fn client(mut self, client: ClientBuilder) -> Self {
        self.client = client;
        self.mirror = false;
        self
    }

    /// The protocol era to speak with the backend (default [`Era::Auto`]: 2026-07-28 when
    /// the backend speaks it).
    pub fn backend_era(mut self, era: Era) -> Self {
        self.client = self.client.era(era);
        self
    }

    /// Which backend session each frontend request uses (default
    /// [`SessionPolicy::PerSession`]).
    pub fn session_policy(mut self, policy: SessionPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// How long one forwarded request may take, backend round trips and relayed questions
    /// included (default 60 s). Past it the request fails with `-32001` and is cancelled at
    /// the backend. Connecting to the backend (starting it and its MCP handshake) has the
    /// same limit; past it the backend counts as unavailable.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// No time limit on forwarded requests.
    pub fn no_timeout(mut self) -> Self {
        self.timeout = None;
        self
    }

    /// The first wait before trying a backend that could not be reached again (default
    /// 500 ms); it doubles with each failure, up to 30 s. Requests in between fail at once.
    pub fn backoff(mut self, first: Duration) -> Self {
        self.backoff = first;
        self
    }

    /// Closes a backend connection (and stops its process) once it has gone unused for
    /// `idle`, so that clients that vanish without ending their session (no HTTP `DELETE`)
    /// do not keep backends running until their session expires. The next request of
    /// that session connects again, to a fresh backend session. Default: none, a
    /// connection lives as long as its frontend session (and is closed within a second of
    /// that session's end).
    pub fn idle_timeout(mut self, idle: Duration) -> Self {
        self.idle = Some(idle);
        self
    }

    /// Starts a frontend session's own backend session (for a stdio backend, its process)
    /// only with its first request that may touch session state (a call, a read, a
    /// subscription…), instead of with its first request of any kind. Until then the
    /// session's lists come from a connection shared by the sessions whose clients declared
    /// the same capabilities, and `initialize` and `ping` from the shared one. For a
    /// backend among many that most sessions never use ([`Gateway`](crate::Gateway) turns
    /// it on); default off.
    pub fn lazy_sessions(mut self, lazy: bool) -> Self {
        self.lazy = lazy;
        self
    }

    /// While the backend is unavailable, answer lists with nothing instead of an error: its
    /// primitives disappear, and a parent router that mounts it keeps serving the others.
    pub fn hide_when_down(mut self, hide: bool) -> Self {
        self.hide_when_down = hide;
        self
    }

    /// Answers list requests from the backend's earlier answers until it announces that the
    /// list changed, instead of forwarding each (default: lists are live). For backends that
    /// send `list_changed` notifications.
    pub fn cache_lists(mut self, cache: bool) -> Self {
        self.cache_lists = cache;
        self
    }

    /// The proxy.
    pub fn build(self) -> Proxy {
        let notifier = Notifier::default();
        Proxy {
            shared: Arc::new(Shared {
                sessions: Sessions::new(
                    self.name,
                    self.backend,
                    BackendClient {
                        builder: self.client,
                        mirror: self.mirror,
                    },
                    notifier.clone(),
                    SessionSettings {
                        policy: self.policy,
                        backoff: self.backoff,
                        timeout: self.timeout,
                        idle: self.idle,
                        lazy: self.lazy,
                    },
                ),
                notifier,
                timeout: self.timeout,
                hide_when_down: self.hide_when_down,
                cache_lists: self.cache_lists,
            }),
        }
    }
}

/// The proxy's default client: it relays every kind of server request.
fn relaying_client() -> ClientBuilder {
    Client::builder()
        .info(Implementation::new(
            "turret-proxy",
            env!("CARGO_PKG_VERSION"),
        ))
        .capabilities(ClientCapabilities {
            sampling: Some(Default::default()),
            elicitation: Some(Default::default()),
            roots: Some(Default::default()),
            ..Default::default()
        })
}

impl Proxy {
    /// A proxy of `backend` with the defaults; `name` names it in errors, logs and status.
    pub fn new(name: impl Into<String>, backend: Backend) -> Self {
        Self::builder(name, backend).build()
    }

    /// A builder for a proxy of `backend`.
    pub fn builder(name: impl Into<String>, backend: Backend) -> ProxyBuilder {
        ProxyBuilder {
            name: name.into(),
            backend,
            client: relaying_client(),
            mirror: true,
            policy: SessionPolicy::default(),
            timeout: Some(Duration::from_secs(60)),
            backoff: Duration::from_millis(500),
            idle: None,
            lazy: false,
            hide_when_down: false,
            cache_lists: false,
        }
    }

    pub(crate) fn downgrade(&self) -> std::sync::Weak<Shared> {
        Arc::downgrade(&self.shared)
    }

    pub(crate) fn upgrade(weak: &std::sync::Weak<Shared>) -> Option<Self> {
        weak.upgrade().map(|shared| Self { shared })
    }

    /// The notifier that tells this proxy's clients about the backend's changes.
    pub fn notifier(&self) -> &Notifier {
        &self.shared.notifier
    }

    /// What is known about the backend now.
    pub fn status(&self) -> BackendStatus {
        BackendStatus::new(&self.shared.sessions)
    }

    /// Connects to the backend now (a shared connection) instead of on the first request,
    /// so that [`status`](Self::status) tells whether it can be reached.
    ///
    /// # Errors
    /// The error a request would get if the backend cannot be reached.
    pub async fn connect(&self) -> Result<(), McpError> {
        let ctx = RequestContext::new(ProtocolVersion::LATEST, turret_core::Peer::detached());
        self.shared.sessions.link(&ctx, Use::Any).await.map(drop)
    }

    /// Asks the backend whether it answers now (a `ping`, or `server/discover` on
    /// 2026-07-28) through the shared connection, connecting if there is none; a connection
    /// that no longer answers within `limit` is dropped and made again, so that
    /// [`status`](Self::status) tells what is true now. A readiness probe's question: an
    /// HTTP backend that went away is otherwise noticed only by the next request.
    ///
    /// # Errors
    /// The error a request would get if the backend cannot be reached.
    pub async fn check(&self, limit: Duration) -> Result<(), McpError> {
        let ctx = RequestContext::new(ProtocolVersion::LATEST, turret_core::Peer::detached());
        let sessions = &self.shared.sessions;
        let link = sessions.link(&ctx, Use::Any).await?;
        let client = link.client();
        let asked = async {
            if client.protocol_version().is_sessionless() {
                let discover = ClientRequest::Discover(Default::default());
                client.request(discover).await.map(drop)
            } else {
                client.ping().await
            }
        };
        if let Ok(Ok(())) = tokio::time::timeout(limit, asked).await {
            return Ok(());
        }
        sessions.evict(&link);
        drop(link);
        let again = tokio::time::timeout(limit, sessions.link(&ctx, Use::Any));
        again
            .await
            .map_err(|_| {
                McpError::internal(format!(
                    "backend {} did not answer within {} ms",
                    sessions.name,
                    limit.as_millis()
                ))
            })?
            .map(drop)
    }
}

impl Service<Request> for Proxy {
    type Response = ServerResult;
    type Error = McpError;
    type Future = BoxFuture<'static, Result<ServerResult, McpError>>;

    /// Always ready: backpressure is the backend connection's.
    fn poll_ready(&mut self, _: &mut TaskContext<'_>) -> Poll<Result<(), McpError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let shared = self.shared.clone();
        Box::pin(async move { shared.handle(req).await })
    }
}

impl Shared {
    async fn handle(&self, req: Request) -> Result<ServerResult, McpError> {
        if is_lifespan_signal(&req) {
            return Ok(ServerResult::Empty(EmptyResult::default()));
        }
        let ctx = req.context();
        if let ClientRequest::Initialize(_) = req.message() {
            // Before connecting: a session that starts while the backend is down still hears
            // the list changes announced when it comes back.
            self.notifier.add_session(ctx.session_peer());
        }
        let link = match self.sessions.link(&ctx, needs(req.message())).await {
            Ok(link) => link,
            Err(e) => {
                return match self.hide_when_down.then(|| empty_list(req.message())) {
                    Some(Some(nothing)) => Ok(nothing),
                    _ => Err(e),
                }
            }
        };
        let client = link.client().clone();
        if let Some(answer) = self.answer_locally(&req, &ctx, &client).await {
            return Ok(answer);
        }
        if let (ClientRequest::CallTool(p), Some(headers)) =
            (req.message(), req.extensions().get::<ParamHeaders>())
        {
            // The HTTP edge left the Mcp-Param-* headers to whoever knows the tool's schema.
            let schemas = link.tool_schemas().await?;
            if let Some(schema) = schemas.get(&p.name) {
                param_headers::check(schema, p.arguments.as_ref(), headers)?;
            }
        }
        let list = self.cache_lists.then(|| list_page(req.message())).flatten();
        if let Some(mut page) = list.and_then(|(method, cursor)| link.cached_list(method, cursor)) {
            if ctx.version().is_sessionless() {
                stamp_server_info(&mut page, client.server_info());
            }
            return Ok(page);
        }
        let list = list.map(|(method, cursor)| (method, cursor.map(str::to_owned)));
        let method = req.method().to_owned();
        let input = req.extensions().get::<InputCollector>().cloned();
        let (mut message, _) = req.into_parts();
        adapt_meta(&mut message, &ctx, &client);
        let frontend = Context::new(ctx.clone(), input);
        let call = exchange(&client, message, &frontend);
        let result = match self.timeout {
            None => call.await,
            Some(limit) => tokio::time::timeout(limit, call).await.unwrap_or_else(|_| {
                Err(McpError::new(
                    ErrorCode::REQUEST_TIMEOUT,
                    format!(
                        "backend {} did not answer {method} within {} ms",
                        self.sessions.name,
                        limit.as_millis()
                    ),
                ))
            }),
        };
        match result {
            Err(e) if !link.is_alive() => {
                self.sessions.evict(&link);
                tracing::warn!(backend = %self.sessions.name, error = %e, "backend connection lost");
                Err(McpError::internal(format!(
                    "backend {} closed the connection while answering {method}; the next request reconnects",
                    self.sessions.name
                )))
            }
            Err(e) => Err(e),
            Ok(mut result) => {
                if let Some((method, cursor)) = &list {
                    link.remember_list(method, cursor.as_deref(), &result);
                }
                if ctx.version().is_sessionless() {
                    stamp_server_info(&mut result, client.server_info());
                }
                Ok(result)
            }
        }
    }

    /// What the proxy answers itself: the lifecycle (from what the backend said), change
    /// subscriptions (relayed from the backend's notifications), and what a sessionless
    /// backend has no method for.
    async fn answer_locally(
        &self,
        req: &Request,
        ctx: &RequestContext,
        client: &Client,
    ) -> Option<ServerResult> {
        let backend_sessionless = client.protocol_version().is_sessionless();
        let empty = || ServerResult::Empty(EmptyResult::default());
        match req.message() {
            ClientRequest::Initialize(_) => Some(ServerResult::Initialize(InitializeResult {
                protocol_version: ctx.version().as_str().to_owned(),
                capabilities: client.server_capabilities().clone(),
                server_info: client.server_info().clone(),
                instructions: client.instructions().map(str::to_owned),
                ..InitializeResult::default()
            })),
            ClientRequest::Discover(_) => {
                let mut result = ServerResult::Discover(DiscoverResult {
                    supported_versions: ProtocolVersion::ALL
                        .iter()
                        .map(|v| v.as_str().to_owned())
                        .collect(),
                    capabilities: client.server_capabilities().clone(),
                    instructions: client.instructions().map(str::to_owned),
                    ..DiscoverResult::default()
                });
                stamp_server_info(&mut result, client.server_info());
                Some(result)
            }
            ClientRequest::SubscriptionsListen(p) => {
                Some(self.notifier.serve_listen(ctx, p.clone()).await)
            }
            ClientRequest::SetLevel(p) => {
                ctx.set_session_log_level(p.level);
                backend_sessionless.then(empty)
            }
            ClientRequest::Subscribe(p) | ClientRequest::Unsubscribe(p) => {
                let on = matches!(req.message(), ClientRequest::Subscribe(_));
                self.notifier
                    .set_resource_subscription(ctx.session_peer(), &p.uri, on);
                backend_sessionless.then(empty)
            }
            ClientRequest::Ping(_) => backend_sessionless.then(empty),
            _ => None,
        }
    }
}

/// Which backend connection `message` needs: lists and the lifecycle can do without one of
/// the session's own, so a session opens one only when it first uses the backend.
fn needs(message: &ClientRequest) -> Use {
    match message {
        ClientRequest::Initialize(_)
        | ClientRequest::Discover(_)
        | ClientRequest::Ping(_)
        | ClientRequest::SubscriptionsListen(_) => Use::Any,
        m if list_page(m).is_some() => Use::List,
        _ => Use::Own,
    }
}

/// The method and cursor of a list request.
fn list_page(message: &ClientRequest) -> Option<(&'static str, Option<&str>)> {
    let (method, params) = match message {
        ClientRequest::ListTools(p) => ("tools/list", p),
        ClientRequest::ListResources(p) => ("resources/list", p),
        ClientRequest::ListResourceTemplates(p) => ("resources/templates/list", p),
        ClientRequest::ListPrompts(p) => ("prompts/list", p),
        _ => return None,
    };
    Some((method, params.cursor.as_deref()))
}

/// An empty answer to a list request (`None` for other requests).
fn empty_list(message: &ClientRequest) -> Option<ServerResult> {
    Some(match message {
        ClientRequest::ListTools(_) => ServerResult::ListTools(Default::default()),
        ClientRequest::ListResources(_) => ServerResult::ListResources(Default::default()),
        ClientRequest::ListResourceTemplates(_) => {
            ServerResult::ListResourceTemplates(Default::default())
        }
        ClientRequest::ListPrompts(_) => ServerResult::ListPrompts(Default::default()),
        _ => return None,
    })
}

/// Adds the backend's identity to a 2026-07-28 result that lacks one.
fn stamp_server_info(result: &mut ServerResult, info: &Implementation) {
    let Some(slot) = result.meta_mut() else {
        return;
    };
    let meta = slot.get_or_insert_with(Meta::new);
    if meta.get(SERVER_INFO_KEY).is_none() {
        if let Ok(info) = serde_json::to_value(info) {
            meta.insert(SERVER_INFO_KEY, info);
        }
    }
}
