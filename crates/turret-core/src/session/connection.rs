//! One connection's outgoing side: a writer task, and correlation of the requests this side
//! sends with the responses that come back. Shared by the server and client drivers.

use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;
use futures_util::SinkExt as _;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use turret_types::{
    ClientResult, ErrorObject, JsonRpcMessage, JsonRpcNotification, JsonRpcRequest, RequestId,
    ServerNotification, ServerRequest,
};

use crate::error::McpError;
use crate::peer::PeerSink;
use crate::transport::MessageSink;

type Waiter = oneshot::Sender<Result<Value, ErrorObject>>;

/// The outgoing half of a connection.
#[derive(Debug, Clone)]
pub(crate) struct Connection {
    out: mpsc::Sender<JsonRpcMessage>,
    /// Tripped when the connection ends: the writer flushes what is queued and stops, even
    /// though clones of this handle (held by subscriptions) are still alive.
    closed: CancellationToken,
    pending: Arc<Mutex<HashMap<RequestId, Waiter>>>,
    next_id: Arc<AtomicI64>,
}

/// How many outgoing messages may wait for the writer before senders wait too.
const OUTGOING_BUFFER: usize = 256;

impl Connection {
    /// Starts the writer task over `sink`; it ends on [`Connection::close`] or when every
    /// clone is dropped.
    pub(crate) fn start(mut sink: MessageSink) -> (Self, tokio::task::JoinHandle<io::Result<()>>) {
        let (out, mut rx) = mpsc::channel::<JsonRpcMessage>(OUTGOING_BUFFER);
        let closed = CancellationToken::new();
        let stop = closed.clone();
        let writer = tokio::spawn(async move {
            loop {
                let message = tokio::select! {
                    biased;
                    m = rx.recv() => m,
                    () = stop.cancelled() => rx.try_recv().ok(),
                };
                let Some(message) = message else { break };
                sink.feed(message).await?;
                // Flush only when nothing else is queued: one write for a burst.
                if rx.is_empty() {
                    sink.flush().await?;
                }
            }
            sink.close().await
        });
        let conn = Self {
            out,
            closed,
            pending: Arc::default(),
            next_id: Arc::new(AtomicI64::new(1)),
        };
        (conn, writer)
    }

    /// Queues a message; `false` when the connection is gone.
    pub(crate) async fn send(&self, message: JsonRpcMessage) -> bool {
        self.out.send(message).await.is_ok()
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.is_cancelled() || self.out.is_closed()
    }

    /// Ends the connection: queued messages are written, later ones dropped, waiting
    /// requests failed.
    pub(crate) fn close(&self) {
        self.closed.cancel();
        self.fail_pending();
    }

    /// Sends a request and waits for its response.
    pub(crate) async fn request(
        &self,
        method: String,
        params: Option<Value>,
    ) -> Result<Value, McpError> {
        self.request_with_id(self.next_id(), method, params).await
    }

    /// Allocates the id of an outgoing request (so a caller can refer to it, e.g. to cancel).
    pub(crate) fn next_id(&self) -> RequestId {
        RequestId::Number(self.next_id.fetch_add(1, Ordering::Relaxed))
    }

    /// [`request`](Self::request) with an id from [`next_id`](Self::next_id).
    pub(crate) async fn request_with_id(
        &self,
        id: RequestId,
        method: String,
        params: Option<Value>,
    ) -> Result<Value, McpError> {
        let (tx, rx) = oneshot::channel();
        self.lock().insert(id.clone(), tx);
        let sent = self
            .send(JsonRpcMessage::Request(JsonRpcRequest {
                id: id.clone(),
                method,
                params,
            }))
            .await;
        if !sent {
            self.lock().remove(&id);
            return Err(McpError::internal("the connection is closed"));
        }
        match rx.await {
            Ok(result) => result.map_err(McpError::from),
            Err(_) => Err(McpError::internal(
                "the connection closed before the answer came",
            )),
        }
    }

    /// Hands a response to the request waiting for it; `false` if none was.
    pub(crate) fn complete(&self, id: &RequestId, result: Result<Value, ErrorObject>) -> bool {
        match self.lock().remove(id) {
            Some(waiter) => waiter.send(result).is_ok(),
            None => false,
        }
    }

    /// Fails every request still waiting (the connection ended).
    pub(crate) fn fail_pending(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<RequestId, Waiter>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl PeerSink for Connection {
    fn notify(&self, notification: ServerNotification) -> BoxFuture<'static, ()> {
        let conn = self.clone();
        Box::pin(async move {
            let message = JsonRpcNotification {
                method: notification.method().to_owned(),
                params: notification.params_value(),
            };
            conn.send(message.into()).await;
        })
    }

    fn request(
        &self,
        request: ServerRequest,
    ) -> BoxFuture<'static, Result<ClientResult, McpError>> {
        let conn = self.clone();
        Box::pin(async move {
            let method = request.method().to_owned();
            let value = conn.request(method.clone(), request.params_value()).await?;
            ClientResult::from_value(&method, value)
                .map_err(|e| McpError::internal(format!("the client's answer was malformed: {e}")))
        })
    }

    fn is_closed(&self) -> bool {
        Connection::is_closed(self)
    }
}
