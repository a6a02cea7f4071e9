//! What each caller can see, indexed: one index per distinct set of visible tools, shared by
//! every caller who sees that set.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::Extensions;
use tokio::sync::broadcast;
use tokio::time::Instant;
use tower_service::Service;
use turret_core::router::Change;
use turret_core::types::{ClientRequest, ServerResult, Tool};
use turret_core::{BoxError, Request};

use super::index::ToolIndex;
use super::rank::Ranking;
use crate::catalog::{list_all, Named as _};
use crate::changes::ChangeFeed;
use crate::Caller;

/// A caller's index and when its list was taken.
struct View {
    at: Instant,
    index: Arc<ToolIndex>,
}

/// The indexes of the callers of one layer.
pub(crate) struct Views {
    ttl: Duration,
    ranking: Ranking,
    by_caller: quick_cache::sync::Cache<Caller, Arc<View>>,
    /// Indexes by a hash of the tools they hold. One no view holds is dropped when another
    /// is stored (anonymous callers hold none, so theirs lives until then).
    indexes: Mutex<HashMap<u64, Arc<ToolIndex>>>,
    changes: Option<ChangeFeed>,
    /// Bumped by every change: a list taken across one is not kept.
    epoch: AtomicU64,
}

/// A hash of what an index is built from, in listing order: names and descriptions.
fn fingerprint(tools: &[Tool]) -> u64 {
    let mut h = DefaultHasher::new();
    for t in tools {
        t.name.hash(&mut h);
        t.description.hash(&mut h);
    }
    h.finish()
}

impl Views {
    pub(crate) fn new(
        ttl: Duration,
        ranking: Ranking,
        max_callers: usize,
        changes: Option<broadcast::Receiver<Change>>,
    ) -> Self {
        Self {
            ttl,
            ranking,
            by_caller: quick_cache::sync::Cache::new(max_callers.max(1)),
            indexes: Mutex::default(),
            changes: changes.map(ChangeFeed::new),
            epoch: AtomicU64::new(0),
        }
    }

    /// Applies the changes announced since the last request: a changed tool list (or
    /// missed changes) drops every view.
    pub(crate) fn sync(&self) {
        let Some(feed) = &self.changes else { return };
        feed.drain(|change| {
            if matches!(change, None | Some(Change::ToolsChanged)) {
                self.epoch.fetch_add(1, Ordering::SeqCst);
                self.by_caller.clear();
                self.lock().clear();
            }
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<ToolIndex>>> {
        self.indexes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The index of what the caller of a request with `ext` can list, listing the inner
    /// service as that caller when the caller's view is missing or older than the TTL.
    pub(crate) async fn index<S>(
        &self,
        service: S,
        ext: &Extensions,
        caller: Caller,
    ) -> Result<Arc<ToolIndex>, BoxError>
    where
        S: Service<Request, Response = ServerResult> + Clone,
        S::Error: Into<BoxError>,
    {
        // Requests that tell no caller apart (no identity, session or connection) may come
        // from callers who see different tools: each lists anew (and still shares an index
        // with whoever lists the same tools).
        let anonymous = caller == Caller::Anonymous;
        if let Some(view) = self.by_caller.get(&caller).filter(|_| !anonymous) {
            if view.at.elapsed() < self.ttl {
                return Ok(view.index.clone());
            }
        }
        let epoch = self.epoch.load(Ordering::SeqCst);
        let pages = list_all(service, ext, ClientRequest::ListTools).await?;
        let tools: Vec<Tool> = pages.into_iter().flat_map(Tool::items).collect();
        let key = fingerprint(&tools);
        let shared = self.lock().get(&key).cloned();
        let index = match shared {
            Some(index) => index,
            None => Arc::new(ToolIndex::new(
                tools.into_iter().map(Arc::new),
                self.ranking,
            )),
        };
        // Kept only if no change was announced meanwhile: the list may predate it.
        if self.epoch.load(Ordering::SeqCst) == epoch {
            let mut indexes = self.lock();
            if !indexes.contains_key(&key) {
                indexes.retain(|_, i| Arc::strong_count(i) > 1);
                indexes.insert(key, index.clone());
            }
            drop(indexes);
        }
        if !anonymous && self.epoch.load(Ordering::SeqCst) == epoch {
            let view = View {
                at: Instant::now(),
                index: index.clone(),
            };
            self.by_caller.insert(caller, Arc::new(view));
        }
        Ok(index)
    }
}
