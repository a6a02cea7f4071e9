//! Turret: build, compose and serve Model Context Protocol servers on `tower`.
//!
//! Every MCP request is a `tower::Service` call. A [`Router`] of async-fn handlers is a
//! service; so is a client, a proxy, a mounted server; layers wrap any of them; an edge
//! (stdio, in-memory, HTTP) turns bytes into requests.
//!
//! ```no_run
//! use schemars::JsonSchema;
//! use serde::Deserialize;
//! use turret::{tool_fn, Args, Router};
//!
//! #[derive(Deserialize, JsonSchema)]
//! struct Add {
//!     a: i64,
//!     b: i64,
//! }
//!
//! async fn add(Args(Add { a, b }): Args<Add>) -> String {
//!     (a + b).to_string()
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let router = Router::new().tool("add", tool_fn(add).description("Adds two integers"));
//!     turret::transport::serve_stdio(router).await
//! }
//! ```
//!
//! | crate | re-exported as | what |
//! |---|---|---|
//! | `turret-types` | [`types`] | the wire schema of every protocol revision |
//! | `turret-core` | the crate root | service model, Router, handlers, client, session driver |
//! | `turret-transport` | [`transport`] | stdio, child process, in-memory |
//! | `turret-layers` | [`layers`] | tower layers: trace, cache, filter, transform, rate limit |
//! | `turret-openapi` | [`openapi`] | servers generated from OpenAPI specs and axum apps |
//! | `turret-macros` | [`tool`], [`resource`], [`prompt`] | attribute macros over the builder |
//! | `turret-proxy` | [`proxy`] | proxies, transport bridging, `mcpServers` gateways |
//! | `turret-auth` | [`auth`] | OAuth 2.1: the resource-server layer and the client's flows |
//! | `turret-redis` | [`redis`] | sessions and stream events in Redis, for replicas behind a load balancer |
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub use turret_auth as auth;
pub use turret_core::*;
pub use turret_layers as layers;
pub use turret_macros::{prompt, resource, tool};
pub use turret_openapi as openapi;
pub use turret_proxy as proxy;
pub use turret_redis as redis;
pub use turret_transport as transport;
pub use turret_transport::run;

/// The README's examples, compiled as doc tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// `docs/scaling.md`'s example, compiled as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../docs/scaling.md")]
pub struct ScalingDoctests;
