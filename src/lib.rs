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
//! | `turret-transport` | [`transport`] | stdio, child process, in-memory, streamable HTTP |
//! | `turret-layers` | `layers` | tower layers: trace, cache, filter, transform, rate limit, tool search |
//! | `turret-openapi` | `openapi` | servers generated from OpenAPI specs and axum apps |
//! | `turret-macros` | `tool`, `resource`, `prompt` | attribute macros over the builder |
//! | `turret-proxy` | `proxy` | proxies, transport bridging, `mcpServers` gateways |
//! | `turret-auth` | `auth` | OAuth 2.1: the resource-server layer and the client's flows |
//! | `turret-redis` | `redis` | sessions and stream events in Redis, for replicas behind a load balancer |
//!
//! # Feature flags
//!
//! The Router, the handlers, the client as a service, the in-memory transport and
//! newline-delimited framing over any byte stream are always there. The rest is behind
//! features, so a server pulls in only what it serves with:
//!
//! | Name | Description | Default? |
//! |---|---|---|
//! | `macros` | `#[tool]`, `#[resource]` and `#[prompt]` | Yes |
//! | `stdio` | `transport::serve_stdio`: a server on this process's stdin/stdout | Yes |
//! | `http-server` | `transport::streamable_http` (and the legacy HTTP+SSE server), on hyper | Yes |
//! | `client` | `transport::ChildProcess`: a client of a server run as a child process | No |
//! | `http-client` | `transport::http_client`: the streamable HTTP and HTTP+SSE clients | No |
//! | `proxy` | `proxy`: proxies and `mcpServers` gateways (turns on `client` and `http-client`) | No |
//! | `openapi` | `openapi`: servers generated from OpenAPI specs, JSON or YAML | No |
//! | `axum` | `openapi::from_axum`: an axum app as the OpenAPI backend, in process (turns on `openapi`) | No |
//! | `auth` | `auth`'s resource server: `AuthLayer`, `JwtVerifier`, `ToolScopesLayer` | No |
//! | `auth-client` | `auth::client`: OAuth for Turret's HTTP client (PKCE, registration, refresh, DPoP) | No |
//! | `redis` | `redis`: session and event stores in Redis, for replicas | No |
//! | `layers` | `layers`: trace, cache, filter, transform, rate limit, tool search | No |
//! | `full` | all of the above | No |
//!
//! `transport::run` (stdio, or HTTP when the command line says `--http`) needs `stdio` and
//! `http-server`, both on by default.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(any(feature = "auth", feature = "auth-client"))]
pub use turret_auth as auth;
pub use turret_core::*;
#[cfg(feature = "layers")]
pub use turret_layers as layers;
#[cfg(feature = "macros")]
pub use turret_macros::{prompt, resource, tool};
#[cfg(feature = "openapi")]
pub use turret_openapi as openapi;
#[cfg(feature = "proxy")]
pub use turret_proxy as proxy;
#[cfg(feature = "redis")]
pub use turret_redis as redis;
pub use turret_transport as transport;
#[cfg(all(feature = "stdio", feature = "http-server"))]
pub use turret_transport::run;

/// The README's examples, compiled as doc tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// `docs/scaling.md`'s example, compiled as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../docs/scaling.md")]
pub struct ScalingDoctests;
