//! The built-in HTTP client: HTTP/1.1 over plain TCP (`TCP_NODELAY` set), connections kept
//! for reuse, and no task of their own. A connection is driven by whoever waits on it: the
//! request future while it waits for the response head, then the response body. A request
//! is written to the socket in the poll that sends it and its answer is read by the task
//! that reads the answer, where a connection task would add two task switches to every call
//! (often waking a parked worker thread each, the largest cost of a call on loopback).
//!
//! A connection goes back to the pool once its response body has been read to the end; a
//! body dropped earlier closes it. A request that finds its reused connection closed by the
//! server before it was written is sent again on a new one.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::future::{poll_fn, BoxFuture};
use futures_util::task::{noop_waker_ref, waker_ref, ArcWake, AtomicWaker};
use http::uri::{Authority, PathAndQuery};
use http::{header, HeaderValue, Request, Response, Uri};
use http_body::{Body, Frame, SizeHint};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use turret_core::BoxError;

/// How long connecting to the server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long an unused connection is kept.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The most unused connections kept per pool.
const MAX_IDLE: usize = 32;

type Driver = http1::Connection<TokioIo<TcpStream>, Full<Bytes>>;

/// One HTTP/1.1 connection: the handle that sends on it and the state machine that does its
/// I/O, polled by its user (`None` once it has ended).
struct Conn {
    authority: Authority,
    sender: SendRequest<Full<Bytes>>,
    driver: Option<Driver>,
}

impl Conn {
    fn poll_driver(&mut self, cx: &mut Context<'_>) {
        if let Some(driver) = &mut self.driver {
            if let Poll::Ready(result) = Pin::new(driver).poll(cx) {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "HTTP connection ended");
                }
                self.driver = None;
            }
        }
    }

    /// Whether a request can go on it: still open, and done with the last exchange.
    fn is_usable(&mut self) -> bool {
        // Reads what the server sent meanwhile: a close, or the end of the last exchange.
        self.poll_driver(&mut Context::from_waker(noop_waker_ref()));
        self.driver.is_some() && !self.sender.is_closed()
    }
}

/// The built-in client; clones share the pool.
#[derive(Clone, Default)]
pub(crate) struct Pool {
    idle: Arc<Mutex<Vec<(Conn, Instant)>>>,
}

impl Pool {
    fn lock(&self) -> MutexGuard<'_, Vec<(Conn, Instant)>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// An open connection to `authority` from the pool; the stale ones met on the way are
    /// closed.
    fn checkout(&self, authority: &Authority) -> Option<Conn> {
        let now = Instant::now();
        let mut idle = self.lock();
        idle.retain(|(_, since)| now.duration_since(*since) < IDLE_TIMEOUT);
        while let Some(at) = idle.iter().rposition(|(c, _)| &c.authority == authority) {
            let (mut conn, _) = idle.swap_remove(at);
            if conn.is_usable() {
                return Some(conn);
            }
        }
        None
    }

    fn checkin(idle: &Weak<Mutex<Vec<(Conn, Instant)>>>, conn: Conn) {
        let Some(idle) = idle.upgrade() else { return };
        let mut idle = idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push((conn, Instant::now()));
        }
    }

    async fn send(
        self,
        mut request: Request<Full<Bytes>>,
    ) -> Result<Response<PooledBody>, BoxError> {
        let authority = prepare(&mut request)?;
        let mut retried = false;
        loop {
            let (mut conn, reused) = match self.checkout(&authority) {
                Some(conn) => (conn, true),
                None => (connect(authority.clone()).await?, false),
            };
            let turn = Arc::new(Turn::default());
            let mut sent = std::pin::pin!(conn.sender.try_send_request(request));
            let result = poll_fn(|cx| {
                turn.run(cx, |cx| {
                    conn.poll_driver(cx);
                    sent.as_mut().poll(cx)
                })
            })
            .await;
            match result {
                Ok(response) => {
                    let home = Arc::downgrade(&self.idle);
                    return Ok(response.map(|body| PooledBody {
                        body,
                        conn: Some(conn),
                        home,
                        turn,
                    }));
                }
                Err(mut e) => match e.take_message() {
                    // Closed by the server while unused; the request never left.
                    Some(unsent) if reused && !retried => {
                        retried = true;
                        request = unsent;
                    }
                    _ => return Err(e.into_error().into()),
                },
            }
        }
    }
}

