//! A decoder for `text/event-stream` bodies, as the HTML "server-sent events" rules read them:
//! lines end with CRLF, LF or CR; `data:` lines accumulate; a blank line dispatches the event;
//! `id:` sets the last event id (kept across events); `retry:` sets the reconnection delay;
//! lines starting with `:` are comments.

use std::time::Duration;

use bytes::{Buf, BytesMut};
use http_body_util::BodyExt as _;

use super::service::ResponseBody;

/// The longest event accepted (16 MiB); a longer one ends the stream with an error.
const MAX_EVENT: usize = 16 * 1024 * 1024;

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SseEvent {
    /// The `event:` field, if the event had one (`message` is the default).
    pub(crate) kind: Option<String>,
    /// The `data:` lines, joined with `\n`; empty for a priming event.
    pub(crate) data: String,
}

impl SseEvent {
    /// Whether the event carries a JSON-RPC message (`message` events, or unnamed ones).
    pub(crate) fn is_message(&self) -> bool {
        matches!(self.kind.as_deref(), None | Some("message")) && !self.data.trim().is_empty()
    }
}

/// Incremental decoder: [`feed`](Self::feed) bytes, take events with [`next`](Self::next).
#[derive(Debug, Default)]
pub(crate) struct SseDecoder {
    buf: BytesMut,
    kind: Option<String>,
    data: String,
    has_data: bool,
    /// The id field of the event being read (moves to `last_id` when it is dispatched).
    pending_id: Option<String>,
    last_id: Option<String>,
    retry: Option<Duration>,
    /// The last line ended with CR: a LF at the start of the next chunk belongs to it.
    after_cr: bool,
    /// Whether the first line has been read (a leading byte-order mark is dropped).
    started: bool,
}

/// The stream broke the decoder's limits.
#[derive(Debug)]
pub(crate) struct TooLong;

impl SseDecoder {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The id of the last dispatched event that had one (what `Last-Event-ID` resumes from).
    pub(crate) fn last_event_id(&self) -> Option<&str> {
        self.last_id.as_deref()
    }

    /// The reconnection delay the server asked for with `retry:`, if it did.
    pub(crate) fn retry(&self) -> Option<Duration> {
        self.retry
    }

    /// Appends bytes read from the body.
    pub(crate) fn feed(&mut self, bytes: &[u8]) -> Result<(), TooLong> {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() + self.data.len() > MAX_EVENT {
            return Err(TooLong);
        }
        Ok(())
    }

    /// The next complete event, if the bytes fed so far hold one.
    pub(crate) fn next(&mut self) -> Option<SseEvent> {
        while let Some(line) = self.next_line() {
            if let Some(event) = self.line(&line) {
                return Some(event);
            }
        }
        None
    }

    fn next_line(&mut self) -> Option<String> {
        if self.after_cr && !self.buf.is_empty() {
            self.after_cr = false;
            if self.buf[0] == b'\n' {
                self.buf.advance(1);
            }
        }
        let end = self.buf.iter().position(|b| *b == b'\n' || *b == b'\r')?;
        let line = self.buf.split_to(end);
        let terminator = self.buf[0];
        self.buf.advance(1);
        if terminator == b'\r' {
            if self.buf.is_empty() {
                self.after_cr = true;
            } else if self.buf[0] == b'\n' {
                self.buf.advance(1);
            }
        }
        let mut line = String::from_utf8_lossy(&line).into_owned();
        if !std::mem::replace(&mut self.started, true) && line.starts_with('\u{feff}') {
            line.remove(0);
        }
        Some(line)
    }

    /// Applies one line; a blank line dispatches the event read so far.
    fn line(&mut self, line: &str) -> Option<SseEvent> {
        if line.is_empty() {
            return self.dispatch();
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "event" => self.kind = Some(value.to_owned()),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "id" if !value.contains('\0') => self.pending_id = Some(value.to_owned()),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                if let Ok(ms) = value.parse::<u64>() {
                    self.retry = Some(Duration::from_millis(ms));
                }
            }
            _ => {}
        }
        None
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        if let Some(id) = self.pending_id.take() {
            // An empty id resets the last event id.
            self.last_id = (!id.is_empty()).then_some(id);
        }
        let kind = self.kind.take().filter(|k| !k.is_empty());
        let data = std::mem::take(&mut self.data);
        if !std::mem::take(&mut self.has_data) {
            return None;
        }
        Some(SseEvent { kind, data })
    }
}

/// How reading the next event ended.
#[derive(Debug)]
pub(crate) enum Read {
    /// An event.
    Event(SseEvent),
    /// The body ended (the server closed the stream).
    End,
    /// The body failed (connection reset, or an over-long event).
    Failed(String),
}

/// Reads the next event of `body`.
pub(crate) async fn next_event(body: &mut ResponseBody, decoder: &mut SseDecoder) -> Read {
    loop {
        if let Some(event) = decoder.next() {
            return Read::Event(event);
        }
        match body.frame().await {
            None => return Read::End,
            Some(Err(e)) => return Read::Failed(e.to_string()),
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    if decoder.feed(&data).is_err() {
                        return Read::Failed(format!(
                            "an event of the SSE stream is longer than {MAX_EVENT} bytes"
                        ));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(chunks: &[&str]) -> (Vec<SseEvent>, SseDecoder) {
        let mut decoder = SseDecoder::new();
        let mut out = Vec::new();
        for chunk in chunks {
            decoder.feed(chunk.as_bytes()).unwrap();
            while let Some(event) = decoder.next() {
                out.push(event);
            }
        }
        (out, decoder)
    }

    #[test]
    fn reads_priming_and_message_events() {
        let (out, decoder) = events(&[
            "id: event-1\nretry: 500\ndata: \n\n",
            "event: message\nid: event-2\ndata: {\"a\":1}\n\n",
        ]);
        assert_eq!(out.len(), 2);
        assert!(!out[0].is_message(), "the priming event carries no message");
        assert_eq!(out[1].data, "{\"a\":1}");
        assert!(out[1].is_message());
        assert_eq!(decoder.last_event_id(), Some("event-2"));
        assert_eq!(decoder.retry(), Some(Duration::from_millis(500)));
    }

    #[test]
    fn an_id_without_data_still_counts() {
        let (out, decoder) = events(&["id: 7\n\n"]);
        assert!(out.is_empty());
        assert_eq!(decoder.last_event_id(), Some("7"));
    }

    #[test]
    fn handles_every_line_ending_split_anywhere() {
        let (out, _) = events(&["data: a\r", "\ndata: b\r\r", "data:c\n", "\n: comment\n"]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].data, "a\nb");
        assert_eq!(out[1].data, "c");
    }

    #[test]
    fn ignores_other_event_names_and_bad_retry() {
        let (out, decoder) = events(&["event: endpoint\ndata: /messages?x=1\nretry: 1x\n\n"]);
        assert_eq!(out[0].kind.as_deref(), Some("endpoint"));
        assert!(!out[0].is_message());
        assert_eq!(decoder.retry(), None);
    }

    #[test]
    fn an_incomplete_event_is_not_dispatched() {
        let (out, _) = events(&["data: half"]);
        assert!(out.is_empty());
    }
}
