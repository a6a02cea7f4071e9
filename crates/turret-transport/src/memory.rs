//! An in-memory transport pair: two ends that pass typed messages, with no serialization.
//! It lives in `turret-core` (mounting uses it for children served as in-process sessions)
//! and is re-exported here beside the other transports.

pub use turret_core::transport::memory_pair;
