//! The endpoint's side of replication (see [`replicas`](super::replicas)): taking up a
//! session another replica opened, keeping the shared record current, carrying the client's
//! answers to the replica that asked, and serving streams another replica produces.

use std::fmt::Write as _;
use std::sync::{Arc, Weak};
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::StreamExt as _;
use http::{Response, StatusCode};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tower::ServiceExt as _;
use turret_core::types::{
    ErrorObject, Implementation, JsonRpcError, JsonRpcMessage, JsonRpcRequest, LoggingLevel,
    RequestId,
};
use turret_core::{Identity, McpError, McpService, Peer};

use super::replicas::{Answer, SessionRecord};
use super::session::{node_of, HttpSession};
use super::sse::{keep_alive, Event};
use super::stream::is_final;
use super::{plain, ResponseBody, Shared};

/// How often a replica serving another replica's stream checks that the producer lives.
const LIVENESS_CHECK: Duration = Duration::from_secs(2);

/// The name of a session's standalone stream in the shared event store.
pub(crate) fn standalone_name(session: &str) -> String {
    format!("{session}-s")
}

/// The name of a call's stream: `{session}-{node}-{n}-{request id as hex JSON}`. Hex keeps
/// it free of `_` (event ids use it) whatever the request id holds.
pub(crate) fn stream_name(session: &str, node: &str, n: u64, request: &RequestId) -> String {
    let mut name = format!("{session}-{node}-{n}-");
    for b in serde_json::to_vec(request).unwrap_or_default() {
        let _ = write!(name, "{b:02x}");
    }
    name
}

/// The replica producing a call's stream, and the request it answers.
fn producer_of<'a>(session: &str, stream: &'a str) -> Option<(&'a str, RequestId)> {
    let mut parts = stream
        .strip_prefix(session)?
        .strip_prefix('-')?
        .splitn(3, '-');
    let (node, _n, hex) = (parts.next()?, parts.next()?, parts.next()?);
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    Some((node, serde_json::from_slice(&bytes).ok()?))
}

fn unavailable(e: impl std::fmt::Display) -> Box<Response<ResponseBody>> {
    // The cause goes to the log; the client learns only that it may retry.
    tracing::warn!(error = %e, "the shared session store failed");
    Box::new(plain(
        StatusCode::SERVICE_UNAVAILABLE,
        "the shared session store is unavailable: retry shortly",
    ))
}

/// The live session `id` names for `caller`: this replica's own copy, checked against the
/// shared record when replicated (another replica may have ended it or changed it), or taken
/// up from the record. `Ok(None)` for an unknown, ended or foreign session.
pub(crate) async fn find<S: McpService>(
    shared: &Shared<S>,
    id: &str,
    caller: Option<&Identity>,
) -> Result<Option<Arc<HttpSession>>, Box<Response<ResponseBody>>> {
    let idle = shared.config.session_idle;
    let local = shared.sessions.get(id, idle, caller);
    let Some(replicas) = &shared.config.replicas else {
        return Ok(local);
    };
    let Some(record) = replicas
        .sessions
        .load(id, idle)
        .await
        .map_err(unavailable)?
    else {
        if local.is_some() {
            shared.sessions.remove(id);
        }
        return Ok(None);
    };
    if record.owner.as_deref() != caller.map(Identity::subject) {
        return Ok(None);
    }
    let session = match local {
        Some(s) => s,
        None => take_up(shared, id, &record).await,
    };
    reconcile(shared, &session, record).await;
    Ok(Some(session))
}

/// This replica's copy of a session another replica opened. Its `initialize` is replayed
/// through the service, so the service knows the session as its opener does (a router's
/// notifier sends it list changes from here too).
async fn take_up<S: McpService>(
    shared: &Shared<S>,
    id: &str,
    record: &SessionRecord,
) -> Arc<HttpSession> {
    let idle = shared.config.session_idle;
    let fresh = HttpSession::new(id.into(), record.owner.as_deref(), shared.replica_link());
    let restore = |s: &HttpSession| {
        s.state.lock().unwrap_or_else(|e| e.into_inner()).restore(
            record.protocol_version,
            record.capabilities.clone(),
            record.client_info.clone(),
        );
    };
    // Settled before anyone else can find it here.
    restore(&fresh);
    let session = shared.sessions.insert(fresh.clone(), idle);
    if !Arc::ptr_eq(&session, &fresh) {
        return session; // another request took it up first
    }
    let params = json!({
        "protocolVersion": record.protocol_version,
        "capabilities": record.capabilities,
        "clientInfo": record.client_info.clone().unwrap_or_else(|| Implementation {
            name: "unknown".into(),
            version: "0".into(),
            ..Implementation::default()
        }),
    });
    replay(shared, &session, "initialize", params).await;
    // The replayed initialize settled the version this replica would negotiate; the session
    // keeps the one its opener settled.
    restore(&session);
    session
}

