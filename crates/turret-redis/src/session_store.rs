//! [`SessionStore`] on Redis: one hash per session.
//!
//! The hash holds the handshake part of the record as JSON (field `record`), the log level
//! (`level`) and one field per subscription (`sub:{uri}`). Each change writes one field, so
//! replicas changing a session at once never undo each other's change, and the whole session
//! is one key with one expiry.

use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;
use std::time::Duration;

use futures_util::future::BoxFuture;
use redis::Script;
use turret_core::types::LoggingLevel;
use turret_transport::streamable_http::replicas::{SessionRecord, SessionStore, StoreError};

use crate::store::{error, millis, RedisStore};

const RECORD: &str = "record";
const LEVEL: &str = "level";
const SUBSCRIPTION: &str = "sub:";

/// Sets a field of an existing hash; never creates the hash (it would have no expiry).
static SET_IF_EXISTS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "if redis.call('EXISTS', KEYS[1]) == 1 then \
             redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) \
         end \
         return 0",
    )
});

/// The text of a log level (`"debug"`, …) as the record's JSON spells it.
fn level_text(level: LoggingLevel) -> Result<String, StoreError> {
    match serde_json::to_value(level) {
        Ok(serde_json::Value::String(text)) => Ok(text),
        _ => Err(StoreError::new(format!(
            "log level {level:?} has no text form"
        ))),
    }
}

fn parse_level(text: &[u8]) -> Result<LoggingLevel, StoreError> {
    let text = String::from_utf8_lossy(text).into_owned();
    serde_json::from_value(serde_json::Value::String(text.clone()))
        .map_err(|_| StoreError::new(format!("a session has an unknown log level {text:?}")))
}

/// A record from a session hash's fields; `None` for no hash.
fn record_from(fields: HashMap<String, Vec<u8>>) -> Result<Option<SessionRecord>, StoreError> {
    if fields.is_empty() {
        return Ok(None);
    }
    let base = fields
        .get(RECORD)
        .ok_or_else(|| StoreError::new("a session hash lacks its record"))?;
    let mut record: SessionRecord = serde_json::from_slice(base)
        .map_err(|e| StoreError::new(format!("a session record is unreadable: {e}")))?;
    record.log_level = fields.get(LEVEL).map(|l| parse_level(l)).transpose()?;
    record.subscriptions = fields
        .keys()
        .filter_map(|field| field.strip_prefix(SUBSCRIPTION))
        .map(str::to_owned)
        .collect();
    Ok(Some(record))
}

impl SessionStore for RedisStore {
    fn create<'a>(
        &'a self,
        id: &'a str,
        record: &'a SessionRecord,
        idle: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let key = self.keys.session(id);
            // The handshake part as JSON; the parts that change get fields of their own.
            let base = SessionRecord {
                log_level: None,
                subscriptions: BTreeSet::new(),
                ..record.clone()
            };
            let base = serde_json::to_vec(&base)
                .map_err(|e| StoreError::new(format!("a session record has no JSON form: {e}")))?;
            let mut fields = vec![(RECORD.to_owned(), base)];
            if let Some(level) = record.log_level {
                fields.push((LEVEL.to_owned(), level_text(level)?.into_bytes()));
            }
            for uri in &record.subscriptions {
                fields.push((format!("{SUBSCRIPTION}{uri}"), b"1".to_vec()));
            }
            redis::pipe()
                .atomic()
                .cmd("DEL")
                .arg(&key)
                .ignore()
                .cmd("HSET")
                .arg(&key)
                .arg(&fields)
                .ignore()
                .cmd("PEXPIRE")
                .arg(&key)
                .arg(millis(idle))
                .ignore()
                .query_async::<()>(&mut self.conn.clone())
                .await
                .map_err(|e| error("storing a session", e))
        })
    }

    fn load<'a>(
        &'a self,
        id: &'a str,
        idle: Duration,
    ) -> BoxFuture<'a, Result<Option<SessionRecord>, StoreError>> {
        Box::pin(async move {
            let key = self.keys.session(id);
            // One round trip: read and renew together.
            let (fields,): (HashMap<String, Vec<u8>>,) = redis::pipe()
                .atomic()
                .cmd("HGETALL")
                .arg(&key)
                .cmd("PEXPIRE")
                .arg(&key)
                .arg(millis(idle))
                .ignore()
                .query_async(&mut self.conn.clone())
                .await
                .map_err(|e| error("loading a session", e))?;
            record_from(fields)
        })
    }

    fn set_log_level<'a>(
        &'a self,
        id: &'a str,
        level: LoggingLevel,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            SET_IF_EXISTS
                .key(self.keys.session(id))
                .arg(LEVEL)
                .arg(level_text(level)?)
                .invoke_async::<()>(&mut self.conn.clone())
                .await
                .map_err(|e| error("setting a session's log level", e))
        })
    }

    fn set_subscribed<'a>(
        &'a self,
        id: &'a str,
        uri: &'a str,
        on: bool,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let key = self.keys.session(id);
            let field = format!("{SUBSCRIPTION}{uri}");
            let mut conn = self.conn.clone();
            let done = if on {
                SET_IF_EXISTS
                    .key(key)
                    .arg(field)
                    .arg(1)
                    .invoke_async::<()>(&mut conn)
                    .await
            } else {
                redis::cmd("HDEL")
                    .arg(key)
                    .arg(field)
                    .query_async::<()>(&mut conn)
                    .await
            };
            done.map_err(|e| error("changing a session's subscriptions", e))
        })
    }

    fn remove<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let removed: i64 = redis::cmd("DEL")
                .arg(self.keys.session(id))
                .query_async(&mut self.conn.clone())
                .await
                .map_err(|e| error("removing a session", e))?;
            Ok(removed > 0)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_levels_round_trip_through_their_text() {
        for level in [LoggingLevel::Debug, LoggingLevel::Emergency] {
            let text = level_text(level).unwrap();
            assert!(text.chars().all(|c| c.is_ascii_lowercase()));
            assert_eq!(parse_level(text.as_bytes()).unwrap(), level);
        }
        assert!(parse_level(b"loud").is_err());
    }

    #[test]
    fn no_fields_is_no_session_and_a_hash_without_record_is_an_error() {
        assert_eq!(record_from(HashMap::new()).unwrap(), None);
        let fields = HashMap::from([(LEVEL.to_owned(), b"info".to_vec())]);
        assert!(record_from(fields).is_err());
    }
}
