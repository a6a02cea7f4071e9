//! The message-level transport both drivers run over: a stream of incoming JSON-RPC messages
//! and a sink for outgoing ones. Byte-level transports (stdio, HTTP, in-memory) build one.

use std::io;
use std::pin::Pin;

use futures_core::Stream;
use futures_util::Sink;
use turret_types::{JsonRpcMessage, MalformedMessage};

/// One incoming item: a message, or input that was not a valid message (which the server
/// answers with an error and keeps serving).
pub type Incoming = Result<JsonRpcMessage, MalformedMessage>;

/// The receiving half of a [`Transport`].
pub type MessageStream = Pin<Box<dyn Stream<Item = Incoming> + Send>>;

/// The sending half of a [`Transport`].
pub type MessageSink = Pin<Box<dyn Sink<JsonRpcMessage, Error = io::Error> + Send>>;

/// A bidirectional JSON-RPC message channel. The stream ends when the peer closes it.
pub struct Transport {
    stream: MessageStream,
    sink: MessageSink,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport").finish_non_exhaustive()
    }
}

impl Transport {
    /// A transport from its two halves.
    pub fn new(
        stream: impl Stream<Item = Incoming> + Send + 'static,
        sink: impl Sink<JsonRpcMessage, Error = io::Error> + Send + 'static,
    ) -> Self {
        Self {
            stream: Box::pin(stream),
            sink: Box::pin(sink),
        }
    }

    /// The two halves.
    pub fn into_parts(self) -> (MessageStream, MessageSink) {
        (self.stream, self.sink)
    }
}

/// How many messages may be in flight each way before the sender waits.
const CAPACITY: usize = 256;

/// Two connected transports: what one end sends, the other receives, as typed messages with
/// no serialization. Use one for a server and the other for a client in the same process
/// (re-exported as `turret_transport::memory_pair`).
pub fn memory_pair() -> (Transport, Transport) {
    let (a_tx, a_rx) = tokio::sync::mpsc::channel::<JsonRpcMessage>(CAPACITY);
    let (b_tx, b_rx) = tokio::sync::mpsc::channel::<JsonRpcMessage>(CAPACITY);
    (memory_end(a_rx, b_tx), memory_end(b_rx, a_tx))
}

fn memory_end(
    mut rx: tokio::sync::mpsc::Receiver<JsonRpcMessage>,
    tx: tokio::sync::mpsc::Sender<JsonRpcMessage>,
) -> Transport {
    use futures_util::SinkExt as _;
    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx).map(|m| m.map(Ok)));
    let sink = tokio_util::sync::PollSender::new(tx)
        .sink_map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the other end is closed"));
    Transport::new(stream, sink)
}
