//! A `tracing` span per MCP request, and one event when it finishes.
//!
//! The span (`mcp.request`) carries the `method`, the `tool`, `prompt` or resource `uri`,
//! the JSON-RPC `request_id`, the `session`, the caller's identity (`subject`) and the
//! protocol `version`;
//! layers inside it record more (the [cache](crate::cache) records `cache = "hit"` or
//! `"miss"`). When the request finishes, an event in the span gives the `outcome`, the error
//! `code` if any and the `latency_us`, at a level that fits:
//!
//! | outcome | level |
//! |---|---|
//! | `ok` | [`on_success`](TraceLayer::on_success) (default `INFO`) |
//! | `tool_error` (a `CallToolResult` with `isError`), `input_required` | `INFO` |
//! | a protocol error the client caused (bad params, unknown method or tool, rate limited, overloaded) | `WARN` |
//! | an internal error, a timeout, any error that is not a protocol error | `ERROR` |
//!
//! ```
//! use tower::{ServiceBuilder, ServiceExt as _};
//! use turret_core::types::{CallToolRequestParams, ClientRequest};
//! use turret_core::{tool_fn, Request, Router};
//! use turret_layers::TraceLayer;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! // Pretty or JSON output is the subscriber's business:
//! // tracing_subscriber::fmt().json().with_writer(std::io::stderr).init();
//! let router = Router::new().tool("hello", tool_fn(|| async { "hello" }));
//! let service = ServiceBuilder::new().layer(TraceLayer::new()).service(router);
//! let call = ClientRequest::CallTool(CallToolRequestParams {
//!     name: "hello".into(),
//!     ..Default::default()
//! });
//! service.oneshot(Request::new(call)).await.unwrap();
//! # }
//! ```

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;
use tokio::time::Instant;
use tower_layer::Layer;
use tracing::field::Empty;
use tracing::{Level, Span};
use turret_core::types::{ClientRequest, ErrorCode, ServerResult};
use turret_core::{BoxError, Identity, McpError, Request, RequestContext};

/// A span at a level chosen at run time (a callsite's level is static, so one per level).
macro_rules! span_at {
    ($level:expr, $($rest:tt)+) => {
        match $level {
            Level::ERROR => tracing::span!(Level::ERROR, $($rest)+),
            Level::WARN => tracing::span!(Level::WARN, $($rest)+),
            Level::INFO => tracing::span!(Level::INFO, $($rest)+),
            Level::DEBUG => tracing::span!(Level::DEBUG, $($rest)+),
            _ => tracing::span!(Level::TRACE, $($rest)+),
        }
    };
}

/// An event at a level chosen at run time.
macro_rules! event_at {
    ($level:expr, $($rest:tt)+) => {
        match $level {
            Level::ERROR => tracing::event!(Level::ERROR, $($rest)+),
            Level::WARN => tracing::event!(Level::WARN, $($rest)+),
            Level::INFO => tracing::event!(Level::INFO, $($rest)+),
            Level::DEBUG => tracing::event!(Level::DEBUG, $($rest)+),
            _ => tracing::event!(Level::TRACE, $($rest)+),
        }
    };
}

/// Layer that traces every MCP request (see the [module docs](self)).
#[derive(Debug, Clone, Copy)]
pub struct TraceLayer {
    level: Level,
    on_success: Level,
}

impl Default for TraceLayer {
    fn default() -> Self {
        Self {
            level: Level::INFO,
            on_success: Level::INFO,
        }
    }
}

impl TraceLayer {
    /// Spans at `INFO`, successes logged at `INFO`.
    pub fn new() -> Self {
        Self::default()
    }

    /// The level of the request span.
    pub fn level(mut self, level: Level) -> Self {
        self.level = level;
        self
    }

    /// The level of the event for a request that succeeded.
    pub fn on_success(mut self, level: Level) -> Self {
        self.on_success = level;
        self
    }
}

impl<S> Layer<S> for TraceLayer {
    type Service = Trace<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Trace {
            inner,
            layer: *self,
        }
    }
}

