//! Choosing the protocol era: the `server/discover` probe of 2026-07-28, and the `initialize`
//! handshake of earlier revisions.
//!
//! [`Era::Auto`] follows the stdio backward-compatibility rules of 2026-07-28: probe with
//! `server/discover` carrying the newest version in `_meta`. A real `DiscoverResult` (one with
//! a `supportedVersions` array naming a version this client speaks; an empty `{}` is not one)
//! means a modern server, and the newest common version is used; a
//! recognised modern error (`-32022` with `data.supported`) means a modern server that wants
//! another version, so the probe is retried with one it supports (each version at most twice:
//! the refused one may be the one the server lists); any other answer, or none
//! within the probe timeout, means a legacy server, and the client falls back to `initialize`.

use std::time::Duration;

use serde_json::Value;
use tokio_util::sync::CancellationToken;
use turret_types::meta::SERVER_INFO_KEY;
use turret_types::{
    ClientNotification, DiscoverResult, EmptyParams, ErrorCode, Implementation,
    InitializeRequestParams, InitializeResult, JsonRpcNotification, ProtocolVersion,
    ServerCapabilities,
};

use super::outgoing::{round_trip, Identity, OnDrop};
use crate::error::McpError;
use crate::session::connection::Connection;

/// Which protocol era a client speaks, and how it is chosen when it connects.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Era {
    /// Probe with `server/discover` and use 2026-07-28 if the server speaks it; otherwise fall
    /// back to the `initialize` handshake with the newest handshake revision (2025-11-25).
    #[default]
    Auto,
    /// Open a session with `initialize`, asking for this revision (one before 2026-07-28).
    /// The server may answer with another revision; any revision this client speaks is
    /// accepted.
    Handshake(ProtocolVersion),
    /// Speak 2026-07-28 only: `server/discover` must succeed, and every request carries the
    /// protocol version, client capabilities and client identity in `_meta`.
    Sessionless,
}

/// What the client settled with the server.
#[derive(Debug, Clone)]
pub(crate) struct Negotiated {
    pub(crate) version: ProtocolVersion,
    pub(crate) server_info: Implementation,
    pub(crate) capabilities: ServerCapabilities,
    pub(crate) instructions: Option<String>,
}

/// The connection and identity negotiation runs over.
pub(crate) struct Negotiation<'a> {
    pub(crate) conn: &'a Connection,
    pub(crate) closed: &'a CancellationToken,
    pub(crate) identity: &'a Identity,
    pub(crate) probe_timeout: Duration,
}

/// What one `server/discover` probe revealed.
enum Probe {
    /// A modern server that speaks this version.
    Modern(Box<Negotiated>),
    /// A modern server that answered (with a result or `-32022`) but not with a version we
    /// asked for; these are the versions it listed.
    Supports(Vec<String>),
    /// Anything else: a legacy server (the reason is logged), or a slow one.
    Legacy { reason: String, timed_out: bool },
}

fn speaks(list: &[String]) -> impl Iterator<Item = ProtocolVersion> + '_ {
    // `ALL` is newest first, so the first match is the newest common version.
    ProtocolVersion::ALL
        .into_iter()
        .filter(|v| list.iter().any(|s| s == v.as_str()))
}

fn ours() -> String {
    let all: Vec<&str> = ProtocolVersion::ALL.iter().map(|v| v.as_str()).collect();
    all.join(", ")
}

