//! The client the official MCP conformance suites drive in client mode, built on Turret's
//! `Client` over the streamable HTTP transport.
//!
//! ```text
//! conformance client --command "target/debug/examples/conformance_client" --scenario initialize
//! conformance_next client --command "…/conformance_client" --scenario http-custom-headers \
//!     --spec-version 2026-07-28
//! ```
//!
//! The suite appends the scenario server's URL as the last argument and says what to do in
//! the environment: `MCP_CONFORMANCE_SCENARIO` (the scenario), `MCP_CONFORMANCE_PROTOCOL_VERSION`
//! (pre-release suite only: the protocol version of the run; without it the client detects
//! the era itself) and `MCP_CONFORMANCE_CONTEXT` (JSON the scenario hands over, such as the
//! tool calls of `http-custom-headers`, or the credentials of `auth/pre-registration`).
//!
//! The HTTP service under the transport is wrapped in `turret::auth`'s `OAuthLayer`, so the
//! `auth/*` scenarios run the whole MCP authorization flow; the suites' authorization
//! servers approve at once, so `HeadlessAuthorization` reads the code from their redirect.
//! The grant and the client's credentials come from the scenario's context. The exit code
//! is 0 when the scenario's requests went through; in the scenarios where the client must
//! refuse (a foreign `resource`, a wrong `iss`…) it exits 1 with the reason.

use std::process::ExitCode;
use std::time::Duration;

use serde_json::{json, Map, Value};
use turret::auth::client::{
    default_http_service, ClientCredentials, HeadlessAuthorization, IdJagExchange, OAuthClient,
    OAuthLayer,
};
use turret::auth::Algorithm;
use turret::client::{Client, Era};
use turret::transport::StreamableHttpClient;
use turret::types::{
    ContentBlock, CreateMessageRequestParams, CreateMessageResult, ElicitAction,
    ElicitRequestParams, ElicitResult, Implementation, JsonObject, ListRootsResult,
    ProtocolVersion, Role, SamplingContent, Tool,
};

/// The suites kill a client after 30 s; give up a little before, with a message.
const DEADLINE: Duration = Duration::from_secs(27);

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> ExitCode {
    let Some(url) = std::env::args().skip(1).last() else {
        eprintln!("usage: conformance_client <server URL>  (with MCP_CONFORMANCE_SCENARIO set)");
        return ExitCode::from(2);
    };
    let scenario = std::env::var("MCP_CONFORMANCE_SCENARIO").unwrap_or_default();
    let version = std::env::var("MCP_CONFORMANCE_PROTOCOL_VERSION").ok();
    eprintln!("conformance_client: scenario {scenario:?} at {url} (protocol {version:?})");
    match tokio::time::timeout(DEADLINE, run(&scenario, &url, version.as_deref())).await {
        Ok(Ok(())) => {
            eprintln!("conformance_client: {scenario} done");
            ExitCode::SUCCESS
        }
        Ok(Err(e)) => {
            eprintln!("conformance_client: {scenario} failed: {e}");
            ExitCode::FAILURE
        }
        Err(_) => {
            eprintln!("conformance_client: {scenario} took longer than {DEADLINE:?}");
            ExitCode::FAILURE
        }
    }
}

/// The era the run asks for: the pre-release suite names the protocol version; without it
/// (0.1.16) the client probes and falls back.
fn era(version: Option<&str>) -> Result<Era, Failure> {
    Ok(match version.map(|v| (v, ProtocolVersion::parse(v))) {
        None => Era::Auto,
        Some((_, Some(v))) if v.is_sessionless() => Era::Sessionless,
        Some((_, Some(v))) => Era::Handshake(v),
        Some((v, None)) => return Err(format!("unknown protocol version {v:?}").into()),
    })
}

/// The client ID metadata document URL the suites' authorization servers expect
/// (`auth/basic-cimd`).
const CLIENT_METADATA_URL: &str = "https://conformance-test.local/client-metadata.json";

