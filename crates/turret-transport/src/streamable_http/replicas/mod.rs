//! State that replicas behind a load balancer share, so a handshake-era session can land on
//! any of them: the session record ([`SessionStore`]), the events of resumable streams
//! ([`EventStore`](super::EventStore)), and the [`Relay`] that carries a client's answer to
//! the replica waiting for it and tells which replicas are alive.
//!
//! One process needs none of this: by default sessions live in the endpoint's memory. Give
//! the endpoint a store shared by every replica (the `turret-redis` crate implements all
//! three traits on Redis) with [`StreamableHttpConfig::replicated`](super::StreamableHttpConfig::replicated).
//! [`MemoryReplicas`] implements them in memory, for endpoints of one process standing in
//! for replicas in tests. `docs/scaling.md` has the deployment picture.
//!
//! What each replica still keeps to itself: the tasks running its calls, the live SSE
//! connections it holds, and the requests it sent to the client and waits on. A call does
//! not move when its replica dies: a client resuming that call's stream elsewhere gets an
//! error naming what happened, and the session itself goes on.

mod memory;
mod relay;
mod session_store;

pub use memory::MemoryReplicas;
pub use relay::{Answer, Relay};
pub use session_store::{MemorySessionStore, SessionRecord, SessionStore};

/// A shared store could not be reached or gave something unreadable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "shared session store: {}", self.0)
    }
}

impl std::error::Error for StoreError {}

impl StoreError {
    /// An error with this description.
    pub fn new(message: impl std::fmt::Display) -> Self {
        Self(message.to_string())
    }
}
