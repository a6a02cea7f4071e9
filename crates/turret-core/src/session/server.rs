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
    ClientCapabilities, ClientNotification, ClientRequest, Implementation, JsonRpcError,
    JsonRpcMessage, JsonRpcNotification, JsonRpcRequest, JsonRpcResponse, ProtocolVersion,
    RequestId, ServerResult,
};

use super::connection::Connection;
use crate::error::{BoxError, McpError};
use crate::mrtr::InputRequiredLayer;
use crate::peer::Peer;
use crate::request::{Request, RequestContext, SessionLogLevel};
use crate::transport::Transport;

/// What `initialize` settled for a handshake-era connection.
#[derive(Debug, Clone)]
struct Handshake {
    version: ProtocolVersion,
    capabilities: Arc<ClientCapabilities>,
    client_info: Option<Arc<Implementation>>,
}

/// Methods of the handshake era only, and of 2026-07-28 only.
const HANDSHAKE_ONLY: &[&str] = &[
    "initialize",
    "ping",
    "logging/setLevel",
    "resources/subscribe",
    "resources/unsubscribe",
];
const SESSIONLESS_ONLY: &[&str] = &["server/discover", "subscriptions/listen"];

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
    let log_level = SessionLogLevel::new();
    let in_flight: Arc<Mutex<HashMap<RequestId, InFlight>>> = Arc::default();
    let mut handshake: Option<Handshake> = None;
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
                let request = match prepare(r, &mut handshake, &peer, &log_level) {
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
                lock(&in_flight).insert(id.clone(), entry);
                let (service, conn, in_flight) = (service.clone(), conn.clone(), in_flight.clone());
                let version = request.context().version();
                let inline = matches!(request.message(), ClientRequest::Initialize(_));
                let task = async move {
                    let outcome = tokio::select! {
                        r = service.oneshot(request) => Some(r),
                        () = token.cancelled() => None,
                    };
                    lock(&in_flight).remove(&id);
                    let Some(outcome) = outcome else { return };
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
            JsonRpcMessage::Notification(n) => notification(n, &in_flight),
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

fn notification(n: JsonRpcNotification, in_flight: &Mutex<HashMap<RequestId, InFlight>>) {
    match ClientNotification::from_parts(&n.method, n.params) {
        Ok(ClientNotification::Cancelled(c)) => {
            if let Some(entry) = c.request_id.and_then(|id| lock(in_flight).remove(&id)) {
                entry.token.cancel();
            }
        }
        Ok(other) => tracing::trace!(method = other.method(), "notification"),
        Err(e) => tracing::debug!(error = %e, "malformed notification ignored"),
    }
}

/// Types the request, decides its era, and builds its context.
fn prepare(
    r: JsonRpcRequest,
    handshake: &mut Option<Handshake>,
    peer: &Peer,
    log_level: &SessionLogLevel,
) -> Result<Request, McpError> {
    let message = ClientRequest::from_parts(&r.method, r.params)
        .map_err(|e| McpError::invalid_params(e.to_string()))?;
    let meta = message.meta().cloned().unwrap_or_default();
    let base = |version| RequestContext::new(version, peer.clone()).with_id(r.id.clone());

    let context = if let Some(requested) = meta.protocol_version() {
        let version = ProtocolVersion::parse(requested)
            .filter(|v| v.is_sessionless())
            .ok_or_else(|| McpError::unsupported_version(requested))?;
        if HANDSHAKE_ONLY.contains(&message.method()) {
            return Err(McpError::method_not_found(message.method()));
        }
        base(version)
            .with_capabilities(Arc::new(meta.client_capabilities().unwrap_or_default()))
            .with_client_info(meta.client_info().map(Arc::new))
            .with_request_log_level(meta.log_level())
    } else if let ClientRequest::Initialize(p) = &message {
        let version = ProtocolVersion::negotiate_handshake(&p.protocol_version);
        let settled = Handshake {
            version,
            capabilities: Arc::new(p.capabilities.clone()),
            client_info: Some(Arc::new(p.client_info.clone())),
        };
        *handshake = Some(settled.clone());
        session_context(base(version), &settled, log_level)
    } else if matches!(message, ClientRequest::Discover(_)) {
        // A probe without `_meta`: answer it as 2026-07-28 so the client learns what we speak.
        base(ProtocolVersion::LATEST)
    } else if let Some(settled) = handshake.as_ref() {
        if SESSIONLESS_ONLY.contains(&message.method()) {
            return Err(McpError::method_not_found(message.method()));
        }
        session_context(base(settled.version), settled, log_level)
    } else if matches!(message, ClientRequest::Ping(_)) {
        base(ProtocolVersion::LATEST_HANDSHAKE)
    } else {
        return Err(McpError::invalid_request(format!(
            "{} before initialize: send initialize first, or put the 2026-07-28 protocol version in _meta",
            message.method()
        )));
    };
    let context = context.with_progress_token(meta.progress_token());
    let mut request = Request::new(message);
    request.extensions_mut().insert(context);
    Ok(request)
}

fn session_context(
    base: RequestContext,
    settled: &Handshake,
    level: &SessionLogLevel,
) -> RequestContext {
    base.with_capabilities(settled.capabilities.clone())
        .with_client_info(settled.client_info.clone())
        .with_session_log_level(level.clone())
}
