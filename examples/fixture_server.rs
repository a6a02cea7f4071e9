//! The server the external MCP test suites expect: every fixture of the official conformance
//! suite (0.1.16, protocol 2025-06-18 and 2025-11-25), of its pre-release suite (the
//! sessionless 2026-07-28 protocol), and of the project's Python client checks, built only
//! from Turret's public API.
//!
//! ```text
//! cargo run --example fixture_server              # serve on stdin/stdout
//! cargo run --example fixture_server -- --http 127.0.0.1:3000
//! cargo run --example fixture_server -- --http 127.0.0.1:3000 --redis redis://127.0.0.1:6379
//! cargo run --example fixture_server -- --http 127.0.0.1:3000 --stateless
//! ```
//!
//! `--redis` makes it one of several replicas behind a load balancer, sharing sessions and
//! stream events through Redis; `--stateless` serves handshake-era clients without sessions
//! (JSON answers, no server→client requests), which replicas can do with no shared state.
//!
//! The fixtures are grouped by kind, one function each: content tools, notification tools,
//! tools that ask the client for something, multi round-trip (`input_required`) tools,
//! diagnostic hooks, resources, prompts and completions. Names and texts follow the suites'
//! scenario descriptions exactly; see `../shared/harness/README.md`.

use std::process::ExitCode;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};
use turret::transport::streamable_http::SseStream;
use turret::types::{
    ClientResult, CompleteRequestParams, Completion, CompletionReference, ContentBlock,
    CreateMessageRequestParams, ElicitRequestParams, ElicitResult, JsonObject, LoggingLevel,
    PromptMessage, ResourceContents, SamplingMessage, ServerRequest,
};
use turret::{
    prompt_fn, resource_fn, tool_fn, Args, Audio, Blob, Context, Extension, Image, Json, McpError,
    Router, State,
};

/// The state handlers share: the running router itself, so the diagnostic hooks can change
/// its lists.
#[derive(Clone, Default)]
struct Fixtures {
    router: Arc<OnceLock<Router<Fixtures>>>,
}

type FixtureRouter = Router<Fixtures>;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (http, sharing) = match args.as_slice() {
        [] => (None, Sharing::None),
        ["--http", addr] => (Some(*addr), Sharing::None),
        ["--http", addr, "--redis", url] => (Some(*addr), Sharing::Redis(url)),
        ["--http", addr, "--stateless"] => (Some(*addr), Sharing::Stateless),
        _ => {
            eprintln!(
                "usage: fixture_server [--http ADDR [--redis URL | --stateless]]  (no arguments: serve over stdio)"
            );
            return ExitCode::from(2);
        }
    };

    let fixtures = Fixtures::default();
    let router = Router::with_state(fixtures.clone())
        .name("turret-fixture-server")
        .version(env!("CARGO_PKG_VERSION"));
    let router = content_tools(router);
    let router = notification_tools(router);
    let router = client_request_tools(router);
    let router = input_required_tools(router);
    let router = diagnostic_tools(router);
    let router = resources(router);
    let router = prompts(router);
    let router = router.completions(complete);
    let _ = fixtures.router.set(router.clone());

    let served = match http {
        None => turret::transport::serve_stdio(router).await,
        Some(addr) => serve_http(router, addr, sharing).await,
    };
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fixture_server: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What replicas of this server share.
enum Sharing<'a> {
    /// Nothing: one process.
    None,
    /// Sessions and stream events, in the Redis at this URL.
    Redis(&'a str),
    /// Nothing, because there are no sessions.
    Stateless,
}