/// Brings this replica's copy of a session up to its shared record: the log level, and the
/// subscriptions made or dropped on other replicas (replayed through the service, so the
/// router's notifier knows them here too).
async fn reconcile<S: McpService>(
    shared: &Shared<S>,
    session: &HttpSession,
    record: SessionRecord,
) {
    let before = {
        let mut applied = session.applied.lock().unwrap_or_else(|e| e.into_inner());
        if applied.as_ref() == Some(&record) {
            return;
        }
        applied.replace(record.clone())
    };
    if let Some(level) = record.log_level {
        session
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .log_level()
            .set(level);
    }
    let before = before.map(|b| b.subscriptions).unwrap_or_default();
    let now = &record.subscriptions;
    let changes = now
        .difference(&before)
        .map(|uri| (uri, "resources/subscribe"))
        .chain(
            before
                .difference(now)
                .map(|uri| (uri, "resources/unsubscribe")),
        );
    for (uri, method) in changes {
        replay(shared, session, method, json!({ "uri": uri })).await;
    }
}

/// Runs a request of the session through the service as if the client had sent it here,
/// for what it sets up in the service (the answer is not needed).
async fn replay<S: McpService>(
    shared: &Shared<S>,
    session: &HttpSession,
    method: &str,
    params: Value,
) {
    let r = JsonRpcRequest {
        id: RequestId::String("turret-replica".into()),
        method: method.into(),
        params: Some(params),
    };
    let prepared = session
        .state
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .prepare(r, &Peer::detached());
    let outcome = match prepared {
        Ok(request) => shared.service.clone().oneshot(request).await.err(),
        Err(e) => Some(e.into()),
    };
    if let Some(e) = outcome {
        tracing::warn!(%method, error = %e, "could not renew a session taken up from another replica");
    }
}

/// Stores the record of a session `initialize` just settled here. Without a record no
/// other replica could serve it, so a store failure ends the session.
pub(crate) async fn remember_initialize<S: McpService>(
    shared: &Shared<S>,
    session: &HttpSession,
) -> Result<(), Box<Response<ResponseBody>>> {
    let Some(replicas) = &shared.config.replicas else {
        return Ok(());
    };
    let record = {
        let state = session.state.lock().unwrap_or_else(|e| e.into_inner());
        let Some(version) = state.version() else {
            return Ok(()); // initialize failed: nothing settled
        };
        SessionRecord {
            owner: session.owner().map(str::to_owned),
            protocol_version: version,
            capabilities: state.capabilities().cloned().unwrap_or_default(),
            client_info: state.client_info().cloned(),
            log_level: None,
            subscriptions: Default::default(),
        }
    };
    let stored = replicas
        .sessions
        .create(&session.id, &record, shared.config.session_idle)
        .await;
    if let Err(e) = stored {
        shared.sessions.remove(&session.id);
        return Err(unavailable(e));
    }
    *session.applied.lock().unwrap_or_else(|e| e.into_inner()) = Some(record);
    Ok(())
}

/// Records in the shared store what `r` changes of its session (`logging/setLevel`,
/// `resources/subscribe` and `unsubscribe`), before it runs here.
pub(crate) async fn remember_change<S: McpService>(
    shared: &Shared<S>,
    session: &HttpSession,
    r: &JsonRpcRequest,
) -> Result<(), Box<Response<ResponseBody>>> {
    let Some(replicas) = &shared.config.replicas else {
        return Ok(());
    };
    let param = |name| r.params.as_ref().and_then(|p| p.get(name));
    let applied = |change: &dyn Fn(&mut SessionRecord)| {
        if let Some(record) = session
            .applied
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_mut()
        {
            change(record);
        }
    };
    match r.method.as_str() {
        "logging/setLevel" => {
            let Some(level) = param("level").and_then(|l| LoggingLevel::deserialize(l).ok()) else {
                return Ok(()); // the request itself will be refused
            };
            replicas
                .sessions
                .set_log_level(&session.id, level)
                .await
                .map_err(unavailable)?;
            applied(&|rec| rec.log_level = Some(level));
        }
        "resources/subscribe" | "resources/unsubscribe" => {
            let Some(uri) = param("uri").and_then(Value::as_str) else {
                return Ok(());
            };
            let on = r.method == "resources/subscribe";
            replicas
                .sessions
                .set_subscribed(&session.id, uri, on)
                .await
                .map_err(unavailable)?;
            applied(&|rec| {
                if on {
                    rec.subscriptions.insert(uri.to_owned());
                } else {
                    rec.subscriptions.remove(uri);
                }
            });
        }
        _ => {}
    }
    Ok(())
}

use serde::Deserialize as _;

/// Delivers the client's answer to a request this endpoint sent: here, or at the replica
/// whose name the request id carries.
pub(crate) async fn deliver_answer<S>(
    shared: &Shared<S>,
    session: &HttpSession,
    id: RequestId,
    outcome: Result<Value, ErrorObject>,
) {
    if let Some(replicas) = &shared.config.replicas {
        let elsewhere = node_of(&id)
            .filter(|n| *n != replicas.relay.node())
            .map(str::to_owned);
        if let Some(node) = elsewhere {
            let answer = Answer {
                session: session.id.to_string(),
                id,
                outcome,
            };
            if let Err(e) = replicas.relay.forward(&node, &answer).await {
                tracing::warn!(%node, error = %e, "could not forward a client's answer");
            }
            return;
        }
    }
    session.outstanding.complete(&id, outcome);
}

