//! Turret transports: stdio (a server on this process's stdin/stdout, and a client that
//! runs a server as a child process), any byte stream framed as newline-delimited JSON, an
//! in-memory pair, and streamable HTTP (server and client).
//!
//! # Feature flags
//!
//! Every feature is on by default; turn them off with `default-features = false` and pick
//! the ones you use. Newline-delimited framing ([`from_io`]) and the in-memory pair are
//! always there.
//!
//! | feature | what it adds |
//! |---|---|
//! | `stdio` | [`stdio()`] and [`serve_stdio`]: a server on this process's stdin/stdout |
//! | `child` | [`ChildProcess`]: a client of an MCP server run as a child process |
//! | `http-server` | [`streamable_http`] and [`legacy_sse`]: the HTTP servers, on hyper |
//! | `http-client` | [`http_client`]: the HTTP clients, on hyper's HTTP/1.1 connections |
//!
//! [`run()`] needs both `stdio` and `http-server`.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "child")]
pub mod child;
pub mod framing;
#[cfg(feature = "http-client")]
pub mod http_client;
#[cfg(feature = "http-server")]
pub mod legacy_sse;
pub mod memory;
#[cfg(feature = "http-server")]
mod request_body;
#[cfg(all(feature = "stdio", feature = "http-server"))]
pub mod run;
#[cfg(feature = "stdio")]
pub mod stdio;
#[cfg(feature = "http-server")]
pub mod streamable_http;

#[cfg(feature = "child")]
pub use child::{ChildHandle, ChildProcess};
pub use framing::from_io;
#[cfg(feature = "http-client")]
pub use http_client::{LegacySseClient, StreamableHttpClient};
pub use memory::memory_pair;
#[cfg(all(feature = "stdio", feature = "http-server"))]
pub use run::{run, Listen};
#[cfg(feature = "stdio")]
pub use stdio::{serve_stdio, stdio};
