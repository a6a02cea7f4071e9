//! Turret transports: stdio (a server on this process's stdin/stdout, and a client that
//! runs a server as a child process), any byte stream framed as newline-delimited JSON, and
//! an in-memory pair.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod child;
pub mod framing;
pub mod http_client;
pub mod legacy_sse;
pub mod memory;
pub mod run;
pub mod stdio;
pub mod streamable_http;

pub use child::{ChildHandle, ChildProcess};
pub use framing::from_io;
pub use http_client::{LegacySseClient, StreamableHttpClient};
pub use memory::memory_pair;
pub use run::{run, Listen};
pub use stdio::{serve_stdio, stdio};