impl tower_service::Service<Request<Full<Bytes>>> for Pool {
    type Response = Response<PooledBody>;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<Response<PooledBody>, BoxError>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Full<Bytes>>) -> Self::Future {
        Box::pin(self.clone().send(request))
    }
}

/// Checks the URL and puts the request in the form HTTP/1.1 sends: a `Host` header and the
/// path alone. Returns where it goes.
fn prepare(request: &mut Request<Full<Bytes>>) -> Result<Authority, BoxError> {
    let uri = request.uri();
    if uri.scheme_str() != Some("http") {
        return Err(format!("{uri}: the built-in HTTP client speaks plain http:// only").into());
    }
    let authority = uri
        .authority()
        .cloned()
        .ok_or_else(|| format!("{uri} names no host"))?;
    let host = match authority.port() {
        Some(port) => format!("{}:{port}", authority.host()),
        None => authority.host().to_owned(),
    };
    let path = uri
        .path_and_query()
        .cloned()
        .unwrap_or_else(|| PathAndQuery::from_static("/"));
    request
        .headers_mut()
        .entry(header::HOST)
        .or_insert(HeaderValue::try_from(host)?);
    *request.uri_mut() = Uri::from(path);
    Ok(authority)
}

/// A new connection to `authority`, trying each of its addresses in turn.
async fn connect(authority: Authority) -> Result<Conn, BoxError> {
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let port = authority.port_u16().unwrap_or(80);
    let stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect((host, port)))
        .await
        .map_err(|_| format!("connecting to {authority} took more than {CONNECT_TIMEOUT:?}"))?
        .map_err(|e| format!("could not connect to {authority}: {e}"))?;
    stream.set_nodelay(true)?;
    let (sender, driver) = http1::handshake(TokioIo::new(stream)).await?;
    Ok(Conn {
        authority,
        sender,
        driver: Some(driver),
    })
}

/// A response body, which drives its connection while it is read and returns it to the pool
/// once read to the end.
pub(crate) struct PooledBody {
    body: Incoming,
    conn: Option<Conn>,
    home: Weak<Mutex<Vec<(Conn, Instant)>>>,
    turn: Arc<Turn>,
}

impl Body for PooledBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        let (body, conn) = (&mut this.body, &mut this.conn);
        let frame = this.turn.run(cx, |cx| {
            if let Some(conn) = conn.as_mut() {
                conn.poll_driver(cx);
            }
            Pin::new(&mut *body).poll_frame(cx)
        });
        if matches!(frame, Poll::Ready(None)) || this.body.is_end_stream() {
            if let Some(conn) = this.conn.take() {
                Pool::checkin(&this.home, conn);
            }
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// Polls a connection and what waits on it together, within one task, without the task
/// waking itself: one of them waking the other while they are being polled (a request
/// queued for the connection, a body frame taken) makes the poll go round again instead. A
/// task woken while it runs is queued again behind the others, and another worker thread is
/// woken to take them.
#[derive(Default)]
struct Turn {
    task: AtomicWaker,
    polling: AtomicBool,
    woken: AtomicBool,
}

impl ArcWake for Turn {
    fn wake_by_ref(turn: &Arc<Self>) {
        turn.woken.store(true, Ordering::SeqCst);
        if !turn.polling.load(Ordering::SeqCst) {
            turn.task.wake();
        }
    }
}

impl Turn {
    fn run<T>(
        self: &Arc<Self>,
        cx: &mut Context<'_>,
        mut poll: impl FnMut(&mut Context<'_>) -> Poll<T>,
    ) -> Poll<T> {
        self.task.register(cx.waker());
        let waker = waker_ref(self);
        let mut cx = Context::from_waker(&waker);
        loop {
            self.woken.store(false, Ordering::SeqCst);
            self.polling.store(true, Ordering::SeqCst);
            let outcome = poll(&mut cx);
            self.polling.store(false, Ordering::SeqCst);
            if outcome.is_ready() || !self.woken.load(Ordering::SeqCst) {
                return outcome;
            }
        }
    }
}
