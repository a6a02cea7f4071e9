//! What a proxy knows about its backend, for a status resource or a health check.

use std::time::Instant;

use serde::Serialize;

use crate::sessions::{SessionPolicy, Sessions};

/// Whether a backend can be reached.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum BackendState {
    /// Not connected yet (connections open on first use).
    Idle,
    /// The last connection attempt succeeded.
    Up,
    /// The last attempts failed; the next is not before `retryInMs`.
    #[serde(rename_all = "camelCase")]
    Down {
        /// Why the last attempt failed.
        error: String,
        /// Attempts failed in a row.
        failures: u32,
        /// Milliseconds until the next attempt is allowed.
        retry_in_ms: u64,
    },
}

/// A snapshot of a [`Proxy`](crate::Proxy)'s backend. Read-only, and it will say more in
/// later versions (`#[non_exhaustive]`).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackendStatus {
    /// The proxy's name.
    pub name: String,
    /// Reachability.
    #[serde(flatten)]
    pub state: BackendState,
    /// Backend connections open now (for a stdio backend, each is a process).
    pub connections: usize,
    /// Of those, the ones serving one frontend session each (the others serve lists and
    /// requests that need no session of their own).
    pub sessions: usize,
    /// The session policy, in words.
    pub session_policy: &'static str,
}

impl BackendStatus {
    pub(crate) fn new(sessions: &Sessions) -> Self {
        let health = sessions.health();
        let state = match (&health.last_error, health.connected_once) {
            (Some(error), _) => BackendState::Down {
                error: error.clone(),
                failures: health.failures,
                retry_in_ms: health
                    .retry_at
                    .and_then(|at| at.checked_duration_since(Instant::now()))
                    .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            },
            (None, true) => BackendState::Up,
            (None, false) => BackendState::Idle,
        };
        Self {
            name: sessions.name.clone(),
            state,
            connections: sessions.open_connections(),
            sessions: sessions.session_connections(),
            session_policy: match sessions.policy() {
                SessionPolicy::PerSession => "per-session",
                SessionPolicy::Shared => "shared",
                SessionPolicy::PerRequest => "per-request",
            },
        }
    }
}
