//! The stdio server transport: read messages from stdin, write them to stdout.

use std::io;

use tower_service::Service;
use turret_core::types::ServerResult;
use turret_core::{BoxError, Request, Transport};

/// This process's stdin and stdout as a transport. Log to stderr: stdout carries only
/// messages.
pub fn stdio() -> Transport {
    crate::framing::from_io(tokio::io::stdin(), tokio::io::stdout())
}

/// Serves `service` on stdin/stdout until stdin closes.
///
/// ```no_run
/// use turret_core::{tool_fn, Router};
///
/// async fn hello() -> &'static str {
///     "hello"
/// }
///
/// #[tokio::main]
/// async fn main() -> std::io::Result<()> {
///     let router = Router::new().tool("hello", tool_fn(hello));
///     turret_transport::serve_stdio(router).await
/// }
/// ```
pub async fn serve_stdio<S>(service: S) -> io::Result<()>
where
    S: Service<Request, Response = ServerResult> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    turret_core::serve(service, stdio()).await
}
