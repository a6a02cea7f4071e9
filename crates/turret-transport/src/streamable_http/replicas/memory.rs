//! [`MemoryReplicas`]: endpoints of one process standing in for replicas of each other.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use tokio::sync::mpsc;
use turret_core::types::{JsonRpcMessage, LoggingLevel};

use super::{Answer, MemorySessionStore, Relay, SessionRecord, SessionStore, StoreError};
use crate::streamable_http::event_store::{EventStore, MemoryEventStore, Replay};

type Inboxes = Mutex<HashMap<String, mpsc::UnboundedSender<Answer>>>;

/// The in-memory counterpart of a shared store: endpoints of one process, each given its own
/// [`replica`](Self::replica), share sessions and stream events and relay answers as
/// replicas behind a balancer would. For tests of a replicated deployment without Redis.
///
/// ```
/// use turret_core::{tool_fn, Router};
/// use turret_transport::streamable_http::replicas::MemoryReplicas;
/// use turret_transport::streamable_http::{StreamableHttpConfig, StreamableHttpService};
///
/// let replicas = MemoryReplicas::new();
/// let router = Router::new().tool("hi", tool_fn(|| async { "hi" }));
/// let a = StreamableHttpService::with_config(
///     router.clone(),
///     StreamableHttpConfig::new().replicated(replicas.replica()),
/// );
/// let b = StreamableHttpService::with_config(
///     router,
///     StreamableHttpConfig::new().replicated(replicas.replica()),
/// );
/// // A session `a` opens, `b` serves too.
/// # let _ = (a, b);
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryReplicas {
    sessions: Arc<MemorySessionStore>,
    events: Arc<MemoryEventStore>,
    inboxes: Arc<Inboxes>,
    next: Arc<AtomicU64>,
}

impl MemoryReplicas {
    /// A set with no replica yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A new replica of the set, alive until dropped (the endpoint holds it).
    pub fn replica(&self) -> Arc<MemoryReplica> {
        let node = format!("m{}", self.next.fetch_add(1, Ordering::Relaxed));
        let (tx, rx) = mpsc::unbounded_channel();
        lock(&self.inboxes).insert(node.clone(), tx);
        Arc::new(MemoryReplica {
            set: self.clone(),
            node,
            answers: Mutex::new(Some(rx)),
        })
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// One replica of a [`MemoryReplicas`] set.
#[derive(Debug)]
pub struct MemoryReplica {
    set: MemoryReplicas,
    node: String,
    answers: Mutex<Option<mpsc::UnboundedReceiver<Answer>>>,
}

impl Drop for MemoryReplica {
    fn drop(&mut self) {
        lock(&self.set.inboxes).remove(&self.node);
    }
}

impl Relay for MemoryReplica {
    fn node(&self) -> &str {
        &self.node
    }

    fn forward<'a>(
        &'a self,
        node: &'a str,
        answer: &'a Answer,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let sent = lock(&self.set.inboxes)
            .get(node)
            .is_some_and(|inbox| inbox.send(answer.clone()).is_ok());
        let result = sent
            .then_some(())
            .ok_or_else(|| StoreError::new(format!("no replica {node}")));
        Box::pin(std::future::ready(result))
    }

    fn answers(&self) -> BoxStream<'static, Answer> {
        match lock(&self.answers).take() {
            Some(mut rx) => Box::pin(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))),
            None => Box::pin(futures_util::stream::empty()),
        }
    }

    fn is_live<'a>(&'a self, node: &'a str) -> BoxFuture<'a, bool> {
        let live = lock(&self.set.inboxes).contains_key(node);
        Box::pin(std::future::ready(live))
    }
}

impl SessionStore for MemoryReplica {
    fn create<'a>(
        &'a self,
        id: &'a str,
        record: &'a SessionRecord,
        idle: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.set.sessions.create(id, record, idle)
    }

    fn load<'a>(
        &'a self,
        id: &'a str,
        idle: Duration,
    ) -> BoxFuture<'a, Result<Option<SessionRecord>, StoreError>> {
        self.set.sessions.load(id, idle)
    }

    fn set_log_level<'a>(
        &'a self,
        id: &'a str,
        level: LoggingLevel,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.set.sessions.set_log_level(id, level)
    }

    fn set_subscribed<'a>(
        &'a self,
        id: &'a str,
        uri: &'a str,
        on: bool,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.set.sessions.set_subscribed(id, uri, on)
    }

    fn remove<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        self.set.sessions.remove(id)
    }
}

impl EventStore for MemoryReplica {
    fn append<'a>(&'a self, stream: &'a str, message: &'a JsonRpcMessage) -> BoxFuture<'a, String> {
        self.set.events.append(stream, message)
    }

    fn replay_after<'a>(&'a self, event_id: &'a str) -> BoxFuture<'a, Option<Replay>> {
        self.set.events.replay_after(event_id)
    }

    fn remove_stream<'a>(&'a self, stream: &'a str) -> BoxFuture<'a, ()> {
        self.set.events.remove_stream(stream)
    }

    fn follow(
        &self,
        stream: &str,
        after: Option<&str>,
    ) -> BoxStream<'static, (String, JsonRpcMessage)> {
        self.set.events.follow(stream, after)
    }
}