/// The OAuth client for the scenario: its grant and credentials from the context.
fn oauth_client(scenario: &str) -> Result<OAuthClient, Failure> {
    let context: Value = std::env::var("MCP_CONFORMANCE_CONTEXT")
        .ok()
        .and_then(|c| serde_json::from_str(&c).ok())
        .unwrap_or(Value::Null);
    let text = |key: &str| context.get(key).and_then(Value::as_str).map(str::to_owned);
    let mut builder = OAuthClient::builder()
        .client_name("turret-conformance-client")
        .redirect_uri("http://127.0.0.1:3000/callback");
    let credentials = text("client_id").map(|id| {
        let mut credentials = ClientCredentials::new(id);
        if let Some(secret) = text("client_secret") {
            credentials = credentials.secret(secret);
        }
        if let Some(issuer) = text("issuer") {
            credentials = credentials.issuer(issuer);
        }
        credentials
    });
    builder = if let (Some(token), Some(endpoint), Some(idp_client)) = (
        text("idp_id_token"),
        text("idp_token_endpoint"),
        text("idp_client_id"),
    ) {
        // Enterprise-managed authorization: an ID-JAG from the IdP, then JWT-bearer.
        builder.jwt_bearer_grant(IdJagExchange::new(endpoint, token, idp_client))
    } else if let Some(jwt) = text("valid_jwt") {
        // Workload identity federation: the workload's JWT is the assertion.
        builder.jwt_bearer_grant(jwt)
    } else if scenario.starts_with("auth/client-credentials") {
        builder.client_credentials_grant()
    } else {
        builder
            .authorization_handler(HeadlessAuthorization::default())
            .client_metadata_url(CLIENT_METADATA_URL)
    };
    if let Some(mut credentials) = credentials {
        if let Some(pem) = text("private_key_pem") {
            let alg = match text("signing_algorithm").as_deref() {
                Some("ES384") => Algorithm::ES384,
                Some("RS256") => Algorithm::RS256,
                Some("EdDSA") => Algorithm::EdDSA,
                _ => Algorithm::ES256,
            };
            credentials = credentials.private_key_pem(pem.as_bytes(), alg)?;
        }
        builder = builder.pre_registered(credentials);
    }
    Ok(builder.build()?)
}

async fn connect(url: &str, era: Era, scenario: &str) -> Result<Client, Failure> {
    // Every scenario goes through the OAuth layer: a server that never answers 401 or 403
    // does not notice it.
    let http = tower::ServiceBuilder::new()
        .layer(OAuthLayer::new(oauth_client(scenario)?, url)?)
        .service(default_http_service());
    let transport = StreamableHttpClient::new(url)
        .http_service(http)
        .connect()?;
    let client = Client::builder()
        .info(Implementation::new(
            "turret-conformance-client",
            env!("CARGO_PKG_VERSION"),
        ))
        .era(era)
        .on_elicitation(|params| async move { Ok(accept_with_defaults(&params)) })
        .on_sampling(|params| async move { Ok(sample(&params)) })
        .on_roots(|| async { Ok(no_roots()) })
        .connect(transport)
        .await?;
    eprintln!(
        "conformance_client: connected, protocol {}",
        client.protocol_version()
    );
    Ok(client)
}

async fn run(scenario: &str, url: &str, version: Option<&str>) -> Result<(), Failure> {
    let era = era(version)?;
    let client = connect(url, era, scenario).await?;
    let outcome = exercise(&client, scenario).await;
    // Ends the session (DELETE) whatever happened.
    let closed = client.close().await;
    outcome?;
    closed?;
    Ok(())
}

async fn exercise(client: &Client, scenario: &str) -> Result<(), Failure> {
    match scenario {
        "initialize" => {
            client.list_tools().await?;
        }
        "tools_call" | "tools-call" => {
            let tools = client.list_tools().await?;
            let name = pick(&tools, "add_numbers")?;
            check_tool(client.call_tool(name, json!({"a": 2, "b": 3})).await?)?;
        }
        "elicitation-sep1034-client-defaults" | "elicitation-defaults" => {
            let tools = client.list_tools().await?;
            let name = pick(&tools, "test_client_elicitation_defaults")?;
            check_tool(client.call_tool(name, json!({})).await?)?;
        }
        "sse-retry" => {
            let tools = client.list_tools().await?;
            let name = pick(&tools, "test_reconnection")?;
            check_tool(client.call_tool(name, json!({})).await?)?;
        }
        // The first request is refused with -32022; the client retries it and goes on.
        "request-metadata" => {
            client.list_tools().await?;
        }
        // Multi round-trip requests: the client answers the `input_required` rounds itself.
        "sep-2322-client-request-state" => {
            client.list_tools().await?;
            for tool in [
                "test_mrtr_echo_state",
                "test_mrtr_unrelated",
                "test_mrtr_no_state",
                "test_mrtr_no_result_type",
            ] {
                check_tool(client.call_tool(tool, json!({})).await?)?;
            }
        }
        "http-standard-headers" => {
            for tool in client.list_tools().await? {
                client.call_tool(&tool.name, arguments_for(&tool)).await?;
            }
            for resource in client.list_resources().await? {
                client.read_resource(&resource.uri).await?;
            }
            for prompt in client.list_prompts().await? {
                let mut arguments = Map::new();
                for argument in prompt.arguments.iter().flatten() {
                    if argument.required == Some(true) {
                        arguments.insert(argument.name.clone(), json!("value"));
                    }
                }
                client
                    .get_prompt(&prompt.name, Value::Object(arguments))
                    .await?;
            }
        }
        "http-custom-headers" => {
            client.list_tools().await?;
            let context = std::env::var("MCP_CONFORMANCE_CONTEXT")
                .map_err(|_| "MCP_CONFORMANCE_CONTEXT is not set")?;
            let context: Value = serde_json::from_str(&context)?;
            let calls = context["toolCalls"]
                .as_array()
                .ok_or("the context has no toolCalls")?;
            for call in calls {
                let name = call["name"].as_str().ok_or("a tool call without a name")?;
                client.call_tool(name, call["arguments"].clone()).await?;
            }
        }
        // The transport drops tools with invalid x-mcp-header annotations from the listing;
        // every tool left is called.
        "http-invalid-tool-headers" => {
            for tool in client.list_tools().await? {
                eprintln!("conformance_client: calling {}", tool.name);
                client.call_tool(&tool.name, arguments_for(&tool)).await?;
            }
        }
        "json-schema-ref-no-deref" => {
            client.list_tools().await?;
        }
        "json-schema-2020-12-preservation" => {
            let tools = client.list_tools().await?;
            let focal = tools
                .iter()
                .find(|t| t.name == "json_schema_2020_12_tool")
                .ok_or("json_schema_2020_12_tool is not listed")?;
            let schema = Value::Object((*focal.input_schema).clone());
            check_tool(
                client
                    .call_tool("json_schema_echo", json!({ "schema": schema }))
                    .await?,
            )?;
        }
        // The protected server has one tool: listing and calling it needs a token (and, in
        // auth/scope-step-up, more scopes for the call).
        auth if auth.starts_with("auth/") => {
            for tool in client.list_tools().await? {
                check_tool(client.call_tool(&tool.name, arguments_for(&tool)).await?)?;
            }
        }
        other => return Err(format!("scenario {other:?} is not implemented").into()),
    }
    Ok(())
}

