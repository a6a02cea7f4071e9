//! Serving any HTTP `tower::Service` on a bare hyper server: TCP_NODELAY, the client's
//! address in each request, graceful shutdown.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;

use http::{Request, Response};
use hyper::body::Incoming;
#[cfg(feature = "http2")]
use hyper_util::rt::TokioExecutor;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt as _;
use tower_service::Service;
use turret_core::BoxError;

/// The client's socket address, in every request's extensions when served by [`serve`]
/// (handlers read it through `Extension<http::request::Parts>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

/// Serves `service` (a [`StreamableHttpService`](super::StreamableHttpService), an axum
/// `Router`, anything that serves HTTP) on `listener` until `shutdown` resolves, then stops
/// accepting and waits for open connections to finish. HTTP/1.1, and HTTP/2 (h2c) with the
/// `http2` feature.
///
/// Small SSE writes would wait for ACKs under Nagle's algorithm (tens of milliseconds per
/// event on keep-alive connections), so every connection gets TCP_NODELAY.
///
/// ```no_run
/// use turret_core::{tool_fn, Router};
/// use turret_transport::streamable_http::{serve, StreamableHttpService};
///
/// # async fn run() -> std::io::Result<()> {
/// let mcp = StreamableHttpService::new(Router::new().tool("hi", tool_fn(|| async { "hi" })));
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let stop = mcp.clone();
/// serve(listener, mcp, async move {
///     let _ = tokio::signal::ctrl_c().await;
///     stop.shutdown(); // end long-lived streams so connections can close
/// })
/// .await
/// # }
/// ```
pub async fn serve<S, B>(
    listener: TcpListener,
    service: S,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()>
where
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    // Each connection holds a receiver: on shutdown it finishes its in-flight requests and
    // closes, and `closed()` resolves once every one of them is gone.
    let (stop, stopped) = watch::channel(());
    let builder = builder();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, addr) = match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of descriptors and the like: back off briefly, keep serving.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let service = service.clone();
                let handler = hyper::service::service_fn(move |mut req: Request<Incoming>| {
                    req.extensions_mut().insert(PeerAddr(addr));
                    service.clone().oneshot(req)
                });
                let conn = connection(&builder, TokioIo::new(stream), handler);
                let mut stopped = stopped.clone();
                tokio::spawn(async move {
                    tokio::pin!(conn);
                    let ended = tokio::select! {
                        ended = conn.as_mut() => ended,
                        _ = stopped.changed() => {
                            conn.as_mut().drain();
                            conn.await
                        }
                    };
                    if let Err(e) = ended {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    drop(stopped);
    let _ = stop.send(());
    stop.closed().await;
    Ok(())
}

/// A served connection that can be told to finish its requests and close.
trait Drain: Future<Output = Result<(), Self::Error>> {
    type Error: std::fmt::Display + Send;
    fn drain(self: Pin<&mut Self>);
}

/// HTTP/1.1 and HTTP/2, whichever the client speaks, with the `http2` feature; else
/// HTTP/1.1. Upgrades allowed either way.
#[cfg(feature = "http2")]
type Builder = hyper_util::server::conn::auto::Builder<TokioExecutor>;
#[cfg(not(feature = "http2"))]
type Builder = hyper::server::conn::http1::Builder;

fn builder() -> Builder {
    #[cfg(feature = "http2")]
    return Builder::new(TokioExecutor::new());
    #[cfg(not(feature = "http2"))]
    return Builder::new();
}

/// The bounds hyper puts on a served service, written once for every item below.
macro_rules! with_service_bounds {
    ([$($head:tt)*] $body:tt) => {
        $($head)*
        where
            S: hyper::service::Service<Request<Incoming>, Response = Response<B>> + Send + 'static,
            S::Future: Send + 'static,
            S::Error: Into<BoxError>,
            B: http_body::Body + Send + 'static,
            B::Data: Send,
            B::Error: Into<BoxError>,
        $body
    };
}

type Io = TokioIo<tokio::net::TcpStream>;

with_service_bounds! {
    [fn connection<S, B>(builder: &Builder, io: Io, service: S) -> impl Drain + Send]
{
    #[cfg(feature = "http2")]
    return builder.serve_connection_with_upgrades(io, service).into_owned();
    #[cfg(not(feature = "http2"))]
    return builder.serve_connection(io, service).with_upgrades();
}
}

#[cfg(feature = "http2")]
type Connection<S> =
    hyper_util::server::conn::auto::UpgradeableConnection<'static, Io, S, TokioExecutor>;
#[cfg(not(feature = "http2"))]
type Connection<S> = hyper::server::conn::http1::UpgradeableConnection<Io, S>;

with_service_bounds! {
    [impl<S, B> Drain for Connection<S>]
{
    #[cfg(feature = "http2")]
    type Error = BoxError;
    #[cfg(not(feature = "http2"))]
    type Error = hyper::Error;
    fn drain(self: Pin<&mut Self>) {
        self.graceful_shutdown();
    }
}
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bytes::Bytes;
    use http_body_util::Full;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::sync::{oneshot, Notify};

    use super::*;

    /// A request in flight when shutdown begins is still answered, then `serve` returns.
    #[tokio::test]
    async fn shutdown_waits_for_the_request_in_flight() {
        let release = Arc::new(Notify::new());
        let (started_tx, started) = oneshot::channel::<()>();
        let started_tx = Arc::new(std::sync::Mutex::new(Some(started_tx)));
        let held = release.clone();
        let service = tower::service_fn(move |req: Request<Incoming>| {
            let held = held.clone();
            let started_tx = started_tx.clone();
            async move {
                let peer = req
                    .extensions()
                    .get::<PeerAddr>()
                    .map(|p| p.0.ip().to_string());
                if let Some(tx) = started_tx.lock().unwrap().take() {
                    let _ = tx.send(());
                }
                held.notified().await;
                let body = format!("from {}", peer.unwrap_or_default());
                Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from(body))))
            }
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop_tx, stop) = oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, service, async move {
            let _ = stop.await;
        }));

        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET / HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
            .await
            .unwrap();
        started.await.unwrap();
        stop_tx.send(()).unwrap();
        tokio::task::yield_now().await;
        assert!(
            !server.is_finished(),
            "serve returned with a request in flight"
        );
        release.notify_one();

        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with("from 127.0.0.1"), "{answer}");
        server.await.unwrap().unwrap();
    }
}
