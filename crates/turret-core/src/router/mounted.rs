//! The router's side of mounting: linking children, gathering their lists, forwarding calls.

use std::sync::Arc;

use futures_util::future::join_all;
use http::Extensions;
use tower::ServiceExt as _;
use turret_types::{
    ClientRequest, Implementation, InitializeRequestParams, PaginatedRequestParams,
    ProtocolVersion, ServerResult,
};

use super::child_peer::through_mount;
use super::mount::{MountPoint, Relay};
use super::Router;
use crate::error::McpError;
use crate::peer::Peer;
use crate::request::{Request, RequestContext};

/// A page loop that never ends means a broken child; stop there.
const MAX_CHILD_PAGES: usize = 10_000;

/// What one `*/list` method takes from a result: its items and the next cursor.
pub(crate) type Page<T> = (Vec<T>, Option<String>);

impl<S: Clone + Send + Sync + 'static> Router<S> {
    /// Makes sure every child knows where to send its change notifications: a relay, given
    /// to it as the session peer of one `initialize`. Once per child.
    pub(crate) async fn link_mounts(&self, points: &[Arc<MountPoint>]) {
        join_all(points.iter().map(|p| self.link(p))).await;
    }

    pub(crate) async fn link(&self, point: &Arc<MountPoint>) -> Peer {
        super::lifespan::start_child(point).await;
        point
            .linked
            .get_or_init(|| async {
                let relay = Peer::new(Relay {
                    parent: self.shared.notifier.clone(),
                    point: Arc::downgrade(point),
                });
                let params = InitializeRequestParams {
                    protocol_version: ProtocolVersion::LATEST_HANDSHAKE.as_str().to_owned(),
                    client_info: Implementation::new("turret-mount", env!("CARGO_PKG_VERSION")),
                    ..Default::default()
                };
                let mut req = Request::new(ClientRequest::Initialize(params));
                req.extensions_mut().insert(RequestContext::new(
                    ProtocolVersion::LATEST_HANDSHAKE,
                    relay.clone(),
                ));
                match point.service.clone().oneshot(req).await {
                    Ok(ServerResult::Initialize(answer)) => {
                        let _ = point.capabilities.set(answer.capabilities);
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(namespace = %point.namespace, error = %e, "mounted child refused initialize");
                    }
                }
                relay
            })
            .await
            .clone()
    }

    /// Every item of one list from every child, concurrently, in mount order. A child that
    /// fails is left out (and logged): one broken backend does not hide the others.
    pub(crate) async fn gather<T, F, G>(
        &self,
        points: &[Arc<MountPoint>],
        extensions: &Extensions,
        request: F,
        take: G,
    ) -> Vec<(Arc<MountPoint>, Vec<T>)>
    where
        F: Fn(PaginatedRequestParams) -> ClientRequest,
        G: Fn(ServerResult) -> Option<Page<T>>,
    {
        let lists = points.iter().map(|point| async {
            let mut items = Vec::new();
            let mut cursor = None;
            for _ in 0..MAX_CHILD_PAGES {
                let params = PaginatedRequestParams {
                    cursor: cursor.take(),
                    ..Default::default()
                };
                let mut req = Request::from_parts(request(params), extensions.clone());
                through_mount(&mut req, point);
                let answer = point.service.clone().oneshot(req).await;
                match answer.map(&take) {
                    Ok(Some((page, next))) => {
                        items.extend(page);
                        match next {
                            Some(next) => cursor = Some(next),
                            None => break,
                        }
                    }
                    Ok(None) => {
                        tracing::warn!(namespace = %point.namespace, "mounted child answered a list with another result");
                        break;
                    }
                    Err(e) => {
                        tracing::warn!(namespace = %point.namespace, error = %e, "mounted child failed to list");
                        break;
                    }
                }
            }
            (point.clone(), items)
        });
        join_all(lists).await
    }

    /// Sends `req` (already rewritten to the child's names) to the child, with the session
    /// seen through the mount.
    pub(crate) async fn forward(
        point: &Arc<MountPoint>,
        mut req: Request,
    ) -> Result<ServerResult, McpError> {
        through_mount(&mut req, point);
        point
            .service
            .clone()
            .oneshot(req)
            .await
            .map_err(McpError::from_box_error)
    }
}
