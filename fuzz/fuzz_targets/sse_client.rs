//! The client side's SSE event parser (`turret_transport::http_client`'s `SseDecoder`, which is
//! `pub(crate)`), driven through the public `StreamableHttpClient` with a fake `http_service`:
//! the fuzz input is the `text/event-stream` body of the server's answer, cut into chunks at
//! fuzzed places. No network, no real time (a paused tokio clock).
//!
//! Input: byte 0 picks the mode (bit 7: 0 = the body answers a notification and is drained,
//! 1 = it answers request id 1 and is followed, resumed with `GET` if it ends first) and the
//! chunking (bits 0-6: 0 = one chunk, else a seed for chunk lengths 1..=32). The rest is the
//! body.
//!
//! Property: the transport hands the client exactly the messages an independent, whole-body
//! reading of the HTML SSE rules finds (every `message` event, its data parsed as one JSON-RPC
//! message or a batch), in order, whatever the chunking; a followed request gets exactly one
//! answer (from the stream, or a transport error), and nothing after it.
#![no_main]

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt as _, StreamExt as _};
use http::{Method, Request, Response, StatusCode};
use http_body::Frame;
use http_body_util::{Full, StreamBody};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use turret_transport::http_client::StreamableHttpClient;
use turret_types::{ErrorCode, JsonRpcMessage, JsonRpcNotification, JsonRpcRequest, RequestId};

/// The events of a whole SSE body, read as the HTML standard says (independently of
/// Turret's incremental decoder): `(event type, data)` of each dispatched event.
fn reference_events(body: &[u8]) -> Vec<(Option<String>, String)> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'\n' => {
                lines.push(&body[start..i]);
                start = i + 1;
            }
            b'\r' => {
                lines.push(&body[start..i]);
                if body.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    // A last line without its end is never processed; nor is an event without its blank line.
    let (mut kind, mut data, mut has_data) = (None::<String>, String::new(), false);
    let mut events = Vec::new();
    for (n, raw) in lines.into_iter().enumerate() {
        let mut line = String::from_utf8_lossy(raw).into_owned();
        if n == 0 {
            if let Some(rest) = line.strip_prefix('\u{feff}') {
                line = rest.to_owned();
            }
        }
        if line.is_empty() {
            let k = kind.take().filter(|k| !k.is_empty());
            if std::mem::take(&mut has_data) {
                events.push((k, std::mem::take(&mut data)));
            } else {
                data.clear();
            }
            continue;
        }
        if line.starts_with(':') {
            continue;
        }
        let (field, value) = match line.find(':') {
            Some(at) => {
                let v = &line[at + 1..];
                (&line[..at], v.strip_prefix(' ').unwrap_or(v))
            }
            None => (line.as_str(), ""),
        };
        match field {
            "event" => kind = Some(value.to_owned()),
            "data" => {
                if has_data {
                    data.push('\n');
                }
                data.push_str(value);
                has_data = true;
            }
            _ => {}
        }
    }
    events
}

/// The messages the client should get from `body`. With `answering`, reading stops after
/// the event that answers it, and an error without an id is taken as that answer.
fn expected(body: &[u8], answering: Option<&RequestId>) -> (Vec<JsonRpcMessage>, bool) {
    let mut out = Vec::new();
    for (kind, data) in reference_events(body) {
        if !matches!(kind.as_deref(), None | Some("message")) || data.trim().is_empty() {
            continue;
        }
        let Ok(value) = serde_json::from_str::<Value>(&data) else {
            continue;
        };
        let values = match value {
            Value::Array(values) => values,
            single => vec![single],
        };
        let mut answered = false;
        for value in values {
            let Ok(mut message) = JsonRpcMessage::from_value(value) else {
                continue;
            };
            if let Some(id) = answering {
                match &mut message {
                    JsonRpcMessage::Error(e) => {
                        let id = e.id.get_or_insert_with(|| id.clone());
                        answered |= id == answering.unwrap();
                    }
                    JsonRpcMessage::Response(r) => answered |= &r.id == id,
                    _ => {}
                }
            }
            out.push(message);
        }
        if answered {
            return (out, true);
        }
    }
    (out, false)
}

