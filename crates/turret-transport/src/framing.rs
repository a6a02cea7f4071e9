//! Newline-delimited JSON-RPC framing, as stdio (and any byte stream) carries it.

use std::io;

use bytes::{BufMut, BytesMut};
use futures_util::StreamExt as _;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::codec::{Decoder, Encoder, FramedRead, FramedWrite};
use turret_core::types::{ErrorCode, ErrorObject, JsonRpcMessage, MalformedMessage};
use turret_core::{Incoming, Transport};

/// The longest line accepted (16 MiB); a longer one is answered with an error and skipped.
pub const DEFAULT_MAX_LINE: usize = 16 * 1024 * 1024;

/// Splits bytes into lines and lines into messages; bad lines become errors, not failures.
#[derive(Debug)]
struct LineCodec {
    max: usize,
    /// Bytes of the current line already scanned for a newline.
    scanned: usize,
    /// Inside an over-long line: drop bytes until its newline.
    discarding: bool,
}

impl Decoder for LineCodec {
    type Item = Incoming;
    type Error = io::Error;

    fn decode(&mut self, buf: &mut BytesMut) -> io::Result<Option<Incoming>> {
        loop {
            let newline = buf[self.scanned..].iter().position(|b| *b == b'\n');
            let Some(offset) = newline else {
                if buf.len() > self.max {
                    buf.clear();
                    self.scanned = 0;
                    if !self.discarding {
                        self.discarding = true;
                        return Ok(Some(Err(too_long(self.max))));
                    }
                } else {
                    self.scanned = buf.len();
                }
                return Ok(None);
            };
            let line = buf.split_to(self.scanned + offset + 1);
            self.scanned = 0;
            if std::mem::take(&mut self.discarding) {
                continue;
            }
            let line = trim(&line);
            if line.is_empty() {
                continue;
            }
            if line.len() > self.max {
                return Ok(Some(Err(too_long(self.max))));
            }
            return Ok(Some(JsonRpcMessage::parse(line)));
        }
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> io::Result<Option<Incoming>> {
        if let Some(item) = self.decode(buf)? {
            return Ok(Some(item));
        }
        // A last message without a trailing newline still counts.
        let rest = buf.split();
        self.scanned = 0;
        let line = trim(&rest);
        Ok((!line.is_empty() && !self.discarding).then(|| JsonRpcMessage::parse(line)))
    }
}

fn trim(line: &[u8]) -> &[u8] {
    line.trim_ascii()
}

fn too_long(max: usize) -> MalformedMessage {
    MalformedMessage {
        id: None,
        error: ErrorObject::new(
            ErrorCode::PARSE_ERROR,
            format!("message longer than {max} bytes skipped"),
        ),
    }
}

/// Writes one message per line.
#[derive(Debug)]
struct MessageEncoder;

impl Encoder<JsonRpcMessage> for MessageEncoder {
    type Error = io::Error;

    fn encode(&mut self, message: JsonRpcMessage, dst: &mut BytesMut) -> io::Result<()> {
        let mut writer = dst.writer();
        serde_json::to_writer(&mut writer, &message)?;
        writer.into_inner().put_u8(b'\n');
        Ok(())
    }
}

/// A transport over any pair of byte streams, framed as newline-delimited JSON.
pub fn from_io<R, W>(reader: R, writer: W) -> Transport
where
    R: AsyncRead + Send + 'static,
    W: AsyncWrite + Send + 'static,
{
    with_max_line(reader, writer, DEFAULT_MAX_LINE)
}

/// [`from_io`] with a custom line limit.
pub fn with_max_line<R, W>(reader: R, writer: W, max: usize) -> Transport
where
    R: AsyncRead + Send + 'static,
    W: AsyncWrite + Send + 'static,
{
    let codec = LineCodec {
        max,
        scanned: 0,
        discarding: false,
    };
    let stream = FramedRead::new(reader, codec).filter_map(|item| async move {
        match item {
            Ok(incoming) => Some(incoming),
            Err(e) => {
                // The byte stream failed: end the transport.
                tracing::debug!(error = %e, "read failed");
                None
            }
        }
    });
    Transport::new(stream, FramedWrite::new(writer, MessageEncoder))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(input: &[u8], max: usize) -> Vec<Result<String, i32>> {
        let mut codec = LineCodec {
            max,
            scanned: 0,
            discarding: false,
        };
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        while let Some(item) = codec.decode_eof(&mut buf).unwrap() {
            out.push(
                item.map(|m| String::from_utf8(m.to_vec()).unwrap())
                    .map_err(|e| e.error.code.0),
            );
        }
        out
    }

    #[test]
    fn splits_lines_and_reports_bad_ones() {
        let out = decode_all(b"{\"jsonrpc\":\"2.0\",\"method\":\"a\"}\r\n\nnot json\n{\"jsonrpc\":\"2.0\",\"method\":\"b\"}", 1024);
        assert_eq!(out.len(), 3);
        assert!(out[0].as_ref().unwrap().contains("\"a\""));
        assert_eq!(out[1], Err(-32700));
        assert!(out[2].as_ref().unwrap().contains("\"b\""));
    }

    #[test]
    fn skips_an_over_long_line_and_recovers() {
        let mut input = vec![b'x'; 100];
        input.extend_from_slice(b"\n{\"jsonrpc\":\"2.0\",\"method\":\"ok\"}\n");
        let out = decode_all(&input, 50);
        assert_eq!(out[0], Err(-32700));
        assert!(out[1].as_ref().unwrap().contains("\"ok\""));
        assert_eq!(out.len(), 2);
    }
}
