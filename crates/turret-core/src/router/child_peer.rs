//! The session peer a mounted child is given: the client's own, seen through the mount, so
//! the URIs the child announces reach the client as the client knows them.
//!
//! A child (a proxy above all) keeps the session peer of the requests it serves and later
//! sends `notifications/resources/updated` to it directly, with its own URIs. Wrapping the
//! peer once, where the router forwards, rewrites those whatever the child is.

use std::sync::{Arc, Weak};

use futures_util::future::BoxFuture;
use turret_types::{ClientResult, ServerNotification, ServerRequest};

use super::mount::MountPoint;
use crate::error::McpError;
use crate::peer::{Peer, PeerSink};
use crate::request::Request;

/// Gives `req` (about to go to `point`'s child) the session peer seen through `point`.
pub(crate) fn through_mount(req: &mut Request, point: &Arc<MountPoint>) {
    let ctx = req.context();
    let session = ctx.session_peer().clone();
    let peer = session.with_sink(ThroughMount {
        session: session.clone(),
        point: Arc::downgrade(point),
    });
    req.extensions_mut().insert(ctx.with_session_peer(peer));
}

struct ThroughMount {
    session: Peer,
    // Weak: a child may keep the peer for as long as its session lives; the mount must
    // not live on because of it.
    point: Weak<MountPoint>,
}

impl PeerSink for ThroughMount {
    fn notify(&self, mut notification: ServerNotification) -> BoxFuture<'static, ()> {
        if let ServerNotification::ResourceUpdated(p) = &mut notification {
            match self.point.upgrade() {
                Some(point) => p.uri = point.expose_uri(&p.uri),
                // The mount is gone: nobody subscribed under its names any more.
                None => return Box::pin(async {}),
            }
        }
        let session = self.session.clone();
        Box::pin(async move { session.notify(notification).await })
    }

    fn request(
        &self,
        request: ServerRequest,
    ) -> BoxFuture<'static, Result<ClientResult, McpError>> {
        let session = self.session.clone();
        Box::pin(async move { session.request(request).await })
    }

    fn is_closed(&self) -> bool {
        self.session.is_closed()
    }
}
