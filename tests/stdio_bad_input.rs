//! Malformed and misplaced input on stdio: each case gets the exact JSON-RPC error, and the
//! connection keeps serving the next valid request.

#[path = "support/fixture.rs"]
mod fixture;
#[path = "support/raw_stdio.rs"]
mod raw_stdio;

use raw_stdio::RawServer;
use serde_json::{json, Value};

const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;
const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

fn server() -> RawServer {
    RawServer::spawn(fixture::fixture_server())
}

/// A server after a handshake-era `initialize`.
fn initialized() -> RawServer {
    initialized_with(json!({}))
}

/// A server after a handshake-era `initialize` declaring `capabilities`.
fn initialized_with(capabilities: Value) -> RawServer {
    let mut server = server();
    let init = server.request(
        "initialize",
        Some(json!({
            "protocolVersion": "2025-11-25",
            "capabilities": capabilities,
            "clientInfo": { "name": "bad-input-test", "version": "1.0.0" }
        })),
    );
    assert_eq!(init.result()["protocolVersion"], "2025-11-25");
    server.notify("notifications/initialized", None);
    server
}

/// The next message, which must be an error with `code` answering `id`. `Value::Null`
/// stands for an unreadable id: JSON-RPC writes `"id": null`, MCP from 2025-11-25 leaves the
/// member out (and no MCP schema accepts `null`), so either is taken.
fn expect_error(server: &mut RawServer, code: i64, id: Value) -> Value {
    let message = server.recv();
    assert_eq!(message["jsonrpc"], "2.0", "{message}");
    assert_eq!(message["error"]["code"], code, "{message}");
    if id.is_null() {
        assert!(message.get("id").is_none_or(Value::is_null), "{message}");
    } else {
        assert_eq!(message.get("id"), Some(&id), "{message}");
    }
    assert!(message["error"]["message"].is_string(), "{message}");
    message
}

/// The connection still answers: `tools/list` lists the fixtures.
fn still_serves(server: &mut RawServer) {
    let list = server.request("tools/list", None);
    let tools = list.result()["tools"].as_array().expect("a tools array");
    assert!(tools.iter().any(|t| t["name"] == "test_simple_text"));
}

/// The connection still answers a 2026-07-28 request (for cases before any `initialize`).
fn still_serves_sessionless(server: &mut RawServer) {
    let discover = server.request(
        "server/discover",
        Some(json!({ "_meta": {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {}
        }})),
    );
    assert!(discover.result()["supportedVersions"].is_array());
}

