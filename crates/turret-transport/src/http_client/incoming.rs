//! The incoming side of one transport: the messages for the client, and the requests in
//! flight, whose HTTP exchanges run inside the stream the client reads rather than in a task
//! each.
//!
//! A request is posted from the sink, as the client writes it (its first poll sends it), and
//! then moves to the stream: whoever reads the transport (the client's read loop) polls it
//! until it has delivered its answer, and receives that answer in the same poll. A task per
//! request would cost a spawn and a hand-off of each answer between tasks: task switches,
//! which on a multi-threaded runtime often mean waking a parked worker thread, the largest
//! part of a call's latency on loopback.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use futures_util::future::{abortable, AbortHandle, BoxFuture, FutureExt as _};
use futures_util::task::{waker_ref, ArcWake, AtomicWaker};
use futures_util::Stream;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};
use turret_core::Incoming;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A request's HTTP exchange, to be polled until it has delivered its answer, with the
/// waker it is polled with, which says when it can go on.
type Running = (BoxFuture<'static, ()>, Arc<Signal>);

/// What the sink, the background tasks and the stream share.
#[derive(Default)]
pub(crate) struct Inbox {
    messages: Mutex<VecDeque<Incoming>>,
    /// Requests the sink has sent, not yet taken by the stream.
    started: Mutex<Vec<Running>>,
    /// The task reading the stream.
    reader: AtomicWaker,
    /// Set while the stream is being read: what arrives then is seen before the stream
    /// returns, so it needs no wake-up (a task woken while it runs is queued again behind
    /// the others, and another worker thread is woken to take them).
    reading: AtomicBool,
    /// Set when the stream is dropped: nothing would poll a request any more.
    gone: AtomicBool,
}

impl Inbox {
    /// Queues a message for the client.
    pub(crate) fn push(&self, message: Incoming) {
        lock(&self.messages).push_back(message);
        self.wake();
    }

    /// Starts `request`: polls it once here, which sends it, then leaves it to the stream to
    /// poll to its end. The handle cancels it.
    pub(crate) fn start(
        self: &Arc<Self>,
        request: impl Future<Output = ()> + Send + 'static,
    ) -> AbortHandle {
        let (request, abort) = abortable(request);
        let mut request: BoxFuture<'static, ()> = Box::pin(request.map(drop));
        let signal = Arc::new(Signal {
            woken: AtomicBool::new(false),
            inbox: self.clone(),
        });
        let sent = request
            .as_mut()
            .poll(&mut Context::from_waker(&waker_ref(&signal)));
        if sent.is_pending() && !self.gone.load(Ordering::SeqCst) {
            lock(&self.started).push((request, signal.clone()));
            // Woken before it was listed: the stream may have looked for it already.
            if signal.woken.load(Ordering::SeqCst) {
                self.wake();
            }
        }
        abort
    }

    fn wake(&self) {
        if !self.reading.load(Ordering::SeqCst) {
            self.reader.wake();
        }
    }

    fn is_idle(&self) -> bool {
        lock(&self.messages).is_empty() && lock(&self.started).is_empty()
    }
}

/// The waker of one request: marks it to be polled, and wakes the stream.
struct Signal {
    woken: AtomicBool,
    inbox: Arc<Inbox>,
}

impl ArcWake for Signal {
    fn wake_by_ref(signal: &Arc<Self>) {
        signal.woken.store(true, Ordering::SeqCst);
        signal.inbox.wake();
    }
}

/// The messages for the client, ending when the transport closes.
pub(crate) struct IncomingStream {
    inbox: Arc<Inbox>,
    /// Not a `FuturesUnordered`, which wakes its own task after polling every future it
    /// holds.
    running: Vec<Running>,
    closed: Pin<Box<WaitForCancellationFutureOwned>>,
}

impl IncomingStream {
    pub(crate) fn new(inbox: Arc<Inbox>, closed: CancellationToken) -> Self {
        Self {
            inbox,
            running: Vec::new(),
            closed: Box::pin(closed.cancelled_owned()),
        }
    }
}

impl Stream for IncomingStream {
    type Item = Incoming;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Incoming>> {
        let this = self.get_mut();
        let inbox = &*this.inbox;
        inbox.reader.register(cx.waker());
        loop {
            inbox.reading.store(true, Ordering::SeqCst);
            this.running.extend(lock(&inbox.started).drain(..));
            this.running.retain_mut(|(request, signal)| {
                !signal.woken.swap(false, Ordering::SeqCst)
                    || request
                        .as_mut()
                        .poll(&mut Context::from_waker(&waker_ref(signal)))
                        .is_pending()
            });
            // `reading` stays set: the reader polls again before it waits.
            if let Some(message) = lock(&inbox.messages).pop_front() {
                return Poll::Ready(Some(message));
            }
            if this.closed.as_mut().poll(cx).is_ready() {
                inbox.reading.store(false, Ordering::SeqCst);
                this.running.clear();
                return Poll::Ready(None);
            }
            inbox.reading.store(false, Ordering::SeqCst);
            // What came in after the look above had no wake-up to rely on.
            let woken = this
                .running
                .iter()
                .any(|(_, s)| s.woken.load(Ordering::SeqCst));
            if !woken && inbox.is_idle() {
                return Poll::Pending;
            }
        }
    }
}

impl Drop for IncomingStream {
    fn drop(&mut self) {
        self.inbox.gone.store(true, Ordering::SeqCst);
        // The requests hold the transport's state, which holds this list.
        lock(&self.inbox.started).clear();
    }
}
