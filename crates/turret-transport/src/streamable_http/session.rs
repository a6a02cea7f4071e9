//! Handshake-era sessions: what one `Mcp-Session-Id` holds.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use turret_core::session::SessionState;
use turret_core::types::{
    ClientResult, ErrorObject, JsonRpcMessage, JsonRpcNotification, JsonRpcRequest, RequestId,
    ServerNotification, ServerRequest,
};
use turret_core::{Identity, McpError, Peer, PeerSink};

use super::event_store::EventStore;
use super::replicas::SessionRecord;
use super::sse::Event;
use super::stream::Slot;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Requests this server sent to the client, waiting for the client's POSTed answers.
#[derive(Debug, Default)]
pub(crate) struct Outstanding {
    next: AtomicI64,
    /// With replicas, ids are `{node}-{n}` strings: unique across replicas, and they name
    /// the replica an answer POSTed elsewhere must travel to.
    node: Option<Arc<str>>,
    waiting: Mutex<HashMap<RequestId, oneshot::Sender<Result<Value, ErrorObject>>>>,
}

impl Outstanding {
    /// A fresh id and the receiver its answer will arrive on.
    pub(crate) fn open(&self) -> (RequestId, oneshot::Receiver<Result<Value, ErrorObject>>) {
        let n = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let id = match &self.node {
            Some(node) => RequestId::String(format!("{node}-{n}")),
            None => RequestId::Number(n),
        };
        let (tx, rx) = oneshot::channel();
        lock(&self.waiting).insert(id.clone(), tx);
        (id, rx)
    }

    /// Delivers an answer; `false` when nothing waited for that id.
    pub(crate) fn complete(&self, id: &RequestId, result: Result<Value, ErrorObject>) -> bool {
        lock(&self.waiting)
            .remove(id)
            .is_some_and(|tx| tx.send(result).is_ok())
    }

    fn forget(&self, id: &RequestId) {
        lock(&self.waiting).remove(id);
    }
}

/// Sends `request` with `send` and waits for the answer routed through `outstanding`.
pub(crate) async fn ask<F, Fut>(
    outstanding: &Outstanding,
    request: ServerRequest,
    send: F,
) -> Result<ClientResult, McpError>
where
    F: FnOnce(JsonRpcMessage) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let (id, answer) = outstanding.open();
    let method = request.method().to_owned();
    let message = JsonRpcMessage::Request(JsonRpcRequest {
        id: id.clone(),
        method: method.clone(),
        params: request.params_value(),
    });
    if !send(message).await {
        outstanding.forget(&id);
        return Err(McpError::internal(format!(
            "cannot send {method}: the client's stream is closed"
        )));
    }
    let value = answer
        .await
        .map_err(|_| McpError::internal("the session ended before the client answered"))?
        .map_err(McpError::from)?;
    ClientResult::from_value(&method, value)
        .map_err(|e| McpError::internal(format!("the client's answer was malformed: {e}")))
}

/// The replica a request id of [`Outstanding`] names, when it names one.
pub(crate) fn node_of(id: &RequestId) -> Option<&str> {
    match id {
        RequestId::String(s) => s.split_once('-').map(|(node, _)| node),
        RequestId::Number(_) => None,
    }
}

/// How many messages wait for a standalone stream that is not open.
const BACKLOG: usize = 128;

/// What a session of a replicated endpoint knows of the other replicas.
#[derive(Clone)]
pub(crate) struct ReplicaLink {
    /// This replica's name.
    pub(crate) node: Arc<str>,
    /// The shared event store: the standalone stream goes through it, so whichever replica
    /// holds the client's GET delivers what any replica sends.
    pub(crate) events: Arc<dyn EventStore>,
}

impl std::fmt::Debug for ReplicaLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplicaLink")
            .field("node", &self.node)
            .finish_non_exhaustive()
    }
}

/// One handshake-era session.
#[derive(Debug)]
pub(crate) struct HttpSession {
    pub(crate) id: Arc<str>,
    /// The subject of the [`Identity`] that opened the session, if an auth layer set one:
    /// only the same subject may use the session afterwards, so a leaked or guessed session
    /// id is worth nothing with another caller's token.
    owner: Option<Arc<str>>,
    pub(crate) state: Mutex<SessionState>,
    pub(crate) outstanding: Outstanding,
    pub(crate) in_flight: Mutex<HashMap<RequestId, CancellationToken>>,
    pub(crate) streams: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Slot>>>>,
    standalone: Mutex<Standalone>,
    last_used: Mutex<Instant>,
    pub(crate) closed: CancellationToken,
    next_stream: AtomicU64,
    pub(crate) replica: Option<ReplicaLink>,
    /// The shared record as this replica last applied it (replicated endpoints).
    pub(crate) applied: Mutex<Option<SessionRecord>>,
}