/// The name of the tool `wanted` if listed, else of the first tool.
fn pick<'a>(tools: &'a [Tool], wanted: &str) -> Result<&'a str, Failure> {
    tools
        .iter()
        .find(|t| t.name == wanted)
        .or_else(|| tools.first())
        .map(|t| t.name.as_str())
        .ok_or_else(|| "the server lists no tools".into())
}

fn check_tool(result: turret::types::CallToolResult) -> Result<(), Failure> {
    if result.is_error == Some(true) {
        let text: Vec<_> = result
            .content
            .iter()
            .filter_map(ContentBlock::as_text)
            .collect();
        return Err(format!("the tool failed: {}", text.join(" ")).into());
    }
    Ok(())
}

/// Arguments for a tool's required parameters: a placeholder of each one's type.
fn arguments_for(tool: &Tool) -> Value {
    let schema = &tool.input_schema;
    let properties = schema.get("properties").and_then(Value::as_object);
    let required = schema.get("required").and_then(Value::as_array);
    let mut arguments = Map::new();
    for name in required.into_iter().flatten().filter_map(Value::as_str) {
        let property = properties.and_then(|p| p.get(name));
        arguments.insert(name.to_owned(), placeholder(property));
    }
    Value::Object(arguments)
}

fn placeholder(schema: Option<&Value>) -> Value {
    let schema = schema.unwrap_or(&Value::Null);
    if let Some(default) = schema.get("default") {
        return default.clone();
    }
    if let Some(first) = schema.get("enum").and_then(|e| e.get(0)) {
        return first.clone();
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("integer" | "number") => json!(1),
        Some("boolean") => json!(true),
        Some("object") => json!({}),
        Some("array") => json!([]),
        _ => json!("conformance"),
    }
}

/// Accepts an elicitation with every field of the form filled: its default where the schema
/// has one, else a value of its type.
fn accept_with_defaults(params: &ElicitRequestParams) -> ElicitResult {
    let mut content = JsonObject::new();
    let properties = params
        .requested_schema
        .as_ref()
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object);
    for (name, property) in properties.into_iter().flatten() {
        content.insert(name.clone(), placeholder(Some(property)));
    }
    ElicitResult {
        action: ElicitAction::Accept,
        content: Some(content),
        meta: None,
        extra: Default::default(),
    }
}

fn sample(params: &CreateMessageRequestParams) -> CreateMessageResult {
    CreateMessageResult {
        role: Role::Assistant,
        content: SamplingContent::One(ContentBlock::text(format!(
            "a sampled answer to {} message(s)",
            params.messages.len()
        ))),
        model: "turret-conformance-model".into(),
        stop_reason: Some("endTurn".into()),
        meta: None,
        extra: Default::default(),
    }
}

fn no_roots() -> ListRootsResult {
    ListRootsResult {
        roots: Vec::new(),
        meta: None,
        extra: Default::default(),
    }
}
