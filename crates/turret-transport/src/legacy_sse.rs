//! The legacy HTTP+SSE server transport (protocol 2024-11-05) for old clients: `GET` opens an
//! SSE stream whose first `endpoint` event names where to POST messages; every answer and
//! notification comes back on that stream.
//!
//! Each SSE connection is one session served by [`turret_core::serve`], the same driver as
//! stdio: the POSTed messages are its input, the SSE stream its output. Mount it beside the
//! streamable endpoint; one service answers both paths (GET for the stream, POST for
//! messages):
//!
//! ```no_run
//! use turret_core::{tool_fn, Router};
//! use turret_transport::legacy_sse::LegacySseService;
//! use turret_transport::streamable_http::StreamableHttpService;
//!
//! let router = Router::new().tool("hi", tool_fn(|| async { "hi" }));
//! let legacy = LegacySseService::new(router.clone(), "/messages");
//! let app = axum::Router::new()
//!     .route_service("/mcp", StreamableHttpService::new(router))
//!     .route_service("/sse", legacy.clone())
//!     .route_service("/messages", legacy);
//! # let _: axum::Router = app;
//! ```

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::{Method, Request, Response, StatusCode};
use tokio::sync::mpsc;
use tower_service::Service;
use turret_core::types::JsonRpcMessage;
use turret_core::McpService;
use turret_core::{BoxError, Incoming, Transport};

use crate::request_body::{self, BodyError};
use crate::streamable_http::{
    json_response, plain_response, sse_event, sse_response, ResponseBody, StreamableHttpConfig,
};

type Inboxes = Arc<Mutex<HashMap<String, mpsc::Sender<Incoming>>>>;

/// The legacy HTTP+SSE endpoint pair as one `tower::Service<http::Request<B>>` (see the
/// [module docs](self)).
pub struct LegacySseService<S> {
    service: S,
    endpoint: Arc<str>,
    config: Arc<StreamableHttpConfig>,
    inboxes: Inboxes,
}

impl<S: Clone> Clone for LegacySseService<S> {
    fn clone(&self) -> Self {
        Self {
            service: self.service.clone(),
            endpoint: self.endpoint.clone(),
            config: self.config.clone(),
            inboxes: self.inboxes.clone(),
        }
    }
}

impl<S> std::fmt::Debug for LegacySseService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LegacySseService")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl<S> LegacySseService<S> {
    /// Serves `service`; clients POST to `endpoint` (the path where this same service is
    /// mounted for POST, as the client sees it).
    pub fn new(service: S, endpoint: impl Into<String>) -> Self {
        Self::with_config(service, endpoint, StreamableHttpConfig::default())
    }

    /// The same, with the Host/Origin allow-list and body limit of `config`.
    pub fn with_config(
        service: S,
        endpoint: impl Into<String>,
        config: StreamableHttpConfig,
    ) -> Self {
        Self {
            service,
            endpoint: endpoint.into().into(),
            config: Arc::new(config),
            inboxes: Arc::default(),
        }
    }
}

fn session_id() -> String {
    let mut bytes = [0u8; 16];
    // Session ids must not be guessable; without OS randomness there is no safe fallback.
    getrandom::fill(&mut bytes).expect("the OS random number generator is unavailable");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl<S, B> Service<Request<B>> for LegacySseService<S>
where
    S: McpService,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut TaskContext<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            if let Err(reason) = crate::streamable_http::check_origin(req.headers(), &this.config) {
                return Ok(plain_response(StatusCode::FORBIDDEN, reason));
            }
            Ok(match *req.method() {
                Method::GET => this.open(),
                Method::POST => this.post(req).await,
                _ => plain_response(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "GET the stream, POST messages",
                ),
            })
        })
    }
}

impl<S> LegacySseService<S>
where
    S: McpService,
{
    /// Opens a session: its SSE stream starts with the `endpoint` event.
    fn open(&self) -> Response<ResponseBody> {
        let id = session_id();
        let (inbox, incoming) = mpsc::channel::<Incoming>(64);
        let (live, body) = mpsc::unbounded_channel::<Bytes>();
        let endpoint = format!("{}?sessionId={id}", self.endpoint);
        let _ = live.send(Bytes::from(format!(
            "event: endpoint\ndata: {endpoint}\n\n"
        )));
        self.inboxes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.clone(), inbox);

        let stream = futures_util::stream::unfold(incoming, |mut rx| async move {
            rx.recv().await.map(|m| (m, rx))
        });
        let outgoing = live.clone();
        let sink =
            futures_util::sink::unfold(outgoing, |out, message: JsonRpcMessage| async move {
                out.send(sse_event(message))
                    .map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))?;
                Ok::<_, std::io::Error>(out)
            });
        let transport = Transport::new(stream, sink);
        let (service, inboxes) = (self.service.clone(), self.inboxes.clone());
        tokio::spawn(async move {
            let session = turret_core::serve(service, transport);
            tokio::pin!(session);
            tokio::select! {
                _ = &mut session => {}
                // The client went away: end its input so the session finishes.
                () = live.closed() => {
                    inboxes.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
                    let _ = session.await;
                }
            }
            inboxes
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&id);
        });
        sse_response(body)
    }

    /// Takes one POSTed message for the session named in the query.
    async fn post<B>(&self, req: Request<B>) -> Response<ResponseBody>
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let id = req
            .uri()
            .query()
            .unwrap_or("")
            .split('&')
            .find_map(|kv| kv.strip_prefix("sessionId="))
            .unwrap_or("")
            .to_owned();
        let inbox = self
            .inboxes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
            .cloned();
        let Some(inbox) = inbox else {
            return plain_response(
                StatusCode::NOT_FOUND,
                "unknown sessionId: open the SSE stream first",
            );
        };
        let limit = self.config.body_limit();
        let (parts, body) = req.into_parts();
        let bytes = match request_body::read(&parts.headers, body, limit).await {
            Ok(bytes) => bytes,
            Err(BodyError::TooLarge) => {
                return json_response(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    &request_body::too_large(limit.max),
                )
            }
            Err(BodyError::Unreadable) => {
                return plain_response(StatusCode::BAD_REQUEST, "could not read the request body")
            }
        };
        // Malformed messages go to the session too: it answers them on the stream.
        let message = JsonRpcMessage::parse(&bytes);
        if inbox.send(message).await.is_err() {
            return plain_response(StatusCode::NOT_FOUND, "the session has ended");
        }
        plain_response(StatusCode::ACCEPTED, "Accepted")
    }
}