/// Cuts `body` into chunks: one when `seed` is 0, else lengths 1..=32 from a small PRNG.
fn chunks(body: &[u8], seed: u8) -> Vec<Bytes> {
    if seed == 0 {
        return vec![Bytes::copy_from_slice(body)];
    }
    let mut state = u32::from(seed).wrapping_mul(2_654_435_761) | 1;
    let mut out = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let n = (state % 32 + 1) as usize;
        let (head, tail) = rest.split_at(n.min(rest.len()));
        out.push(Bytes::copy_from_slice(head));
        rest = tail;
    }
    out
}

type FakeBody =
    StreamBody<futures_util::stream::Iter<std::vec::IntoIter<Result<Frame<Bytes>, Infallible>>>>;

fn sse_response(chunks: &[Bytes]) -> Response<FakeBody> {
    let frames: Vec<_> = chunks.iter().cloned().map(|c| Ok(Frame::data(c))).collect();
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "text/event-stream")
        .body(StreamBody::new(futures_util::stream::iter(frames)))
        .unwrap()
}

fn empty(status: StatusCode) -> Response<FakeBody> {
    Response::builder()
        .status(status)
        .body(StreamBody::new(futures_util::stream::iter(Vec::new())))
        .unwrap()
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, body)) = data.split_first() else {
        return;
    };
    let follow = control & 0x80 != 0;
    let pieces = Arc::new(chunks(body, control & 0x7f));

    let service = {
        let pieces = pieces.clone();
        tower::service_fn(move |req: Request<Full<Bytes>>| {
            let pieces = pieces.clone();
            async move {
                Ok::<_, Infallible>(match *req.method() {
                    Method::POST => sse_response(&pieces),
                    // A resumption after the stream ended without the answer: refused.
                    Method::GET => empty(StatusCode::METHOD_NOT_ALLOWED),
                    _ => empty(StatusCode::OK),
                })
            }
        })
    };
    let transport = StreamableHttpClient::new("http://fuzz.invalid/mcp")
        .http_service(service)
        .legacy_fallback(false)
        .standalone_stream(false)
        .connect()
        .expect("transport");
    let (mut incoming, mut outgoing) = transport.into_parts();

    let id = RequestId::Number(1);
    let (mut want, answered) = expected(body, follow.then_some(&id));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let mut got = runtime.block_on(async {
        let message = if follow {
            JsonRpcMessage::Request(JsonRpcRequest {
                id: id.clone(),
                method: "tools/list".into(),
                params: None,
            })
        } else {
            JsonRpcMessage::Notification(JsonRpcNotification {
                method: "notifications/fuzz".into(),
                params: None,
            })
        };
        outgoing.send(message).await.expect("send");
        let mut got = Vec::new();
        if follow {
            // Until the request's answer (a stream that never gives one is a hang).
            loop {
                let m = incoming
                    .next()
                    .await
                    .expect("incoming ended")
                    .expect("malformed");
                let done = match &m {
                    JsonRpcMessage::Response(r) => r.id == id,
                    JsonRpcMessage::Error(e) => e.id.as_ref() == Some(&id),
                    _ => false,
                };
                got.push(m);
                if done {
                    break;
                }
            }
        }
        // Whatever else arrives before the (virtual) clock moves on.
        while let Ok(Some(m)) =
            tokio::time::timeout(Duration::from_secs(3600), incoming.next()).await
        {
            got.push(m.expect("malformed"));
        }
        got
    });
    drop(runtime);

    if follow && !answered {
        // The stream ended without the answer: the transport answers with an error.
        let last = got.pop().expect("no answer for the request");
        let JsonRpcMessage::Error(e) = last else {
            panic!("the request got {last:?}");
        };
        assert_eq!(e.id, Some(id));
        assert_eq!(
            e.error.code,
            ErrorCode::INTERNAL_ERROR,
            "{}",
            e.error.message
        );
    }
    if got != want {
        // Show where they part.
        let same = got.iter().zip(&want).take_while(|(a, b)| a == b).count();
        want.drain(..same);
        panic!(
            "the transport delivered {} messages, the reference reading {}; first difference \
             after {same}: got {:?}, expected {:?}",
            got.len(),
            want.len() + same,
            got.get(same),
            want.first()
        );
    }
});
