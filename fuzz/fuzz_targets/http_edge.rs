//! The HTTP edge: `StreamableHttpService` (the streamable HTTP MCP endpoint) over a small
//! Router, called in-process with `tower::ServiceExt::oneshot`: no sockets, a paused tokio
//! clock (so timers cost no real time and a request that never answers shows as a hang).
//!
//! Input: up to 8 requests separated by `\n--\n`. Each: a method line, `Name: value` header
//! lines, a blank line, the body. A header value `$SESSION` stands for the last
//! `Mcp-Session-Id` the server handed out (so sessions can be opened and used).
//!
//! Properties, beyond "no panic":
//! * every request is answered with a status (within 60 s of virtual time);
//! * every `application/json` body is one JSON-RPC message, an error for any 4xx;
//! * a POST whose body is not a JSON-RPC message (and that passed the header checks) gets
//!   400 with a JSON-RPC `-32700`/`-32600` error;
//! * a POSTed request answered 200 is answered for its id (JSON body, or the last message
//!   of its SSE stream), and a POST's SSE stream ends; every SSE `data:` is one message.
#![no_main]

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt as _, Full};
use libfuzzer_sys::fuzz_target;
use schemars::JsonSchema;
use serde::Deserialize;
use tower::ServiceExt as _;
use turret_core::{prompt_fn, resource_fn, tool_fn, Args, Router};
use turret_transport::streamable_http::StreamableHttpService;
use turret_types::{ErrorCode, JsonRpcMessage};

#[derive(Deserialize, JsonSchema)]
struct Echo {
    text: String,
}

async fn echo(Args(Echo { text }): Args<Echo>) -> String {
    text
}

#[derive(Deserialize, JsonSchema)]
struct Item {
    id: String,
}

async fn item(Args(Item { id }): Args<Item>) -> String {
    format!("item {id}")
}

async fn about() -> &'static str {
    "the fuzzing server"
}

#[derive(Deserialize, JsonSchema)]
struct Topic {
    topic: String,
}

async fn essay(Args(Topic { topic }): Args<Topic>) -> String {
    format!("Write an essay about {topic}.")
}

fn router() -> Router {
    Router::new()
        .name("fuzz")
        .tool("echo", tool_fn(echo))
        .resource("test://about", resource_fn(about))
        .resource_template("test://template/{id}/data", resource_fn(item).name("item"))
        .prompt("essay", prompt_fn(essay))
}

struct Raw<'a> {
    method: Method,
    headers: Vec<(HeaderName, &'a [u8])>,
    body: &'a [u8],
}

fn split<'a>(haystack: &'a [u8], needle: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = haystack;
    while let Some(at) = rest.windows(needle.len()).position(|w| w == needle) {
        out.push(&rest[..at]);
        rest = &rest[at + needle.len()..];
    }
    out.push(rest);
    out
}

fn parse(raw: &[u8]) -> Raw<'_> {
    let (head, body) = match raw.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&raw[..at], &raw[at + 2..]),
        None => (raw, &b""[..]),
    };
    let mut lines = head.split(|b| *b == b'\n');
    let method = lines
        .next()
        .and_then(|m| Method::from_bytes(m.trim_ascii()).ok())
        .unwrap_or(Method::POST);
    let headers = lines
        .filter_map(|line| {
            let colon = line.iter().position(|b| *b == b':')?;
            let name = HeaderName::from_bytes(line[..colon].trim_ascii()).ok()?;
            Some((name, line[colon + 1..].trim_ascii()))
        })
        .collect();
    Raw {
        method,
        headers,
        body,
    }
}

/// The `data:` payloads of an SSE body (the server writes one `data:` line per event).
fn sse_data(body: &[u8]) -> Vec<&[u8]> {
    body.split(|b| *b == b'\n')
        .filter_map(|line| line.strip_prefix(b"data:"))
        .map(|d| d.strip_prefix(b" ").unwrap_or(d))
        .filter(|d| !d.is_empty())
        .collect()
}