#[test]
fn invalid_json_is_a_parse_error_without_an_id() {
    let mut server = initialized();
    server.send_line(r#"{"jsonrpc": "2.0", "id": 1, "method": "ping""#);
    expect_error(&mut server, PARSE_ERROR, Value::Null);
    server.send_line("not json at all");
    expect_error(&mut server, PARSE_ERROR, Value::Null);
    still_serves(&mut server);
    server.shutdown();
}

#[test]
fn a_wrong_jsonrpc_version_is_an_invalid_request() {
    let mut server = initialized();
    server.send(&json!({ "jsonrpc": "1.0", "id": 41, "method": "ping" }));
    expect_error(&mut server, INVALID_REQUEST, json!(41));
    server.send(&json!({ "id": 42, "method": "ping" }));
    expect_error(&mut server, INVALID_REQUEST, json!(42));
    still_serves(&mut server);
    server.shutdown();
}

#[test]
fn an_unknown_method_after_initialize_is_method_not_found() {
    let mut server = initialized();
    let exchange = server.request("no/such/method", Some(json!({})));
    assert_eq!(exchange.error_code(), METHOD_NOT_FOUND);
    still_serves(&mut server);
    server.shutdown();
}

#[test]
fn params_of_the_wrong_type_are_invalid_params() {
    let mut server = initialized();
    let exchange = server.request("tools/call", Some(json!({ "name": 5 })));
    assert_eq!(exchange.error_code(), INVALID_PARAMS);
    let exchange = server.request(
        "resources/read",
        Some(json!({ "uri": ["test://static-text"] })),
    );
    assert_eq!(exchange.error_code(), INVALID_PARAMS);
    still_serves(&mut server);
    server.shutdown();
}

#[test]
fn an_unknown_tool_is_invalid_params() {
    let mut server = initialized();
    let exchange = server.request(
        "tools/call",
        Some(json!({ "name": "no_such_tool", "arguments": {} })),
    );
    assert_eq!(exchange.error_code(), INVALID_PARAMS);
    still_serves(&mut server);
    server.shutdown();
}

#[test]
fn a_garbage_cursor_is_invalid_params() {
    let mut server = initialized();
    for cursor in ["garbage!", "", "dHVycmV0Om89eA"] {
        let exchange = server.request("tools/list", Some(json!({ "cursor": cursor })));
        assert_eq!(exchange.error_code(), INVALID_PARAMS, "cursor {cursor:?}");
    }
    still_serves(&mut server);
    server.shutdown();
}

#[test]
fn a_request_before_initialize_is_an_invalid_request() {
    let mut server = server();
    let exchange = server.request("tools/list", None);
    assert_eq!(exchange.error_code(), INVALID_REQUEST);
    // The connection is not spoiled: a handshake still works, and then so does the request.
    let init = server.request(
        "initialize",
        Some(json!({
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": { "name": "bad-input-test", "version": "1.0.0" }
        })),
    );
    assert_eq!(init.result()["protocolVersion"], "2025-06-18");
    still_serves(&mut server);
    server.shutdown();
}

#[test]
fn an_unsupported_meta_protocol_version_lists_the_supported_ones() {
    let mut server = server();
    let exchange = server.request(
        "tools/list",
        Some(json!({ "_meta": {
            "io.modelcontextprotocol/protocolVersion": "1999-01-01",
            "io.modelcontextprotocol/clientCapabilities": {}
        }})),
    );
    assert_eq!(exchange.error_code(), UNSUPPORTED_PROTOCOL_VERSION);
    let data = &exchange.response["error"]["data"];
    let supported = data["supported"]
        .as_array()
        .expect("data.supported is an array");
    assert!(supported.contains(&json!("2026-07-28")), "{data}");
    assert_eq!(data["requested"], "1999-01-01", "{data}");
    still_serves_sessionless(&mut server);
    server.shutdown();
}

#[test]
fn a_batch_is_an_invalid_request() {
    let mut server = initialized();
    server.send(&json!([
        { "jsonrpc": "2.0", "id": 71, "method": "ping" },
        { "jsonrpc": "2.0", "id": 72, "method": "tools/list" }
    ]));
    expect_error(&mut server, INVALID_REQUEST, Value::Null);
    still_serves(&mut server);
    server.shutdown();
}

fn call(id: i64, tool: &str) -> Value {
    let arguments = json!({"message": "Who are you?"});
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": tool, "arguments": arguments}})
}

#[test]
fn a_live_id_or_one_request_over_the_in_flight_limit_is_refused_and_the_connection_recovers() {
    const LIMIT: i64 = 256; // turret_core::session::MAX_IN_FLIGHT
    const TOO_MANY_REQUESTS: i64 = -32000;
    let mut server = initialized_with(json!({"elicitation": {}}));
    // `test_elicitation` stays in flight until the client answers its elicitation.
    for id in 1000..1000 + LIMIT {
        server.send(&call(id, "test_elicitation"));
    }
    let asks: Vec<Value> = (0..LIMIT)
        .map(|_| {
            let ask = server.recv();
            assert_eq!(ask["method"], "elicitation/create", "{ask}");
            ask["id"].clone()
        })
        .collect();
    server.send(&call(1000, "test_simple_text"));
    expect_error(&mut server, INVALID_REQUEST, json!(1000));
    server.send(&call(5000, "test_simple_text"));
    let refused = expect_error(&mut server, TOO_MANY_REQUESTS, json!(5000));
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("256"),
        "{refused}"
    );
    // Declining every elicitation lets the held calls finish, each answered once, under its
    // own id (the refused duplicate did not take over id 1000).
    for ask in asks {
        server.send(&json!({"jsonrpc": "2.0", "id": ask, "result": {"action": "decline"}}));
    }
    let mut answered: Vec<i64> = (0..LIMIT)
        .map(|_| {
            let answer = server.recv();
            assert!(answer.get("result").is_some(), "{answer}");
            answer["id"].as_i64().expect("a numeric id")
        })
        .collect();
    answered.sort_unstable();
    assert_eq!(answered, (1000..1000 + LIMIT).collect::<Vec<_>>());
    still_serves(&mut server);
}
