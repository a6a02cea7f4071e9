//! What the client does when the server asks it something: sampling, elicitation, roots.

use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use turret_types::{
    ClientResult, CreateMessageRequestParams, CreateMessageResult, ElicitRequestParams,
    ElicitResult, EmptyResult, ErrorCode, ListRootsResult, ServerRequest,
};

use crate::error::McpError;

/// Answers the requests a server makes of the client.
///
/// On the handshake era the server sends them as JSON-RPC requests while one of the client's
/// requests is in flight; on 2026-07-28 they arrive inside an `input_required` result and the
/// client retries with the answers. Either way they end up here, so one handler serves both.
///
/// Every method has a default that declines with `-32601` (method not found). Override the
/// ones you support, and declare the matching capabilities with
/// [`ClientBuilder::capabilities`](super::ClientBuilder::capabilities) (servers only ask for
/// what the client declared). For one-off callbacks the closures
/// [`on_sampling`](super::ClientBuilder::on_sampling),
/// [`on_elicitation`](super::ClientBuilder::on_elicitation) and
/// [`on_roots`](super::ClientBuilder::on_roots) are shorter and declare the capability for you.
///
/// ```
/// use turret_core::client::{Client, ClientHandler};
/// use turret_core::types::{
///     ClientCapabilities, ContentBlock, CreateMessageRequestParams, CreateMessageResult, Role,
///     SamplingContent,
/// };
/// use turret_core::McpError;
///
/// /// Answers every sampling request with the same text.
/// struct Canned(&'static str);
///
/// impl ClientHandler for Canned {
///     async fn create_message(
///         &self,
///         _params: CreateMessageRequestParams,
///     ) -> Result<CreateMessageResult, McpError> {
///         Ok(CreateMessageResult {
///             role: Role::Assistant,
///             content: SamplingContent::One(ContentBlock::text(self.0)),
///             model: "canned".into(),
///             stop_reason: Some("endTurn".into()),
///             meta: None,
///             extra: Default::default(),
///         })
///     }
/// }
///
/// let builder = Client::builder()
///     .capabilities(ClientCapabilities { sampling: Some(Default::default()), ..Default::default() })
///     .handler(Canned("42"));
/// ```
pub trait ClientHandler: Send + Sync + 'static {
    /// `sampling/createMessage`: ask the client's LLM for a message.
    fn create_message(
        &self,
        params: CreateMessageRequestParams,
    ) -> impl Future<Output = Result<CreateMessageResult, McpError>> + Send {
        let _ = params;
        std::future::ready(Err(not_handled("sampling/createMessage")))
    }

    /// `elicitation/create`: ask the user for input.
    fn elicit(
        &self,
        params: ElicitRequestParams,
    ) -> impl Future<Output = Result<ElicitResult, McpError>> + Send {
        let _ = params;
        std::future::ready(Err(not_handled("elicitation/create")))
    }

    /// `roots/list`: the directories and files the client exposes.
    fn list_roots(&self) -> impl Future<Output = Result<ListRootsResult, McpError>> + Send {
        std::future::ready(Err(not_handled("roots/list")))
    }
}

/// No callbacks: every server request except `ping` is declined with `-32601`.
impl ClientHandler for () {}

fn not_handled(method: &str) -> McpError {
    McpError::new(
        ErrorCode::METHOD_NOT_FOUND,
        format!("this client does not handle {method}"),
    )
}

/// The object-safe form of [`ClientHandler`] the client stores.
pub(crate) trait ErasedHandler: Send + Sync + 'static {
    fn create_message(
        &self,
        params: CreateMessageRequestParams,
    ) -> BoxFuture<'_, Result<CreateMessageResult, McpError>>;
    fn elicit(&self, params: ElicitRequestParams) -> BoxFuture<'_, Result<ElicitResult, McpError>>;
    fn list_roots(&self) -> BoxFuture<'_, Result<ListRootsResult, McpError>>;
}

