//! Server-sent events: framing one event, and the response body that carries a stream of them.

use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use turret_core::types::JsonRpcMessage;

/// One SSE event: an optional id, an optional reconnection delay, and at most one JSON
/// message on a single `data:` line (readers that take each `data:` line as one message
/// rely on that).
#[derive(Debug, Clone, Default)]
pub(crate) struct Event {
    pub(crate) id: Option<String>,
    pub(crate) retry: Option<Duration>,
    pub(crate) message: Option<JsonRpcMessage>,
}

impl Event {
    /// An event carrying a message.
    pub(crate) fn message(id: Option<String>, message: JsonRpcMessage) -> Self {
        Self {
            id,
            retry: None,
            message: Some(message),
        }
    }

    /// The wire bytes. Messages serialize to one line (JSON escapes newlines).
    pub(crate) fn to_bytes(&self) -> Bytes {
        let mut out = BytesMut::with_capacity(128);
        if let Some(id) = &self.id {
            out.put_slice(b"id: ");
            out.put_slice(id.as_bytes());
            out.put_u8(b'\n');
        }
        if let Some(retry) = self.retry {
            out.put_slice(format!("retry: {}\n", retry.as_millis()).as_bytes());
        }
        match &self.message {
            Some(m) => {
                out.put_slice(b"event: message\ndata: ");
                out.put_slice(&m.to_vec());
                out.put_u8(b'\n');
            }
            // A priming event: an id (and retry) with empty data.
            None => out.put_slice(b"data: \n"),
        }
        out.put_u8(b'\n');
        out.freeze()
    }
}

/// A comment line that keeps idle connections (and proxies) from timing out.
pub(crate) fn keep_alive() -> Bytes {
    Bytes::from_static(b": keep-alive\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use turret_core::types::{JsonRpcMessage, JsonRpcNotification};

    #[test]
    fn frames_events_on_single_data_lines() {
        let n = JsonRpcMessage::Notification(JsonRpcNotification {
            method: "x".into(),
            params: Some(serde_json::json!({"text": "a\nb"})),
        });
        let bytes = Event::message(Some("s1_2".into()), n).to_bytes();
        let text = std::str::from_utf8(&bytes).unwrap();
        assert!(text.starts_with("id: s1_2\nevent: message\ndata: {"));
        assert!(text.ends_with("}\n\n"));
        assert_eq!(text.matches('\n').count(), 4);
        let priming = Event {
            id: Some("s1_0".into()),
            retry: Some(Duration::from_millis(500)),
            message: None,
        };
        assert_eq!(&priming.to_bytes()[..], b"id: s1_0\nretry: 500\ndata: \n\n");
    }
}
