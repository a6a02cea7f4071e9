//! Model Context Protocol wire types for [Turret](https://docs.rs/turret-mcp).
//!
//! This crate is the schema and nothing else: serde types for the JSON-RPC 2.0 envelope and
//! for every MCP revision Turret speaks ([`ProtocolVersion`]: 2024-11-05 through 2026-07-28),
//! with no I/O and no async runtime. One set of types covers every revision; fields a revision
//! lacks are optional, and fields this crate does not model are kept in each object's `extra`
//! map so that a proxy forwards what it does not understand. Methods this crate does not model
//! are kept as [`CustomMessage`].
//!
//! ```
//! use turret_types::{ClientRequest, JsonRpcMessage};
//!
//! let line = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":1}}}"#;
//! let JsonRpcMessage::Request(req) = JsonRpcMessage::parse(line).unwrap() else { panic!() };
//! let typed = ClientRequest::from_parts(&req.method, req.params).unwrap();
//! assert!(matches!(typed, ClientRequest::CallTool(ref p) if p.name == "add"));
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

/// A JSON object.
pub type JsonObject = serde_json::Map<String, serde_json::Value>;

pub mod capabilities;
pub mod client_features;
pub mod completion;
pub mod content;
pub mod error;
pub mod jsonrpc;
pub mod logging;
pub mod messages;
pub mod meta;
pub mod mrtr;
pub mod notifications;
mod number;
pub mod pagination;
pub mod prompts;
pub mod resources;
pub mod tools;
pub mod version;
mod wire;

pub use capabilities::*;
pub use client_features::*;
pub use completion::*;
pub use content::*;
pub use error::{ErrorCode, ErrorObject};
pub use jsonrpc::*;
pub use logging::*;
pub use messages::*;
pub use meta::Meta;
pub use mrtr::*;
pub use notifications::*;
pub use pagination::*;
pub use prompts::*;
pub use resources::*;
pub use tools::*;
pub use version::{ProtocolVersion, UnknownVersion};