impl<H: ClientHandler> ErasedHandler for H {
    fn create_message(
        &self,
        params: CreateMessageRequestParams,
    ) -> BoxFuture<'_, Result<CreateMessageResult, McpError>> {
        Box::pin(ClientHandler::create_message(self, params))
    }

    fn elicit(&self, params: ElicitRequestParams) -> BoxFuture<'_, Result<ElicitResult, McpError>> {
        Box::pin(ClientHandler::elicit(self, params))
    }

    fn list_roots(&self) -> BoxFuture<'_, Result<ListRootsResult, McpError>> {
        Box::pin(ClientHandler::list_roots(self))
    }
}

pub(crate) type SamplingFn = Arc<
    dyn Fn(CreateMessageRequestParams) -> BoxFuture<'static, Result<CreateMessageResult, McpError>>
        + Send
        + Sync,
>;
pub(crate) type ElicitFn = Arc<
    dyn Fn(ElicitRequestParams) -> BoxFuture<'static, Result<ElicitResult, McpError>> + Send + Sync,
>;
pub(crate) type RootsFn =
    Arc<dyn Fn() -> BoxFuture<'static, Result<ListRootsResult, McpError>> + Send + Sync>;

/// The builder's closures, in front of a [`ClientHandler`] for whatever they leave out.
#[derive(Clone)]
pub(crate) struct Callbacks {
    pub(crate) sampling: Option<SamplingFn>,
    pub(crate) elicitation: Option<ElicitFn>,
    pub(crate) roots: Option<RootsFn>,
    pub(crate) fallback: Arc<dyn ErasedHandler>,
}

impl Default for Callbacks {
    fn default() -> Self {
        Self {
            sampling: None,
            elicitation: None,
            roots: None,
            fallback: Arc::new(()),
        }
    }
}

impl ErasedHandler for Callbacks {
    fn create_message(
        &self,
        params: CreateMessageRequestParams,
    ) -> BoxFuture<'_, Result<CreateMessageResult, McpError>> {
        match &self.sampling {
            Some(f) => f(params),
            None => self.fallback.create_message(params),
        }
    }

    fn elicit(&self, params: ElicitRequestParams) -> BoxFuture<'_, Result<ElicitResult, McpError>> {
        match &self.elicitation {
            Some(f) => f(params),
            None => self.fallback.elicit(params),
        }
    }

    fn list_roots(&self) -> BoxFuture<'_, Result<ListRootsResult, McpError>> {
        match &self.roots {
            Some(f) => f(),
            None => self.fallback.list_roots(),
        }
    }
}

/// Who answers a server request: the client's handler, or the owner of the exchange it
/// belongs to.
#[derive(Clone)]
pub(crate) enum Answerer {
    Handler(Arc<dyn ErasedHandler>),
    Exchange(super::exchange::ScopeTx),
    /// A handshake-era request with no id of its own, given to the newest exchange: the
    /// handler answers it when that exchange ends first (the request was about the
    /// session, not the exchange — a `roots/list` right after `initialized`, say).
    Guessed(super::exchange::ScopeTx, Arc<dyn ErasedHandler>),
}

impl Answerer {
    /// `key` is the input request's key in an `input_required` result (2026-07-28).
    pub(crate) async fn answer(
        &self,
        key: Option<&str>,
        request: ServerRequest,
    ) -> Result<ClientResult, McpError> {
        match self {
            Self::Handler(handler) => answer(&**handler, request).await,
            Self::Exchange(scope) => scope.ask(key.map(str::to_owned), request).await,
            Self::Guessed(scope, handler) => {
                match scope.try_ask(key.map(str::to_owned), request.clone()).await {
                    Some(answered) => answered,
                    None => answer(&**handler, request).await,
                }
            }
        }
    }
}

/// Answers one server request with the handler (`ping` is answered here).
async fn answer(
    handler: &dyn ErasedHandler,
    request: ServerRequest,
) -> Result<ClientResult, McpError> {
    match request {
        ServerRequest::Ping(_) => Ok(ClientResult::Empty(EmptyResult::default())),
        ServerRequest::CreateMessage(p) => handler
            .create_message(p)
            .await
            .map(ClientResult::CreateMessage),
        ServerRequest::Elicit(p) => handler.elicit(p).await.map(ClientResult::Elicit),
        ServerRequest::ListRoots(_) => handler.list_roots().await.map(ClientResult::ListRoots),
        other => Err(not_handled(other.method())),
    }
}
