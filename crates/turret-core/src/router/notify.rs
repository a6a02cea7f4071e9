//! Change notifications: list changes and resource updates, to handshake-era sessions and to
//! 2026-07-28 `subscriptions/listen` streams, and as [`Change`]s to in-process observers
//! ([`Notifier::subscribe`]).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::sync::broadcast;
use turret_types::meta::SUBSCRIPTION_ID_KEY;
use turret_types::{
    EmptyParams, EmptyResult, Meta, ResourceUriParams, ServerNotification, ServerResult,
    SubscriptionFilter, SubscriptionsListenParams,
};

use crate::peer::Peer;
use crate::request::RequestContext;

#[derive(Debug, Clone)]
enum Interest {
    /// A handshake-era session: every list change, plus the resources it subscribed to.
    Session { resources: HashSet<String> },
    /// A `subscriptions/listen` stream: what its filter asked for, tagged with its id.
    Listen {
        id: Value,
        filter: SubscriptionFilter,
    },
}

#[derive(Debug, Clone)]
struct Subscriber {
    peer: Peer,
    interest: Interest,
}

/// Which list changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListKind {
    Tools,
    Prompts,
    Resources,
}

/// A change a [`Notifier`] announced, as in-process observers (a cache layer, say) receive it
/// from [`Notifier::subscribe`].
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The tool list changed (`notifications/tools/list_changed`).
    ToolsChanged,
    /// The prompt list changed (`notifications/prompts/list_changed`).
    PromptsChanged,
    /// The resource list changed (`notifications/resources/list_changed`).
    ResourcesChanged,
    /// The resource at this URI changed (`notifications/resources/updated`).
    ResourceUpdated(Arc<str>),
}

impl Change {
    /// The change a server notification announces, if it announces one: lets an observer of
    /// a remote server (a client's [`notifications`](crate::Client::notifications)) feed the
    /// same consumers as a local [`Notifier`].
    pub fn from_notification(notification: &ServerNotification) -> Option<Self> {
        Some(match notification {
            ServerNotification::ToolListChanged(_) => Self::ToolsChanged,
            ServerNotification::PromptListChanged(_) => Self::PromptsChanged,
            ServerNotification::ResourceListChanged(_) => Self::ResourcesChanged,
            ServerNotification::ResourceUpdated(p) => Self::ResourceUpdated(p.uri.as_str().into()),
            _ => return None,
        })
    }
}

/// How many changes a slow in-process observer may fall behind before it is told it lagged.
const CHANGE_CAPACITY: usize = 64;

/// Sends change notifications to every interested client, and [`Change`]s to in-process
/// subscribers. Cheap to clone; obtained from [`Router::notifier`](crate::Router::notifier).
#[derive(Debug, Clone)]
pub struct Notifier {
    subscribers: Arc<Mutex<Vec<Subscriber>>>,
    changes: broadcast::Sender<Change>,
}

impl Default for Notifier {
    fn default() -> Self {
        Self {
            subscribers: Arc::default(),
            changes: broadcast::channel(CHANGE_CAPACITY).0,
        }
    }
}

