//! MCP servers generated from OpenAPI 3.0/3.1 descriptions.
//!
//! Each operation becomes a tool, a resource or a resource template (as [route
//! maps](RouteMap) decide), and each of those is a leaf `tower::Service` that sends an
//! `http::Request` through an HTTP service you provide: a hyper client for a remote API, or
//! an axum `Router` called in-process ([`from_axum`]). Authentication to the API is a
//! layer on that service (tower-http's `SetRequestHeaderLayer`, an auth layer…); headers
//! named by the spec's `securitySchemes` never become tool arguments.
//!
//! ```
//! use turret_openapi::{http_client, OpenApi, Spec};
//!
//! # fn main() -> Result<(), turret_openapi::Error> {
//! let spec = Spec::parse(r#"
//! openapi: 3.1.0
//! info: {title: Items}
//! paths:
//!   /items/{id}:
//!     get:
//!       operationId: getItem
//!       parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
//! "#)?;
//! // Any `Service<http::Request<Full<Bytes>>>`: here an axum app, in-process.
//! let app = axum::Router::new().route("/items/{id}", axum::routing::get(|| async { "{}" }));
//! let router = OpenApi::new(spec).base_url("").into_router(http_client(app))?;
//! # let _ = router;
//! # Ok(())
//! # }
//! ```
//!
//! ## Compatibility with FastMCP
//!
//! With [`Naming::Compatible`] (the default), tool names and required arguments match
//! FastMCP's `from_openapi` on the same spec. Differences: headers and query parameters
//! named by `securitySchemes` (and `Authorization` when an HTTP or OAuth scheme exists) are
//! not arguments; 3.1 boolean schemas, specs without `info.version` and pointers with `~1`
//! are accepted; shared definitions are emitted once per tool as `$defs`; a required body
//! that is `oneOf`/`anyOf` several shapes is one required argument holding the variants
//! (FastMCP flattens the variants' properties, none required).
//!
//! ## Real specs
//!
//! Numbers are kept as written ([`Spec::parse`] reads `1e400` and integers beyond 64 bits;
//! a tool's schema gets them exactly when serde_json's `arbitrary_precision` is on in the
//! build, else the nearest double). [`Spec::load`] reads the files beside a spec that its
//! references name; URLs are refused. An operation that cannot be generated is left out,
//! and [`OpenApi::report`] says which and why, and what was renamed or simplified.
//! [`Naming::Improved`] changes names and titles as its documentation lists.
//!
//! | feature | default | what |
//! |---|---|---|
//! | `axum` | yes | [`from_axum`] |
//! | `yaml` | yes | YAML text in [`Spec::parse`] (JSON needs no feature) |
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

#[cfg(feature = "axum")]
mod axum;
mod builder;
mod client;
mod document;
mod error;
mod execute;
mod generate;
mod naming;
mod operation;
mod report;
mod route_map;
mod schema;

#[cfg(feature = "axum")]
pub use crate::axum::from_axum;
pub use builder::{
    OpenApi, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_OUTPUT_DEFS_BUDGET, DEFAULT_TIMEOUT,
};
pub use client::{http_client, HttpBody, HttpClient};
pub use document::{Spec, Version};
pub use error::{BoxError, Error};
pub use generate::Components;
pub use naming::Naming;
pub use operation::Operation;
pub use report::{OperationReport, Outcome, Report};
pub use route_map::{RouteMap, RouteOverride, Target};
pub use schema::shape::{SchemaShape, INLINE_DEPTH};

/// A server calling `client` for every operation of `spec`, with the defaults of
/// [`OpenApi::new`].
pub fn from_openapi<C, B>(spec: Spec, client: C) -> Result<turret_core::Router, Error>
where
    C: tower_service::Service<
            http::Request<http_body_util::Full<bytes::Bytes>>,
            Response = http::Response<B>,
        > + Clone
        + Send
        + Sync
        + 'static,
    C::Error: Into<BoxError>,
    C::Future: Send + 'static,
    B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    OpenApi::new(spec).into_router(http_client(client))
}
