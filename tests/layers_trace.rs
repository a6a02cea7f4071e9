//! `TraceLayer` over a real transport: with a JSON subscriber, each request served over
//! `memory_pair()` has its span (method, tool or URI, request id, revision), an outcome event
//! at the right level, and the cache's hit or miss recorded in it.

#[path = "support/layers.rs"]
mod layers_support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use layers_support::connect;
use serde_json::{json, Value};
use tower::ServiceBuilder;
use tracing_subscriber::fmt::MakeWriter;
use turret::layers::{CacheLayer, FilterLayer, TraceLayer};
use turret::{resource_fn, tool_fn, Router};

/// Everything a JSON subscriber wrote.
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
    /// The events that closed a request span.
    fn finished(&self) -> Vec<Value> {
        String::from_utf8(self.0.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|e| e["fields"]["outcome"].is_string())
            .collect()
    }
}

#[tokio::test]
async fn each_request_has_a_span_an_outcome_and_its_cache_status() {
    let lines = Lines::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(lines.clone())
        .with_max_level(tracing::Level::DEBUG)
        .finish();
    // The test runtime has one thread: the server's tasks run under this subscriber too.
    let _guard = tracing::subscriber::set_default(subscriber);

    let router = Router::new()
        .tool("hello", tool_fn(|| async { "hello" }))
        .tool("reindex", tool_fn(|| async { "done" }).tags(["admin"]))
        .resource("news://latest", resource_fn(|| async { "news" }));
    let service = ServiceBuilder::new()
        .layer(TraceLayer::new())
        .layer(FilterLayer::new().exclude_tags(["admin"]))
        .layer(CacheLayer::new())
        .service(router);
    let client = connect(service).await;
    client.call_tool("hello", json!({})).await.unwrap();
    client.read_resource("news://latest").await.unwrap();
    client.read_resource("news://latest").await.unwrap();
    client.call_tool("reindex", json!({})).await.unwrap_err();

    let finished = lines.finished();
    let find = |method: &str, key: &str, value: &str| -> Vec<&Value> {
        finished
            .iter()
            .filter(|e| e["span"]["method"] == method && e["span"][key] == value)
            .collect()
    };
    let initialize = find("initialize", "outcome", "ok");
    assert_eq!(initialize.len(), 1, "{finished:#?}");

    let hello = find("tools/call", "tool", "hello");
    assert_eq!(hello.len(), 1, "{finished:#?}");
    let span = &hello[0]["span"];
    assert_eq!(span["version"], "2025-06-18");
    assert!(span["request_id"].is_string(), "{span}");
    assert_eq!(hello[0]["level"], "INFO");
    assert!(hello[0]["fields"]["latency_us"].is_u64());

    let reads = find("resources/read", "uri", "news://latest");
    let cache: Vec<&Value> = reads.iter().map(|e| &e["span"]["cache"]).collect();
    assert_eq!(cache, [&json!("miss"), &json!("hit")]);

    let hidden = find("tools/call", "tool", "reindex");
    assert_eq!(hidden[0]["level"], "WARN");
    assert_eq!(hidden[0]["fields"]["outcome"], "rejected");
    assert_eq!(hidden[0]["fields"]["code"], -32602);
}
