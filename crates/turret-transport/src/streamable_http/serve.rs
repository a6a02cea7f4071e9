//! Serving any HTTP `tower::Service` on a bare hyper server: TCP_NODELAY, the client's
//! address in each request, graceful shutdown.

use std::future::Future;
use std::io;
use std::net::SocketAddr;

use http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tower::ServiceExt as _;
use tower_service::Service;
use turret_core::BoxError;

/// The client's socket address, in every request's extensions when served by [`serve`]
/// (handlers read it through `Extension<http::request::Parts>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

/// Serves `service` (a [`StreamableHttpService`](super::StreamableHttpService), an axum
/// `Router`, anything that serves HTTP) on `listener` until `shutdown` resolves, then stops
/// accepting and waits for open connections to finish. HTTP/1.1 and HTTP/2.
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
    let graceful = GracefulShutdown::new();
    let builder = Builder::new(TokioExecutor::new());
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
                let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), handler);
                let conn = graceful.watch(conn.into_owned());
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
