//! A server that can be replaced while it runs (`SIGHUP` reloads the config): the edge keeps
//! its sessions and connections, and each new request goes to the current server.

use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};

use tower::util::{BoxCloneSyncService, Oneshot, ServiceExt as _};
use tower::Service;
use turret_core::{BoxError, McpService, Request};
use turret_types::ServerResult;

/// A type-erased MCP server.
pub type BoxedServer = BoxCloneSyncService<Request, ServerResult, BoxError>;

/// Erases a server's type.
pub fn boxed<S: McpService>(service: S) -> BoxedServer {
    BoxCloneSyncService::new(service.map_err(Into::into))
}

/// The server requests go to, swappable with [`replace`](Self::replace).
#[derive(Clone)]
pub struct Reloadable {
    current: Arc<RwLock<BoxedServer>>,
}

impl std::fmt::Debug for Reloadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reloadable").finish_non_exhaustive()
    }
}

impl Reloadable {
    /// Serves `server` until it is replaced.
    pub fn new(server: BoxedServer) -> Self {
        Self {
            current: Arc::new(RwLock::new(server)),
        }
    }

    /// Sends later requests to `server`; requests already running finish on the old one.
    pub fn replace(&self, server: BoxedServer) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = server;
    }

    fn current(&self) -> BoxedServer {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Service<Request> for Reloadable {
    type Response = ServerResult;
    type Error = BoxError;
    type Future = Oneshot<BoxedServer, Request>;

    /// Ready: readiness is the current server's, checked per request by `oneshot`.
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        self.current().oneshot(req)
    }
}
