//! An in-memory transport pair: two ends that pass typed messages, with no serialization.

use std::io;

use futures_util::SinkExt as _;
use futures_util::StreamExt as _;
use tokio::sync::mpsc;
use tokio_util::sync::PollSender;
use turret_core::types::JsonRpcMessage;
use turret_core::Transport;

/// How many messages may be in flight each way before the sender waits.
const CAPACITY: usize = 256;

/// Two connected transports: what one end sends, the other receives. Use one for a server
/// and the other for a client in the same process.
pub fn memory_pair() -> (Transport, Transport) {
    let (a_tx, a_rx) = mpsc::channel::<JsonRpcMessage>(CAPACITY);
    let (b_tx, b_rx) = mpsc::channel::<JsonRpcMessage>(CAPACITY);
    (end(a_rx, b_tx), end(b_rx, a_tx))
}

fn end(rx: mpsc::Receiver<JsonRpcMessage>, tx: mpsc::Sender<JsonRpcMessage>) -> Transport {
    let stream = tokio_stream_from(rx).map(Ok);
    let sink = PollSender::new(tx)
        .sink_map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the other end is closed"));
    Transport::new(stream, sink)
}

fn tokio_stream_from(
    mut rx: mpsc::Receiver<JsonRpcMessage>,
) -> impl futures_core::Stream<Item = JsonRpcMessage> + Send + 'static {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}