/// Service of [`TraceLayer`].
#[derive(Debug, Clone)]
pub struct Trace<S> {
    inner: S,
    layer: TraceLayer,
}

inner_accessors!(Trace);

/// The tool, prompt or URI a request targets.
fn target(message: &ClientRequest) -> [Option<&str>; 3] {
    match message {
        ClientRequest::CallTool(p) => [Some(&p.name), None, None],
        ClientRequest::GetPrompt(p) => [None, Some(&p.name), None],
        ClientRequest::ReadResource(p) => [None, None, Some(&p.uri)],
        ClientRequest::Subscribe(p) | ClientRequest::Unsubscribe(p) => [None, None, Some(&p.uri)],
        _ => [None; 3],
    }
}

fn make_span(level: Level, req: &Request) -> Span {
    let [tool, prompt, uri] = target(req.message());
    let ctx = req.extensions().get::<RequestContext>();
    let subject = req.extensions().get::<Identity>().map(Identity::subject);
    span_at!(
        level,
        "mcp.request",
        method = req.method(),
        tool,
        prompt,
        uri,
        request_id = ctx.and_then(RequestContext::id).map(display),
        session = ctx.and_then(RequestContext::session_id),
        subject,
        version = ctx.map(|c| c.version().as_str()),
        cache = Empty,
        outcome = Empty,
    )
}

mcp_service! {
    impl Service<Request> for Trace<S>
    where {}
    type Future = ResponseFuture<S::Future>;

    fn call(&mut self, req: Request) -> Self::Future {
        let span = make_span(self.layer.level, &req);
        let inner = {
            let _entered = span.enter();
            self.inner.call(req)
        };
        ResponseFuture {
            inner,
            span,
            start: Instant::now(),
            on_success: self.layer.on_success,
        }
    }
}

pin_project! {
    /// Response future of [`Trace`].
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        span: Span,
        start: Instant,
        on_success: Level,
    }
}

impl<F> std::fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("span", &self.span)
            .finish_non_exhaustive()
    }
}

impl<F, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<ServerResult, E>>,
    E: Into<BoxError>,
{
    type Output = Result<ServerResult, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        let result = match this.inner.poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(r) => r.map_err(Into::into),
        };
        let latency_us = u64::try_from(this.start.elapsed().as_micros()).unwrap_or(u64::MAX);
        match &result {
            Ok(ServerResult::CallTool(r)) if r.is_error == Some(true) => {
                this.span.record("outcome", "tool_error");
                tracing::info!(outcome = "tool_error", latency_us, "tool reported an error");
            }
            Ok(ServerResult::InputRequired(_)) => {
                this.span.record("outcome", "input_required");
                tracing::info!(outcome = "input_required", latency_us, "asked for input");
            }
            Ok(_) => {
                this.span.record("outcome", "ok");
                event_at!(*this.on_success, outcome = "ok", latency_us, "finished");
            }
            Err(e) => {
                let (outcome, level) = classify(e.as_ref());
                this.span.record("outcome", outcome);
                let code = e.downcast_ref::<McpError>().map(|m| m.code().0);
                event_at!(level, outcome, code, latency_us, error = %e, "failed");
            }
        }
        Poll::Ready(result)
    }
}

/// What kind of failure an error is, and the level it deserves.
fn classify(e: &(dyn std::error::Error + Send + Sync + 'static)) -> (&'static str, Level) {
    if let Some(e) = e.downcast_ref::<McpError>() {
        return match e.code() {
            ErrorCode::INTERNAL_ERROR => ("internal_error", Level::ERROR),
            ErrorCode::REQUEST_TIMEOUT => ("timeout", Level::ERROR),
            _ => ("rejected", Level::WARN),
        };
    }
    if e.is::<tower::timeout::error::Elapsed>() {
        return ("timeout", Level::ERROR);
    }
    if e.is::<tower::load_shed::error::Overloaded>() {
        return ("overloaded", Level::WARN);
    }
    ("internal_error", Level::ERROR)
}

#[cfg(test)]
mod tests;