/// Streamable HTTP at `/mcp` (both eras) and the legacy HTTP+SSE pair at `/sse` +
/// `/messages`, until Ctrl-C. Prints the bound address (useful with port 0).
async fn serve_http(
    router: Router<Fixtures>,
    addr: &str,
    sharing: Sharing<'_>,
) -> std::io::Result<()> {
    use turret::transport::legacy_sse::LegacySseService;
    use turret::transport::streamable_http::{serve, StreamableHttpConfig, StreamableHttpService};

    // Quick reconnection for the suites' resumption scenarios.
    let config = StreamableHttpConfig::new().sse_retry(Some(std::time::Duration::from_millis(500)));
    let config = match sharing {
        Sharing::None => config,
        Sharing::Redis(url) => {
            let store = turret::redis::RedisStore::connect(url)
                .await
                .map_err(std::io::Error::other)?;
            config.replicated(store)
        }
        Sharing::Stateless => config.stateless(),
    };
    let legacy = LegacySseService::with_config(router.clone(), "/messages", config.clone());
    let mcp = StreamableHttpService::with_config(router, config);
    let app = axum::Router::new()
        .route_service("/mcp", mcp.clone())
        .route_service("/sse", legacy.clone())
        .route_service("/messages", legacy);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    eprintln!("fixture_server: http://{}/mcp", listener.local_addr()?);
    serve(listener, app, async move {
        let _ = tokio::signal::ctrl_c().await;
        mcp.shutdown();
    })
    .await
}

// ---------------------------------------------------------------------------------------
// Media the fixtures return.

/// A 1x1 red pixel PNG.
const RED_PIXEL_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0x00,
    0x00, 0x03, 0x01, 0x01, 0x00, 0xc9, 0xfe, 0x92, 0xef, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

/// A WAV file: `samples` of silence, 8 kHz, mono, 16-bit PCM.
fn silent_wav(samples: u32) -> Vec<u8> {
    let (rate, channels, bits) = (8000u32, 1u16, 16u16);
    let block = channels * bits / 8;
    let data_len = samples * u32::from(block);
    let mut wav = Vec::with_capacity(44 + data_len as usize);
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data_len).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes()); // fmt chunk size
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&channels.to_le_bytes());
    wav.extend_from_slice(&rate.to_le_bytes());
    wav.extend_from_slice(&(rate * u32::from(block)).to_le_bytes()); // byte rate
    wav.extend_from_slice(&block.to_le_bytes());
    wav.extend_from_slice(&bits.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data_len.to_le_bytes());
    wav.resize(44 + data_len as usize, 0);
    wav
}

fn png_block() -> ContentBlock {
    Image::png(RED_PIXEL_PNG).into()
}

/// A JSON object literal, for schemas.
fn object(value: Value) -> JsonObject {
    match value {
        Value::Object(o) => o,
        other => panic!("not an object: {other}"),
    }
}

async fn pause() {
    tokio::time::sleep(Duration::from_millis(50)).await;
}

// ---------------------------------------------------------------------------------------
// Tools returning each kind of content.

fn content_tools(router: FixtureRouter) -> FixtureRouter {
    router
        .tool(
            "test_simple_text",
            tool_fn(simple_text).description("Returns one text block"),
        )
        .tool(
            "test_image_content",
            tool_fn(image_content).description("Returns a PNG image"),
        )
        .tool(
            "test_audio_content",
            tool_fn(audio_content).description("Returns a WAV audio clip"),
        )
        .tool(
            "test_embedded_resource",
            tool_fn(embedded_resource).description("Returns an embedded text resource"),
        )
        .tool(
            "test_multiple_content_types",
            tool_fn(multiple_content_types)
                .description("Returns text, an image and an embedded resource"),
        )
        .tool(
            "test_error_handling",
            tool_fn(error_handling).description("Always fails with isError: true"),
        )
        .tool(
            "json_schema_2020_12_tool",
            tool_fn(json_schema_2020_12)
                .description("Tool with JSON Schema 2020-12 features")
                .input_schema(json_schema_2020_12_input()),
        )
}

async fn simple_text() -> &'static str {
    "This is a simple text response for testing."
}

async fn image_content() -> Image {
    Image::png(RED_PIXEL_PNG)
}

async fn audio_content() -> Audio {
    Audio::wav(silent_wav(800))
}

async fn embedded_resource() -> ResourceContents {
    ResourceContents::text(
        "test://embedded-resource",
        Some("text/plain".into()),
        "This is an embedded resource content.",
    )
}

