//! A full session with the fixture server over raw stdio lines in each protocol revision:
//! every method the server answers, server→client requests (or `input_required` rounds on
//! 2026-07-28), progress, logging and list changes; then every message either side wrote is
//! validated against that revision's official schema.

#[path = "support/fixture.rs"]
mod fixture;
#[path = "support/raw_stdio.rs"]
mod raw_stdio;
#[path = "support/schema.rs"]
mod schema;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use raw_stdio::{Exchange, RawServer, Side};
use serde_json::{json, Map, Value};

const SESSIONLESS: &str = "2026-07-28";
const PROTOCOL_VERSION_KEY: &str = "io.modelcontextprotocol/protocolVersion";
const CLIENT_CAPABILITIES_KEY: &str = "io.modelcontextprotocol/clientCapabilities";
const CLIENT_INFO_KEY: &str = "io.modelcontextprotocol/clientInfo";
const LOG_LEVEL_KEY: &str = "io.modelcontextprotocol/logLevel";
const SERVER_INFO_KEY: &str = "io.modelcontextprotocol/serverInfo";
const SUBSCRIPTION_ID_KEY: &str = "io.modelcontextprotocol/subscriptionId";

/// One connection to the fixture server, speaking one revision.
struct Session {
    server: RawServer,
    version: &'static str,
}

impl Session {
    /// A handshake-era session: `initialize`, then `notifications/initialized`.
    fn handshake(version: &'static str) -> Self {
        let mut session = Self {
            server: RawServer::spawn(fixture::fixture_server()),
            version,
        };
        let init = session.call(
            "initialize",
            json!({
                "protocolVersion": version,
                "capabilities": session.capabilities(),
                "clientInfo": { "name": "stdio-protocol-test", "version": "1.0.0" }
            }),
        );
        let result = init.result();
        assert_eq!(result["protocolVersion"], version, "{result}");
        assert_eq!(result["serverInfo"]["name"], "turret-fixture-server");
        for capability in ["tools", "resources", "prompts", "logging"] {
            assert!(result["capabilities"][capability].is_object(), "{result}");
        }
        session.server.notify("notifications/initialized", None);
        session
    }

    /// A 2026-07-28 session: no handshake, `server/discover` first.
    fn sessionless() -> Self {
        let mut session = Self {
            server: RawServer::spawn(fixture::fixture_server()),
            version: SESSIONLESS,
        };
        let discover = session.call("server/discover", json!({}));
        let result = discover.result();
        let supported = result["supportedVersions"]
            .as_array()
            .expect("supportedVersions");
        assert!(supported.contains(&json!(SESSIONLESS)), "{result}");
        assert!(result["capabilities"]["tools"].is_object(), "{result}");
        session
    }

    fn is_sessionless(&self) -> bool {
        self.version == SESSIONLESS
    }

    /// Whether this revision has `method` (a request or notification).
    fn defines(&self, method: &str) -> bool {
        [schema::Shape::Request, schema::Shape::Notification]
            .into_iter()
            .any(|shape| {
                !schema::method_definitions(self.version, method, shape)
                    .expect("the schema loads")
                    .is_empty()
            })
    }

    /// The capabilities this client declares: all it can answer in this revision.
    fn capabilities(&self) -> Value {
        let mut caps = json!({ "sampling": {}, "roots": { "listChanged": true } });
        if self.defines("elicitation/create") {
            caps["elicitation"] = json!({});
        }
        caps
    }

    /// `params` with what this revision wants on every request: on 2026-07-28 the protocol
    /// version, capabilities and client identity in `_meta`, plus `meta` (e.g. a progress
    /// token); on the handshake era just `meta`.
    fn params(&self, mut params: Value, meta: Value) -> Value {
        let mut all = Map::new();
        if self.is_sessionless() {
            all.insert(PROTOCOL_VERSION_KEY.into(), json!(SESSIONLESS));
            all.insert(CLIENT_CAPABILITIES_KEY.into(), self.capabilities());
            all.insert(
                CLIENT_INFO_KEY.into(),
                json!({ "name": "stdio-protocol-test", "version": "1.0.0" }),
            );
        }
        if let Value::Object(extra) = meta {
            all.extend(extra);
        }
        if !all.is_empty() {
            params["_meta"] = Value::Object(all);
        }
        params
    }

