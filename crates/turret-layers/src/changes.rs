//! Draining a feed of [`Change`]s before each request.

use std::sync::Mutex;

use tokio::sync::broadcast::{self, error::TryRecvError};
use turret_core::router::Change;

/// The changes a layer has not applied yet. Drained at the start of every request (and
/// before a result is stored), so no task or runtime is needed and an invalidation is in
/// force for the first request after it was announced.
#[derive(Debug)]
pub(crate) struct ChangeFeed(Mutex<broadcast::Receiver<Change>>);

impl ChangeFeed {
    pub(crate) fn new(receiver: broadcast::Receiver<Change>) -> Self {
        Self(Mutex::new(receiver))
    }

    /// Calls `f` with each pending change, or with `None` where changes were missed (the
    /// receiver lagged: anything may have changed).
    pub(crate) fn drain(&self, mut f: impl FnMut(Option<&Change>)) {
        let mut receiver = self.0.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            match receiver.try_recv() {
                Ok(change) => f(Some(&change)),
                Err(TryRecvError::Lagged(_)) => f(None),
                Err(TryRecvError::Empty | TryRecvError::Closed) => break,
            }
        }
    }
}
