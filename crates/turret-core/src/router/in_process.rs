//! A mounted child behind an in-process client session ([`Mount::as_proxy`]): the child runs
//! under the session driver with its full lifecycle (`initialize`, its own session state),
//! and the parent talks to it through a [`Client`], as to a remote server.
//!
//! [`Mount::as_proxy`]: super::Mount::as_proxy

use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use futures_util::future::BoxFuture;
use tower::ServiceExt as _;
use tower_service::Service;
use turret_types::{ClientRequest, EmptyResult, ProtocolVersion, ServerResult};

use super::endpoint::BoxedService;
use super::lifespan::LifespanSignal;
use crate::client::{Client, Era};
use crate::error::{BoxError, McpError};
use crate::request::Request;
use crate::transport::memory_pair;

/// The child and the session to it, opened on first use.
#[derive(Clone)]
pub(crate) struct InProcessSession {
    child: BoxedService,
    client: Arc<tokio::sync::OnceCell<Result<Client, McpError>>>,
}

impl InProcessSession {
    pub(crate) fn new(child: BoxedService) -> Self {
        Self {
            child,
            client: Arc::default(),
        }
    }

    async fn client(&self) -> Result<Client, McpError> {
        self.client
            .get_or_init(|| async {
                let (server, client) = memory_pair();
                tokio::spawn(crate::serve(self.child.clone(), server));
                Client::builder()
                    .era(Era::Handshake(ProtocolVersion::LATEST_HANDSHAKE))
                    .connect(client)
                    .await
            })
            .await
            .clone()
    }
}

impl Service<Request> for InProcessSession {
    type Response = ServerResult;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<ServerResult, BoxError>>;

    fn poll_ready(&mut self, _: &mut TaskContext<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            // Lifespan signals are for the child itself, not for its clients' protocol.
            if req.extensions().get::<LifespanSignal>().is_some() {
                return this.child.oneshot(req).await;
            }
            let client = this.client().await?;
            if let ClientRequest::Initialize(_) = req.message() {
                // The parent linking this mount: pass the session's change notifications
                // to the relay it hands over.
                let relay = req.context().session_peer().clone();
                let mut notifications = client.notifications();
                tokio::spawn(async move {
                    use tokio::sync::broadcast::error::RecvError;
                    loop {
                        match notifications.recv().await {
                            Ok(n) => relay.notify(n).await,
                            Err(RecvError::Lagged(_)) => continue,
                            Err(RecvError::Closed) => break,
                        }
                    }
                });
                return Ok(ServerResult::Empty(EmptyResult::default()));
            }
            let (message, _) = req.into_parts();
            client.request(message).await.map_err(Into::into)
        })
    }
}