    /// Sends a request (with this revision's `_meta`) and waits for the response; server
    /// requests are answered as a capable client would.
    fn call(&mut self, method: &str, params: Value) -> Exchange {
        self.call_with_meta(method, params, json!({}))
    }

    fn call_with_meta(&mut self, method: &str, params: Value, meta: Value) -> Exchange {
        let params = self.params(params, meta);
        self.server
            .request_answering(method, Some(params), answer_server_request)
    }

    /// Calls until the request completes: on the handshake era the server's requests are
    /// answered in flight; on 2026-07-28 each `input_required` result is answered by a retry
    /// carrying `inputResponses` and `requestState`. Returns the final result and the
    /// questions the server asked, in order.
    fn call_answering(&mut self, method: &str, params: Value) -> (Value, Vec<Value>) {
        let mut params = params;
        let mut questions = Vec::new();
        for _round in 0..5 {
            let exchange = self.call(method, params.clone());
            questions.extend(exchange.server_requests.iter().cloned());
            let result = exchange.result().clone();
            if result["resultType"] != "input_required" {
                return (result, questions);
            }
            let requests = result["inputRequests"]
                .as_object()
                .unwrap_or_else(|| panic!("input_required without inputRequests: {result}"));
            let mut responses = Map::new();
            for (key, request) in requests {
                let answer = answer_server_request(request)
                    .unwrap_or_else(|e| panic!("cannot answer {request}: {e}"));
                responses.insert(key.clone(), answer);
                questions.push(request.clone());
            }
            params["inputResponses"] = Value::Object(responses);
            params["requestState"] = result["requestState"].clone();
        }
        panic!("{method} still wanted input after 5 rounds");
    }

    fn call_tool(&mut self, name: &str, arguments: Value) -> Value {
        let exchange = self.call(
            "tools/call",
            json!({ "name": name, "arguments": arguments }),
        );
        exchange.result().clone()
    }

    /// Reads until a notification of `method` arrives that satisfies `matches`; other
    /// notifications are skipped, a response fails the test.
    fn expect_notification(&mut self, method: &str, matches: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + raw_stdio::ANSWER_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = self
                .server
                .recv_timeout(left)
                .unwrap_or_else(|| panic!("no {method} notification arrived"));
            assert!(
                message.get("id").is_none(),
                "unexpected message while waiting for {method}: {message}"
            );
            if message["method"] == method && matches(&message) {
                return message;
            }
        }
    }

    /// Validates the whole transcript, then closes the session.
    fn finish(self) {
        let errors = validate_transcript(self.version, self.server.transcript());
        assert!(
            errors.is_empty(),
            "{} message(s) of the MCP {} session do not match the schema:\n\n{}",
            errors.len(),
            self.version,
            errors.join("\n\n")
        );
        self.server.shutdown();
    }
}

/// What a capable client answers to a server request (or an `inputRequests` entry).
fn answer_server_request(request: &Value) -> Result<Value, Value> {
    let params = &request["params"];
    match request["method"].as_str().unwrap_or_default() {
        "sampling/createMessage" => {
            let prompt = params["messages"][0]["content"]["text"]
                .as_str()
                .unwrap_or_default();
            Ok(json!({
                "role": "assistant",
                "content": { "type": "text", "text": format!("answer to {prompt}") },
                "model": "test-model",
                "stopReason": "endTurn"
            }))
        }
        "elicitation/create" => {
            let mut content = Map::new();
            let properties = params["requestedSchema"]["properties"].as_object();
            for (name, property) in properties.into_iter().flatten() {
                let value = match (name.as_str(), property["type"].as_str()) {
                    ("email", _) => json!("tester@example.com"),
                    ("name", _) => json!("Alice"),
                    ("color", _) => json!("blue"),
                    (_, Some("boolean")) => json!(true),
                    (_, Some("integer" | "number")) => json!(7),
                    _ => json!("tester"),
                };
                content.insert(name.clone(), value);
            }
            Ok(json!({ "action": "accept", "content": content }))
        }
        "roots/list" => Ok(json!({
            "roots": [{ "uri": "file:///tmp/project", "name": "Project" }]
        })),
        other => Err(json!({ "code": -32601, "message": format!("unsupported: {other}") })),
    }
}