impl Notifier {
    /// Every change announced from now on, before the clients' notifications go out. A
    /// receiver that falls more than 64 changes behind gets
    /// [`RecvError::Lagged`](broadcast::error::RecvError::Lagged) (treat it as "anything may
    /// have changed").
    ///
    /// ```
    /// use turret_core::router::Change;
    /// use turret_core::Router;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let router = Router::new();
    /// let mut changes = router.notifier().subscribe();
    /// router.notifier().resource_updated("file:///a").await;
    /// assert_eq!(changes.try_recv().unwrap(), Change::ResourceUpdated("file:///a".into()));
    /// # }
    /// ```
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    /// Tells in-process subscribers (there may be none).
    fn publish(&self, change: Change) {
        let _ = self.changes.send(change);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Subscriber>> {
        let mut subs = self.subscribers.lock().unwrap_or_else(|e| e.into_inner());
        subs.retain(|s| !s.peer.is_closed());
        subs
    }

    /// Registers a handshake-era session (a server calls this on `initialize`, with the
    /// request's [`session_peer`](crate::RequestContext::session_peer)): it then hears every
    /// list change.
    pub fn add_session(&self, peer: &Peer) {
        if peer.is_closed() {
            return;
        }
        let mut subs = self.lock();
        if !subs
            .iter()
            .any(|s| s.peer.id() == peer.id() && matches!(s.interest, Interest::Session { .. }))
        {
            subs.push(Subscriber {
                peer: peer.clone(),
                interest: Interest::Session {
                    resources: HashSet::new(),
                },
            });
        }
    }

    /// `resources/subscribe` (`on`) or `resources/unsubscribe` from a session.
    pub fn set_resource_subscription(&self, peer: &Peer, uri: &str, on: bool) {
        self.add_session(peer);
        for s in self.lock().iter_mut() {
            if let (true, Interest::Session { resources }) =
                (s.peer.id() == peer.id(), &mut s.interest)
            {
                if on {
                    resources.insert(uri.to_owned());
                } else {
                    resources.remove(uri);
                }
            }
        }
    }

    /// Registers a `subscriptions/listen` stream; dropping the guard ends it.
    fn listen(&self, peer: &Peer, id: Value, filter: SubscriptionFilter) -> ListenGuard {
        self.lock().push(Subscriber {
            peer: peer.clone(),
            interest: Interest::Listen {
                id: id.clone(),
                filter,
            },
        });
        ListenGuard {
            notifier: self.clone(),
            peer: peer.id(),
            id,
        }
    }

    /// Serves a 2026-07-28 `subscriptions/listen` request: acknowledges it, streams the
    /// chosen notifications to the request's peer until the client cancels it (or leaves),
    /// then gives the final result.
    pub async fn serve_listen(
        &self,
        ctx: &RequestContext,
        params: SubscriptionsListenParams,
    ) -> ServerResult {
        let id = ctx
            .id()
            .and_then(|id| serde_json::to_value(id).ok())
            .unwrap_or(Value::Null);
        let guard = self.listen(ctx.peer(), id.clone(), params.notifications.clone());
        let mut ack = SubscriptionsListenParams {
            notifications: params.notifications,
            ..Default::default()
        };
        ack.meta = tagged(Some(id.clone())).meta;
        ctx.peer()
            .notify(ServerNotification::SubscriptionsAcknowledged(ack))
            .await;
        ctx.cancellation().cancelled().await;
        drop(guard);
        let mut meta = Meta::new();
        meta.insert(SUBSCRIPTION_ID_KEY, id);
        ServerResult::Empty(EmptyResult {
            meta: Some(meta),
            ..EmptyResult::default()
        })
    }

    /// Tells clients the tool list changed.
    pub async fn tools_changed(&self) {
        self.publish(Change::ToolsChanged);
        self.list_changed(ListKind::Tools).await
    }

    /// Tells clients the prompt list changed.
    pub async fn prompts_changed(&self) {
        self.publish(Change::PromptsChanged);
        self.list_changed(ListKind::Prompts).await
    }

    /// Tells clients the resource list changed.
    pub async fn resources_changed(&self) {
        self.publish(Change::ResourcesChanged);
        self.list_changed(ListKind::Resources).await
    }

    async fn list_changed(&self, change: ListKind) {
        let targets: Vec<(Peer, Option<Value>)> = self
            .lock()
            .iter()
            .filter_map(|s| match &s.interest {
                Interest::Session { .. } => Some((s.peer.clone(), None)),
                Interest::Listen { id, filter } => {
                    let wanted = match change {
                        ListKind::Tools => filter.tools_list_changed,
                        ListKind::Prompts => filter.prompts_list_changed,
                        ListKind::Resources => filter.resources_list_changed,
                    };
                    wanted
                        .unwrap_or(false)
                        .then(|| (s.peer.clone(), Some(id.clone())))
                }
            })
            .collect();
        for (peer, id) in targets {
            let params = tagged(id);
            let n = match change {
                ListKind::Tools => ServerNotification::ToolListChanged(params),
                ListKind::Prompts => ServerNotification::PromptListChanged(params),
                ListKind::Resources => ServerNotification::ResourceListChanged(params),
            };
            peer.notify(n).await;
        }
    }

    /// Tells clients subscribed to `uri` that it changed.
    pub async fn resource_updated(&self, uri: &str) {
        self.publish(Change::ResourceUpdated(uri.into()));
        let targets: Vec<(Peer, Option<Value>)> = self
            .lock()
            .iter()
            .filter_map(|s| match &s.interest {
                Interest::Session { resources } => {
                    resources.contains(uri).then(|| (s.peer.clone(), None))
                }
                Interest::Listen { id, filter } => filter
                    .resource_subscriptions
                    .as_ref()
                    .is_some_and(|r| r.iter().any(|u| u == uri))
                    .then(|| (s.peer.clone(), Some(id.clone()))),
            })
            .collect();
        for (peer, id) in targets {
            let EmptyParams { meta, extra } = tagged(id);
            let params = ResourceUriParams {
                uri: uri.to_owned(),
                meta,
                extra,
            };
            peer.notify(ServerNotification::ResourceUpdated(params))
                .await;
        }
    }
}

/// Params carrying a listen stream's subscription id, when there is one.
fn tagged(id: Option<Value>) -> EmptyParams {
    EmptyParams {
        meta: id.map(|id| {
            let mut meta = Meta::new();
            meta.insert(SUBSCRIPTION_ID_KEY, id);
            meta
        }),
        extra: Default::default(),
    }
}

/// Ends a listen stream's registration when dropped.
#[derive(Debug)]
struct ListenGuard {
    notifier: Notifier,
    peer: u64,
    id: Value,
}

impl Drop for ListenGuard {
    fn drop(&mut self) {
        self.notifier.lock().retain(|s| {
            !(s.peer.id() == self.peer
                && matches!(&s.interest, Interest::Listen { id, .. } if *id == self.id))
        });
    }
}