async fn multiple_content_types() -> Vec<ContentBlock> {
    vec![
        ContentBlock::text("Multiple content types test:"),
        png_block(),
        ContentBlock::resource(ResourceContents::text(
            "test://mixed-content-resource",
            Some("application/json".into()),
            json!({ "test": "data", "value": 123 }).to_string(),
        )),
    ]
}

async fn error_handling() -> Result<String, String> {
    Err("This tool intentionally returns an error for testing".to_owned())
}

async fn json_schema_2020_12(Args(arguments): Args<Value>) -> String {
    format!("Received arguments: {arguments}")
}

/// Sent verbatim in `tools/list`: `$schema`, `$defs` with an `$anchor`, `allOf`/`anyOf`,
/// `if`/`then`/`else` and `additionalProperties` must all survive.
fn json_schema_2020_12_input() -> JsonObject {
    object(json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "$defs": {
            "address": {
                "$anchor": "addressDef",
                "type": "object",
                "properties": {
                    "street": { "type": "string" },
                    "city": { "type": "string" }
                }
            }
        },
        "properties": {
            "name": { "type": "string" },
            "address": { "$ref": "#/$defs/address" },
            "contactMethod": { "type": "string", "enum": ["phone", "email"] },
            "phone": { "type": "string" },
            "email": { "type": "string" }
        },
        "allOf": [{ "anyOf": [{ "required": ["phone"] }, { "required": ["email"] }] }],
        "if": {
            "properties": { "contactMethod": { "const": "phone" } },
            "required": ["contactMethod"]
        },
        "then": { "required": ["phone"] },
        "else": { "required": ["email"] },
        "additionalProperties": false
    }))
}

// ---------------------------------------------------------------------------------------
// Tools that send notifications while they run.

fn notification_tools(router: FixtureRouter) -> FixtureRouter {
    router
        .tool(
            "test_tool_with_logging",
            tool_fn(tool_with_logging).description("Sends three info log messages while running"),
        )
        .tool(
            "test_logging_tool",
            tool_fn(logging_tool).description(
                "Logs at several levels; only what the request's log level allows is sent",
            ),
        )
        .tool(
            "test_tool_with_progress",
            tool_fn(tool_with_progress)
                .description("Reports progress 0, 50 and 100 of 100 on the request's token"),
        )
        .tool(
            "test_reconnection",
            tool_fn(reconnection).description(
                "Over HTTP, closes the SSE stream mid-call; over stdio, a slow ordinary tool",
            ),
        )
}

async fn tool_with_logging(ctx: Context) -> &'static str {
    ctx.info("Tool execution started").await;
    pause().await;
    ctx.info("Tool processing data").await;
    pause().await;
    ctx.info("Tool execution completed").await;
    "Tool with logging executed successfully"
}

async fn logging_tool(ctx: Context) -> &'static str {
    let logger = Some("test_logging_tool");
    ctx.log(LoggingLevel::Debug, logger, "debug message").await;
    ctx.log(LoggingLevel::Info, logger, "info message").await;
    ctx.log(LoggingLevel::Warning, logger, "warning message")
        .await;
    ctx.log(
        LoggingLevel::Error,
        logger,
        json!({ "error": "error message" }),
    )
    .await;
    "Logging tool executed"
}

async fn tool_with_progress(ctx: Context) -> &'static str {
    ctx.progress(0.0, Some(100.0), None).await;
    pause().await;
    ctx.progress(50.0, Some(100.0), None).await;
    pause().await;
    ctx.progress(100.0, Some(100.0), None).await;
    "Tool with progress executed successfully"
}

/// Closes the SSE connection after the priming event; the answer then reaches the client
/// on its `Last-Event-ID` reconnection.
async fn reconnection(stream: Option<Extension<SseStream>>) -> &'static str {
    if let Some(Extension(stream)) = stream {
        stream.close_connection().await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    "Reconnection test completed"
}

// ---------------------------------------------------------------------------------------
// Tools that ask the client: a server→client request on the handshake era, an
// `input_required` result on 2026-07-28.

