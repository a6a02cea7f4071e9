//! `notifications/roots/list_changed`, made visible to services: the session's edge
//! signals it, and whoever holds the session's [`RootsChanges`] (a proxy telling its
//! backend, say) wakes up.
//!
//! A notification is not a request, so it never reaches a `Service<Request>`; what a
//! service can keep is this handle, taken from a request of the session.

use std::sync::Arc;

use tokio::sync::watch;

/// The sending side, kept by the session ([`SessionState::roots_changed`](super::SessionState::roots_changed)).
#[derive(Debug, Clone)]
pub(crate) struct RootsSignal(Arc<watch::Sender<u64>>);

impl RootsSignal {
    pub(crate) fn new() -> Self {
        Self(Arc::new(watch::Sender::new(0)))
    }

    pub(crate) fn changed(&self) {
        self.0.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub(crate) fn subscribe(&self) -> RootsChanges {
        RootsChanges(self.0.subscribe())
    }
}

/// Wakes each time the client of one session says its roots changed (handshake era); see
/// [`RequestContext::roots_changes`](crate::RequestContext::roots_changes).
#[derive(Debug, Clone)]
pub struct RootsChanges(watch::Receiver<u64>);

impl RootsChanges {
    /// Waits for the next change after the last one seen; `false` once the session has
    /// ended (no change will come).
    pub async fn changed(&mut self) -> bool {
        self.0.changed().await.is_ok()
    }
}