#[derive(Debug, Default)]
struct Standalone {
    live: Option<mpsc::UnboundedSender<Bytes>>,
    backlog: VecDeque<JsonRpcMessage>,
}

impl HttpSession {
    pub(crate) fn new(
        id: Arc<str>,
        owner: Option<&str>,
        replica: Option<ReplicaLink>,
    ) -> Arc<Self> {
        let session = Arc::new(Self {
            id: id.clone(),
            owner: owner.map(Into::into),
            state: Mutex::new(SessionState::with_id(id)),
            outstanding: Outstanding {
                node: replica.as_ref().map(|r| r.node.clone()),
                ..Outstanding::default()
            },
            in_flight: Mutex::default(),
            streams: Mutex::default(),
            standalone: Mutex::default(),
            last_used: Mutex::new(Instant::now()),
            closed: CancellationToken::new(),
            next_stream: AtomicU64::new(0),
            replica,
            applied: Mutex::default(),
        });
        let peer = Peer::new(SessionPeer(Arc::downgrade(&session)));
        let mut state = lock(&session.state);
        *state = std::mem::take(&mut *state).with_session_peer(peer);
        drop(state);
        session
    }

    /// Marks the session used now.
    pub(crate) fn touch(&self) {
        *lock(&self.last_used) = Instant::now();
    }

    pub(crate) fn idle_for(&self) -> Duration {
        lock(&self.last_used).elapsed()
    }

    /// The subject that owns the session, if any.
    pub(crate) fn owner(&self) -> Option<&str> {
        self.owner.as_deref()
    }

    /// A stream id unique in this session (and free of `_`, which event ids use). With
    /// replicas it also names this replica and the request, so another replica resuming
    /// the stream can tell whether its producer still lives and answer for it if not.
    pub(crate) fn next_stream_id(&self, request: &RequestId) -> String {
        let n = self.next_stream.fetch_add(1, Ordering::Relaxed);
        match &self.replica {
            Some(r) => super::replicated::stream_name(&self.id, &r.node, n, request),
            None => format!("{}-{n}", self.id),
        }
    }

    /// Attaches a standalone GET stream, replacing an earlier one, and flushes the backlog.
    pub(crate) fn attach_standalone(&self, live: mpsc::UnboundedSender<Bytes>) {
        let mut s = lock(&self.standalone);
        for message in s.backlog.drain(..) {
            let _ = live.send(Event::message(None, message).to_bytes());
        }
        s.live = Some(live);
    }

    /// Sends on the standalone stream: through the shared store when replicated (the GET
    /// may be held by any replica), else to the open GET, or kept for when one opens.
    async fn send_standalone(&self, message: JsonRpcMessage) -> bool {
        if let Some(r) = &self.replica {
            let stream = super::replicated::standalone_name(&self.id);
            r.events.append(&stream, &message).await;
            return true;
        }
        let mut s = lock(&self.standalone);
        if let Some(live) = &s.live {
            if live
                .send(Event::message(None, message.clone()).to_bytes())
                .is_ok()
            {
                return true;
            }
            s.live = None;
        }
        if s.backlog.len() >= BACKLOG {
            s.backlog.pop_front();
        }
        s.backlog.push_back(message);
        true
    }

    /// Ends the session: in-flight requests are cancelled, streams close.
    pub(crate) fn close(&self) {
        self.closed.cancel();
        for token in lock(&self.in_flight).values() {
            token.cancel();
        }
        lock(&self.standalone).live = None;
    }
}

/// The session-wide peer: the standalone GET stream.
struct SessionPeer(std::sync::Weak<HttpSession>);

impl PeerSink for SessionPeer {
    fn notify(&self, notification: ServerNotification) -> BoxFuture<'static, ()> {
        let session = self.0.upgrade();
        Box::pin(async move {
            if let Some(session) = session {
                let message = JsonRpcMessage::Notification(JsonRpcNotification {
                    method: notification.method().to_owned(),
                    params: notification.params_value(),
                });
                session.send_standalone(message).await;
            }
        })
    }

    fn request(
        &self,
        request: ServerRequest,
    ) -> BoxFuture<'static, Result<ClientResult, McpError>> {
        let session = self.0.upgrade();
        Box::pin(async move {
            let session = session.ok_or_else(|| McpError::internal("the session has ended"))?;
            let s = session.clone();
            ask(&session.outstanding, request, |m| async move {
                s.send_standalone(m).await
            })
            .await
        })
    }

    fn is_closed(&self) -> bool {
        self.0.upgrade().is_none_or(|s| s.closed.is_cancelled())
    }
}