fn client_request_tools(router: FixtureRouter) -> FixtureRouter {
    router
        .tool(
            "test_sampling",
            tool_fn(sampling).description("Asks the client's LLM to answer the prompt"),
        )
        .tool(
            "test_elicitation",
            tool_fn(elicitation).description("Asks the user for a username and an email"),
        )
        .tool(
            "test_elicitation_sep1034_defaults",
            tool_fn(elicitation_sep1034_defaults)
                .description("Elicits a form whose fields all have defaults (SEP-1034)"),
        )
        .tool(
            "test_elicitation_sep1330_enums",
            tool_fn(elicitation_sep1330_enums)
                .description("Elicits a form with every kind of enum (SEP-1330)"),
        )
        .tool(
            "test_missing_capability",
            tool_fn(missing_capability).description(
                "Needs sampling: rejected with -32021 when the client did not declare it",
            ),
        )
        .tool(
            "test_streaming_elicitation",
            tool_fn(streaming_elicitation)
                .description("Reports progress, then asks the user a question"),
        )
}

#[derive(Deserialize, JsonSchema)]
struct SamplingArgs {
    /// The prompt to send to the LLM.
    prompt: String,
}

fn sample_text(prompt: impl Into<String>, max_tokens: u32) -> CreateMessageRequestParams {
    CreateMessageRequestParams::new(vec![SamplingMessage::user_text(prompt)], max_tokens)
}

async fn sampling(ctx: Context, Args(args): Args<SamplingArgs>) -> Result<String, McpError> {
    llm_response(&ctx, sample_text(args.prompt, 100)).await
}

/// Asks the client's LLM; answers `LLM response: <its text>`.
async fn llm_response(
    ctx: &Context,
    params: CreateMessageRequestParams,
) -> Result<String, McpError> {
    let answer = ctx.sample(params).await?;
    let text = answer.content.first_text().unwrap_or_default();
    Ok(format!("LLM response: {text}"))
}

fn form(message: impl Into<String>, schema: Value) -> ElicitRequestParams {
    ElicitRequestParams {
        message: message.into(),
        requested_schema: Some(object(schema)),
        ..ElicitRequestParams::default()
    }
}

/// `action=accept, content={...}`.
fn describe(answer: &ElicitResult) -> String {
    let action = serde_json::to_value(answer.action).unwrap_or_default();
    let content = answer
        .content
        .clone()
        .map(Value::Object)
        .unwrap_or_default();
    format!(
        "action={}, content={content}",
        action.as_str().unwrap_or("?")
    )
}

#[derive(Deserialize, JsonSchema)]
struct ElicitationArgs {
    /// The message to show the user.
    message: String,
}

async fn elicitation(ctx: Context, Args(args): Args<ElicitationArgs>) -> Result<String, McpError> {
    let schema = json!({
        "type": "object",
        "properties": {
            "username": { "type": "string", "description": "User's response" },
            "email": { "type": "string", "description": "User's email address" }
        },
        "required": ["username", "email"]
    });
    let answer = ctx.elicit(form(args.message, schema)).await?;
    Ok(format!("User response: {}", describe(&answer)))
}

async fn elicitation_sep1034_defaults(ctx: Context) -> Result<String, McpError> {
    let schema = json!({
        "type": "object",
        "properties": {
            "name": { "type": "string", "default": "John Doe" },
            "age": { "type": "integer", "default": 30 },
            "score": { "type": "number", "default": 95.5 },
            "status": {
                "type": "string",
                "enum": ["active", "inactive", "pending"],
                "default": "active"
            },
            "verified": { "type": "boolean", "default": true }
        }
    });
    let answer = ctx
        .elicit(form("Please review your profile", schema))
        .await?;
    Ok(format!("Elicitation completed: {}", describe(&answer)))
}

