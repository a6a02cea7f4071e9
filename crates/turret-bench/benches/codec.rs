//! JSON-RPC decode and encode of typical MCP messages through `turret_types`: bytes to the
//! envelope ([`JsonRpcMessage::parse`]) and on to the typed request or result, and back.
//!
//! Messages: a `tools/call` request (2026-07-28, with its `_meta`), its result, a
//! `tools/list` result with 50 tools, an `initialize` request and its result.
//!
//! `cargo bench --bench codec`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use std::hint::black_box;
use turret_types::{
    CallToolResult, ClientRequest, InitializeResult, JsonRpcMessage, JsonRpcRequest,
    JsonRpcResponse, ListToolsResult, RequestId,
};

fn tools_call_request() -> Value {
    json!({
        "jsonrpc": "2.0", "id": 42, "method": "tools/call",
        "params": {
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {},
                "io.modelcontextprotocol/clientInfo": {"name": "bench", "version": "1.0.0"},
                "progressToken": "p-42"
            },
            "name": "search_issues",
            "arguments": {"query": "label:bug is:open", "limit": 20, "sort": "updated"}
        }
    })
}

fn tools_call_result() -> Value {
    json!({
        "jsonrpc": "2.0", "id": 42,
        "result": {
            "content": [{"type": "text", "text": "Found 3 issues: #12 crash on start, #40 slow listing, #41 typo in docs"}],
            "structuredContent": {"total": 3, "items": [
                {"number": 12, "title": "crash on start", "state": "open"},
                {"number": 40, "title": "slow listing", "state": "open"},
                {"number": 41, "title": "typo in docs", "state": "open"}
            ]},
            "isError": false
        }
    })
}

fn tools_list_result(count: usize) -> Value {
    let tools: Vec<Value> = (0..count)
        .map(|i| {
            json!({
                "name": format!("tool_{i}"),
                "title": format!("Tool number {i}"),
                "description": format!("Does thing {i} with the given query and returns what it found, at most `limit` items."),
                "inputSchema": {
                    "type": "object",
                    "properties": {
                        "query": {"type": "string", "description": "What to look for"},
                        "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
                        "sort": {"type": "string", "enum": ["created", "updated", "comments"]}
                    },
                    "required": ["query"]
                },
                "annotations": {"readOnlyHint": true, "openWorldHint": true}
            })
        })
        .collect();
    json!({"jsonrpc": "2.0", "id": 2, "result": {"tools": tools}})
}

fn initialize_request() -> Value {
    json!({
        "jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {"roots": {"listChanged": true}, "sampling": {}, "elicitation": {}},
            "clientInfo": {"name": "bench-client", "title": "Bench Client", "version": "1.2.3"}
        }
    })
}

fn initialize_result() -> Value {
    json!({
        "jsonrpc": "2.0", "id": 0,
        "result": {
            "protocolVersion": "2025-11-25",
            "capabilities": {
                "tools": {"listChanged": true},
                "resources": {"subscribe": true, "listChanged": true},
                "prompts": {"listChanged": true},
                "logging": {},
                "completions": {}
            },
            "serverInfo": {"name": "bench-server", "version": "0.1.0"},
            "instructions": "Use search_issues to find issues."
        }
    })
}

/// A request's bytes to its typed form.
fn decode_request(bytes: &[u8]) -> (RequestId, ClientRequest) {
    match JsonRpcMessage::parse(bytes).expect("a message") {
        JsonRpcMessage::Request(r) => {
            let typed = ClientRequest::from_parts(&r.method, r.params).expect("typed params");
            (r.id, typed)
        }
        other => panic!("not a request: {other:?}"),
    }
}

/// A typed request back to bytes.
fn encode_request(id: &RequestId, request: &ClientRequest) -> Vec<u8> {
    JsonRpcMessage::Request(JsonRpcRequest {
        id: id.clone(),
        method: request.method().to_owned(),
        params: request.params_value(),
    })
    .to_vec()
}

/// A response's bytes to its typed result.
fn decode_result<R: DeserializeOwned>(bytes: &[u8]) -> (RequestId, R) {
    match JsonRpcMessage::parse(bytes).expect("a message") {
        JsonRpcMessage::Response(r) => (r.id, serde_json::from_value(r.result).expect("result")),
        other => panic!("not a response: {other:?}"),
    }
}

/// A typed result back to bytes.
fn encode_result<R: Serialize>(id: &RequestId, result: &R) -> Vec<u8> {
    JsonRpcMessage::Response(JsonRpcResponse {
        id: id.clone(),
        result: serde_json::to_value(result).expect("serializable"),
    })
    .to_vec()
}

fn bench_request(c: &mut Criterion, name: &str, message: Value) {
    let bytes = serde_json::to_vec(&message).expect("json");
    let (id, typed) = decode_request(&bytes);
    let mut group = c.benchmark_group(format!("codec/{name}"));
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("decode", |b| b.iter(|| decode_request(black_box(&bytes))));
    group.bench_function("encode", |b| {
        b.iter(|| encode_request(black_box(&id), black_box(&typed)))
    });
    group.finish();
}

fn bench_result<R: DeserializeOwned + Serialize>(c: &mut Criterion, name: &str, message: Value) {
    let bytes = serde_json::to_vec(&message).expect("json");
    let (id, typed): (RequestId, R) = decode_result(&bytes);
    let mut group = c.benchmark_group(format!("codec/{name}"));
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("decode", |b| {
        b.iter(|| decode_result::<R>(black_box(&bytes)))
    });
    group.bench_function("encode", |b| {
        b.iter(|| encode_result(black_box(&id), black_box(&typed)))
    });
    group.finish();
}

fn bench(c: &mut Criterion) {
    // Round trips keep the benchmarked paths honest: what is encoded decodes to the same.
    let list = serde_json::to_vec(&tools_list_result(50)).expect("json");
    let (id, tools): (RequestId, ListToolsResult) = decode_result(&list);
    assert_eq!(tools.tools.len(), 50);
    let again: (RequestId, ListToolsResult) = decode_result(&encode_result(&id, &tools));
    assert_eq!(again.1, tools);

    bench_request(c, "tools_call_request", tools_call_request());
    bench_result::<CallToolResult>(c, "tools_call_result", tools_call_result());
    bench_result::<ListToolsResult>(c, "tools_list_result_50", tools_list_result(50));
    bench_request(c, "initialize_request", initialize_request());
    bench_result::<InitializeResult>(c, "initialize_result", initialize_result());
}

criterion_group!(benches, bench);
criterion_main!(benches);
