//! The channel from a server back to its client: notifications and server→client requests.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use futures_util::future::BoxFuture;
use turret_types::{ClientResult, ServerNotification, ServerRequest};

use crate::error::McpError;

/// What a transport edge implements so services can reach the client.
pub trait PeerSink: Send + Sync + 'static {
    /// Sends a notification. Best effort: a closed connection drops it.
    fn notify(&self, notification: ServerNotification) -> BoxFuture<'static, ()>;

    /// Sends a request and waits for the client's answer.
    fn request(&self, request: ServerRequest)
        -> BoxFuture<'static, Result<ClientResult, McpError>>;

    /// Whether the client is gone, so subscriptions to it can be dropped.
    fn is_closed(&self) -> bool;
}

/// A cheap, cloneable handle to one client connection (or one request's response stream).
#[derive(Clone)]
pub struct Peer {
    id: u64,
    sink: Arc<dyn PeerSink>,
}

static NEXT_PEER: AtomicU64 = AtomicU64::new(1);

impl Peer {
    /// A handle over a transport's sink.
    pub fn new(sink: impl PeerSink) -> Self {
        Self {
            id: NEXT_PEER.fetch_add(1, Ordering::Relaxed),
            sink: Arc::new(sink),
        }
    }

    /// The same client (same id, so subscriptions and sessions keyed by it still match),
    /// reached through another sink: a mount's, which rewrites what the child says.
    pub(crate) fn with_sink(&self, sink: impl PeerSink) -> Self {
        Self {
            id: self.id,
            sink: Arc::new(sink),
        }
    }

    /// A peer with no client behind it (in-process calls): notifications are dropped and
    /// requests fail.
    pub fn detached() -> Self {
        Self {
            id: 0,
            sink: Arc::new(Detached),
        }
    }

    /// A process-unique id (0 for detached peers), used to key subscriptions.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Sends a notification (dropped if the client is gone).
    pub async fn notify(&self, notification: ServerNotification) {
        self.sink.notify(notification).await
    }

    /// Sends a request to the client and waits for its result.
    pub async fn request(&self, request: ServerRequest) -> Result<ClientResult, McpError> {
        self.sink.request(request).await
    }

    /// Whether the client is gone.
    pub fn is_closed(&self) -> bool {
        self.sink.is_closed()
    }
}

impl fmt::Debug for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Peer").field("id", &self.id).finish()
    }
}

struct Detached;

impl PeerSink for Detached {
    fn notify(&self, _: ServerNotification) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }

    fn request(
        &self,
        request: ServerRequest,
    ) -> BoxFuture<'static, Result<ClientResult, McpError>> {
        let method = request.method().to_owned();
        Box::pin(async move {
            Err(McpError::internal(format!(
                "cannot send {method}: this request has no client connection"
            )))
        })
    }

    fn is_closed(&self) -> bool {
        true
    }
}