fn media_type(response: &http::response::Parts) -> String {
    response
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

fuzz_target!(|data: &[u8]| {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async {
        let service = StreamableHttpService::new(router());
        let mut session: Option<HeaderValue> = None;
        for raw in split(data, b"\n--\n").into_iter().take(8) {
            let raw = parse(raw);
            let mut request = Request::builder().method(raw.method.clone()).uri("/mcp");
            for (name, value) in &raw.headers {
                let value = if *value == b"$SESSION" {
                    match &session {
                        Some(s) => s.clone(),
                        None => continue,
                    }
                } else {
                    match HeaderValue::from_bytes(value) {
                        Ok(v) => v,
                        Err(_) => continue,
                    }
                };
                request = request.header(name, value);
            }
            let Ok(request) = request.body(Full::new(Bytes::copy_from_slice(raw.body))) else {
                continue;
            };
            let response =
                tokio::time::timeout(Duration::from_secs(60), service.clone().oneshot(request))
                    .await
                    .unwrap_or_else(|_| panic!("no answer to a {} within 60 s", raw.method))
                    .unwrap_or_else(|e| match e {});
            let (parts, mut body) = response.into_parts();
            if let Some(id) = parts.headers.get("mcp-session-id") {
                session = Some(id.clone());
            }
            let kind = media_type(&parts);
            let streaming = kind == "text/event-stream";
            // A GET stream stays open: read what comes within a second, then hang up.
            let within = if streaming && raw.method != Method::POST {
                Duration::from_secs(1)
            } else {
                Duration::from_secs(60)
            };
            let mut bytes = Vec::new();
            let ended = loop {
                match tokio::time::timeout(within, body.frame()).await {
                    Err(_) => break false,
                    Ok(None) => break true,
                    Ok(Some(frame)) => {
                        let frame = frame.unwrap_or_else(|e| match e {});
                        if let Ok(data) = frame.into_data() {
                            bytes.extend_from_slice(&data);
                        }
                    }
                }
            };
            let status = parts.status;
            if raw.method == Method::POST || !streaming {
                assert!(ended, "the {status} answer to a {} never ended", raw.method);
            }

            let posted = JsonRpcMessage::parse(raw.body);
            let answers = match kind.as_str() {
                "application/json" => {
                    let m = JsonRpcMessage::parse(&bytes).unwrap_or_else(|e| {
                        panic!("a {status} JSON body is not JSON-RPC ({e}): {bytes:?}")
                    });
                    if status.is_client_error() {
                        assert!(
                            matches!(m, JsonRpcMessage::Error(_)),
                            "a {status} carries {m:?}"
                        );
                    }
                    vec![m]
                }
                "text/event-stream" => sse_data(&bytes)
                    .into_iter()
                    .map(|d| {
                        JsonRpcMessage::parse(d).unwrap_or_else(|e| {
                            panic!(
                                "an SSE event is not JSON-RPC ({e}): {:?}",
                                String::from_utf8_lossy(d)
                            )
                        })
                    })
                    .collect(),
                _ => Vec::new(),
            };

            if raw.method != Method::POST {
                continue;
            }
            match posted {
                Err(bad) => {
                    // Refusals that come before the body is read are plain text.
                    if matches!(status.as_u16(), 403 | 406 | 413 | 415) {
                        continue;
                    }
                    assert_eq!(
                        status,
                        StatusCode::BAD_REQUEST,
                        "malformed body got {status}"
                    );
                    let Some(JsonRpcMessage::Error(e)) = answers.first() else {
                        panic!("a malformed body got no JSON-RPC error: {answers:?}");
                    };
                    assert!(
                        e.error.code == ErrorCode::PARSE_ERROR
                            || e.error.code == ErrorCode::INVALID_REQUEST,
                        "a malformed body ({}) got {:?}",
                        bad.error.message,
                        e.error
                    );
                }
                Ok(JsonRpcMessage::Request(r)) if status == StatusCode::OK => {
                    let last = answers
                        .last()
                        .unwrap_or_else(|| panic!("request {} got a 200 without an answer", r.id));
                    let id = match last {
                        JsonRpcMessage::Response(a) => Some(&a.id),
                        JsonRpcMessage::Error(a) => a.id.as_ref(),
                        other => panic!("request {} ended with {other:?}", r.id),
                    };
                    assert_eq!(id, Some(&r.id), "request {} answered as {last:?}", r.id);
                }
                Ok(_) => {}
            }
        }
        service.shutdown();
    });
});
