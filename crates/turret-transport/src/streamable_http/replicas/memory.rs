//! [`MemoryReplicas`]: endpoints of one process standing in for replicas of each other.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use tokio::sync::mpsc;

use super::{Answer, MemorySessionStore, Relay, StoreError};
use crate::streamable_http::event_store::MemoryEventStore;
use crate::streamable_http::StreamableHttpConfig;

type Inboxes = Mutex<HashMap<String, mpsc::UnboundedSender<Answer>>>;

/// The in-memory counterpart of a shared store: endpoints of one process, each configured
/// by [`join`](Self::join), share sessions and stream events and relay answers as replicas
/// behind a balancer would. For tests of a replicated deployment without Redis.
///
/// ```
/// use turret_core::{tool_fn, Router};
/// use turret_transport::streamable_http::replicas::MemoryReplicas;
/// use turret_transport::streamable_http::{StreamableHttpConfig, StreamableHttpService};
///
/// let replicas = MemoryReplicas::new();
/// let router = Router::new().tool("hi", tool_fn(|| async { "hi" }));
/// let a = StreamableHttpService::with_config(router.clone(), replicas.join(StreamableHttpConfig::new()));
/// let b = StreamableHttpService::with_config(router, replicas.join(StreamableHttpConfig::new()));
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

    /// `config` for a new replica of the set: the set's session and event stores, and a
    /// relay of its own, alive as long as the endpoint holds it.
    pub fn join(&self, config: StreamableHttpConfig) -> StreamableHttpConfig {
        config.replicated_with(self.sessions.clone(), self.events.clone(), self.relay())
    }

    /// A new replica's relay, alive until dropped.
    fn relay(&self) -> Arc<MemoryReplica> {
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

/// One replica's [`Relay`] in a [`MemoryReplicas`] set.
#[derive(Debug)]
pub(crate) struct MemoryReplica {
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
