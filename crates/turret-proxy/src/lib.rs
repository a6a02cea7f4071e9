//! Proxies: an MCP server whose every request is forwarded to another server through a
//! [`Client`](turret_core::Client).
//!
//! A [`Proxy`] is a `tower::Service<Request>` like a [`Router`](turret_core::Router), so it is
//! served on any edge, mounted under a namespace and wrapped in layers unchanged. Serving a
//! proxy of a stdio backend over streamable HTTP (or the reverse) is transport bridging: the
//! same proxy, a different edge.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod backend;
pub mod config;
mod forward;
mod gateway;
mod link;
mod service;
mod sessions;
mod status;

pub use backend::{Backend, BackendError};
pub use gateway::{Gateway, STATUS_URI};
pub use service::{Proxy, ProxyBuilder};
pub use sessions::SessionPolicy;
pub use status::{BackendState, BackendStatus};
