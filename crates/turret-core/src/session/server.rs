//! The server driver: runs a service over one connection.

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex};

use futures_util::StreamExt as _;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tower::{Layer as _, ServiceExt as _};
use tower_service::Service;
use turret_types::{
    ClientNotification, ClientRequest, JsonRpcError, JsonRpcMessage, JsonRpcNotification,
    JsonRpcResponse, RequestId, ServerResult,
};

use super::connection::Connection;
use super::state::SessionState;
use super::{admit, MAX_IN_FLIGHT};
use crate::error::{BoxError, McpError};
use crate::mrtr::InputRequiredLayer;
use crate::peer::Peer;
use crate::request::Request;
use crate::transport::Transport;

/// Serves `service` over `transport` until the client closes it; in-flight requests finish
/// first.
///
/// One connection speaks either era: a client that sends `initialize` gets the handshake
/// era it negotiated; requests carrying `io.modelcontextprotocol/protocolVersion` in `_meta`
/// are served statelessly per 2026-07-28. Requests run concurrently; `notifications/cancelled`
/// drops the request's future (no answer is sent, as the protocol asks). Malformed input is
/// answered with the right JSON-RPC error and the connection keeps serving.
pub async fn serve<S>(service: S, transport: Transport) -> io::Result<()>
where
    S: Service<Request, Response = ServerResult> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    let service = InputRequiredLayer::new().layer(service);
    let (mut incoming, sink) = transport.into_parts();
    let (conn, writer) = Connection::start(sink);
    let peer = Peer::new(conn.clone());
    let in_flight: Arc<Mutex<HashMap<RequestId, InFlight>>> = Arc::default();
    let mut session = SessionState::new();
    let mut tasks = JoinSet::new();

    while let Some(item) = incoming.next().await {
        let message = match item {
            Ok(m) => m,
            Err(bad) => {
                conn.send(JsonRpcMessage::Error(JsonRpcError {
                    id: bad.id,
                    error: bad.error,
                }))
                .await;
                continue;
            }
        };
        match message {
            JsonRpcMessage::Request(r) => {
                let id = r.id.clone();
                let request = match session.prepare(r, &peer) {
                    Ok(req) => req,
                    Err(e) => {
                        conn.send(error_response(id, e)).await;
                        continue;
                    }
                };
                let token = request.context().cancellation().clone();
                let entry = InFlight {
                    token: token.clone(),
                    stream: matches!(request.message(), ClientRequest::SubscriptionsListen(_)),
                };
                let admitted = admit(&mut lock(&in_flight), &id, entry, MAX_IN_FLIGHT);
                if let Err(e) = admitted {
                    conn.send(error_response(id, e)).await;
                    continue;
                }
                let (service, conn, in_flight) = (service.clone(), conn.clone(), in_flight.clone());
                let version = request.context().version();
                let inline = matches!(request.message(), ClientRequest::Initialize(_));
                let task = async move {
                    let outcome = tokio::select! {
                        // Cancellation first: a service that ends *because* it was
                        // cancelled (subscriptions/listen) must not be answered either.
                        biased;
                        () = token.cancelled() => None,
                        r = service.oneshot(request) => Some(r),
                    };
                    lock(&in_flight).remove(&id);
                    // A cancelled request gets no answer, even if it finished in the same
                    // instant (a listen stream ends *because* of its cancellation).
                    let Some(outcome) = outcome.filter(|_| !token.is_cancelled()) else {
                        return;
                    };
                    let message = match outcome {
                        Ok(mut result) => {
                            result.adapt_to(version);
                            JsonRpcMessage::Response(JsonRpcResponse {
                                id,
                                result: result.to_value(),
                            })
                        }
                        Err(e) => error_response(id, McpError::from_box_error(e)),
                    };
                    conn.send(message).await;
                };
                if inline {
                    // The handshake's answer goes out before anything pipelined after it.
                    task.await;
                } else {
                    tasks.spawn(task);
                }
                // Reap finished tasks so a long connection does not accumulate them.
                while tasks.try_join_next().is_some() {}
            }
            JsonRpcMessage::Notification(n) => notification(n, &in_flight, &session),
            JsonRpcMessage::Response(r) => {
                conn.complete(&r.id, Ok(r.result));
            }
            JsonRpcMessage::Error(e) => {
                if let Some(id) = e.id {
                    conn.complete(&id, Err(e.error));
                }
            }
        }
    }
    // The client closed its side: listen streams end now (nobody will cancel them), other
    // in-flight requests finish and their answers go out.
    for entry in lock(&in_flight).values().filter(|e| e.stream) {
        entry.token.cancel();
    }
    while tasks.join_next().await.is_some() {}
    conn.close();
    writer.await.unwrap_or_else(|e| Err(io::Error::other(e)))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn error_response(id: RequestId, error: McpError) -> JsonRpcMessage {
    JsonRpcMessage::Error(JsonRpcError {
        id: Some(id),
        error: error.into_object(),
    })
}

/// A request being served: how to cancel it, and whether it is a long-lived stream.
#[derive(Debug)]
struct InFlight {
    token: CancellationToken,
    stream: bool,
}

fn notification(
    n: JsonRpcNotification,
    in_flight: &Mutex<HashMap<RequestId, InFlight>>,
    session: &SessionState,
) {
    match ClientNotification::from_parts(&n.method, n.params) {
        Ok(ClientNotification::Cancelled(c)) => {
            if let Some(entry) = c.request_id.and_then(|id| lock(in_flight).remove(&id)) {
                entry.token.cancel();
            }
        }
        Ok(ClientNotification::RootsListChanged(_)) => session.roots_changed(),
        Ok(other) => tracing::trace!(method = other.method(), "notification"),
        Err(e) => tracing::debug!(error = %e, "malformed notification ignored"),
    }
}