/// The schema definition of the result of a request `method`.
fn result_definition(method: &str) -> Option<&'static str> {
    Some(match method {
        "initialize" => "InitializeResult",
        "server/discover" => "DiscoverResult",
        "ping" | "logging/setLevel" | "resources/subscribe" | "resources/unsubscribe" => {
            "EmptyResult"
        }
        "tools/list" => "ListToolsResult",
        "tools/call" => "CallToolResult",
        "resources/list" => "ListResourcesResult",
        "resources/templates/list" => "ListResourceTemplatesResult",
        "resources/read" => "ReadResourceResult",
        "prompts/list" => "ListPromptsResult",
        "prompts/get" => "GetPromptResult",
        "completion/complete" => "CompleteResult",
        "subscriptions/listen" => "SubscriptionsListenResult",
        "sampling/createMessage" => "CreateMessageResult",
        "elicitation/create" => "ElicitResult",
        "roots/list" => "ListRootsResult",
        _ => return None,
    })
}

/// Validates every message of a transcript: each against its envelope and method
/// definitions, each result against the result definition of the request it answers.
fn validate_transcript(version: &str, transcript: &[(Side, Value)]) -> Vec<String> {
    let mut errors = Vec::new();
    // Requests by (side that sent them, id), to know what each response answers.
    let mut requests: HashMap<(Side, String), String> = HashMap::new();
    for (side, message) in transcript {
        if let Err(e) = schema::validate_message(version, message) {
            errors.push(format!("{side:?} wrote: {e}"));
        }
        let id = message.get("id").map(Value::to_string).unwrap_or_default();
        if let Some(method) = message.get("method").and_then(Value::as_str) {
            if message.get("id").is_some() {
                requests.insert((*side, id), method.to_owned());
            }
            continue;
        }
        let Some(result) = message.get("result") else {
            continue;
        };
        let asker = match side {
            Side::Server => Side::Client,
            Side::Client => Side::Server,
        };
        let Some(method) = requests.get(&(asker, id)) else {
            errors.push(format!(
                "{side:?} answered a request nobody sent: {message}"
            ));
            continue;
        };
        let definition = if result["resultType"] == "input_required" {
            Some("InputRequiredResult")
        } else {
            result_definition(method)
        };
        if let Some(definition) = definition {
            if let Err(e) = schema::validate_result(version, definition, result) {
                errors.push(format!("{side:?} answered {method}: {e}"));
            }
        }
    }
    errors
}

