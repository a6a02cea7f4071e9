//! [`Context`]: what a handler uses to talk back to the client while it runs.

use serde_json::Value;
use turret_types::{
    ClientResult, CreateMessageRequestParams, CreateMessageResult, ElicitRequestParams,
    ElicitResult, ListRootsResult, LoggingLevel, LoggingMessageNotificationParams,
    ProgressNotificationParams, ProtocolVersion, RequestId, ServerNotification, ServerRequest,
};

use crate::error::McpError;
use crate::mrtr::InputCollector;
use crate::request::RequestContext;

/// The handler's line to the client: logging, progress, sampling, elicitation and roots.
///
/// Asking the client for something ([`sample`](Self::sample), [`elicit`](Self::elicit),
/// [`list_roots`](Self::list_roots)) works on both protocol eras with the same code: on the
/// handshake era it sends a server→client request and waits; on 2026-07-28 the request is
/// answered with an `input_required` result and the handler runs again when the client
/// retries with the answers (so code before the question must be safe to repeat).
///
/// ```
/// use turret_core::Context;
///
/// async fn slow(ctx: Context) -> String {
///     for step in 1..=3 {
///         ctx.progress(step as f64, Some(3.0), None).await;
///     }
///     ctx.info("done").await;
///     "finished".to_owned()
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Context {
    request: RequestContext,
    input: Option<InputCollector>,
}

impl Context {
    /// A context over an edge's request context (and, on 2026-07-28, the input collector).
    pub fn new(request: RequestContext, input: Option<InputCollector>) -> Self {
        Self { request, input }
    }

    /// The edge's view of this request.
    pub fn request(&self) -> &RequestContext {
        &self.request
    }

    /// The JSON-RPC request id.
    pub fn request_id(&self) -> Option<&RequestId> {
        self.request.id()
    }

    /// The protocol revision in use.
    pub fn protocol_version(&self) -> ProtocolVersion {
        self.request.version()
    }

    /// Whether the client has cancelled (or left).
    pub fn is_cancelled(&self) -> bool {
        self.request.cancellation().is_cancelled()
    }

    /// Resolves when the client cancels the request.
    pub async fn cancelled(&self) {
        self.request.cancellation().cancelled().await
    }

    /// Sends a log message, if the client asked for this level.
    pub async fn log(&self, level: LoggingLevel, logger: Option<&str>, data: impl Into<Value>) {
        if !self.request.log_enabled(level) {
            return;
        }
        let params = LoggingMessageNotificationParams {
            level,
            logger: logger.map(str::to_owned),
            data: data.into(),
            meta: None,
            extra: Default::default(),
        };
        self.request
            .peer()
            .notify(ServerNotification::LoggingMessage(params))
            .await
    }

    /// Logs at `debug`.
    pub async fn debug(&self, message: impl Into<String>) {
        self.log(LoggingLevel::Debug, None, message.into()).await
    }

    /// Logs at `info`.
    pub async fn info(&self, message: impl Into<String>) {
        self.log(LoggingLevel::Info, None, message.into()).await
    }

    /// Logs at `warning`.
    pub async fn warning(&self, message: impl Into<String>) {
        self.log(LoggingLevel::Warning, None, message.into()).await
    }

    /// Logs at `error`.
    pub async fn error(&self, message: impl Into<String>) {
        self.log(LoggingLevel::Error, None, message.into()).await
    }

    /// Reports progress, if the client sent a progress token.
    pub async fn progress(&self, progress: f64, total: Option<f64>, message: Option<String>) {
        let Some(token) = self.request.progress_token() else {
            return;
        };
        let params = ProgressNotificationParams {
            progress_token: token.clone(),
            progress,
            total,
            message,
            meta: None,
            extra: Default::default(),
        };
        self.request
            .peer()
            .notify(ServerNotification::Progress(params))
            .await
    }

    /// Sends any notification to the client.
    pub async fn notify(&self, notification: ServerNotification) {
        self.request.peer().notify(notification).await
    }

    /// Asks the client's LLM for a message (needs the client's `sampling` capability).
    pub async fn sample(
        &self,
        params: CreateMessageRequestParams,
    ) -> Result<CreateMessageResult, McpError> {
        match self.ask(ServerRequest::CreateMessage(params)).await? {
            ClientResult::CreateMessage(r) => Ok(r),
            other => Err(unexpected("sampling/createMessage", other)),
        }
    }

    /// Asks the user for input (needs the client's `elicitation` capability).
    pub async fn elicit(&self, params: ElicitRequestParams) -> Result<ElicitResult, McpError> {
        match self.ask(ServerRequest::Elicit(params)).await? {
            ClientResult::Elicit(r) => Ok(r),
            other => Err(unexpected("elicitation/create", other)),
        }
    }

    /// Asks the client for its roots (needs the client's `roots` capability).
    pub async fn list_roots(&self) -> Result<ListRootsResult, McpError> {
        match self
            .ask(ServerRequest::ListRoots(Default::default()))
            .await?
        {
            ClientResult::ListRoots(r) => Ok(r),
            other => Err(unexpected("roots/list", other)),
        }
    }

    /// Sends any request to the client, on either era.
    pub async fn ask(&self, request: ServerRequest) -> Result<ClientResult, McpError> {
        self.ask_inner(None, request).await
    }

    /// Like [`ask`](Self::ask), with the key the question gets in an `input_required`
    /// result's `inputRequests` (2026-07-28) chosen by the handler instead of numbered in
    /// order; the handshake era ignores it. Keys must be unique within one request.
    pub async fn ask_as(
        &self,
        key: &str,
        request: ServerRequest,
    ) -> Result<ClientResult, McpError> {
        self.ask_inner(Some(key), request).await
    }

    async fn ask_inner(
        &self,
        key: Option<&str>,
        request: ServerRequest,
    ) -> Result<ClientResult, McpError> {
        if let Some(input) = &self.input {
            return input.ask(key, request, self.request.capabilities()).await;
        }
        if let Some(missing) =
            crate::mrtr::missing_capability(&request, self.request.capabilities())
        {
            return Err(McpError::missing_capability(missing));
        }
        self.request.peer().request(request).await
    }
}

fn unexpected(method: &str, got: ClientResult) -> McpError {
    tracing::debug!(?got, "unexpected client result");
    McpError::internal(format!(
        "the client answered {method} with a result of another kind"
    ))
}
