//! The streamable HTTP client transport (both protocol eras) and the legacy HTTP+SSE client.
//!
//! [`StreamableHttpClient`] builds a [`Transport`](turret_core::Transport) that a
//! [`Client`](turret_core::Client) runs over like any other: each outgoing message becomes a
//! `POST` to the MCP endpoint (`Content-Type: application/json`,
//! `Accept: application/json, text/event-stream`), and whatever comes back (a JSON body, or
//! the messages of an SSE stream, or of the standalone `GET` stream) flows into the incoming
//! side, where the client routes answers by JSON-RPC id.
//!
//! The transport reads what it needs from the traffic, so the client above stays the same
//! for every transport:
//!
//! * **Handshake era** (2025-03-26 … 2025-11-25): the `Mcp-Session-Id` of the response to
//!   `initialize` goes on every later request, and so does the negotiated
//!   `MCP-Protocol-Version` from the `initialize` result. Once the server accepts
//!   `notifications/initialized`, the standalone `GET` stream opens (a `405` means the server
//!   offers none). An SSE stream that ends before its answer is resumed with `GET` and
//!   `Last-Event-ID`, after the server's `retry:` delay. Closing sends `DELETE` for the
//!   session.
//! * **Expired sessions.** A `404` for a request that carried the session id means the server
//!   ended the session. The transport re-initializes on its own: it replays the client's
//!   `initialize` (and `notifications/initialized`, and the last `logging/setLevel`), takes
//!   the new session id, and sends the request again. Requests racing into the same `404`
//!   wait for that one re-initialization.
//! * **2026-07-28** (requests that carry the protocol version in `_meta`): no session, no
//!   `GET`; `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` mirror the body, and
//!   `Mcp-Param-*` headers mirror tool arguments annotated with `x-mcp-header` in the
//!   `tools/list` results that went by. Tools whose annotations break the rules are removed
//!   from those results. A call refused with `-32020` (header mismatch) makes the transport
//!   list the tools again and retry the call once. Cancelling a request (dropping its future) closes its stream
//!   instead of sending `notifications/cancelled`.
//! * **Errors.** An HTTP error whose body is a JSON-RPC error reaches the request as that
//!   error; any other HTTP failure becomes an internal error (`-32603`) for the request that
//!   names the status (`data.httpStatus`), so era detection and callers see a JSON-RPC error
//!   either way.
//! * **Old servers.** When `initialize` is refused with 400, 404 or 405 and no MCP error, the
//!   transport tries the URL as an HTTP+SSE server (see [`LegacySseClient`]) and, if the
//!   `endpoint` event comes, carries on over it.
//!
//! With [`Era::Auto`](turret_core::client::Era::Auto) the client first probes with a
//! 2026-07-28 `server/discover`: a handshake-era server refuses it (a `400` without a modern
//! error, or a non-`DiscoverResult` answer), and the client falls back to `initialize`.
//!
//! ```no_run
//! use serde_json::json;
//! use turret_core::Client;
//! use turret_transport::http_client::StreamableHttpClient;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let transport = StreamableHttpClient::new("http://127.0.0.1:3000/mcp").connect()?;
//! let client = Client::builder().connect(transport).await?;
//! let result = client.call_tool("add", json!({"a": 1, "b": 2})).await?;
//! println!("{:?}", result.content);
//! client.close().await?;
//! # Ok(())
//! # }
//! ```

mod builder;
mod connection;
mod exchange;
mod headers;
mod incoming;
mod legacy;
mod param_headers;
mod pool;
mod relist;
mod resume;
mod service;
mod session;
mod sse;
mod standalone;

pub use builder::{LegacySseClient, StreamableHttpClient};