fn text_of(result: &Value) -> &str {
    result["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("no text content in {result}"))
}

fn names(list: &Value, key: &str, field: &str) -> Vec<String> {
    list[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} in {list}"))
        .iter()
        .filter_map(|item| item[field].as_str().map(str::to_owned))
        .collect()
}

// ---------------------------------------------------------------------------------------
// The session, step by step.

fn lists(session: &mut Session) {
    let tools = session.call("tools/list", json!({}));
    let tools = names(tools.result(), "tools", "name");
    for expected in [
        "test_simple_text",
        "test_tool_with_progress",
        "test_sampling",
        "json_schema_2020_12_tool",
    ] {
        assert!(
            tools.contains(&expected.to_owned()),
            "{expected}: {tools:?}"
        );
    }
    let resources = session.call("resources/list", json!({}));
    let uris = names(resources.result(), "resources", "uri");
    assert!(uris.contains(&"test://static-text".to_owned()), "{uris:?}");
    let templates = session.call("resources/templates/list", json!({}));
    assert_eq!(
        names(templates.result(), "resourceTemplates", "uriTemplate"),
        ["test://template/{id}/data"]
    );
    let prompts = session.call("prompts/list", json!({}));
    let prompts = names(prompts.result(), "prompts", "name");
    assert!(
        prompts.contains(&"test_prompt_with_arguments".to_owned()),
        "{prompts:?}"
    );
}

fn content_tools(session: &mut Session) {
    let text = session.call_tool("test_simple_text", json!({}));
    assert_eq!(
        text_of(&text),
        "This is a simple text response for testing."
    );
    let image = session.call_tool("test_image_content", json!({}));
    assert_eq!(image["content"][0]["type"], "image");
    assert_eq!(image["content"][0]["mimeType"], "image/png");
    // Audio content arrived in 2025-03-26.
    if session.version != "2024-11-05" {
        let audio = session.call_tool("test_audio_content", json!({}));
        assert_eq!(audio["content"][0]["type"], "audio");
        assert_eq!(audio["content"][0]["mimeType"], "audio/wav");
    }
    let embedded = session.call_tool("test_embedded_resource", json!({}));
    assert_eq!(embedded["content"][0]["type"], "resource");
    assert_eq!(
        embedded["content"][0]["resource"]["uri"],
        "test://embedded-resource"
    );
    let mixed = session.call_tool("test_multiple_content_types", json!({}));
    let kinds: Vec<&str> = mixed["content"]
        .as_array()
        .expect("content")
        .iter()
        .filter_map(|c| c["type"].as_str())
        .collect();
    assert_eq!(kinds, ["text", "image", "resource"]);
    let error = session.call_tool("test_error_handling", json!({}));
    assert_eq!(error["isError"], true);
    let schema_tool = session.call_tool(
        "json_schema_2020_12_tool",
        json!({ "name": "Ada", "contactMethod": "email", "email": "ada@example.com" }),
    );
    assert!(text_of(&schema_tool).contains("ada@example.com"));
}

fn progress(session: &mut Session) {
    let exchange = session.call_with_meta(
        "tools/call",
        json!({ "name": "test_tool_with_progress", "arguments": {} }),
        json!({ "progressToken": "progress-1" }),
    );
    assert_eq!(
        text_of(exchange.result()),
        "Tool with progress executed successfully"
    );
    let progress: Vec<f64> = exchange
        .notifications_of("notifications/progress")
        .into_iter()
        .filter(|n| n["params"]["progressToken"] == "progress-1")
        .filter_map(|n| n["params"]["progress"].as_f64())
        .collect();
    assert!(progress.len() >= 3, "{:?}", exchange.notifications);
    assert!(progress.windows(2).all(|w| w[0] <= w[1]), "{progress:?}");
}

fn logging(session: &mut Session) {
    let level = if session.is_sessionless() {
        // No logging/setLevel: the level travels with each request, and without one the
        // server sends no log messages at all.
        let quiet = session.call("tools/call", json!({ "name": "test_logging_tool" }));
        assert!(quiet.notifications_of("notifications/message").is_empty());
        json!({ LOG_LEVEL_KEY: "debug" })
    } else {
        let set = session.call("logging/setLevel", json!({ "level": "debug" }));
        assert_eq!(set.result(), &json!({}));
        json!({})
    };
    let exchange = session.call_with_meta(
        "tools/call",
        json!({ "name": "test_tool_with_logging", "arguments": {} }),
        level.clone(),
    );
    let logs = exchange.notifications_of("notifications/message");
    assert!(logs.len() >= 3, "{:?}", exchange.notifications);
    let exchange = session.call_with_meta(
        "tools/call",
        json!({ "name": "test_logging_tool", "arguments": {} }),
        level,
    );
    let levels: Vec<&str> = exchange
        .notifications_of("notifications/message")
        .iter()
        .filter_map(|n| n["params"]["level"].as_str())
        .collect();
    assert_eq!(levels, ["debug", "info", "warning", "error"]);
}

fn resources(session: &mut Session) {
    let text = session.call("resources/read", json!({ "uri": "test://static-text" }));
    assert_eq!(
        text.result()["contents"][0]["text"],
        "This is the content of the static text resource."
    );
    let binary = session.call("resources/read", json!({ "uri": "test://static-binary" }));
    let contents = &binary.result()["contents"][0];
    assert_eq!(contents["mimeType"], "image/png");
    assert!(contents["blob"].is_string(), "{contents}");
    let templated = session.call(
        "resources/read",
        json!({ "uri": "test://template/42/data" }),
    );
    let contents = &templated.result()["contents"][0];
    assert_eq!(contents["uri"], "test://template/42/data");
    assert!(contents["text"].as_str().unwrap_or_default().contains("42"));
    if session.defines("resources/subscribe") {
        for method in ["resources/subscribe", "resources/unsubscribe"] {
            let exchange = session.call(method, json!({ "uri": "test://watched-resource" }));
            assert_eq!(exchange.result(), &json!({}), "{method}");
        }
    }
}

fn prompts(session: &mut Session) {
    let simple = session.call("prompts/get", json!({ "name": "test_simple_prompt" }));
    assert_eq!(
        simple.result()["messages"][0]["content"]["text"],
        "This is a simple prompt for testing."
    );
    let with_args = session.call(
        "prompts/get",
        json!({
            "name": "test_prompt_with_arguments",
            "arguments": { "arg1": "hello", "arg2": "world" }
        }),
    );
    assert_eq!(
        with_args.result()["messages"][0]["content"]["text"],
        "Prompt with arguments: arg1='hello', arg2='world'"
    );
    let embedded = session.call(
        "prompts/get",
        json!({
            "name": "test_prompt_with_embedded_resource",
            "arguments": { "resourceUri": "test://example-resource" }
        }),
    );
    let first = &embedded.result()["messages"][0]["content"];
    assert_eq!(first["type"], "resource");
    assert_eq!(first["resource"]["uri"], "test://example-resource");
    let image = session.call("prompts/get", json!({ "name": "test_prompt_with_image" }));
    assert_eq!(image.result()["messages"][0]["content"]["type"], "image");
}

fn completion(session: &mut Session) {
    let exchange = session.call(
        "completion/complete",
        json!({
            "ref": { "type": "ref/prompt", "name": "test_prompt_with_arguments" },
            "argument": { "name": "arg1", "value": "pa" }
        }),
    );
    assert_eq!(
        exchange.result()["completion"]["values"],
        json!(["paris", "park", "party"])
    );
}

/// Sampling, elicitation and roots: asked in flight on the handshake era, by
/// `input_required` rounds on 2026-07-28.
fn client_requests(session: &mut Session) {
    let (result, questions) = session.call_answering(
        "tools/call",
        json!({ "name": "test_sampling", "arguments": { "prompt": "What is 2+2?" } }),
    );
    assert_eq!(text_of(&result), "LLM response: answer to What is 2+2?");
    assert_eq!(questions.len(), 1);
    assert_eq!(questions[0]["method"], "sampling/createMessage");

    if !session.defines("elicitation/create") {
        return;
    }
    let (result, questions) = session.call_answering(
        "tools/call",
        json!({ "name": "test_elicitation", "arguments": { "message": "Who are you?" } }),
    );
    assert_eq!(questions.len(), 1);
    assert_eq!(questions[0]["params"]["message"], "Who are you?");
    assert!(text_of(&result).contains("action=accept"), "{result}");
    assert!(text_of(&result).contains("tester@example.com"), "{result}");

    let (result, questions) = session.call_answering(
        "tools/call",
        json!({ "name": "test_input_required_result_multi_round", "arguments": {} }),
    );
    assert_eq!(questions.len(), 2, "{questions:?}");
    assert_eq!(text_of(&result), "Alice likes blue");

    let (result, questions) = session.call_answering(
        "tools/call",
        json!({ "name": "test_input_required_result_multiple_inputs", "arguments": {} }),
    );
    let mut methods: Vec<&str> = questions
        .iter()
        .filter_map(|q| q["method"].as_str())
        .collect();
    methods.sort_unstable();
    assert_eq!(
        methods,
        ["elicitation/create", "roots/list", "sampling/createMessage"]
    );
    assert!(text_of(&result).contains("file:///tmp/project"), "{result}");

    let (result, questions) = session.call_answering(
        "prompts/get",
        json!({ "name": "test_input_required_result_prompt" }),
    );
    assert_eq!(questions.len(), 1);
    assert_eq!(
        result["messages"][0]["content"]["text"],
        "Use this context: tester"
    );
}

/// On 2026-07-28: the named keys of SEP-2322, a tampered `requestState` rejected, and a
/// missing capability rejected with -32021.
fn input_required_rounds(session: &mut Session) {
    let first = session.call(
        "tools/call",
        json!({ "name": "test_input_required_result_elicitation", "arguments": {} }),
    );
    let first = first.result();
    assert_eq!(first["resultType"], "input_required");
    assert_eq!(
        first["inputRequests"]["user_name"]["method"],
        "elicitation/create"
    );
    assert!(first["requestState"].is_string());

    let tampered = format!(
        "{}-TAMPERED",
        first["requestState"].as_str().unwrap_or_default()
    );
    let retry = session.call(
        "tools/call",
        json!({
            "name": "test_input_required_result_elicitation",
            "arguments": {},
            "inputResponses": { "user_name": { "action": "accept", "content": { "name": "Eve" } } },
            "requestState": tampered
        }),
    );
    assert_eq!(retry.error_code(), -32602);

    let missing = session.call_with_meta(
        "tools/call",
        json!({ "name": "test_missing_capability", "arguments": {} }),
        json!({ CLIENT_CAPABILITIES_KEY: {} }),
    );
    assert_eq!(missing.error_code(), -32021);
    assert!(
        missing.response["error"]["data"]["requiredCapabilities"]["sampling"].is_object(),
        "{}",
        missing.response
    );
}

/// The tool and prompt lists change; the client hears about it (on the handshake era as a
/// session, on 2026-07-28 through `subscriptions/listen`).
fn list_changes(session: &mut Session) {
    let listen_id = session.is_sessionless().then(|| {
        let id = Value::from(session.server.next_id());
        let params = session.params(
            json!({ "notifications": { "toolsListChanged": true, "promptsListChanged": true } }),
            json!({}),
        );
        session.server.send(&json!({
            "jsonrpc": "2.0", "id": id, "method": "subscriptions/listen", "params": params
        }));
        session.expect_notification("notifications/subscriptions/acknowledged", |n| {
            n["params"]["_meta"][SUBSCRIPTION_ID_KEY] == id
        });
        id
    });
    let tagged = |n: &Value| match &listen_id {
        Some(id) => n["params"]["_meta"][SUBSCRIPTION_ID_KEY] == *id,
        None => true,
    };
    for (tool, notification, list, key, name) in [
        (
            "test_trigger_tool_change",
            "notifications/tools/list_changed",
            "tools/list",
            "tools",
            "test_dynamic_tool",
        ),
        (
            "test_trigger_prompt_change",
            "notifications/prompts/list_changed",
            "prompts/list",
            "prompts",
            "test_dynamic_prompt",
        ),
    ] {
        // Added, then removed again: both announced.
        for present in [true, false] {
            let exchange = session.call("tools/call", json!({ "name": tool, "arguments": {} }));
            assert_ne!(exchange.result()["isError"], true, "{}", exchange.response);
            if !exchange
                .notifications_of(notification)
                .into_iter()
                .any(tagged)
            {
                session.expect_notification(notification, tagged);
            }
            let listed = session.call(list, json!({}));
            let listed = names(listed.result(), key, "name");
            assert_eq!(listed.contains(&name.to_owned()), present, "{listed:?}");
        }
    }
    if let Some(id) = listen_id {
        // Closing the stream: no answer is expected to a cancelled request.
        session.server.notify(
            "notifications/cancelled",
            Some(json!({ "requestId": id, "reason": "test over" })),
        );
        if let Some(message) = session.server.recv_timeout(Duration::from_millis(300)) {
            panic!("the server answered a cancelled subscriptions/listen: {message}");
        }
    }
}

fn sessionless_results_carry_server_info(session: &mut Session) {
    let exchange = session.call("tools/list", json!({}));
    let result = exchange.result();
    assert_eq!(result["resultType"], "complete");
    assert_eq!(
        result["_meta"][SERVER_INFO_KEY]["name"],
        "turret-fixture-server"
    );
    assert!(
        result["ttlMs"].is_u64() && result["cacheScope"].is_string(),
        "{result}"
    );
}

fn full_session(mut session: Session) {
    if session.defines("ping") {
        let ping = session.call("ping", json!({}));
        assert_eq!(ping.result(), &json!({}));
    }
    if session.is_sessionless() {
        sessionless_results_carry_server_info(&mut session);
        input_required_rounds(&mut session);
    }
    lists(&mut session);
    content_tools(&mut session);
    progress(&mut session);
    logging(&mut session);
    resources(&mut session);
    prompts(&mut session);
    completion(&mut session);
    client_requests(&mut session);
    list_changes(&mut session);
    session.finish();
}

#[test]
fn protocol_2024_11_05() {
    full_session(Session::handshake("2024-11-05"));
}

#[test]
fn protocol_2025_03_26() {
    full_session(Session::handshake("2025-03-26"));
}

#[test]
fn protocol_2025_06_18() {
    full_session(Session::handshake("2025-06-18"));
}

#[test]
fn protocol_2025_11_25() {
    full_session(Session::handshake("2025-11-25"));
}

#[test]
fn protocol_2026_07_28() {
    full_session(Session::sessionless());
}