/// Hands the answers other replicas forward to the sessions here, until shutdown.
pub(crate) async fn take_answers<S: Send + Sync + 'static>(
    shared: Weak<Shared<S>>,
    mut answers: BoxStream<'static, Answer>,
    shutdown: tokio_util::sync::CancellationToken,
) {
    loop {
        let answer = tokio::select! {
            a = answers.next() => match a { Some(a) => a, None => break },
            () = shutdown.cancelled() => break,
        };
        let Some(shared) = shared.upgrade() else {
            break;
        };
        if let Some(session) = shared.sessions.peek(&answer.session) {
            session.outstanding.complete(&answer.id, answer.outcome);
        }
    }
}

/// Serves a resumed stream that another replica produces, from the shared store, after
/// event `last`: until its answer passes, the client goes, or its producer dies (then the
/// client gets an error answer, since the call died with it). `false` when `stream` is not
/// another replica's call stream.
pub(crate) fn follow_call<S>(
    shared: &Shared<S>,
    session: &HttpSession,
    stream: &str,
    last: &str,
    live: &mpsc::UnboundedSender<Bytes>,
) -> bool {
    let Some(replicas) = &shared.config.replicas else {
        return false;
    };
    let Some((node, request)) = producer_of(&session.id, stream) else {
        return false;
    };
    if node == replicas.relay.node() {
        return false; // ours and no longer running: the replay was all of it
    }
    let (node, relay) = (node.to_owned(), replicas.relay.clone());
    let events = shared.config.event_store.follow(stream, Some(last));
    let (live, shutdown) = (live.clone(), shared.shutdown.clone());
    tokio::spawn(async move {
        let dead = || async { !relay.is_live(&node).await };
        pump(events, live, shutdown, Some(&request), dead).await;
    });
    true
}

/// Serves a session's standalone stream from the shared store: what any replica sends to
/// the session from now on (or after `last`, when resuming), until the client goes or the
/// session ends, here or on another replica (an open stream keeps the session in use).
pub(crate) fn follow_standalone<S>(
    shared: &Shared<S>,
    session: &HttpSession,
    last: Option<&str>,
    live: &mpsc::UnboundedSender<Bytes>,
) {
    let Some(replicas) = &shared.config.replicas else {
        return;
    };
    let events = shared
        .config
        .event_store
        .follow(&standalone_name(&session.id), last);
    let (live, shutdown) = (live.clone(), shared.shutdown.clone());
    let (closed, id) = (session.closed.clone(), session.id.clone());
    let (store, idle) = (replicas.sessions.clone(), shared.config.session_idle);
    tokio::spawn(async move {
        let ended = || {
            let (closed, id, store) = (closed.clone(), id.clone(), store.clone());
            async move { closed.is_cancelled() || matches!(store.load(&id, idle).await, Ok(None)) }
        };
        pump(events, live, shutdown, None, ended).await;
    });
}

/// Copies followed events to `live` until the answer to `request` (if any) passed, the
/// client or the server went, or `gone` (asked every [`LIVENESS_CHECK`]) says the source
/// is gone; keep-alives fill the silences.
async fn pump<F, Fut>(
    mut events: BoxStream<'static, (String, JsonRpcMessage)>,
    live: mpsc::UnboundedSender<Bytes>,
    shutdown: tokio_util::sync::CancellationToken,
    request: Option<&RequestId>,
    gone: F,
) where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let mut check =
        tokio::time::interval_at(tokio::time::Instant::now() + LIVENESS_CHECK, LIVENESS_CHECK);
    loop {
        tokio::select! {
            event = events.next() => {
                let Some((id, message)) = event else { break };
                let done = request.is_some_and(|r| is_final(&message, r));
                if live.send(Event::message(Some(id), message).to_bytes()).is_err() || done {
                    break;
                }
            }
            _ = check.tick() => {
                if !gone().await {
                    if live.send(keep_alive()).is_err() {
                        break;
                    }
                    continue;
                }
                if let Some(request) = request {
                    let error = McpError::internal(
                        "the replica running this request stopped before answering: send it again",
                    );
                    let message = JsonRpcMessage::Error(JsonRpcError {
                        id: Some(request.clone()),
                        error: error.into_object(),
                    });
                    let _ = live.send(Event::message(None, message).to_bytes());
                }
                break;
            }
            () = live.closed() => break,
            () = shutdown.cancelled() => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_stream_names_its_replica_and_request() {
        for id in [
            RequestId::Number(7),
            RequestId::String("a-b_c \u{e9}".into()),
        ] {
            let name = stream_name("sess", "node1", 3, &id);
            assert!(!name.contains('_'), "{name}");
            assert_eq!(producer_of("sess", &name), Some(("node1", id)));
        }
        assert_eq!(producer_of("sess", &standalone_name("sess")), None);
        assert_eq!(
            producer_of("other", &stream_name("sess", "n", 0, &RequestId::Number(1))),
            None
        );
        assert_eq!(producer_of("sess", "sess-n-1-zz"), None);
    }
}
