//! Turret's own tower layers, aware of MCP: they read the method, the tool or prompt name, the
//! resource URI and the caller of each [`Request`](turret_core::Request), and wrap anything
//! that is a `Service<Request>`: a Router, a mounted child, a proxy, a generated server.
//!
//! | layer | what it does |
//! |---|---|
//! | [`TraceLayer`] | a `tracing` span per request, its outcome and latency at a fitting level |
//! | [`CacheLayer`] | caches lists, reads and read-only tools' results per caller; TTL, entry and byte bounds; invalidated by change notifications |
//! | [`FilterLayer`] | hides tools, prompts and resources by tag or name pattern, in lists and calls |
//! | [`TransformLayer`] | renames tools and arguments, rewrites descriptions, hides arguments behind fixed values, derives outputs |
//! | [`RateLimitLayer`] | a rate and a concurrency limit per caller, answered with a retry hint |
//! | [`ToolSearchLayer`] | replaces a large tool list with `search_tools` and `call_tool`: BM25F search over what each caller can see, "none fits" below a threshold |
//!
//! They compose with each other and with tower's own layers (`TimeoutLayer`,
//! `ConcurrencyLimitLayer`, `BufferLayer`, `LoadShedLayer`, `RetryLayer`) in a
//! `ServiceBuilder`. Every service here returns [`BoxError`](turret_core::BoxError), as
//! tower's do; the edge turns any error into a JSON-RPC error with
//! [`McpError::from_box_error`](turret_core::McpError::from_box_error).
//!
//! ```
//! use std::time::Duration;
//!
//! use tower::ServiceBuilder;
//! use turret_core::{tool_fn, Router};
//! use turret_layers::{CacheLayer, FilterLayer, RateLimitLayer, TraceLayer};
//!
//! let router = Router::new()
//!     .tool("hello", tool_fn(|| async { "hello" }).tags(["public"]))
//!     .tool("reindex", tool_fn(|| async { "done" }).tags(["admin"]));
//! let service = ServiceBuilder::new()
//!     .layer(TraceLayer::new())
//!     .layer(RateLimitLayer::new(100, Duration::from_secs(1)).max_concurrent(8))
//!     .layer(FilterLayer::new().exclude_tags(["admin"]).refresh_on(router.notifier().subscribe()))
//!     .layer(CacheLayer::new().invalidate_on(router.notifier().subscribe()))
//!     .timeout(Duration::from_secs(30))
//!     .service(router);
//! // turret_transport::serve_stdio(service).await
//! # let _ = service;
//! ```
//!
//! Order matters as it does in any stack: trace outermost to see everything; rate limits
//! before the work they protect; the cache inside the filter, so a hidden item is refused
//! before the cache is asked (and lists are filtered per answer).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

#[macro_use]
mod macros;

pub mod cache;
mod caller;
mod catalog;
mod changes;
pub mod filter;
pub mod rate_limit;
pub mod tool_search;
pub mod trace;
pub mod transform;

pub use cache::{CacheHandle, CacheLayer};
pub use caller::Caller;
pub use filter::FilterLayer;
pub use rate_limit::{RateLimitLayer, RATE_LIMITED};
pub use tool_search::ToolSearchLayer;
pub use trace::TraceLayer;
pub use transform::{ToolTransform, TransformLayer};