impl Negotiation<'_> {
    pub(crate) async fn run(&self, era: Era) -> Result<Negotiated, McpError> {
        match era {
            Era::Handshake(version) if version.is_sessionless() => Err(McpError::invalid_request(format!(
                "Era::Handshake needs a revision before 2026-07-28, not {version}: use Era::Sessionless for {version}"
            ))),
            Era::Handshake(version) => self.initialize(version).await,
            Era::Sessionless => self.modern(false).await,
            Era::Auto => self.modern(true).await,
        }
    }

    /// Probes until a modern version is agreed; with `fallback`, a legacy answer (or a list
    /// of legacy versions only) leads to `initialize` instead of an error.
    async fn modern(&self, mut fallback: bool) -> Result<Negotiated, McpError> {
        let mut version = ProtocolVersion::LATEST;
        let mut tried = Vec::new();
        let mut timeout = Some(self.probe_timeout);
        loop {
            tried.push(version);
            let listed = match self.probe(version, timeout).await? {
                Probe::Modern(negotiated) => return Ok(*negotiated),
                Probe::Supports(listed) => listed,
                Probe::Legacy { reason, timed_out } if fallback => {
                    tracing::debug!(%reason, "server/discover probe failed: falling back to initialize");
                    let error = match self.initialize(ProtocolVersion::LATEST_HANDSHAKE).await {
                        Ok(negotiated) => return Ok(negotiated),
                        Err(e) => e,
                    };
                    // A modern server that was slow to start answers the probe too late, then
                    // refuses `initialize` with -32022: it is up now, so probe once more,
                    // without a timeout and without falling back again.
                    let modern = modern_error(&error)
                        .and_then(|listed| speaks(&listed).find(|v| v.is_sessionless()));
                    match modern {
                        Some(v) if timed_out => {
                            (version, timeout, fallback) = (v, None, false);
                            tried.clear();
                            continue;
                        }
                        _ => return Err(error),
                    }
                }
                Probe::Legacy { reason, .. } => {
                    return Err(McpError::internal(format!(
                        "the server does not speak MCP 2026-07-28 ({reason}); connect with Era::Auto or Era::Handshake instead"
                    )))
                }
            };
            // A server may refuse even a version it lists (an HTTP gateway that rejects the
            // first request, say): each version gets a second try, so the loop stays bounded.
            let untried = |v: &ProtocolVersion| tried.iter().filter(|t| *t == v).count() < 2;
            if let Some(next) = speaks(&listed).find(|v| v.is_sessionless() && untried(v)) {
                version = next;
                continue;
            }
            let legacy = speaks(&listed).find(|v| !v.is_sessionless());
            match legacy {
                Some(legacy) if fallback => return self.initialize(legacy).await,
                Some(legacy) => {
                    return Err(McpError::internal(format!(
                        "the server speaks only handshake revisions such as {legacy}, not 2026-07-28; connect with Era::Auto or Era::Handshake instead"
                    )))
                }
                None => {
                    return Err(McpError::internal(format!(
                        "no protocol version in common: the server supports [{}], this client speaks [{}]",
                        listed.join(", "),
                        ours()
                    )))
                }
            }
        }
    }

    async fn probe(
        &self,
        version: ProtocolVersion,
        timeout: Option<Duration>,
    ) -> Result<Probe, McpError> {
        let params = serde_json::json!({ "_meta": self.identity.modern_meta(version) });
        let call = round_trip(
            self.conn,
            self.closed,
            "server/discover",
            Some(params),
            OnDrop::Forget,
        );
        let answer = match timeout {
            None => call.await,
            Some(limit) => match tokio::time::timeout(limit, call).await {
                Ok(answer) => answer,
                Err(_) => {
                    return Ok(Probe::Legacy {
                        reason: format!("no answer to server/discover within {limit:?}"),
                        timed_out: true,
                    })
                }
            },
        };
        let value = match answer {
            Ok(value) => value,
            Err(e) if self.closed.is_cancelled() => return Err(e),
            Err(e) => {
                return Ok(modern_error(&e).map_or_else(
                    || Probe::Legacy {
                        reason: e.to_string(),
                        timed_out: false,
                    },
                    Probe::Supports,
                ))
            }
        };
        let Some(result) = discover_result(value) else {
            return Ok(Probe::Legacy {
                reason: "the answer to server/discover is not a DiscoverResult".into(),
                timed_out: false,
            });
        };
        // Only a result naming a version this client speaks counts as a DiscoverResult.
        if speaks(&result.supported_versions).next().is_none() {
            return Ok(Probe::Legacy {
                reason: format!(
                    "the answer to server/discover lists no version this client speaks ([{}])",
                    result.supported_versions.join(", ")
                ),
                timed_out: false,
            });
        }
        if !result
            .supported_versions
            .iter()
            .any(|v| v == version.as_str())
        {
            return Ok(Probe::Supports(result.supported_versions));
        }
        let server_info = result
            .meta
            .as_ref()
            .and_then(|m| m.get(SERVER_INFO_KEY))
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default();
        Ok(Probe::Modern(Box::new(Negotiated {
            version,
            server_info,
            capabilities: result.capabilities,
            instructions: result.instructions,
        })))
    }

    async fn initialize(&self, version: ProtocolVersion) -> Result<Negotiated, McpError> {
        let params = InitializeRequestParams {
            protocol_version: version.as_str().to_owned(),
            capabilities: self.identity.capabilities.clone(),
            client_info: self.identity.info.clone(),
            meta: None,
            extra: Default::default(),
        };
        let value = round_trip(
            self.conn,
            self.closed,
            "initialize",
            serde_json::to_value(params).ok(),
            OnDrop::Forget,
        )
        .await
        .map_err(|e| prefixed(e, "initialize failed"))?;
        let result: InitializeResult = serde_json::from_value(value).map_err(|e| {
            McpError::internal(format!(
                "the server's answer to initialize is malformed: {e}"
            ))
        })?;
        let chosen = ProtocolVersion::parse(&result.protocol_version)
            .filter(|v| !v.is_sessionless())
            .ok_or_else(|| {
                McpError::internal(format!(
                    "the server chose protocol version {:?}, which this client does not speak after initialize (it speaks [{}])",
                    result.protocol_version,
                    ours()
                ))
            })?;
        let initialized = ClientNotification::Initialized(EmptyParams::default());
        let sent = self
            .conn
            .send(
                JsonRpcNotification {
                    method: initialized.method().to_owned(),
                    params: initialized.params_value(),
                }
                .into(),
            )
            .await;
        if !sent {
            return Err(super::outgoing::closed_error());
        }
        Ok(Negotiated {
            version: chosen,
            server_info: result.server_info,
            capabilities: result.capabilities,
            instructions: result.instructions,
        })
    }
}

