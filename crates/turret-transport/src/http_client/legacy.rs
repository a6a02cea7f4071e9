//! The old HTTP+SSE transport (2024-11-05, deprecated since 2025-03-26): `GET` the SSE URL,
//! read the `endpoint` event (a URL, resolved against the SSE URL and required to be of the
//! same origin), then `POST` every message there; everything the server sends arrives on
//! the SSE stream, and the connection ends with it.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::ACCEPT;
use http::{Method, Request, Uri};
use http_body_util::Full;
use turret_core::types::RequestId;

use super::connection::Shared;
use super::exchange::http_error;
use super::headers::ACCEPT_SSE;
use super::resume::deliver_event;
use super::service::{media_type, read_body, ResponseBody};
use super::sse::{next_event, Read, SseDecoder};

/// How long the server may take to send the `endpoint` event.
const ENDPOINT_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens the SSE stream at the configured URL, waits for the `endpoint` event, and from then
/// on sends every message to that endpoint (a background task reads the stream).
pub(crate) async fn switch(shared: &Arc<Shared>) -> Result<(), String> {
    let url = &shared.config.url;
    let mut request = Request::new(Full::new(Bytes::new()));
    *request.method_mut() = Method::GET;
    *request.uri_mut() = url.clone();
    request.headers_mut().extend(shared.config.headers.clone());
    request.headers_mut().insert(ACCEPT, ACCEPT_SSE);
    let response = shared
        .call(request)
        .await
        .map_err(|e| format!("GET {url} failed: {e}"))?;
    let status = response.status();
    if !status.is_success() || media_type(response.headers()) != "text/event-stream" {
        return Err(format!(
            "GET {url} answered HTTP {status} ({}), not an SSE stream",
            media_type(response.headers())
        ));
    }
    let mut body = response.into_body();
    let mut decoder = SseDecoder::new();
    let endpoint = tokio::time::timeout(ENDPOINT_TIMEOUT, async {
        loop {
            match next_event(&mut body, &mut decoder).await {
                Read::Event(event) if event.kind.as_deref() == Some("endpoint") => {
                    return resolve(url, event.data.trim());
                }
                // Nothing but the endpoint may come first; messages cannot be sent before it.
                Read::Event(_) => {}
                Read::End => return Err("the SSE stream ended before the endpoint event".into()),
                Read::Failed(e) => return Err(e),
            }
        }
    })
    .await
    .map_err(|_| format!("no endpoint event within {ENDPOINT_TIMEOUT:?}"))??;
    tracing::debug!(%endpoint, "using the HTTP+SSE transport");
    shared.use_legacy_endpoint(endpoint);
    let reader = shared.clone();
    shared.spawn(read_stream(reader, body, decoder));
    Ok(())
}

/// Hands over every message of the stream; its end ends the transport.
async fn read_stream(shared: Arc<Shared>, mut body: ResponseBody, mut decoder: SseDecoder) {
    loop {
        match next_event(&mut body, &mut decoder).await {
            Read::Event(event) if event.is_message() => {
                deliver_event(&shared, &event, None);
            }
            Read::Event(_) => {}
            Read::End => {
                tracing::debug!("the server closed the HTTP+SSE stream");
                break;
            }
            Read::Failed(e) => {
                tracing::debug!(error = %e, "the HTTP+SSE stream broke");
                break;
            }
        }
    }
    shared.closed.cancel();
}

/// POSTs one message to the endpoint. The answer comes on the stream; a refusal of a
/// request becomes its error.
pub(crate) async fn post(shared: &Shared, endpoint: &Uri, body: Bytes, id: Option<&RequestId>) {
    let request = shared.post(endpoint, body, |_| {});
    let failure = match shared.call(request).await {
        Ok(response) if response.status().is_success() => return,
        Ok(response) => {
            let status = response.status();
            let bytes = read_body(response.into_body()).await.unwrap_or_default();
            (status, bytes)
        }
        Err(e) => {
            tracing::warn!(error = %e, %endpoint, "could not POST to the HTTP+SSE endpoint");
            if let Some(id) = id {
                shared.fail(
                    id,
                    super::connection::transport_error(format!(
                        "could not POST to the HTTP+SSE endpoint {endpoint}: {e}"
                    )),
                );
            }
            return;
        }
    };
    match id {
        Some(id) => shared.deliver(http_error(id, failure.0, &failure.1)),
        None => tracing::warn!(status = %failure.0, "the HTTP+SSE endpoint refused a message"),
    }
}

/// Resolves the `endpoint` event's URL against the SSE URL; only the same origin (scheme,
/// host and port) is accepted.
pub(crate) fn resolve(base: &Uri, reference: &str) -> Result<Uri, String> {
    let scheme = base.scheme_str().unwrap_or("http");
    let authority = base.authority().map(|a| a.as_str()).unwrap_or_default();
    let base_path = base.path();
    let resolved = if reference.contains("://") {
        reference.to_owned()
    } else if let Some(rest) = reference.strip_prefix("//") {
        format!("{scheme}://{rest}")
    } else if reference.starts_with('/') {
        format!("{scheme}://{authority}{reference}")
    } else if reference.starts_with('?') {
        format!("{scheme}://{authority}{base_path}{reference}")
    } else {
        let dir = &base_path[..base_path.rfind('/').map_or(0, |i| i + 1)];
        let dir = if dir.is_empty() { "/" } else { dir };
        format!("{scheme}://{authority}{dir}{reference}")
    };
    let uri: Uri = resolved
        .parse()
        .map_err(|e| format!("the endpoint {reference:?} is not a URL: {e}"))?;
    let same_origin = uri.scheme() == base.scheme()
        && uri
            .authority()
            .map(|a| a.as_str().eq_ignore_ascii_case(authority))
            .unwrap_or(false);
    if !same_origin {
        return Err(format!(
            "the endpoint {uri} is not of the SSE URL's origin ({scheme}://{authority}); refused"
        ));
    }
    Ok(uri)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Uri {
        "http://localhost:3000/mcp/sse".parse().unwrap()
    }

    #[test]
    fn resolves_relative_endpoints() {
        let cases = [
            (
                "/messages?sessionId=1",
                "http://localhost:3000/messages?sessionId=1",
            ),
            (
                "messages?sessionId=1",
                "http://localhost:3000/mcp/messages?sessionId=1",
            ),
            ("?sessionId=1", "http://localhost:3000/mcp/sse?sessionId=1"),
            ("http://localhost:3000/x", "http://localhost:3000/x"),
            ("//localhost:3000/y", "http://localhost:3000/y"),
        ];
        for (reference, expected) in cases {
            assert_eq!(resolve(&base(), reference).unwrap().to_string(), expected);
        }
    }

    #[test]
    fn refuses_other_origins() {
        for reference in [
            "http://evil.example.com/messages",
            "//evil.example.com/messages",
            "https://localhost:3000/messages",
            "http://localhost:3001/messages",
        ] {
            assert!(resolve(&base(), reference).is_err(), "{reference}");
        }
    }
}
