//! Reading a request body within a size limit, and refusing an oversized one in a way the
//! client can read.
//!
//! A server that answers `413` and closes the connection while the client is still writing
//! makes the client's kernel see a reset: the client gets a broken pipe, and the answer it
//! was sent is often thrown away unread. So an oversized body is answered at once and then
//! read and discarded in the background, up to a bound in bytes and in time; only past that
//! bound is the connection closed. A client that sent `Expect: 100-continue` has not sent
//! the body yet: it gets the `413` instead of the `100 Continue`, and nothing is drained.

use std::time::Duration;

use bytes::{Buf as _, Bytes, BytesMut};
use http::HeaderMap;
use http_body::Body;
use http_body_util::{BodyExt as _, Limited};
use serde_json::json;
use turret_core::types::{ErrorCode, JsonRpcError, JsonRpcMessage};
use turret_core::{BoxError, McpError};

/// How much a request body may hold, and how much of a larger one is read and thrown away
/// before the connection is closed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyLimit {
    /// The largest body accepted.
    pub(crate) max: usize,
    /// At most this much of an oversized body is drained after the `413`…
    pub(crate) drain_bytes: u64,
    /// …for at most this long.
    pub(crate) drain_for: Duration,
}

impl BodyLimit {
    /// A limit of `max` bytes, draining up to 64 MiB or 5 s of an oversized body: enough for a
    /// client that writes the whole body before it reads the answer (Python's httpx does) to
    /// see the `413` for anything up to 64 MiB, bounded so a client cannot keep a connection
    /// busy forever. Draining discards as it reads: it costs bandwidth, not memory.
    pub(crate) const fn new(max: usize) -> Self {
        Self {
            max,
            drain_bytes: 64 * 1024 * 1024,
            drain_for: Duration::from_secs(5),
        }
    }
}

/// Why a body was not read.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// Over the limit (the rest is being drained, see the module docs).
    TooLarge,
    /// The body failed while it was read.
    Unreadable,
}

/// The whole body, if it fits within `limit.max`.
pub(crate) async fn read<B>(
    headers: &HeaderMap,
    body: B,
    limit: BodyLimit,
) -> Result<Bytes, BodyError>
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(n) if n > limit.max as u64 => {
            if !expects_continue(headers) {
                drain(Box::pin(body), 0, limit);
            }
            Err(BodyError::TooLarge)
        }
        // The length is known and fits (the HTTP layer holds the body to it), so the common
        // case collects in one go; Limited still guards a body type that does not.
        Some(_) => match Limited::new(body, limit.max).collect().await {
            Ok(collected) => Ok(collected.to_bytes()),
            Err(_) => Err(BodyError::Unreadable),
        },
        None => read_unsized(Box::pin(body), limit).await,
    }
}

/// A body of unknown length (chunked), read frame by frame so that what is left of it can
/// still be drained when it turns out too large.
async fn read_unsized<B>(
    mut body: std::pin::Pin<Box<B>>,
    limit: BodyLimit,
) -> Result<Bytes, BodyError>
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let mut buf = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return Err(BodyError::Unreadable);
        };
        let Ok(mut data) = frame.into_data() else {
            continue; // trailers carry nothing the edge reads
        };
        let seen = (buf.len() + data.remaining()) as u64;
        if seen > limit.max as u64 {
            drain(body, seen, limit);
            return Err(BodyError::TooLarge);
        }
        while data.has_remaining() {
            let chunk = data.chunk();
            buf.extend_from_slice(chunk);
            let n = chunk.len();
            data.advance(n);
        }
    }
    Ok(buf.freeze())
}

/// Reads and discards the rest of `body` in the background, within the drain bounds
/// (`already` bytes of it were read).
fn drain<B>(mut body: std::pin::Pin<Box<B>>, already: u64, limit: BodyLimit)
where
    B: Body + Send + 'static,
    B::Data: Send,
{
    tokio::spawn(async move {
        let mut seen = already;
        let discard = async {
            while let Some(Ok(frame)) = body.frame().await {
                if let Ok(data) = frame.into_data() {
                    seen += data.remaining() as u64;
                    if seen > limit.drain_bytes {
                        break;
                    }
                }
            }
        };
        // Past either bound the body is dropped, and the HTTP layer closes the connection.
        let _ = tokio::time::timeout(limit.drain_for, discard).await;
    });
}

fn expects_continue(headers: &HeaderMap) -> bool {
    headers
        .get(http::header::EXPECT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
}

/// The JSON-RPC error a `413` carries: `-32600`, naming the limit (`data.maxBytes`). It has
/// no id, since nothing of the body was parsed (MCP 2025-11-25 leaves it out then); a client
/// matches it to the request it sent on that POST.
pub(crate) fn too_large(max: usize) -> JsonRpcMessage {
    let error = McpError::new(
        ErrorCode::INVALID_REQUEST,
        format!("request body too large: this server accepts at most {max} bytes"),
    )
    .with_data(json!({ "maxBytes": max }));
    JsonRpcMessage::Error(JsonRpcError {
        id: None,
        error: error.into_object(),
    })
}