/// The versions a recognised modern error (`-32022` with `data.supported`) lists.
fn modern_error(error: &McpError) -> Option<Vec<String>> {
    if error.code() != ErrorCode::UNSUPPORTED_PROTOCOL_VERSION {
        return None;
    }
    let supported = error.data()?.get("supported")?.as_array()?;
    Some(
        supported
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
    )
}

/// Reads a `DiscoverResult`, only if the value really is one: an object with a
/// `supportedVersions` array of strings (an empty `{}` from a lenient legacy server is not).
fn discover_result(mut value: Value) -> Option<DiscoverResult> {
    let object = value.as_object_mut()?;
    let versions = object.get("supportedVersions")?.as_array()?;
    if !versions.iter().all(Value::is_string) {
        return None;
    }
    object
        .entry("capabilities")
        .or_insert_with(|| Value::Object(Default::default()));
    serde_json::from_value(value).ok()
}

/// Prefixes an error's message, keeping its code and data.
fn prefixed(error: McpError, context: &str) -> McpError {
    let mut object = error.into_object();
    object.message = format!("{context}: {}", object.message);
    object.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_a_real_discover_result_counts() {
        assert!(discover_result(json!({})).is_none());
        assert!(discover_result(json!({"supportedVersions": "2026-07-28"})).is_none());
        assert!(discover_result(json!({"supportedVersions": [1]})).is_none());
        let r = discover_result(json!({"supportedVersions": ["2026-07-28"]})).unwrap();
        assert_eq!(r.supported_versions, ["2026-07-28"]);
    }

    #[test]
    fn recognises_the_unsupported_version_error() {
        let e = McpError::unsupported_version("1900-01-01");
        let listed = modern_error(&e).unwrap();
        assert!(listed.iter().any(|v| v == "2026-07-28"));
        assert!(modern_error(&McpError::method_not_found("server/discover")).is_none());
        let no_data = McpError::new(ErrorCode::UNSUPPORTED_PROTOCOL_VERSION, "x");
        assert!(modern_error(&no_data).is_none());
    }

    #[test]
    fn picks_the_newest_common_version() {
        let listed = vec![
            "2025-06-18".to_owned(),
            "2099-01-01".into(),
            "2025-11-25".into(),
        ];
        assert_eq!(speaks(&listed).next(), Some(ProtocolVersion::V2025_11_25));
    }
}
