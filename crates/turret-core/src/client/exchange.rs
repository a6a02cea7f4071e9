//! Exchanges: one request together with what the server sends about it while it runs.
//!
//! [`Client::exchange`](super::Client::exchange) is for callers that pass the server's side
//! traffic on instead of answering it themselves, as a proxy does for its own client: the
//! server's requests (sampling, elicitation, roots) and its notifications about the request
//! (progress, log messages) arrive as [`ExchangeEvent`]s, in order, and the last event is the
//! result.
//!
//! Which request a server message belongs to:
//!
//! * **Progress** carries the request's token. The client gives each exchange a token of its
//!   own on the wire and restores the caller's, so exchanges sharing a connection never mix.
//! * **`input_required` rounds** (2026-07-28) belong to their request, and the event carries
//!   the input request's key.
//! * **Handshake-era server requests and log messages** carry no request id on the wire. They
//!   go to the newest exchange still running (exact when one runs at a time, as on a backend
//!   connection per frontend session), else to the [`ClientHandler`](super::ClientHandler)
//!   and the notification subscribers.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll};

use futures_core::Stream;
use futures_util::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};
use turret_types::meta::PROGRESS_TOKEN_KEY;
use turret_types::{
    ClientRequest, ClientResult, EmptyResult, ErrorCode, ProgressNotificationParams, ProgressToken,
    ServerNotification, ServerRequest, ServerResult,
};

use crate::error::McpError;

/// What the server sends about one exchange, in the order it was sent.
#[derive(Debug)]
pub enum ExchangeEvent {
    /// A notification about this request: progress (with the caller's own token) or a log
    /// message.
    Notification(ServerNotification),
    /// A request the server makes of the client to go on with this one.
    Request(IncomingRequest),
    /// The final result; always the last event.
    Done(Result<ServerResult, McpError>),
}

/// A server request waiting for the caller's answer. Dropping it declines with `-32601`.
#[derive(Debug)]
pub struct IncomingRequest {
    key: Option<String>,
    request: ServerRequest,
    responder: oneshot::Sender<Result<ClientResult, McpError>>,
}

impl IncomingRequest {
    /// The request.
    pub fn request(&self) -> &ServerRequest {
        &self.request
    }

    /// The key of the input request inside an `input_required` result (2026-07-28); `None`
    /// for a JSON-RPC request of the handshake era.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// Splits into the request, its key and the [`Responder`].
    pub fn into_parts(self) -> (ServerRequest, Option<String>, Responder) {
        (self.request, self.key, Responder(self.responder))
    }

    /// Answers the request.
    pub fn respond(self, result: Result<ClientResult, McpError>) {
        let _ = self.responder.send(result);
    }
}

/// Answers one [`IncomingRequest`].
#[derive(Debug)]
pub struct Responder(oneshot::Sender<Result<ClientResult, McpError>>);

impl Responder {
    /// Sends the answer (ignored if the server stopped waiting).
    pub fn respond(self, result: Result<ClientResult, McpError>) {
        let _ = self.0.send(result);
    }
}

/// A request in flight with its side traffic: a [`Stream`] of [`ExchangeEvent`]s ending with
/// [`ExchangeEvent::Done`]. Dropping it before the end cancels the request.
pub struct Exchange {
    events: mpsc::UnboundedReceiver<ExchangeEvent>,
    call: Option<BoxFuture<'static, Result<ServerResult, McpError>>>,
    finished: Option<Result<ServerResult, McpError>>,
    _scope: ScopeGuard,
}

impl std::fmt::Debug for Exchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exchange")
            .field("running", &self.call.is_some())
            .finish_non_exhaustive()
    }
}

impl Exchange {
    pub(crate) fn new(
        events: mpsc::UnboundedReceiver<ExchangeEvent>,
        call: BoxFuture<'static, Result<ServerResult, McpError>>,
        scope: ScopeGuard,
    ) -> Self {
        Self {
            events,
            call: Some(call),
            finished: None,
            _scope: scope,
        }
    }
}

impl Stream for Exchange {
    type Item = ExchangeEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.call.is_none() && this.finished.is_none() {
            return Poll::Ready(None);
        }
        if let Poll::Ready(Some(event)) = this.events.poll_recv(cx) {
            return Poll::Ready(Some(event));
        }
        if let Some(call) = &mut this.call {
            let Poll::Ready(result) = call.as_mut().poll(cx) else {
                return Poll::Pending;
            };
            this.call = None;
            this.finished = Some(result);
        }
        // Whatever the server sent before its answer goes out before the result.
        if let Ok(event) = this.events.try_recv() {
            return Poll::Ready(Some(event));
        }
        Poll::Ready(this.finished.take().map(ExchangeEvent::Done))
    }
}

/// Where one exchange's events go.
#[derive(Clone)]
pub(crate) struct ScopeTx(mpsc::UnboundedSender<ExchangeEvent>);