/// How often at most the idle sessions are swept out: often enough that memory follows the
/// live sessions, seldom enough that opening the 10,000th session does not cost a walk over
/// the other 9,999 (`get` refuses an idle session whether or not it was swept).
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// Every live session, by id.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    by_id: Mutex<HashMap<Arc<str>, Arc<HttpSession>>>,
    last_sweep: Mutex<Option<Instant>>,
}

impl Sessions {
    /// A new session with a 256-bit random id (hex: visible ASCII, as the spec requires).
    pub(crate) fn create(
        &self,
        idle: Duration,
        owner: Option<&Identity>,
        replica: Option<ReplicaLink>,
    ) -> Arc<HttpSession> {
        let mut bytes = [0u8; 32];
        // Session ids must not be guessable; without OS randomness there is no safe fallback.
        getrandom::fill(&mut bytes).expect("the OS random number generator is unavailable");
        let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        self.insert(
            HttpSession::new(id.into(), owner.map(Identity::subject), replica),
            idle,
        )
    }

    /// Keeps `session` (new here: opened here, or taken up from another replica).
    pub(crate) fn insert(&self, session: Arc<HttpSession>, idle: Duration) -> Arc<HttpSession> {
        let mut all = lock(&self.by_id);
        // Sweep idle sessions as new ones are born, at most once per `SWEEP_EVERY`: no timer
        // task, and the cost of a sweep is spread over the sessions opened since the last.
        let now = Instant::now();
        let mut last = lock(&self.last_sweep);
        if last.is_none_or(|at| now.duration_since(at) >= SWEEP_EVERY) {
            *last = Some(now);
            all.retain(|_, s| {
                let keep = s.idle_for() < idle && !s.closed.is_cancelled();
                if !keep {
                    s.close();
                }
                keep
            });
        }
        // Two requests may take up the same session at once: the first one kept wins.
        all.entry(session.id.clone()).or_insert(session).clone()
    }

    /// The session with this id if this replica holds it, without any check: for answers
    /// another replica forwards, already checked there.
    pub(crate) fn peek(&self, id: &str) -> Option<Arc<HttpSession>> {
        lock(&self.by_id).get(id).cloned()
    }

    /// The live session with this id, if `caller` is who opened it. A session of another
    /// caller looks unknown: its existence is not for others to learn.
    pub(crate) fn get(
        &self,
        id: &str,
        idle: Duration,
        caller: Option<&Identity>,
    ) -> Option<Arc<HttpSession>> {
        let mut all = lock(&self.by_id);
        let session = all.get(id)?.clone();
        if session.owner.as_deref() != caller.map(Identity::subject) {
            return None;
        }
        if session.idle_for() >= idle || session.closed.is_cancelled() {
            all.remove(id);
            session.close();
            return None;
        }
        session.touch();
        Some(session)
    }

    /// Ends and forgets a session; `false` if there was none.
    pub(crate) fn remove(&self, id: &str) -> bool {
        match lock(&self.by_id).remove(id) {
            Some(s) => {
                s.close();
                true
            }
            None => false,
        }
    }

    /// Ends every session's streams for a graceful shutdown: standalone streams close, no
    /// new requests are taken, but calls in flight still finish and answer.
    pub(crate) fn close_all(&self) {
        for (_, s) in lock(&self.by_id).drain() {
            s.closed.cancel();
            lock(&s.standalone).live = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_idle_session_is_refused_before_it_is_swept_and_swept_later() {
        let idle = Duration::from_millis(20);
        let sessions = Sessions::default();
        let old = sessions.create(idle, None, None);
        std::thread::sleep(idle * 2);
        // Within SWEEP_EVERY of the last sweep: the new session does not walk the others…
        let new = sessions.create(idle, None, None);
        assert_eq!(lock(&sessions.by_id).len(), 2);
        // …yet the idle one is not served.
        assert!(sessions.get(&old.id, idle, None).is_none());
        assert!(sessions.get(&new.id, idle, None).is_some());
        // Once SWEEP_EVERY has passed, the next session sweeps out the idle ones.
        std::thread::sleep(SWEEP_EVERY);
        let _third = sessions.create(idle, None, None);
        let ids: Vec<_> = lock(&sessions.by_id).keys().cloned().collect();
        assert!(!ids.contains(&new.id), "{ids:?}");
    }
}
