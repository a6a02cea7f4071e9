//! Turret's shared state on Redis, for replicas of a streamable HTTP endpoint behind a load
//! balancer.
//!
//! [`RedisStore`] implements the three traits of
//! [`turret_transport::streamable_http::replicas`]: the session records
//! ([`SessionStore`](turret_transport::streamable_http::replicas::SessionStore)), the events of
//! resumable streams ([`EventStore`](turret_transport::streamable_http::EventStore)) and the
//! [`Relay`](turret_transport::streamable_http::replicas::Relay) between replicas. Give one to
//! every replica's endpoint, all pointing at the same Redis:
//!
//! ```no_run
//! use std::time::Duration;
//! use turret_core::{tool_fn, Router};
//! use turret_redis::RedisStore;
//! use turret_transport::streamable_http::{serve, StreamableHttpConfig, StreamableHttpService};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // `RedisStore::connect(url)` with the defaults, or the builder to change them:
//! let store = RedisStore::builder("redis://127.0.0.1:6379")
//!     .prefix("my-app")
//!     .event_ttl(Duration::from_secs(600))
//!     .connect()
//!     .await?;
//! let config = StreamableHttpConfig::new().replicated(store);
//! let router = Router::new().tool("hi", tool_fn(|| async { "hi" }));
//! let mcp = StreamableHttpService::with_config(router, config);
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await?;
//! serve(listener, mcp, std::future::pending()).await?;
//! # Ok(())
//! # }
//! ```
//!
//! # Keys
//!
//! Every key starts with the [prefix](RedisStoreBuilder::prefix) (`turret` by default):
//!
//! | key | type | holds | lives |
//! |---|---|---|---|
//! | `{prefix}:session:{id}` | hash | field `record`: the handshake part as JSON; `level`: the log level; `sub:{uri}` for each subscription | the session idle timeout, renewed by each load |
//! | `{prefix}:events:{stream}` | stream | one entry per SSE event, field `message`: the JSON-RPC message | [`event_ttl`](RedisStoreBuilder::event_ttl) after the last event, at most [`max_events`](RedisStoreBuilder::max_events) (about) |
//! | `{prefix}:node:{node}` | string | a replica's sign of life | [`node_ttl`](RedisStoreBuilder::node_ttl), renewed every [`heartbeat`](RedisStoreBuilder::heartbeat) |
//! | `{prefix}:answers:{node}` | pub/sub channel | [`Answer`](turret_transport::streamable_http::replicas::Answer)s as JSON, for replica `node` | |
//!
//! An event id is `{stream}_{entry id}`, the Redis stream entry's id after the SSE stream's.
//!
//! # Connections
//!
//! A store holds one multiplexed connection that reconnects by itself, for every command; each
//! [`follow`](turret_transport::streamable_http::EventStore::follow) stream holds a connection
//! of its own for its blocking reads, and the
//! [`answers`](turret_transport::streamable_http::replicas::Relay::answers) stream one for its
//! subscription. Those two reconnect with a short backoff when Redis goes away.
//!
//! Requires Redis 7.0 or newer (stream entry counts and exclusive ranges), one server (or one
//! endpoint of a managed service), not Redis Cluster.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod event_store;
mod follow;
mod keys;
mod relay;
mod session_store;
mod store;

pub use store::{RedisStore, RedisStoreBuilder};
pub use turret_transport::streamable_http::replicas::StoreError;
