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

use super::sse::Event;
use super::stream::Slot;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Requests this server sent to the client, waiting for the client's POSTed answers.
#[derive(Debug, Default)]
pub(crate) struct Outstanding {
    next: AtomicI64,
    waiting: Mutex<HashMap<RequestId, oneshot::Sender<Result<Value, ErrorObject>>>>,
}

impl Outstanding {
    /// A fresh id and the receiver its answer will arrive on.
    pub(crate) fn open(&self) -> (RequestId, oneshot::Receiver<Result<Value, ErrorObject>>) {
        let id = RequestId::Number(self.next.fetch_add(1, Ordering::Relaxed) + 1);
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

/// How many messages wait for a standalone stream that is not open.
const BACKLOG: usize = 128;

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
}

#[derive(Debug, Default)]
struct Standalone {
    live: Option<mpsc::UnboundedSender<Bytes>>,
    backlog: VecDeque<JsonRpcMessage>,
}

impl HttpSession {
    pub(crate) fn new(id: Arc<str>, owner: Option<&Identity>) -> Arc<Self> {
        let session = Arc::new(Self {
            id: id.clone(),
            owner: owner.map(|i| i.subject().into()),
            state: Mutex::new(SessionState::with_id(id)),
            outstanding: Outstanding::default(),
            in_flight: Mutex::default(),
            streams: Mutex::default(),
            standalone: Mutex::default(),
            last_used: Mutex::new(Instant::now()),
            closed: CancellationToken::new(),
            next_stream: AtomicU64::new(0),
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

    /// A stream id unique in this session (and free of `_`, which event ids use).
    pub(crate) fn next_stream_id(&self) -> String {
        let n = self.next_stream.fetch_add(1, Ordering::Relaxed);
        format!("{}-{n}", self.id)
    }

    /// Attaches a standalone GET stream, replacing an earlier one, and flushes the backlog.
    pub(crate) fn attach_standalone(&self, live: mpsc::UnboundedSender<Bytes>) {
        let mut s = lock(&self.standalone);
        for message in s.backlog.drain(..) {
            let _ = live.send(Event::message(None, message).to_bytes());
        }
        s.live = Some(live);
    }

    /// Sends on the standalone stream, or keeps the message for when one opens.
    fn send_standalone(&self, message: JsonRpcMessage) -> bool {
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
        if let Some(session) = self.0.upgrade() {
            session.send_standalone(JsonRpcMessage::Notification(JsonRpcNotification {
                method: notification.method().to_owned(),
                params: notification.params_value(),
            }));
        }
        Box::pin(async {})
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
                s.send_standalone(m)
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
    pub(crate) fn create(&self, idle: Duration, owner: Option<&Identity>) -> Arc<HttpSession> {
        let mut bytes = [0u8; 32];
        // Session ids must not be guessable; without OS randomness there is no safe fallback.
        getrandom::fill(&mut bytes).expect("the OS random number generator is unavailable");
        let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let session = HttpSession::new(id.into(), owner);
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
        all.insert(session.id.clone(), session.clone());
        session
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
        let old = sessions.create(idle, None);
        std::thread::sleep(idle * 2);
        // Within SWEEP_EVERY of the last sweep: the new session does not walk the others…
        let new = sessions.create(idle, None);
        assert_eq!(lock(&sessions.by_id).len(), 2);
        // …yet the idle one is not served.
        assert!(sessions.get(&old.id, idle, None).is_none());
        assert!(sessions.get(&new.id, idle, None).is_some());
        // Once SWEEP_EVERY has passed, the next session sweeps out the idle ones.
        std::thread::sleep(SWEEP_EVERY);
        let _third = sessions.create(idle, None);
        let ids: Vec<_> = lock(&sessions.by_id).keys().cloned().collect();
        assert!(!ids.contains(&new.id), "{ids:?}");
    }
}
