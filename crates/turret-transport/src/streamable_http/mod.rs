//! The streamable HTTP server: an MCP endpoint as a `tower::Service<http::Request<B>>`.
//!
//! [`StreamableHttpService`] serves both protocol eras on one endpoint: handshake-era
//! clients (2025-03-26 to 2025-11-25) get sessions (`Mcp-Session-Id`), JSON or SSE answers,
//! a standalone GET stream and resumable streams; 2026-07-28 clients are served statelessly
//! per POST with the request-metadata headers checked. It is generic over the request body,
//! so it nests in axum or runs on a bare hyper server:
//!
//! ```no_run
//! use turret_core::{tool_fn, Router};
//! use turret_transport::streamable_http::StreamableHttpService;
//!
//! async fn hello() -> &'static str {
//!     "hello"
//! }
//!
//! # async fn run() -> std::io::Result<()> {
//! let mcp = StreamableHttpService::new(Router::new().tool("hello", tool_fn(hello)));
//! let app = axum::Router::new().nest_service("/mcp", mcp);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await
//! # }
//! ```
//!
//! Handlers see the HTTP request's parts (headers, URI, and the extensions outer layers
//! inserted) as `Extension<http::request::Parts>`. An [`Identity`](turret_core::Identity)
//! that an outer auth layer inserted becomes the MCP request's own, so handlers read it as
//! `Extension<Identity>` and Turret's layers key on it; a handshake-era session then belongs
//! to that identity's subject, and a request with another subject (or none) is answered as
//! for an unknown session (404).

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use tokio_util::sync::CancellationToken;
use tower::Layer as _;
use tower_service::Service;
use turret_core::mrtr::InputRequired;
use turret_core::McpService;
use turret_core::{BoxError, InputRequiredLayer};

mod config;
mod event_store;
mod get;
mod headers;
mod origin;
mod post;
pub mod replicas;
mod replicated;
mod serve;
mod session;
mod sse;
mod stream;

pub use config::{ResponseMode, StreamableHttpConfig};
pub use event_store::{EventStore, MemoryEventStore, Replay};
pub use serve::{serve, PeerAddr};
pub use stream::SseStream;

pub(crate) use origin::check as check_origin;
pub(crate) use plain as plain_response;
pub(crate) use stream::{json_response, sse_response};

/// One SSE `message` event carrying `message`, without an id.
pub(crate) fn sse_event(message: turret_core::types::JsonRpcMessage) -> Bytes {
    sse::Event::message(None, message).to_bytes()
}

use session::Sessions;

/// The body of every response: JSON bytes or an SSE stream.
pub type ResponseBody = UnsyncBoxBody<Bytes, Infallible>;

/// An MCP endpoint over HTTP (see the [module docs](self)).
pub struct StreamableHttpService<S> {
    shared: Arc<Shared<S>>,
}

pub(crate) struct Shared<S> {
    pub(crate) service: InputRequired<S>,
    pub(crate) config: StreamableHttpConfig,
    pub(crate) sessions: Sessions,
    pub(crate) shutdown: CancellationToken,
    /// Set once the task taking answers forwarded by other replicas runs.
    listening: std::sync::Once,
}

impl<S: Send + Sync + 'static> Shared<S> {
    /// Starts taking the answers other replicas forward here (once; needs a runtime). Done
    /// when the endpoint is made inside a runtime, else on its first request: before any
    /// request of this replica could ask the client something.
    fn listen_to_replicas(self: &Arc<Self>) {
        let Some(replicas) = &self.config.replicas else {
            return;
        };
        // Checked on every request: the common case is one atomic load.
        if self.listening.is_completed() || tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        self.listening.call_once(|| {
            let answers = replicas.relay.answers();
            let weak = Arc::downgrade(self);
            tokio::spawn(replicated::take_answers(
                weak,
                answers,
                self.shutdown.clone(),
            ));
        });
    }

    /// What a new session of this endpoint knows of the other replicas, if replicated.
    pub(crate) fn replica_link(&self) -> Option<session::ReplicaLink> {
        self.config.replicas.as_ref().map(|r| session::ReplicaLink {
            node: r.relay.node().into(),
            events: self.config.event_store.clone(),
        })
    }
}

impl<S> Clone for StreamableHttpService<S> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl<S> std::fmt::Debug for StreamableHttpService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamableHttpService")
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

impl<S> StreamableHttpService<S>
where
    S: McpService,
{
    /// An endpoint serving `service` with the default configuration.
    pub fn new(service: S) -> Self {
        Self::with_config(service, StreamableHttpConfig::default())
    }

    /// An endpoint serving `service` with `config`.
    pub fn with_config(service: S, config: StreamableHttpConfig) -> Self {
        let shared = Arc::new(Shared {
            service: InputRequiredLayer::new().layer(service),
            config,
            sessions: Sessions::default(),
            shutdown: CancellationToken::new(),
            listening: std::sync::Once::new(),
        });
        shared.listen_to_replicas();
        Self { shared }
    }
}

impl<S> StreamableHttpService<S> {
    /// Ends every stream and session; for graceful shutdown, after the listener stops
    /// accepting. Requests in flight still get their answers where they can.
    pub fn shutdown(&self) {
        self.shared.shutdown.cancel();
        self.shared.sessions.close_all();
    }
}

/// A response with a status and a short plain-text reason (never internals).
pub(crate) fn plain(status: StatusCode, reason: &'static str) -> Response<ResponseBody> {
    use http_body_util::BodyExt as _;
    let mut response = Response::new(
        http_body_util::Full::new(Bytes::from_static(reason.as_bytes()))
            .map_err(|e| match e {})
            .boxed_unsync(),
    );
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

impl<S, B> Service<Request<B>> for StreamableHttpService<S>
where
    S: McpService,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        // Each request drives its own clone of the inner service to readiness.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let shared = self.shared.clone();
        shared.listen_to_replicas();
        Box::pin(async move {
            if let Err(reason) = origin::check(req.headers(), &shared.config) {
                return Ok(plain(StatusCode::FORBIDDEN, reason));
            }
            Ok(match *req.method() {
                Method::POST => post::handle(shared, req).await,
                Method::GET => get::open(&shared, req).await,
                Method::DELETE => get::delete(&shared, req).await,
                _ => {
                    let mut r = plain(StatusCode::METHOD_NOT_ALLOWED, "use POST, GET or DELETE");
                    r.headers_mut().insert(
                        http::header::ALLOW,
                        HeaderValue::from_static("GET, POST, DELETE"),
                    );
                    r
                }
            })
        })
    }
}
