//! Change notifications: list changes and resource updates, to handshake-era sessions and to
//! 2026-07-28 `subscriptions/listen` streams.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use turret_types::meta::SUBSCRIPTION_ID_KEY;
use turret_types::{EmptyParams, Meta, ResourceUriParams, ServerNotification, SubscriptionFilter};

use crate::peer::Peer;

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

/// Which change happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Tools,
    Prompts,
    Resources,
}

/// Sends change notifications to every interested client. Cheap to clone; obtained from
/// [`Router::notifier`](crate::Router::notifier).
#[derive(Debug, Clone, Default)]
pub struct Notifier {
    subscribers: Arc<Mutex<Vec<Subscriber>>>,
}

impl Notifier {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Subscriber>> {
        let mut subs = self.subscribers.lock().unwrap_or_else(|e| e.into_inner());
        subs.retain(|s| !s.peer.is_closed());
        subs
    }

    /// Registers a handshake-era session (on `initialize`).
    pub(crate) fn add_session(&self, peer: &Peer) {
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

    /// `resources/subscribe` or `resources/unsubscribe` from a session.
    pub(crate) fn set_resource_subscription(&self, peer: &Peer, uri: &str, on: bool) {
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
    pub(crate) fn listen(&self, peer: &Peer, id: Value, filter: SubscriptionFilter) -> ListenGuard {
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

    /// Tells clients the tool list changed.
    pub async fn tools_changed(&self) {
        self.list_changed(Change::Tools).await
    }

    /// Tells clients the prompt list changed.
    pub async fn prompts_changed(&self) {
        self.list_changed(Change::Prompts).await
    }

    /// Tells clients the resource list changed.
    pub async fn resources_changed(&self) {
        self.list_changed(Change::Resources).await
    }

    async fn list_changed(&self, change: Change) {
        let targets: Vec<(Peer, Option<Value>)> = self
            .lock()
            .iter()
            .filter_map(|s| match &s.interest {
                Interest::Session { .. } => Some((s.peer.clone(), None)),
                Interest::Listen { id, filter } => {
                    let wanted = match change {
                        Change::Tools => filter.tools_list_changed,
                        Change::Prompts => filter.prompts_list_changed,
                        Change::Resources => filter.resources_list_changed,
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
                Change::Tools => ServerNotification::ToolListChanged(params),
                Change::Prompts => ServerNotification::PromptListChanged(params),
                Change::Resources => ServerNotification::ResourceListChanged(params),
            };
            peer.notify(n).await;
        }
    }

    /// Tells clients subscribed to `uri` that it changed.
    pub async fn resource_updated(&self, uri: &str) {
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
pub(crate) fn tagged(id: Option<Value>) -> EmptyParams {
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
pub(crate) struct ListenGuard {
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