async fn elicitation_sep1330_enums(ctx: Context) -> Result<String, McpError> {
    let schema = json!({
        "type": "object",
        "properties": {
            "untitledSingle": { "type": "string", "enum": ["option1", "option2", "option3"] },
            "titledSingle": {
                "type": "string",
                "oneOf": [
                    { "const": "value1", "title": "First Option" },
                    { "const": "value2", "title": "Second Option" },
                    { "const": "value3", "title": "Third Option" }
                ]
            },
            "legacyEnum": {
                "type": "string",
                "enum": ["opt1", "opt2", "opt3"],
                "enumNames": ["Option One", "Option Two", "Option Three"]
            },
            "untitledMulti": {
                "type": "array",
                "items": { "type": "string", "enum": ["option1", "option2", "option3"] }
            },
            "titledMulti": {
                "type": "array",
                "items": {
                    "anyOf": [
                        { "const": "value1", "title": "First Choice" },
                        { "const": "value2", "title": "Second Choice" },
                        { "const": "value3", "title": "Third Choice" }
                    ]
                }
            }
        }
    });
    let answer = ctx.elicit(form("Pick some options", schema)).await?;
    Ok(format!("Elicitation completed: {}", describe(&answer)))
}

async fn missing_capability(ctx: Context) -> Result<String, McpError> {
    llm_response(&ctx, sample_text("Say hello", 20)).await
}

async fn streaming_elicitation(ctx: Context) -> Result<String, McpError> {
    ctx.progress(1.0, Some(2.0), Some("asking the user".into()))
        .await;
    let schema = json!({
        "type": "object",
        "properties": { "answer": { "type": "string" } },
        "required": ["answer"]
    });
    let answer = ctx
        .elicit(form("What should the stream carry?", schema))
        .await?;
    Ok(format!(
        "Streaming elicitation completed: {}",
        describe(&answer)
    ))
}

// ---------------------------------------------------------------------------------------
// Multi round-trip requests (SEP-2322): named questions, several at once, several rounds.
// On the handshake era the same handlers send ordinary server→client requests.

fn input_required_tools(router: FixtureRouter) -> FixtureRouter {
    router
        .tool(
            "test_input_required_result_elicitation",
            tool_fn(input_required_elicitation).description("Asks the user's name (key user_name)"),
        )
        .tool(
            "test_input_required_result_sampling",
            tool_fn(input_required_sampling)
                .description("Asks the LLM a question (key capital_question)"),
        )
        .tool(
            "test_input_required_result_list_roots",
            tool_fn(input_required_list_roots)
                .description("Asks for the client's roots (key client_roots)"),
        )
        .tool(
            "test_input_required_result_request_state",
            tool_fn(input_required_confirm)
                .description("Asks for confirmation; answers state-ok once the state checks out"),
        )
        .tool(
            "test_input_required_result_multiple_inputs",
            tool_fn(input_required_multiple_inputs)
                .description("Asks for elicitation, sampling and roots in one round"),
        )
        .tool(
            "test_input_required_result_multi_round",
            tool_fn(input_required_multi_round).description("Asks two questions in two rounds"),
        )
        .tool(
            "test_input_required_result_tampered_state",
            tool_fn(input_required_confirm)
                .description("Asks for confirmation; a tampered requestState is rejected"),
        )
        .tool(
            "test_input_required_result_capabilities",
            tool_fn(input_required_capabilities)
                .description("Asks only for what the client declared it can answer"),
        )
}

async fn elicit_as(
    ctx: &Context,
    key: &str,
    params: ElicitRequestParams,
) -> Result<ElicitResult, McpError> {
    match ctx.ask_as(key, ServerRequest::Elicit(params)).await? {
        ClientResult::Elicit(r) => Ok(r),
        _ => Err(McpError::internal(
            "the client answered elicitation/create with another result",
        )),
    }
}

async fn sample_as(
    ctx: &Context,
    key: &str,
    params: CreateMessageRequestParams,
) -> Result<String, McpError> {
    match ctx
        .ask_as(key, ServerRequest::CreateMessage(params))
        .await?
    {
        ClientResult::CreateMessage(r) => Ok(r.content.first_text().unwrap_or_default().to_owned()),
        _ => Err(McpError::internal(
            "the client answered sampling/createMessage with another result",
        )),
    }
}

