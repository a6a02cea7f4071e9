//! Proxies: an MCP server whose every request is forwarded to another server through a
//! [`Client`](turret_core::Client).
//!
//! A [`Proxy`] is a `tower::Service<Request>` like a [`Router`](turret_core::Router), so it is
//! served on any edge, mounted under a namespace and wrapped in layers unchanged. Serving a
//! proxy of a stdio backend over streamable HTTP (or the reverse) is transport bridging: the
//! same proxy, a different edge.
//!
//! * [`Proxy`]: forwards every request and relays every server-initiated flow (see its docs).
//! * [`Backend`]: where the backend is: a command (stdio), a URL (streamable HTTP, or
//!   HTTP+SSE), or any transport.
//! * [`SessionPolicy`]: one backend session per frontend session (the default), one shared,
//!   or one per request.
//! * [`Gateway`] and [`config::McpServers`]: many backends behind one server, from the
//!   `mcpServers` JSON that MCP clients share; a backend that is down is hidden and retried.
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use turret_proxy::{Backend, Proxy, SessionPolicy};
//!
//! # async fn run() -> std::io::Result<()> {
//! let proxy = Proxy::builder("search", Backend::url("http://127.0.0.1:8000/mcp"))
//!     .session_policy(SessionPolicy::Shared)
//!     .timeout(Duration::from_secs(30))
//!     .cache_lists(true)
//!     .build();
//! // An HTTP server, bridged to stdio.
//! turret_transport::serve_stdio(proxy).await
//! # }
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod backend;
pub mod config;
mod forward;
mod gateway;
mod link;
mod service;
mod session_questions;
mod sessions;
mod slots;
mod status;

pub use backend::{Backend, BackendError};
pub use gateway::{Gateway, STATUS_URI};
pub use service::{Proxy, ProxyBuilder};
pub use sessions::SessionPolicy;
pub use status::{BackendState, BackendStatus};
