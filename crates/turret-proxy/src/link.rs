//! One live connection to the backend: the client, the child process behind it (for a
//! command), and the task relaying the backend's unsolicited notifications.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;
use turret_core::router::Notifier;
use turret_core::session::RootsChanges;
use turret_core::{Client, McpError, Peer};
use turret_transport::ChildHandle;
use turret_types::{JsonObject, ServerNotification, ServerResult};

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// How long a closing backend process gets before it is stopped harder.
const CHILD_GRACE: Duration = Duration::from_secs(2);

/// Where the backend's notifications that belong to no request go.
#[derive(Clone)]
pub(crate) enum Audience {
    /// The one frontend session this connection serves.
    Session(Peer),
    /// Every frontend session and listen stream, through the proxy's notifier.
    All(Notifier),
}

/// A connection to the backend, shared by the requests that use it. Closed (client, then
/// child process) when the last clone is dropped.
#[derive(Clone)]
pub(crate) struct Link(Arc<Inner>);

struct Inner {
    client: Client,
    child: Mutex<Option<ChildHandle>>,
    relay: tokio::task::AbortHandle,
    /// Tells the backend of the frontend client's roots changes, for one frontend session.
    roots: Option<tokio::task::AbortHandle>,
    /// What the backend's lists said, while they hold (see [`Memo`]).
    memo: Arc<Memo>,
}

/// Answers remembered from the backend until it announces a change: tool input schemas by
/// name (for header checks), and list pages (when the proxy caches lists).
#[derive(Default)]
pub(crate) struct Memo {
    schemas: Mutex<Option<Schemas>>,
    /// List pages by method and cursor.
    lists: Mutex<HashMap<(&'static str, Option<String>), ServerResult>>,
}

impl Memo {
    /// Forgets what a list change makes stale.
    fn forget(&self, notification: &ServerNotification) {
        let method = match notification {
            ServerNotification::ToolListChanged(_) => {
                lock(&self.schemas).take();
                "tools/list"
            }
            ServerNotification::PromptListChanged(_) => "prompts/list",
            // Templates have no change notification of their own; they go with resources.
            ServerNotification::ResourceListChanged(_) => {
                lock(&self.lists).retain(|(m, _), _| *m != "resources/templates/list");
                "resources/list"
            }
            _ => return,
        };
        lock(&self.lists).retain(|(m, _), _| *m != method);
    }
}

/// Tool input schemas by name.
pub(crate) type Schemas = Arc<HashMap<String, Arc<JsonObject>>>;

impl Link {
    pub(crate) fn new(
        client: Client,
        child: Option<ChildHandle>,
        audience: Audience,
        roots: Option<RootsChanges>,
    ) -> Self {
        let memo = Arc::<Memo>::default();
        let relay = tokio::spawn(relay(client.clone(), audience, Arc::clone(&memo)));
        let roots = roots
            .filter(|_| !client.protocol_version().is_sessionless())
            .map(|changes| tokio::spawn(tell_roots(client.clone(), changes)).abort_handle());
        Self(Arc::new(Inner {
            client,
            child: Mutex::new(child),
            relay: relay.abort_handle(),
            roots,
            memo,
        }))
    }

    /// The backend's tool input schemas (listed once, until its tool list changes).
    pub(crate) async fn tool_schemas(&self) -> Result<Schemas, McpError> {
        if let Some(known) = lock(&self.0.memo.schemas).clone() {
            return Ok(known);
        }
        let tools = self.0.client.list_tools().await?;
        let schemas: Schemas = Arc::new(
            tools
                .into_iter()
                .map(|t| (t.name, t.input_schema))
                .collect(),
        );
        *lock(&self.0.memo.schemas) = Some(schemas.clone());
        Ok(schemas)
    }

    /// A remembered list page, if there is one.
    pub(crate) fn cached_list(
        &self,
        method: &'static str,
        cursor: Option<&str>,
    ) -> Option<ServerResult> {
        lock(&self.0.memo.lists)
            .get(&(method, cursor.map(str::to_owned)))
            .cloned()
    }

    /// Remembers a list page until the backend says the list changed.
    pub(crate) fn remember_list(
        &self,
        method: &'static str,
        cursor: Option<&str>,
        page: &ServerResult,
    ) {
        lock(&self.0.memo.lists).insert((method, cursor.map(str::to_owned)), page.clone());
    }

    pub(crate) fn client(&self) -> &Client {
        &self.0.client
    }

    /// Whether `other` is this very connection.
    pub(crate) fn same(&self, other: &Link) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    pub(crate) fn is_alive(&self) -> bool {
        !self.0.client.is_closed()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.relay.abort();
        if let Some(roots) = &self.roots {
            roots.abort();
        }
        let client = self.client.clone();
        let child = lock(&self.child).take();
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            let _ = client.close().await;
            if let Some(child) = child {
                let _ = child.shutdown(CHILD_GRACE).await;
            }
        });
    }
}

/// Passes list changes and resource updates on; log messages that belong to no request go
/// to the session a dedicated connection serves.
async fn relay(client: Client, audience: Audience, memo: Arc<Memo>) {
    let mut notifications = client.notifications();
    drop(client);
    loop {
        let notification = match notifications.recv().await {
            Ok(n) => n,
            Err(RecvError::Lagged(_)) => continue,
            Err(RecvError::Closed) => break,
        };
        memo.forget(&notification);
        match &audience {
            Audience::Session(peer) => {
                if forwards_to_session(&notification) {
                    peer.notify(notification).await;
                }
            }
            Audience::All(notifier) => match notification {
                ServerNotification::ToolListChanged(_) => notifier.tools_changed().await,
                ServerNotification::PromptListChanged(_) => notifier.prompts_changed().await,
                ServerNotification::ResourceListChanged(_) => notifier.resources_changed().await,
                ServerNotification::ResourceUpdated(p) => notifier.resource_updated(&p.uri).await,
                other => tracing::debug!(
                    method = other.method(),
                    "backend notification for no session dropped"
                ),
            },
        }
    }
}

/// Passes the frontend client's `notifications/roots/list_changed` on to the backend.
async fn tell_roots(client: Client, mut changes: RootsChanges) {
    while changes.changed().await {
        if client.notify_roots_list_changed().await.is_err() {
            break;
        }
    }
}

fn forwards_to_session(n: &ServerNotification) -> bool {
    matches!(
        n,
        ServerNotification::ToolListChanged(_)
            | ServerNotification::PromptListChanged(_)
            | ServerNotification::ResourceListChanged(_)
            | ServerNotification::ResourceUpdated(_)
            | ServerNotification::LoggingMessage(_)
    )
}