impl ScopeTx {
    /// Hands a server request to the exchange's owner and waits for the answer.
    pub(crate) async fn ask(
        &self,
        key: Option<String>,
        request: ServerRequest,
    ) -> Result<ClientResult, McpError> {
        let method = request.method().to_owned();
        self.try_ask(key, request)
            .await
            .unwrap_or_else(|| Err(declined(&method)))
    }

    /// As [`ask`](Self::ask); `None` when the exchange ended before answering (so the
    /// caller may answer another way).
    pub(crate) async fn try_ask(
        &self,
        key: Option<String>,
        request: ServerRequest,
    ) -> Option<Result<ClientResult, McpError>> {
        if let ServerRequest::Ping(_) = request {
            // Liveness of this client, not a question for whoever the caller relays to.
            return Some(Ok(ClientResult::Empty(EmptyResult::default())));
        }
        let (responder, answer) = oneshot::channel();
        let event = ExchangeEvent::Request(IncomingRequest {
            key,
            request,
            responder,
        });
        self.0.send(event).ok()?;
        answer.await.ok()
    }

    /// Queues a notification; gives it back if the exchange has ended.
    fn notify(&self, notification: ServerNotification) -> Option<ServerNotification> {
        match self.0.send(ExchangeEvent::Notification(notification)) {
            Err(mpsc::error::SendError(ExchangeEvent::Notification(n))) => Some(n),
            _ => None,
        }
    }
}

fn declined(method: &str) -> McpError {
    McpError::new(
        ErrorCode::METHOD_NOT_FOUND,
        format!("{method} was not answered: the request it belongs to has ended"),
    )
}

#[derive(Default)]
struct Table {
    next: u64,
    /// Running exchanges, oldest first.
    active: Vec<(u64, ScopeTx)>,
    /// Wire progress token → (exchange, the caller's token).
    progress: HashMap<String, (u64, ProgressToken)>,
}

/// The exchanges running on one connection.
#[derive(Default)]
pub(crate) struct Scopes(Mutex<Table>);

impl Scopes {
    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers an exchange for `request`, giving it a wire progress token of its own.
    pub(crate) fn open(
        self: &Arc<Self>,
        request: &mut ClientRequest,
    ) -> (ScopeGuard, ScopeTx, mpsc::UnboundedReceiver<ExchangeEvent>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let tx = ScopeTx(tx);
        let mut table = self.lock();
        table.next += 1;
        let id = table.next;
        let mut wire_token = None;
        if let Some(Some(meta)) = request.meta_mut() {
            if let Some(token) = meta.progress_token() {
                let wire = format!("turret-exchange-{id}");
                meta.insert(PROGRESS_TOKEN_KEY, wire.clone());
                table.progress.insert(wire.clone(), (id, token));
                wire_token = Some(wire);
            }
        }
        table.active.push((id, tx.clone()));
        let guard = ScopeGuard {
            scopes: self.clone(),
            id,
            wire_token,
        };
        (guard, tx, rx)
    }

    /// The newest running exchange.
    pub(crate) fn latest(&self) -> Option<ScopeTx> {
        self.lock().active.last().map(|(_, tx)| tx.clone())
    }

    /// Delivers a notification to the exchange it belongs to; gives it back if none takes it.
    pub(crate) fn route(&self, notification: ServerNotification) -> Option<ServerNotification> {
        let target = match &notification {
            ServerNotification::Progress(p) => self.progress_target(p),
            ServerNotification::LoggingMessage(_) => self.latest().map(|tx| (tx, None)),
            _ => None,
        };
        let Some((tx, token)) = target else {
            return Some(notification);
        };
        let notification = match (notification, token) {
            (ServerNotification::Progress(mut p), Some(token)) => {
                p.progress_token = token;
                ServerNotification::Progress(p)
            }
            (n, _) => n,
        };
        tx.notify(notification)
    }

    fn progress_target(
        &self,
        p: &ProgressNotificationParams,
    ) -> Option<(ScopeTx, Option<ProgressToken>)> {
        let ProgressToken::String(wire) = &p.progress_token else {
            return None;
        };
        let table = self.lock();
        let (id, token) = table.progress.get(wire)?;
        let tx = table.active.iter().find(|(a, _)| a == id)?.1.clone();
        Some((tx, Some(token.clone())))
    }
}

/// Unregisters an exchange when it ends.
pub(crate) struct ScopeGuard {
    scopes: Arc<Scopes>,
    id: u64,
    wire_token: Option<String>,
}

impl Drop for ScopeGuard {
    fn drop(&mut self) {
        let mut table = self.scopes.lock();
        table.active.retain(|(id, _)| *id != self.id);
        if let Some(wire) = &self.wire_token {
            table.progress.remove(wire);
        }
    }
}
