//! What comes back from one request, and the JSON-RPC messages in it: the body itself, or
//! the data of every event when the server answered with an SSE stream.

use bytes::Bytes;
use http::{HeaderValue, StatusCode};
use serde_json::Value;

use crate::BoxError;

/// An answer: status, content type, session id header and the whole body.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) sse: bool,
    pub(crate) session: Option<HeaderValue>,
    pub(crate) body: Bytes,
}

/// The JSON-RPC messages of an answer: the body itself, or every SSE event's data.
fn messages(answer: &Answer) -> Vec<Value> {
    if !answer.sse {
        return serde_json::from_slice(&answer.body).into_iter().collect();
    }
    let mut out = Vec::new();
    let mut data = String::new();
    let text = String::from_utf8_lossy(&answer.body);
    for line in text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)) {
        if line.is_empty() {
            if !data.is_empty() {
                out.extend(serde_json::from_str::<Value>(&data).ok());
                data.clear();
            }
        } else if let Some(rest) = line.strip_prefix("data:") {
            if !data.is_empty() {
                data.push('\n');
            }
            data.push_str(rest.strip_prefix(' ').unwrap_or(rest));
        }
    }
    if !data.is_empty() {
        out.extend(serde_json::from_str::<Value>(&data).ok());
    }
    out
}

/// The response to request `id` among an answer's messages.
pub(crate) fn response_to(answer: &Answer, id: u64) -> Result<Value, BoxError> {
    if !answer.status.is_success() {
        return Err(format!(
            "HTTP {}: {}",
            answer.status,
            String::from_utf8_lossy(&answer.body)
        )
        .into());
    }
    let found = messages(answer)
        .into_iter()
        .find(|m| m.get("id").and_then(Value::as_u64) == Some(id))
        .ok_or_else(|| {
            format!(
                "no response to request {id} in: {}",
                String::from_utf8_lossy(&answer.body)
            )
        })?;
    if let Some(error) = found.get("error") {
        return Err(format!("JSON-RPC error: {error}").into());
    }
    found
        .get("result")
        .cloned()
        .ok_or_else(|| "a response without result".into())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn answer(sse: bool, body: &str) -> Answer {
        Answer {
            status: StatusCode::OK,
            sse,
            session: None,
            body: Bytes::from(body.to_owned()),
        }
    }

    #[test]
    fn reads_the_response_among_sse_events() {
        let body = "id: 0\r\nretry: 3000\r\ndata:\r\n\r\n\
                    event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{}}\n\n\
                    data: {\"jsonrpc\":\"2.0\",\"id\":7,\n\
                    data: \"result\":{\"content\":[{\"type\":\"text\",\"text\":\"hello\"}]}}\n\n";
        let result = response_to(&answer(true, body), 7).expect("the response to 7");
        assert_eq!(result.pointer("/content/0/text"), Some(&json!("hello")));
        assert!(response_to(&answer(true, body), 8).is_err());
    }

    #[test]
    fn reads_a_json_response_and_reports_errors() {
        let ok = r#"{"jsonrpc":"2.0","id":3,"result":{"content":[]}}"#;
        assert!(response_to(&answer(false, ok), 3).is_ok());
        let error = r#"{"jsonrpc":"2.0","id":3,"error":{"code":-32602,"message":"no"}}"#;
        let e = response_to(&answer(false, error), 3).expect_err("an error response");
        assert!(e.to_string().contains("-32602"));
        let mut refused = answer(false, "bad");
        refused.status = StatusCode::BAD_REQUEST;
        assert!(response_to(&refused, 3).is_err());
    }
}
