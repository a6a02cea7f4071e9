//! HTTP responses into MCP results.

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::Response;
use http_body_util::BodyExt as _;
use serde_json::Value;
use turret_types::{
    CallToolResult, ContentBlock, ReadResourceResult, ResourceContents, TextResourceContents,
};

use crate::client::HttpBody;

/// How much of an error body the model sees.
const ERROR_EXCERPT: usize = 2_000;

/// A response read whole (up to a limit).
pub(crate) struct Read {
    pub(crate) status: http::StatusCode,
    pub(crate) content_type: Option<String>,
    pub(crate) body: Bytes,
}

pub(crate) async fn read(response: Response<HttpBody>, limit: usize) -> Result<Read, String> {
    let (parts, mut body) = response.into_parts();
    let too_large = || format!("the response body is larger than {limit} bytes");
    // A declared length over the limit fails before reading anything.
    if http_body::Body::size_hint(&body).lower() > limit as u64 {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| format!("reading the response body: {e}"))?;
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > limit {
                return Err(too_large());
            }
            bytes.extend_from_slice(&data);
        }
    }
    let body = Bytes::from(bytes);
    Ok(Read {
        status: parts.status,
        content_type: parts
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body,
    })
}

impl Read {
    fn is_json(&self) -> bool {
        self.content_type
            .as_deref()
            .is_some_and(crate::operation::is_json)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// `HTTP 404 Not Found: <first 2,000 bytes of the body>`.
    pub(crate) fn error_text(&self) -> String {
        let text = self.text();
        let mut cut = text.len().min(ERROR_EXCERPT);
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let more = if cut < text.len() { "…" } else { "" };
        format!("HTTP {}: {}{more}", self.status, &text[..cut])
    }

    /// The tool result: JSON as structured content (wrapped when the output schema says
    /// so), other bodies as text; a non-2xx status is an error result the model can read.
    pub(crate) fn into_tool_result(self, wrap: bool) -> CallToolResult {
        if !self.status.is_success() {
            return CallToolResult::error(self.error_text());
        }
        let text = self.text();
        let json = if self.is_json() {
            serde_json::from_slice::<Value>(&self.body).ok()
        } else {
            None
        };
        let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
        result.structured_content = match json {
            Some(Value::Object(o)) if !wrap => Some(Value::Object(o)),
            Some(v) if wrap => Some(serde_json::json!({ "result": v })),
            _ => None,
        };
        result
    }

    /// The resource contents, or an error for a non-2xx status.
    pub(crate) fn into_resource_result(self, uri: &str) -> Result<ReadResourceResult, String> {
        if !self.status.is_success() {
            return Err(self.error_text());
        }
        let text = self.text();
        Ok(ReadResourceResult {
            contents: vec![ResourceContents::Text(TextResourceContents {
                uri: uri.to_owned(),
                mime_type: self.content_type,
                text,
                ..Default::default()
            })],
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::{BodyExt as _, Full, StreamBody};

    use super::*;

    fn response(body: HttpBody) -> Response<HttpBody> {
        Response::new(body)
    }

    #[tokio::test]
    async fn reads_up_to_the_limit_and_refuses_more() {
        let whole = |b: &'static [u8]| Full::new(Bytes::from_static(b)).map_err(|e| match e {});
        let fits = read(response(whole(b"0123456789").boxed_unsync()), 10).await;
        assert_eq!(&fits.unwrap().body[..], b"0123456789");
        // Declared too long: refused before reading.
        let declared = read(response(whole(b"0123456789x").boxed_unsync()), 10).await;
        assert_eq!(
            declared.err().unwrap(),
            "the response body is larger than 10 bytes"
        );
        // Of unknown length: refused once the limit is crossed.
        let frames = futures_util::stream::iter(
            ["01234", "56789", "x"].map(|s| Ok(http_body::Frame::data(Bytes::from(s)))),
        );
        let streamed = read(response(StreamBody::new(frames).boxed_unsync()), 10).await;
        assert_eq!(
            streamed.err().unwrap(),
            "the response body is larger than 10 bytes"
        );
    }
}
