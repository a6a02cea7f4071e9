//! Sending one request: the round trip, cancellation when the caller gives up, and the
//! per-request `_meta` of the sessionless era.

use serde_json::Value;
use tokio_util::sync::CancellationToken;
use turret_types::meta::{
    CLIENT_CAPABILITIES_KEY, CLIENT_INFO_KEY, LOG_LEVEL_KEY, PROTOCOL_VERSION_KEY,
};
use turret_types::{
    CancelledNotificationParams, ClientCapabilities, ClientNotification, ClientRequest, ErrorCode,
    ErrorObject, Implementation, JsonObject, JsonRpcNotification, LoggingLevel, Meta,
    ProtocolVersion, RequestId,
};

use crate::error::McpError;
use crate::session::connection::Connection;

/// The error of a request made after the connection ended (or while it ends).
pub(crate) fn closed_error() -> McpError {
    McpError::internal("the connection to the server is closed")
}

/// Who this client is, as it tells the server (in `initialize`, or in every request's `_meta`).
#[derive(Debug, Clone)]
pub(crate) struct Identity {
    pub(crate) info: Implementation,
    pub(crate) capabilities: ClientCapabilities,
}

impl Identity {
    /// The `_meta` keys a 2026-07-28 request carries.
    pub(crate) fn modern_meta(&self, version: ProtocolVersion) -> Meta {
        let mut meta = Meta::new();
        meta.insert(PROTOCOL_VERSION_KEY, version.as_str());
        meta.insert(CLIENT_CAPABILITIES_KEY, to_value(&self.capabilities));
        meta.insert(CLIENT_INFO_KEY, to_value(&self.info));
        meta
    }

    /// Merges the sessionless `_meta` into a request: the protocol version always (it is the
    /// one this client speaks), capabilities, identity and log level only where the caller
    /// did not set them (a proxy may forward its own client's).
    pub(crate) fn stamp(
        &self,
        request: &mut ClientRequest,
        version: ProtocolVersion,
        log_level: Option<LoggingLevel>,
    ) {
        let mut fields = self.modern_meta(version);
        if let Some(level) = log_level {
            fields.insert(LOG_LEVEL_KEY, to_value(&level));
        }
        if let Some(slot) = request.meta_mut() {
            merge(&mut slot.get_or_insert_with(Meta::new).0, fields);
            return;
        }
        if let ClientRequest::Other(message) = request {
            let params = message
                .params
                .get_or_insert_with(|| Value::Object(JsonObject::new()));
            if let Value::Object(params) = params {
                let meta = params
                    .entry("_meta")
                    .or_insert_with(|| Value::Object(JsonObject::new()));
                if let Value::Object(meta) = meta {
                    merge(meta, fields);
                }
            }
        }
    }
}

fn merge(meta: &mut JsonObject, fields: Meta) {
    for (key, value) in fields.0 {
        if key == PROTOCOL_VERSION_KEY || !meta.contains_key(&key) {
            meta.insert(key, value);
        }
    }
}

fn to_value<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// Whether a dropped request tells the server with `notifications/cancelled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnDrop {
    /// Send `notifications/cancelled` (ordinary requests).
    Cancel,
    /// Only forget the request (probes and `initialize`, which must not be cancelled).
    Forget,
}

/// Sends a request and waits for its response, or for the connection to end. If the future
/// is dropped first, the request is forgotten and, with [`OnDrop::Cancel`], cancelled.
pub(crate) async fn round_trip(
    conn: &Connection,
    closed: &CancellationToken,
    method: &str,
    params: Option<Value>,
    on_drop: OnDrop,
) -> Result<Value, McpError> {
    if closed.is_cancelled() {
        return Err(closed_error());
    }
    let id = conn.next_id();
    let mut guard = Pending {
        conn: conn.clone(),
        id: id.clone(),
        on_drop,
        done: false,
    };
    let result = tokio::select! {
        biased;
        r = conn.request_with_id(id, method.to_owned(), params) => r,
        () = closed.cancelled() => Err(closed_error()),
    };
    guard.done = true;
    result
}

/// Cleans up after a request whose caller stopped waiting.
struct Pending {
    conn: Connection,
    id: RequestId,
    on_drop: OnDrop,
    done: bool,
}

impl Drop for Pending {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let gone = ErrorObject::new(ErrorCode::INTERNAL_ERROR, "request abandoned");
        self.conn.complete(&self.id, Err(gone));
        if self.on_drop == OnDrop::Forget {
            return;
        }
        // Best effort: a notification needs the runtime, which may be shutting down.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let notification = ClientNotification::Cancelled(CancelledNotificationParams {
            request_id: Some(self.id.clone()),
            reason: Some("the client stopped waiting for the result".into()),
            ..Default::default()
        });
        let message = JsonRpcNotification {
            method: notification.method().to_owned(),
            params: notification.params_value(),
        };
        let conn = self.conn.clone();
        runtime.spawn(async move {
            conn.send(message.into()).await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn identity() -> Identity {
        Identity {
            info: Implementation::new("c", "1"),
            capabilities: ClientCapabilities::default(),
        }
    }

    #[test]
    fn stamps_typed_and_raw_requests_without_overriding_the_caller() {
        let mut request = ClientRequest::from_parts(
            "tools/list",
            Some(json!({"_meta": {
                CLIENT_INFO_KEY: {"name": "downstream", "version": "9"},
                PROTOCOL_VERSION_KEY: "1999-01-01",
                "custom": 1
            }})),
        )
        .unwrap();
        identity().stamp(
            &mut request,
            ProtocolVersion::V2026_07_28,
            Some(LoggingLevel::Debug),
        );
        let params = request.params_value().unwrap();
        let meta = &params["_meta"];
        assert_eq!(meta[PROTOCOL_VERSION_KEY], "2026-07-28");
        assert_eq!(meta[CLIENT_INFO_KEY]["name"], "downstream");
        assert_eq!(meta[CLIENT_CAPABILITIES_KEY], json!({}));
        assert_eq!(meta[LOG_LEVEL_KEY], "debug");
        assert_eq!(meta["custom"], 1);

        let mut raw = ClientRequest::from_parts("vendor/x", None).unwrap();
        identity().stamp(&mut raw, ProtocolVersion::V2026_07_28, None);
        let params = raw.params_value().unwrap();
        assert_eq!(params["_meta"][PROTOCOL_VERSION_KEY], "2026-07-28");
        assert_eq!(params["_meta"][CLIENT_INFO_KEY]["name"], "c");
    }
}
