//! The client's read loop: answers go to the requests waiting for them, server requests to
//! the handler, notifications to subscribers.

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::StreamExt as _;
use tokio::sync::broadcast;
use tokio::task::{AbortHandle, JoinSet};
use tokio_util::sync::CancellationToken;
use turret_types::{
    ErrorCode, JsonRpcError, JsonRpcMessage, JsonRpcNotification, JsonRpcRequest, JsonRpcResponse,
    RequestId, ServerNotification, ServerRequest,
};

use super::exchange::Scopes;
use super::handler::{Answerer, ErasedHandler};
use crate::error::McpError;
use crate::session::connection::Connection;
use crate::transport::MessageStream;

/// What the read loop needs.
pub(crate) struct Driver {
    pub(crate) incoming: MessageStream,
    pub(crate) conn: Connection,
    pub(crate) handler: Arc<dyn ErasedHandler>,
    pub(crate) notifications: broadcast::Sender<ServerNotification>,
    /// Running exchanges, which take the traffic that belongs to them.
    pub(crate) scopes: Arc<Scopes>,
    /// Cancelled by the client to stop reading (close, or the last handle dropped).
    pub(crate) stop: CancellationToken,
    /// Cancelled here when the loop ends: no answer will come any more.
    pub(crate) closed: CancellationToken,
}

impl Driver {
    /// Reads until the server closes the stream or the client stops; then closes the
    /// connection (queued messages are still written), fails every request still waiting and
    /// abandons server requests still being answered.
    pub(crate) async fn run(mut self) {
        let mut answering: JoinSet<RequestId> = JoinSet::new();
        let mut by_id: HashMap<RequestId, AbortHandle> = HashMap::new();
        loop {
            tokio::select! {
                () = self.stop.cancelled() => break,
                Some(done) = answering.join_next(), if !answering.is_empty() => {
                    if let Ok(id) = done {
                        by_id.remove(&id);
                    }
                }
                item = self.incoming.next() => match item {
                    None => break,
                    Some(Err(bad)) => tracing::warn!(error = %bad, "the server sent a malformed message; ignored"),
                    Some(Ok(message)) => self.dispatch(message, &mut answering, &mut by_id),
                },
            }
        }
        self.closed.cancel();
        // Writes what is queued, closes the sink, fails the requests still waiting.
        self.conn.close();
    }

    fn dispatch(
        &self,
        message: JsonRpcMessage,
        answering: &mut JoinSet<RequestId>,
        by_id: &mut HashMap<RequestId, AbortHandle>,
    ) {
        match message {
            JsonRpcMessage::Response(r) => {
                if !self.conn.complete(&r.id, Ok(r.result)) {
                    tracing::debug!(id = %r.id, "response to no waiting request (abandoned?)");
                }
            }
            JsonRpcMessage::Error(e) => match e.id {
                Some(id) => {
                    self.conn.complete(&id, Err(e.error));
                }
                None => {
                    tracing::warn!(error = %e.error, "the server reported an error about an unreadable message")
                }
            },
            JsonRpcMessage::Request(r) => {
                let id = r.id.clone();
                let answerer = match self.scopes.latest() {
                    Some(scope) => Answerer::Guessed(scope, self.handler.clone()),
                    None => Answerer::Handler(self.handler.clone()),
                };
                let abort = answering.spawn(respond(r, answerer, self.conn.clone()));
                if let Some(old) = by_id.insert(id, abort) {
                    // The server reused an id still in flight; the newer request wins.
                    old.abort();
                }
            }
            JsonRpcMessage::Notification(n) => self.notification(n, by_id),
        }
    }

    fn notification(&self, n: JsonRpcNotification, by_id: &mut HashMap<RequestId, AbortHandle>) {
        let notification = match ServerNotification::from_parts(&n.method, n.params) {
            Ok(notification) => notification,
            Err(e) => {
                tracing::debug!(error = %e, "malformed notification ignored");
                return;
            }
        };
        if let ServerNotification::Cancelled(c) = &notification {
            // The server gave up on one of its requests: stop answering it (no answer is sent).
            if let Some(abort) = c.request_id.as_ref().and_then(|id| by_id.remove(id)) {
                abort.abort();
            }
        }
        let Some(notification) = self.scopes.route(notification) else {
            return;
        };
        // An error only means nobody subscribed.
        let _ = self.notifications.send(notification);
    }
}

/// Answers one server→client request with the handler and sends the answer.
async fn respond(request: JsonRpcRequest, answerer: Answerer, conn: Connection) -> RequestId {
    let id = request.id;
    let outcome = match ServerRequest::from_parts(&request.method, request.params) {
        Ok(typed) => answerer.answer(None, typed).await,
        Err(e) => Err(McpError::invalid_params(e.to_string())),
    };
    let message = match outcome {
        Ok(result) => JsonRpcMessage::Response(JsonRpcResponse {
            id: id.clone(),
            result: result.to_value(),
        }),
        Err(e) => {
            if e.code() != ErrorCode::METHOD_NOT_FOUND {
                tracing::debug!(error = %e, "a server request failed");
            }
            JsonRpcMessage::Error(JsonRpcError {
                id: Some(id.clone()),
                error: e.into_object(),
            })
        }
    };
    conn.send(message).await;
    id
}