async fn roots_as(ctx: &Context, key: &str) -> Result<Vec<String>, McpError> {
    match ctx
        .ask_as(key, ServerRequest::ListRoots(Default::default()))
        .await?
    {
        ClientResult::ListRoots(r) => Ok(r.roots.into_iter().map(|r| r.uri).collect()),
        _ => Err(McpError::internal(
            "the client answered roots/list with another result",
        )),
    }
}

/// A one-string-field form.
fn ask_for(message: &str, field: &str) -> ElicitRequestParams {
    form(
        message,
        json!({
            "type": "object",
            "properties": { field: { "type": "string" } },
            "required": [field]
        }),
    )
}

fn confirm() -> ElicitRequestParams {
    form(
        "Please confirm",
        json!({
            "type": "object",
            "properties": { "ok": { "type": "boolean" } },
            "required": ["ok"]
        }),
    )
}

/// A string field of an accepted form, or `default`.
fn field(answer: &ElicitResult, name: &str, default: &str) -> String {
    answer
        .content
        .as_ref()
        .and_then(|c| c.get(name))
        .and_then(Value::as_str)
        .unwrap_or(default)
        .to_owned()
}

async fn input_required_elicitation(ctx: Context) -> Result<String, McpError> {
    let answer = elicit_as(&ctx, "user_name", ask_for("What is your name?", "name")).await?;
    Ok(format!("Hello, {}!", field(&answer, "name", "stranger")))
}

async fn input_required_sampling(ctx: Context) -> Result<String, McpError> {
    let question = sample_text("What is the capital of France?", 100);
    let text = sample_as(&ctx, "capital_question", question).await?;
    Ok(format!("LLM response: {text}"))
}

async fn input_required_list_roots(ctx: Context) -> Result<String, McpError> {
    let roots = roots_as(&ctx, "client_roots").await?;
    Ok(format!("Client roots: {}", roots.join(", ")))
}

/// Both request-state fixtures: Turret seals `requestState` and rejects a tampered one
/// before the handler runs, so the tool only asks.
async fn input_required_confirm(ctx: Context) -> Result<String, McpError> {
    let answer = elicit_as(&ctx, "confirm", confirm()).await?;
    Ok(format!("state-ok: {}", describe(&answer)))
}

async fn input_required_multiple_inputs(ctx: Context) -> Result<String, McpError> {
    // Asked together, so one input_required result carries all three.
    let (name, greeting, roots) = tokio::join!(
        elicit_as(&ctx, "user_name", ask_for("What is your name?", "name")),
        sample_as(&ctx, "greeting", sample_text("Generate a greeting", 50)),
        roots_as(&ctx, "client_roots"),
    );
    Ok(format!(
        "name={}, greeting={}, roots={}",
        field(&name?, "name", "stranger"),
        greeting?,
        roots?.join(", ")
    ))
}

async fn input_required_multi_round(ctx: Context) -> Result<String, McpError> {
    let step1 = ask_for("Step 1: What is your name?", "name");
    let name = elicit_as(&ctx, "step1", step1).await?;
    let step2 = ask_for("Step 2: What is your favorite color?", "color");
    let color = elicit_as(&ctx, "step2", step2).await?;
    Ok(format!(
        "{} likes {}",
        field(&name, "name", "someone"),
        field(&color, "color", "no color")
    ))
}

async fn input_required_capabilities(ctx: Context) -> Result<String, McpError> {
    let caps = ctx.request().capabilities();
    let (sampling, elicitation) = (caps.sampling.is_some(), caps.elicitation.is_some());
    let (sampled, elicited) = tokio::join!(
        async {
            match sampling {
                true => {
                    let question = sample_text("Generate a greeting", 50);
                    sample_as(&ctx, "greeting", question).await.map(Some)
                }
                false => Ok(None),
            }
        },
        async {
            match elicitation {
                true => {
                    let question = ask_for("What is your name?", "name");
                    elicit_as(&ctx, "user_name", question).await.map(Some)
                }
                false => Ok(None),
            }
        },
    );
    Ok(format!(
        "sampling={:?}, elicitation={:?}",
        sampled?,
        elicited?.map(|a| describe(&a))
    ))
}

