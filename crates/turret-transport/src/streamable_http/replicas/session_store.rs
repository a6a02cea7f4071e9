//! [`SessionStore`]: what a handshake-era session is, for every replica.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use turret_core::types::{ClientCapabilities, Implementation, LoggingLevel, ProtocolVersion};

use super::StoreError;

/// What `initialize` settled for a session, and what the client changed since: enough for
/// any replica to serve the session's next request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionRecord {
    /// The subject of the identity that opened the session, if an auth layer set one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The negotiated protocol revision.
    pub protocol_version: ProtocolVersion,
    /// What the client offered.
    #[serde(default)]
    pub capabilities: ClientCapabilities,
    /// Who the client said it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_info: Option<Implementation>,
    /// The level `logging/setLevel` chose, if it was called.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_level: Option<LoggingLevel>,
    /// The resources `resources/subscribe` asked for.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub subscriptions: BTreeSet<String>,
}

/// Where session records live. Every method names the session by its `Mcp-Session-Id`;
/// `idle` is how long a record lives unused (the endpoint's session idle timeout), renewed
/// by each [`load`](Self::load).
pub trait SessionStore: Send + Sync + 'static {
    /// Stores the record of a new session.
    fn create<'a>(
        &'a self,
        id: &'a str,
        record: &'a SessionRecord,
        idle: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// The session's record, renewing its lifetime; `None` once it ended or expired.
    fn load<'a>(
        &'a self,
        id: &'a str,
        idle: Duration,
    ) -> BoxFuture<'a, Result<Option<SessionRecord>, StoreError>>;

    /// Records the level `logging/setLevel` chose.
    fn set_log_level<'a>(
        &'a self,
        id: &'a str,
        level: LoggingLevel,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Records a `resources/subscribe` (`on`) or `resources/unsubscribe`.
    fn set_subscribed<'a>(
        &'a self,
        id: &'a str,
        uri: &'a str,
        on: bool,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Ends the session; `false` if there was none.
    fn remove<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<bool, StoreError>>;
}

/// A [`SessionStore`] in this process's memory: for tests, and for several endpoints in one
/// process that share sessions.
#[derive(Debug, Default)]
pub struct MemorySessionStore {
    records: Mutex<HashMap<String, (SessionRecord, Instant)>>,
}

impl MemorySessionStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn update(&self, id: &str, change: impl FnOnce(&mut SessionRecord)) {
        if let Some((record, _)) = self
            .records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_mut(id)
        {
            change(record);
        }
    }
}

fn ready<'a, T: Send + 'a>(value: T) -> BoxFuture<'a, Result<T, StoreError>> {
    Box::pin(std::future::ready(Ok(value)))
}

impl SessionStore for MemorySessionStore {
    fn create<'a>(
        &'a self,
        id: &'a str,
        record: &'a SessionRecord,
        idle: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let mut records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        // Expired records go as new ones arrive, so the map follows the live sessions.
        let now = Instant::now();
        records.retain(|_, (_, expires)| *expires > now);
        records.insert(id.to_owned(), (record.clone(), now + idle));
        ready(())
    }

    fn load<'a>(
        &'a self,
        id: &'a str,
        idle: Duration,
    ) -> BoxFuture<'a, Result<Option<SessionRecord>, StoreError>> {
        let mut records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let found = match records.get_mut(id) {
            Some((record, expires)) if *expires > now => {
                *expires = now + idle;
                Some(record.clone())
            }
            Some(_) => {
                records.remove(id);
                None
            }
            None => None,
        };
        ready(found)
    }

    fn set_log_level<'a>(
        &'a self,
        id: &'a str,
        level: LoggingLevel,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.update(id, |r| r.log_level = Some(level));
        ready(())
    }

    fn set_subscribed<'a>(
        &'a self,
        id: &'a str,
        uri: &'a str,
        on: bool,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.update(id, |r| {
            if on {
                r.subscriptions.insert(uri.to_owned());
            } else {
                r.subscriptions.remove(uri);
            }
        });
        ready(())
    }

    fn remove<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        let removed = self
            .records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id)
            .is_some();
        ready(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> SessionRecord {
        SessionRecord {
            owner: None,
            protocol_version: ProtocolVersion::LATEST_HANDSHAKE,
            capabilities: ClientCapabilities::default(),
            client_info: None,
            log_level: None,
            subscriptions: BTreeSet::new(),
        }
    }

    #[tokio::test]
    async fn records_changes_and_expire_unused() {
        let store = MemorySessionStore::new();
        let idle = Duration::from_millis(50);
        store.create("a", &record(), idle).await.unwrap();
        store.set_log_level("a", LoggingLevel::Error).await.unwrap();
        store.set_subscribed("a", "x://1", true).await.unwrap();
        store.set_subscribed("a", "x://2", true).await.unwrap();
        store.set_subscribed("a", "x://1", false).await.unwrap();
        let loaded = store.load("a", idle).await.unwrap().unwrap();
        assert_eq!(loaded.log_level, Some(LoggingLevel::Error));
        assert_eq!(
            loaded.subscriptions.into_iter().collect::<Vec<_>>(),
            ["x://2"]
        );
        // A load renews the lifetime; without one the record expires.
        tokio::time::sleep(idle / 2).await;
        assert!(store.load("a", idle).await.unwrap().is_some());
        tokio::time::sleep(idle * 2).await;
        assert!(store.load("a", idle).await.unwrap().is_none());
        store.create("b", &record(), idle).await.unwrap();
        assert!(store.remove("b").await.unwrap());
        assert!(!store.remove("b").await.unwrap());
    }

    #[test]
    fn a_record_is_camel_case_json_without_empty_fields() {
        let json = serde_json::to_value(record()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"protocolVersion": "2025-11-25", "capabilities": {}})
        );
    }
}
