//! The requests themselves: what every `tools/call` of a run shares ([`Plan`]), in either
//! era, and opening and closing handshake-era sessions.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Method};
use serde_json::{json, Value};

use crate::answer::response_to;
use crate::cli::{Args, Era, SESSIONLESS_VERSION};
use crate::conn::{Conn, Target};
use crate::BoxError;

/// What every request of a run shares.
pub(crate) struct Plan {
    era: Era,
    tool: String,
    text: String,
    protocol_version: HeaderValue,
    tool_header: HeaderValue,
    method_header: HeaderValue,
    /// The bytes a correct answer contains (cheap check on the hot path).
    expect: Vec<u8>,
    /// Never parse answers fully (`--fixed`).
    pub(crate) fixed: bool,
    next_id: AtomicU64,
}

impl Plan {
    pub(crate) fn new(args: &Args) -> Result<Self, BoxError> {
        let version = match args.era {
            Era::Handshake => args.protocol_version.as_str(),
            Era::Sessionless => SESSIONLESS_VERSION,
        };
        Ok(Self {
            era: args.era,
            tool: args.tool.clone(),
            text: args.text.clone(),
            protocol_version: HeaderValue::from_str(version)?,
            tool_header: HeaderValue::from_str(&args.tool)?,
            method_header: HeaderValue::from_static("tools/call"),
            expect: serde_json::to_vec(&Value::String(args.text.clone()))?,
            fixed: args.fixed,
            next_id: AtomicU64::new(1),
        })
    }

    fn id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    fn call_body(&self, id: u64) -> Bytes {
        let mut params = json!({"name": self.tool, "arguments": {"text": self.text}});
        if self.era == Era::Sessionless {
            params["_meta"] = json!({
                "io.modelcontextprotocol/protocolVersion": SESSIONLESS_VERSION,
                "io.modelcontextprotocol/clientCapabilities": {},
                "io.modelcontextprotocol/clientInfo": {"name": "turret-load", "version": env!("CARGO_PKG_VERSION")},
            });
        }
        let message = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params});
        Bytes::from(serde_json::to_vec(&message).expect("serializable"))
    }

    /// One `tools/call`; `full` parses and checks the answer, otherwise only its status and
    /// that it carries the echoed text.
    pub(crate) async fn call(
        &self,
        conn: &mut Conn,
        session: Option<&HeaderValue>,
        full: bool,
    ) -> Result<(), BoxError> {
        let id = self.id();
        let mut headers: Vec<(&'static str, &HeaderValue)> =
            vec![("mcp-protocol-version", &self.protocol_version)];
        if let Some(session) = session {
            headers.push(("mcp-session-id", session));
        }
        if self.era == Era::Sessionless {
            headers.push(("mcp-method", &self.method_header));
            headers.push(("mcp-name", &self.tool_header));
        }
        let answer = conn
            .send(Method::POST, &headers, self.call_body(id))
            .await?;
        if full {
            let result = response_to(&answer, id)?;
            let text = result
                .pointer("/content/0/text")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if text != self.text || result.get("isError") == Some(&Value::Bool(true)) {
                return Err(format!("unexpected tools/call result: {result}").into());
            }
        } else if !answer.status.is_success()
            || !answer
                .body
                .windows(self.expect.len())
                .any(|w| w == self.expect.as_slice())
        {
            return Err(format!(
                "HTTP {}: {}",
                answer.status,
                String::from_utf8_lossy(&answer.body)
            )
            .into());
        }
        Ok(())
    }

    /// A handshake-era session: `initialize`, then `notifications/initialized`. `None` when
    /// the server gave no session id (it is stateless).
    async fn open_session(&self, conn: &mut Conn) -> Result<Option<HeaderValue>, BoxError> {
        let id = self.id();
        let init = json!({
            "jsonrpc": "2.0", "id": id, "method": "initialize",
            "params": {
                "protocolVersion": self.protocol_version.to_str()?,
                "capabilities": {},
                "clientInfo": {"name": "turret-load", "version": env!("CARGO_PKG_VERSION")},
            }
        });
        let answer = conn
            .send(Method::POST, &[], Bytes::from(serde_json::to_vec(&init)?))
            .await?;
        response_to(&answer, id)?;
        let session = answer.session;
        let mut headers: Vec<(&'static str, &HeaderValue)> =
            vec![("mcp-protocol-version", &self.protocol_version)];
        if let Some(session) = &session {
            headers.push(("mcp-session-id", session));
        }
        let note = br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
        let answer = conn
            .send(Method::POST, &headers, Bytes::from_static(note))
            .await?;
        if !answer.status.is_success() {
            return Err(format!("notifications/initialized: HTTP {}", answer.status).into());
        }
        Ok(session)
    }

    pub(crate) async fn close_session(&self, conn: &mut Conn, session: &HeaderValue) {
        let headers = [
            ("mcp-protocol-version", &self.protocol_version),
            ("mcp-session-id", session),
        ];
        let _ = conn.send(Method::DELETE, &headers, Bytes::new()).await;
    }
}

/// Opens `count` sessions over `concurrency` connections.
pub(crate) async fn open_sessions(
    plan: &Arc<Plan>,
    target: &Arc<Target>,
    timeout: Duration,
    count: usize,
    concurrency: usize,
) -> Result<Vec<Option<HeaderValue>>, BoxError> {
    let per = count.div_ceil(concurrency.max(1));
    let mut tasks = Vec::new();
    let mut left = count;
    while left > 0 {
        let n = per.min(left);
        left -= n;
        let (plan, target) = (plan.clone(), target.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::new(target, timeout);
            let mut out = Vec::with_capacity(n);
            for _ in 0..n {
                out.push(plan.open_session(&mut conn).await?);
            }
            Ok::<_, BoxError>(out)
        }));
    }
    let mut sessions = Vec::with_capacity(count);
    for task in tasks {
        sessions.extend(task.await??);
    }
    Ok(sessions)
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;

    #[test]
    fn sessionless_calls_carry_the_version_in_meta() {
        let args = Args::parse_from(["turret-load", "http://127.0.0.1:1/mcp", "--era", "2026"]);
        let plan = Plan::new(&args).expect("plan");
        let body: Value = serde_json::from_slice(&plan.call_body(5)).expect("json");
        assert_eq!(
            body.pointer("/params/_meta/io.modelcontextprotocol~1protocolVersion"),
            Some(&json!("2026-07-28"))
        );
        assert_eq!(body["params"]["name"], "echo");
        assert_eq!(body["id"], 5);
        let args = Args::parse_from([
            "turret-load",
            "http://127.0.0.1:1/mcp",
            "--era",
            "handshake",
        ]);
        let plan = Plan::new(&args).expect("plan");
        let body: Value = serde_json::from_slice(&plan.call_body(5)).expect("json");
        assert!(body.pointer("/params/_meta").is_none());
    }
}