// ---------------------------------------------------------------------------------------
// Diagnostic hooks: change the lists so clients see list_changed notifications.

fn diagnostic_tools(router: FixtureRouter) -> FixtureRouter {
    router
        .tool(
            "test_custom_header",
            tool_fn(custom_header)
                .description("Its region argument travels in the Mcp-Param-Region header too")
                .input_schema(custom_header_schema()),
        )
        .tool(
            "test_trigger_tool_change",
            tool_fn(trigger_tool_change)
                .description("Adds or removes test_dynamic_tool, so the tool list changes"),
        )
        .tool(
            "test_trigger_prompt_change",
            tool_fn(trigger_prompt_change)
                .description("Adds or removes test_dynamic_prompt, so the prompt list changes"),
        )
}

/// A string parameter annotated with `x-mcp-header`, as the 2026-07-28 header checks need.
fn custom_header_schema() -> JsonObject {
    let schema = json!({
        "type": "object",
        "properties": {
            "region": { "type": "string", "x-mcp-header": "Region" },
            "query": { "type": "string" }
        },
        "required": ["region"]
    });
    schema.as_object().cloned().unwrap_or_default()
}

async fn custom_header(Args(args): Args<JsonObject>) -> String {
    let region = args
        .get("region")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    format!("region {region}")
}

async fn dynamic_tool() -> &'static str {
    "This tool comes and goes"
}

async fn dynamic_prompt() -> &'static str {
    "This prompt comes and goes"
}

/// Removes `name` from the running router if `remove` finds it there, or else `add`s it.
/// Both tell every listening client that the list changed.
fn toggle(
    fixtures: &Fixtures,
    name: &str,
    remove: impl FnOnce(&FixtureRouter, &str) -> bool,
    add: impl FnOnce(&FixtureRouter, &str),
) -> Result<String, String> {
    let router = fixtures
        .router
        .get()
        .ok_or("the server is still starting")?;
    if remove(router, name) {
        return Ok(format!("removed {name}"));
    }
    add(router, name);
    Ok(format!("added {name}"))
}

async fn trigger_tool_change(State(fixtures): State<Fixtures>) -> Result<String, String> {
    toggle(
        &fixtures,
        "test_dynamic_tool",
        FixtureRouter::remove_tool,
        |router, name| {
            router.add_tool(
                name,
                tool_fn(dynamic_tool).description("Added by test_trigger_tool_change"),
            )
        },
    )
}

async fn trigger_prompt_change(State(fixtures): State<Fixtures>) -> Result<String, String> {
    toggle(
        &fixtures,
        "test_dynamic_prompt",
        FixtureRouter::remove_prompt,
        |router, name| {
            router.add_prompt(
                name,
                prompt_fn(dynamic_prompt).description("Added by test_trigger_prompt_change"),
            )
        },
    )
}

// ---------------------------------------------------------------------------------------
// Resources.

fn resources(router: FixtureRouter) -> FixtureRouter {
    router
        .resource(
            "test://static-text",
            resource_fn(static_text)
                .name("static-text")
                .description("A static text resource")
                .mime_type("text/plain"),
        )
        .resource(
            "test://static-binary",
            resource_fn(static_binary)
                .name("static-binary")
                .description("A static binary resource (a PNG)")
                .mime_type("image/png"),
        )
        .resource(
            "test://watched-resource",
            resource_fn(watched)
                .name("watched-resource")
                .description("A resource clients can subscribe to")
                .mime_type("text/plain"),
        )
        .resource(
            "test://stateless-static-text",
            resource_fn(stateless_static_text)
                .name("stateless-static-text")
                .description("A static text resource for the sessionless protocol")
                .mime_type("text/plain"),
        )
        .resource_template(
            "test://template/{id}/data",
            resource_fn(template_data)
                .name("template-data")
                .description("Data for any id")
                .mime_type("application/json"),
        )
}

