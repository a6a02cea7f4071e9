//! Turret's service model: every MCP request is a `tower::Service` call.
//!
//! * [`Request`]: a typed client request plus extensions (the edge inserts a
//!   [`RequestContext`]: request id, protocol revision, client capabilities, the [`Peer`]
//!   back to the client, cancellation, progress token).
//! * [`Router`]: a server, a `Service<Request>` that answers the lifecycle and list methods
//!   and dispatches calls to leaves by name or URI.
//! * Handlers: async fns with extractors ([`Args`], [`Context`], [`State`], [`Extension`])
//!   whose return values convert into results.
//! * [`serve`]: the session driver that runs a service over a transport.
//! * [`Client`]: the client side, itself a `Service`.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod client;
pub mod context;
pub mod error;
pub mod handler;
pub mod identity;
#[doc(hidden)]
pub mod macro_support;
pub mod mrtr;
pub mod param_headers;
pub mod peer;
pub mod request;
pub mod router;
pub mod session;
pub mod transport;
pub mod uri_template;

pub use client::{Client, ClientBuilder, ClientHandler, Era};
pub use context::Context;
pub use error::{BoxError, McpError};
pub use handler::into_result::{
    Audio, Blob, Image, IntoCallToolResult, IntoGetPromptResult, IntoReadResourceResult, Json,
};
pub use handler::{Args, CallParts, Extension, FromCall, Handler, Rejection, State};
pub use identity::Identity;
pub use mrtr::{InputRequiredLayer, StateSealer};
pub use peer::{Peer, PeerSink};
pub use request::{McpService, Request, RequestContext, SessionLogLevel};
pub use router::{prompt_fn, resource_fn, tool_fn, Notifier, ResourceUri, Router};
pub use session::{serve, MAX_IN_FLIGHT};
pub use transport::{Incoming, Transport};
pub use turret_types as types;
