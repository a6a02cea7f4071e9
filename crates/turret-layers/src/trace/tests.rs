use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tower::{ServiceBuilder, ServiceExt as _};
use tracing_subscriber::fmt::MakeWriter;
use turret_core::types::{CallToolRequestParams, ClientRequest, ProtocolVersion, RequestId};
use turret_core::{tool_fn, Identity, Peer, Request, RequestContext, Router};

use super::*;

/// Log lines written by a JSON subscriber.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Lines {
    type Writer = Lines;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Lines {
    fn events(&self) -> Vec<Value> {
        String::from_utf8(self.0.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

fn call(name: &str) -> Request {
    let mut req = Request::new(ClientRequest::CallTool(CallToolRequestParams {
        name: name.into(),
        ..Default::default()
    }));
    let ctx = RequestContext::new(ProtocolVersion::V2025_06_18, Peer::detached())
        .with_id(RequestId::Number(7));
    req.extensions_mut().insert(ctx);
    req.extensions_mut().insert(Identity::new("alice"));
    req
}

#[tokio::test]
async fn spans_carry_the_request_and_events_the_outcome_at_its_level() {
    let lines = Lines::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(lines.clone())
        .with_max_level(Level::TRACE)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let router = Router::new().tool("ok", tool_fn(|| async { "fine" })).tool(
        "fails",
        tool_fn(|| async { Err::<String, _>("no such file") }),
    );
    let service = ServiceBuilder::new()
        .layer(TraceLayer::new().on_success(Level::DEBUG))
        .service(router);
    service.clone().oneshot(call("ok")).await.unwrap();
    service.clone().oneshot(call("fails")).await.unwrap();
    let error = service.clone().oneshot(call("missing")).await.unwrap_err();
    assert!(error.is::<McpError>());

    let events = lines.events();
    let finished: Vec<&Value> = events
        .iter()
        .filter(|e| e["fields"]["outcome"].is_string())
        .collect();
    assert_eq!(finished.len(), 3, "{events:#?}");
    let expect = [
        ("ok", "DEBUG", "ok"),
        ("fails", "INFO", "tool_error"),
        ("missing", "WARN", "rejected"),
    ];
    for (event, (name, level, outcome)) in finished.iter().zip(expect) {
        assert_eq!(event["level"], level, "{event}");
        assert_eq!(event["fields"]["outcome"], outcome, "{event}");
        assert!(event["fields"]["latency_us"].is_u64(), "{event}");
        let span = &event["span"];
        assert_eq!(span["name"], "mcp.request");
        assert_eq!(span["method"], "tools/call");
        assert_eq!(span["tool"], name);
        assert_eq!(span["outcome"], outcome);
        assert_eq!(span["request_id"], "7");
        assert_eq!(span["subject"], "alice");
        assert_eq!(span["version"], "2025-06-18");
    }
    assert_eq!(finished[2]["fields"]["code"], -32602);
}

#[tokio::test]
async fn timeouts_and_internal_errors_are_errors() {
    assert_eq!(
        classify(&tower::timeout::error::Elapsed::new()),
        ("timeout", Level::ERROR)
    );
    assert_eq!(
        classify(&tower::load_shed::error::Overloaded::new()),
        ("overloaded", Level::WARN)
    );
    assert_eq!(
        classify(&std::io::Error::other("disk on fire")),
        ("internal_error", Level::ERROR)
    );
    assert_eq!(
        classify(&McpError::internal("x")),
        ("internal_error", Level::ERROR)
    );
}