async fn static_text() -> &'static str {
    "This is the content of the static text resource."
}

async fn static_binary() -> Blob {
    Blob(RED_PIXEL_PNG.to_vec())
}

async fn watched() -> &'static str {
    "This is the content of the watched resource."
}

async fn stateless_static_text() -> &'static str {
    "This is the content of the stateless static text resource."
}

#[derive(Deserialize, JsonSchema)]
struct TemplateVars {
    id: String,
}

async fn template_data(Args(TemplateVars { id }): Args<TemplateVars>) -> Json<Value> {
    Json(json!({ "id": id, "templateTest": true, "data": format!("Data for ID: {id}") }))
}

// ---------------------------------------------------------------------------------------
// Prompts.

fn prompts(router: FixtureRouter) -> FixtureRouter {
    router
        .prompt(
            "test_simple_prompt",
            prompt_fn(simple_prompt).description("A prompt without arguments"),
        )
        .prompt(
            "test_prompt_with_arguments",
            prompt_fn(prompt_with_arguments).description("A prompt with two required arguments"),
        )
        .prompt(
            "test_prompt_with_embedded_resource",
            prompt_fn(prompt_with_embedded_resource).description("A prompt embedding a resource"),
        )
        .prompt(
            "test_prompt_with_image",
            prompt_fn(prompt_with_image).description("A prompt with an image"),
        )
        .prompt(
            "test_input_required_result_prompt",
            prompt_fn(input_required_prompt)
                .description("Asks the user for context before building the prompt"),
        )
}

async fn simple_prompt() -> &'static str {
    "This is a simple prompt for testing."
}

#[derive(Deserialize, JsonSchema)]
struct PromptArgs {
    /// First test argument
    arg1: String,
    /// Second test argument
    arg2: String,
}

async fn prompt_with_arguments(Args(PromptArgs { arg1, arg2 }): Args<PromptArgs>) -> String {
    format!("Prompt with arguments: arg1='{arg1}', arg2='{arg2}'")
}

#[derive(Deserialize, JsonSchema)]
struct EmbedArgs {
    /// URI of the resource to embed
    #[serde(rename = "resourceUri")]
    resource_uri: String,
}

async fn prompt_with_embedded_resource(Args(args): Args<EmbedArgs>) -> Vec<PromptMessage> {
    let resource = ResourceContents::text(
        args.resource_uri,
        Some("text/plain".into()),
        "Embedded resource content for testing.",
    );
    vec![
        PromptMessage::user(ContentBlock::resource(resource)),
        PromptMessage::user("Please process the embedded resource above."),
    ]
}

async fn prompt_with_image() -> Vec<PromptMessage> {
    vec![
        PromptMessage::user(png_block()),
        PromptMessage::user("Please analyze the image above."),
    ]
}

async fn input_required_prompt(ctx: Context) -> Result<String, McpError> {
    let question = ask_for("What context should the prompt use?", "context");
    let answer = elicit_as(&ctx, "user_context", question).await?;
    Ok(format!(
        "Use this context: {}",
        field(&answer, "context", "none")
    ))
}

// ---------------------------------------------------------------------------------------
// Completions.

async fn complete(params: CompleteRequestParams) -> Completion {
    let candidates: &[&str] = match (&params.reference, params.argument.name.as_str()) {
        (CompletionReference::Prompt { name }, "arg1") if name == "test_prompt_with_arguments" => {
            &["paris", "park", "party", "test", "testing"]
        }
        (CompletionReference::Resource { uri }, "id") if uri == "test://template/{id}/data" => {
            &["1", "2", "123"]
        }
        _ => &[],
    };
    let values: Vec<String> = candidates
        .iter()
        .filter(|c| c.starts_with(&params.argument.value))
        .map(|c| (*c).to_owned())
        .collect();
    Completion {
        total: Some(values.len() as u64),
        has_more: Some(false),
        values,
    }
}
