//! Messages built with the typed API validate against the official schema of the revision they
//! are sent in.
//!
//! For each revision this builds a representative conversation (handshake or discovery, tools,
//! resources, prompts, completion, logging, progress, cancellation, sampling, elicitation where
//! the revision has it, and errors), using only what that revision defines, shapes every result
//! with [`ServerResult::adapt_to`], and checks each serialized message against the schema's
//! envelope definition and the definition of its method (see `tests/support/schema.rs`), and
//! each result against its own definition (e.g. `CallToolResult`).

#[path = "../../../tests/support/schema.rs"]
mod schema;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{json, Value};
use turret_types::meta::{
    CLIENT_CAPABILITIES_KEY, CLIENT_INFO_KEY, LOG_LEVEL_KEY, PROGRESS_TOKEN_KEY,
    PROTOCOL_VERSION_KEY, SERVER_INFO_KEY, SUBSCRIPTION_ID_KEY,
};
use turret_types::{
    Annotations, CacheScope, CallToolRequestParams, CallToolResult, CancelledNotificationParams,
    ClientCapabilities, ClientNotification, ClientRequest, ClientResult, CompleteRequestParams,
    CompleteResult, Completion, CompletionArgument, CompletionContext, CompletionReference,
    ContentBlock, CreateMessageRequestParams, CreateMessageResult, DiscoverResult, ElicitAction,
    ElicitRequestParams, ElicitResult, EmbeddedResource, EmptyParams, ErrorCode, ErrorObject,
    GetPromptRequestParams, GetPromptResult, Icon, Implementation, InitializeRequestParams,
    InitializeResult, InputRequest, InputRequiredResult, JsonObject, JsonRpcError, JsonRpcMessage,
    JsonRpcNotification, JsonRpcRequest, JsonRpcResponse, ListChangedCapability, ListPromptsResult,
    ListResourceTemplatesResult, ListResourcesResult, ListRootsResult, ListToolsResult,
    LoggingLevel, LoggingMessageNotificationParams, MediaContent, Meta, PaginatedRequestParams,
    ProgressNotificationParams, Prompt, PromptArgument, PromptMessage, ProtocolVersion,
    ReadResourceRequestParams, ReadResourceResult, RequestId, Resource, ResourceContents,
    ResourceTemplate, ResourceUriParams, ResourcesCapability, Role, Root, SamplingContent,
    SamplingMessage, ServerCapabilities, ServerNotification, ServerRequest, ServerResult,
    SetLevelRequestParams, SubscriptionFilter, SubscriptionsListenParams, TextContent, Tool,
    ToolAnnotations,
};

use ProtocolVersion::{V2024_11_05, V2025_03_26, V2025_06_18, V2025_11_25, V2026_07_28};

/// The revision's features, so that no case uses one its revision lacks.
struct Features {
    version: ProtocolVersion,
}

impl Features {
    /// Audio content, tool annotations, progress messages, the `completions` capability.
    fn audio(&self) -> bool {
        self.version >= V2025_03_26
    }
    /// Titles, resource links, structured tool output, elicitation, completion context,
    /// `lastModified`.
    fn titles(&self) -> bool {
        self.version >= V2025_06_18
    }
    /// Icons, URL elicitation, sampling with tools and multi-block sampling content.
    fn icons(&self) -> bool {
        self.version >= V2025_11_25
    }
    /// `initialize` and the other session-bound methods.
    fn handshake(&self) -> bool {
        !self.version.is_sessionless()
    }
}

/// One message to validate, plus definitions that parts of it must satisfy.
struct Case {
    label: String,
    message: Value,
    parts: Vec<(&'static str, Value)>,
}

struct Conversation {
    version: ProtocolVersion,
    next_id: i64,
    cases: Vec<Case>,
}

fn obj(v: Value) -> JsonObject {
    match v {
        Value::Object(o) => o,
        other => panic!("not an object: {other}"),
    }
}

fn to_value<T: serde::Serialize>(t: &T) -> Value {
    serde_json::to_value(t).expect("serializes")
}

impl Conversation {
    fn new(version: ProtocolVersion) -> Self {
        Self {
            version,
            next_id: 0,
            cases: Vec::new(),
        }
    }

    fn id(&mut self) -> RequestId {
        self.next_id += 1;
        // Alternate integer and string ids: both are valid request ids.
        if self.next_id % 2 == 0 {
            RequestId::from(format!("req-{}", self.next_id))
        } else {
            RequestId::from(self.next_id)
        }
    }

    fn push(&mut self, label: &str, message: JsonRpcMessage, parts: Vec<(&'static str, Value)>) {
        // Serialize as it would go on the wire, then read back as a plain value.
        let message: Value = serde_json::from_slice(&message.to_vec()).expect("valid JSON");
        self.cases.push(Case {
            label: label.to_owned(),
            message,
            parts,
        });
    }

    /// The `_meta` a 2026-07-28 request must carry; nothing for earlier revisions.
    fn request_meta(&self) -> Option<Meta> {
        if !self.version.is_sessionless() {
            return None;
        }
        let mut meta = Meta::new();
        meta.insert(PROTOCOL_VERSION_KEY, self.version.as_str());
        meta.insert(
            CLIENT_CAPABILITIES_KEY,
            to_value(&client_capabilities(self.version)),
        );
        meta.insert(
            CLIENT_INFO_KEY,
            to_value(&Implementation::new("test-client", "1.0.0")),
        );
        meta.insert(LOG_LEVEL_KEY, "info");
        Some(meta)
    }

    fn client_request(&mut self, label: &str, mut request: ClientRequest, def: &'static str) {
        if let (Some(meta), Some(slot)) = (self.request_meta(), request.meta_mut()) {
            // Keep what the case set (a progress token) and add the required keys.
            let existing = slot.get_or_insert_with(Meta::new);
            for (k, v) in meta.0 {
                existing.0.entry(k).or_insert(v);
            }
        }
        self.request(label, request.method(), request.params_value(), def);
    }

    fn server_request(&mut self, label: &str, request: ServerRequest, def: &'static str) {
        assert!(
            !self.version.is_sessionless(),
            "2026-07-28 sends server requests as input requests"
        );
        self.request(label, request.method(), request.params_value(), def);
    }

    /// A request with a fresh id; the whole message must satisfy `def`.
    fn request(&mut self, label: &str, method: &str, params: Option<Value>, def: &'static str) {
        let message = JsonRpcMessage::Request(JsonRpcRequest {
            id: self.id(),
            method: method.to_owned(),
            params,
        });
        let whole = to_value(&message);
        self.push(label, message, vec![(def, whole)]);
    }

    fn server_notification(&mut self, label: &str, n: ServerNotification, def: &'static str) {
        self.notification(label, n.method(), n.params_value(), def);
    }

    fn client_notification(&mut self, label: &str, n: ClientNotification, def: &'static str) {
        self.notification(label, n.method(), n.params_value(), def);
    }

    /// A notification; the whole message must satisfy `def`.
    fn notification(
        &mut self,
        label: &str,
        method: &str,
        params: Option<Value>,
        def: &'static str,
    ) {
        let message = JsonRpcMessage::Notification(JsonRpcNotification {
            method: method.to_owned(),
            params,
        });
        let whole = to_value(&message);
        self.push(label, message, vec![(def, whole)]);
    }

    fn server_result(&mut self, label: &str, mut result: ServerResult, def: &'static str) {
        result.adapt_to(self.version);
        self.response(label, result.to_value(), def);
    }

    fn client_result(&mut self, label: &str, result: ClientResult, def: &'static str) {
        self.response(label, result.to_value(), def);
    }

    /// A response with a fresh id; its result must satisfy `def`.
    fn response(&mut self, label: &str, result: Value, def: &'static str) {
        let message = JsonRpcMessage::Response(JsonRpcResponse {
            id: self.id(),
            result: result.clone(),
        });
        self.push(label, message, vec![(def, result)]);
    }

    /// An error response; `object_def` names the definition of its error object and
    /// `message_def` that of the whole response, where the revision has one.
    fn error(
        &mut self,
        label: &str,
        error: ErrorObject,
        object_def: Option<&'static str>,
        message_def: Option<&'static str>,
    ) {
        let mut parts = Vec::new();
        if let Some(def) = object_def {
            parts.push((def, to_value(&error)));
        }
        let message = JsonRpcMessage::Error(JsonRpcError {
            id: Some(self.id()),
            error,
        });
        if let Some(def) = message_def {
            parts.push((def, to_value(&message)));
        }
        self.push(label, message, parts);
    }
}

fn client_capabilities(version: ProtocolVersion) -> ClientCapabilities {
    let f = Features { version };
    ClientCapabilities {
        roots: f.handshake().then(|| ListChangedCapability {
            list_changed: Some(true),
            ..Default::default()
        }),
        sampling: Some(JsonObject::new()),
        elicitation: f.titles().then(JsonObject::new),
        ..Default::default()
    }
}

fn server_capabilities(f: &Features) -> ServerCapabilities {
    ServerCapabilities {
        logging: Some(JsonObject::new()),
        completions: f.audio().then(JsonObject::new),
        prompts: Some(ListChangedCapability {
            list_changed: Some(true),
            ..Default::default()
        }),
        resources: Some(ResourcesCapability {
            // `resources/subscribe` is gone in 2026-07-28 (`subscriptions/listen` replaces it).
            subscribe: f.handshake().then_some(true),
            list_changed: Some(true),
            ..Default::default()
        }),
        tools: Some(ListChangedCapability {
            list_changed: Some(true),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn icons(f: &Features) -> Option<Vec<Icon>> {
    f.icons().then(|| {
        vec![Icon {
            src: "https://example.com/icon.png".into(),
            mime_type: Some("image/png".into()),
            sizes: Some(vec!["48x48".into()]),
            ..Default::default()
        }]
    })
}

fn annotations(f: &Features) -> Annotations {
    Annotations {
        audience: Some(vec![Role::User, Role::Assistant]),
        priority: Some(1.0),
        last_modified: f.titles().then(|| "2025-05-03T14:30:00Z".to_owned()),
        ..Default::default()
    }
}

fn weather_tool(f: &Features) -> Tool {
    Tool {
        name: "get_weather".into(),
        title: f.titles().then(|| "Weather".to_owned()),
        description: Some("Current weather for a city".into()),
        input_schema: Arc::new(obj(json!({
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"]
        }))),
        output_schema: f.titles().then(|| {
            Arc::new(obj(json!({
                "type": "object",
                "properties": {"celsius": {"type": "number"}},
                "required": ["celsius"]
            })))
        }),
        annotations: f.audio().then(|| ToolAnnotations {
            title: Some("Weather".into()),
            read_only_hint: Some(true),
            open_world_hint: Some(true),
            ..Default::default()
        }),
        icons: icons(f),
        ..Default::default()
    }
}

fn text_resource() -> ResourceContents {
    ResourceContents::text(
        "file:///project/README.md",
        Some("text/markdown".into()),
        "# Readme",
    )
}

fn blob_resource() -> ResourceContents {
    ResourceContents::blob(
        "file:///project/logo.png",
        Some("image/png".into()),
        "iVBORw0KGgo=",
    )
}

fn call_tool_content(f: &Features) -> Vec<ContentBlock> {
    let mut content = vec![
        ContentBlock::Text(TextContent {
            text: "18°C, partly cloudy".into(),
            annotations: Some(annotations(f)),
            ..Default::default()
        }),
        ContentBlock::Image(MediaContent {
            data: "iVBORw0KGgo=".into(),
            mime_type: "image/png".into(),
            annotations: Some(Annotations {
                priority: Some(0.5),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ContentBlock::Resource(EmbeddedResource {
            resource: text_resource(),
            annotations: Some(annotations(f)),
            meta: None,
            extra: JsonObject::new(),
        }),
        ContentBlock::resource(blob_resource()),
    ];
    if f.audio() {
        content.push(ContentBlock::audio("UklGRiQAAABXQVZF", "audio/wav"));
    }
    if f.titles() {
        content.push(ContentBlock::ResourceLink(Resource {
            uri: "file:///project/src/main.rs".into(),
            name: "main.rs".into(),
            title: Some("Main".into()),
            mime_type: Some("text/x-rust".into()),
            ..Default::default()
        }));
    }
    content
}

fn sampling_request(f: &Features) -> CreateMessageRequestParams {
    let mut params = CreateMessageRequestParams::new(
        vec![
            SamplingMessage::user_text("What is the capital of France?"),
            SamplingMessage {
                role: Role::Assistant,
                content: SamplingContent::One(ContentBlock::image("iVBORw0KGgo=", "image/png")),
                meta: None,
            },
        ],
        100,
    );
    params.system_prompt = Some("You are a helpful assistant.".into());
    params.include_context = Some("thisServer".into());
    params.temperature = Some(0.7);
    params.stop_sequences = Some(vec!["\n\n".into()]);
    params.model_preferences = Some(obj(json!({
        "hints": [{"name": "claude-3-sonnet"}],
        "intelligencePriority": 0.8,
        "speedPriority": 0.5
    })));
    if f.icons() {
        params.messages.push(SamplingMessage {
            role: Role::User,
            content: SamplingContent::Many(vec![
                ContentBlock::text("Also the weather there?"),
                ContentBlock::text("Use the tool."),
            ]),
            meta: None,
        });
        params.extra.insert(
            "tools".into(),
            json!([{"name": "get_weather", "inputSchema": {"type": "object"}}]),
        );
        params
            .extra
            .insert("toolChoice".into(), json!({"mode": "auto"}));
    }
    params
}

fn sampling_result() -> CreateMessageResult {
    CreateMessageResult {
        role: Role::Assistant,
        content: SamplingContent::One(ContentBlock::text("Paris.")),
        model: "claude-3-sonnet-20240307".into(),
        stop_reason: Some("endTurn".into()),
        meta: None,
        extra: JsonObject::new(),
    }
}

fn elicit_form() -> ElicitRequestParams {
    ElicitRequestParams {
        message: "Your GitHub username?".into(),
        requested_schema: Some(obj(json!({
            "type": "object",
            "properties": {
                "name": {"type": "string", "title": "Username", "minLength": 1},
                "age": {"type": "integer", "minimum": 0},
                "subscribe": {"type": "boolean", "default": false},
                "color": {"type": "string", "enum": ["red", "green"]}
            },
            "required": ["name"]
        }))),
        ..Default::default()
    }
}

fn elicit_accept() -> ElicitResult {
    ElicitResult {
        action: ElicitAction::Accept,
        content: Some(obj(
            json!({"name": "octocat", "age": 30, "subscribe": true}),
        )),
        meta: None,
        extra: JsonObject::new(),
    }
}

/// The accepted answer to a URL elicitation: no content.
fn elicit_url_accept() -> ElicitResult {
    ElicitResult {
        action: ElicitAction::Accept,
        content: None,
        meta: None,
        extra: JsonObject::new(),
    }
}

/// A URL elicitation (`mode: "url"`), sign-in style.
fn elicit_url() -> ElicitRequestParams {
    ElicitRequestParams {
        mode: Some("url".into()),
        message: "Sign in to continue.".into(),
        url: Some("https://example.com/sign-in".into()),
        ..Default::default()
    }
}

fn roots_result() -> ListRootsResult {
    ListRootsResult {
        roots: vec![Root {
            uri: "file:///home/user/project".into(),
            name: Some("Project".into()),
            meta: None,
        }],
        ..Default::default()
    }
}

/// The `_meta` of a message sent on the `subscriptions/listen` stream `listen-1`.
fn listen_meta() -> Meta {
    let mut meta = Meta::new();
    meta.insert(SUBSCRIPTION_ID_KEY, "listen-1");
    meta
}

fn progress_meta() -> Option<Meta> {
    let mut meta = Meta::new();
    meta.insert(PROGRESS_TOKEN_KEY, "call-1");
    Some(meta)
}

fn build(version: ProtocolVersion) -> Vec<Case> {
    let f = Features { version };
    let mut c = Conversation::new(version);

    // Handshake or discovery.
    if f.handshake() {
        let client_info = Implementation {
            title: f.titles().then(|| "Test Client".to_owned()),
            ..Implementation::new("test-client", "1.0.0")
        };
        c.client_request(
            "initialize",
            ClientRequest::Initialize(InitializeRequestParams {
                protocol_version: version.as_str().into(),
                capabilities: client_capabilities(version),
                client_info,
                ..Default::default()
            }),
            "InitializeRequest",
        );
        c.server_result(
            "initialize result",
            ServerResult::Initialize(InitializeResult {
                protocol_version: version.as_str().into(),
                capabilities: server_capabilities(&f),
                server_info: Implementation::new("test-server", "0.1.0"),
                instructions: Some("Use get_weather for forecasts.".into()),
                ..Default::default()
            }),
            "InitializeResult",
        );
        c.client_notification(
            "initialized",
            ClientNotification::Initialized(EmptyParams::default()),
            "InitializedNotification",
        );
        c.client_request(
            "ping",
            ClientRequest::Ping(EmptyParams::default()),
            "PingRequest",
        );
        c.server_result(
            "ping result",
            ServerResult::Empty(EmptyParams::default()),
            "EmptyResult",
        );
    } else {
        c.client_request(
            "server/discover",
            ClientRequest::Discover(EmptyParams::default()),
            "DiscoverRequest",
        );
        let mut meta = Meta::new();
        meta.insert(
            SERVER_INFO_KEY,
            to_value(&Implementation::new("test-server", "0.1.0")),
        );
        c.server_result(
            "server/discover result",
            ServerResult::Discover(DiscoverResult {
                supported_versions: vec![version.as_str().into(), "2025-11-25".into()],
                capabilities: server_capabilities(&f),
                instructions: Some("Use get_weather for forecasts.".into()),
                ttl_ms: Some(60_000),
                cache_scope: Some(CacheScope::Public),
                meta: Some(meta),
                ..Default::default()
            }),
            "DiscoverResult",
        );
    }

    // Tools.
    c.client_request(
        "tools/list",
        ClientRequest::ListTools(PaginatedRequestParams {
            cursor: Some("page-2".into()),
            ..Default::default()
        }),
        "ListToolsRequest",
    );
    c.server_result(
        "tools/list result",
        ServerResult::ListTools(ListToolsResult {
            tools: vec![weather_tool(&f)],
            next_cursor: Some("page-3".into()),
            ..Default::default()
        }),
        "ListToolsResult",
    );
    c.client_request(
        "tools/call",
        ClientRequest::CallTool(CallToolRequestParams {
            name: "get_weather".into(),
            arguments: Some(obj(json!({"city": "Paris"}))),
            meta: progress_meta(),
            ..Default::default()
        }),
        "CallToolRequest",
    );
    c.server_result(
        "tools/call result",
        ServerResult::CallTool(CallToolResult {
            content: call_tool_content(&f),
            structured_content: f.titles().then(|| json!({"celsius": 18})),
            is_error: Some(false),
            ..Default::default()
        }),
        "CallToolResult",
    );
    c.server_result(
        "tools/call error result",
        ServerResult::CallTool(CallToolResult::error("city not found")),
        "CallToolResult",
    );

    // Resources.
    c.client_request(
        "resources/list",
        ClientRequest::ListResources(PaginatedRequestParams::default()),
        "ListResourcesRequest",
    );
    c.server_result(
        "resources/list result",
        ServerResult::ListResources(ListResourcesResult {
            resources: vec![Resource {
                uri: "file:///project/README.md".into(),
                name: "README.md".into(),
                title: f.titles().then(|| "Readme".to_owned()),
                description: Some("Project documentation".into()),
                mime_type: Some("text/markdown".into()),
                size: Some(1024),
                annotations: Some(annotations(&f)),
                icons: icons(&f),
                ..Default::default()
            }],
            ..Default::default()
        }),
        "ListResourcesResult",
    );
    c.client_request(
        "resources/read",
        ClientRequest::ReadResource(ReadResourceRequestParams {
            uri: "file:///project/README.md".into(),
            ..Default::default()
        }),
        "ReadResourceRequest",
    );
    c.server_result(
        "resources/read result",
        ServerResult::ReadResource(ReadResourceResult {
            contents: vec![text_resource(), blob_resource()],
            ..Default::default()
        }),
        "ReadResourceResult",
    );
    c.client_request(
        "resources/templates/list",
        ClientRequest::ListResourceTemplates(PaginatedRequestParams::default()),
        "ListResourceTemplatesRequest",
    );
    c.server_result(
        "resources/templates/list result",
        ServerResult::ListResourceTemplates(ListResourceTemplatesResult {
            resource_templates: vec![ResourceTemplate {
                uri_template: "file:///project/{path}".into(),
                name: "project-files".into(),
                title: f.titles().then(|| "Project files".to_owned()),
                description: Some("Files in the project".into()),
                mime_type: Some("application/octet-stream".into()),
                annotations: Some(annotations(&f)),
                icons: icons(&f),
                ..Default::default()
            }],
            ..Default::default()
        }),
        "ListResourceTemplatesResult",
    );
    if f.handshake() {
        c.client_request(
            "resources/subscribe",
            ClientRequest::Subscribe(ResourceUriParams {
                uri: "file:///project/README.md".into(),
                ..Default::default()
            }),
            "SubscribeRequest",
        );
        c.server_result(
            "resources/subscribe result",
            ServerResult::Empty(EmptyParams::default()),
            "EmptyResult",
        );
    } else {
        c.client_request(
            "subscriptions/listen",
            ClientRequest::SubscriptionsListen(SubscriptionsListenParams {
                notifications: SubscriptionFilter {
                    tools_list_changed: Some(true),
                    resource_subscriptions: Some(vec!["file:///project/README.md".into()]),
                    ..Default::default()
                },
                ..Default::default()
            }),
            "SubscriptionsListenRequest",
        );
        c.server_notification(
            "notifications/subscriptions/acknowledged",
            ServerNotification::SubscriptionsAcknowledged(SubscriptionsListenParams {
                notifications: SubscriptionFilter {
                    tools_list_changed: Some(true),
                    ..Default::default()
                },
                meta: Some(listen_meta()),
                ..Default::default()
            }),
            "SubscriptionsAcknowledgedNotification",
        );
    }
    let listen_meta = (!f.handshake()).then(listen_meta);
    c.server_notification(
        "notifications/resources/updated",
        ServerNotification::ResourceUpdated(ResourceUriParams {
            uri: "file:///project/README.md".into(),
            meta: listen_meta.clone(),
            ..Default::default()
        }),
        "ResourceUpdatedNotification",
    );
    c.server_notification(
        "notifications/tools/list_changed",
        ServerNotification::ToolListChanged(EmptyParams {
            meta: listen_meta,
            ..Default::default()
        }),
        "ToolListChangedNotification",
    );

    // Prompts.
    c.client_request(
        "prompts/list",
        ClientRequest::ListPrompts(PaginatedRequestParams::default()),
        "ListPromptsRequest",
    );
    c.server_result(
        "prompts/list result",
        ServerResult::ListPrompts(ListPromptsResult {
            prompts: vec![Prompt {
                name: "code_review".into(),
                title: f.titles().then(|| "Code review".to_owned()),
                description: Some("Review code".into()),
                arguments: Some(vec![PromptArgument {
                    name: "code".into(),
                    title: f.titles().then(|| "Code".to_owned()),
                    description: Some("The code to review".into()),
                    required: Some(true),
                    ..Default::default()
                }]),
                icons: icons(&f),
                ..Default::default()
            }],
            ..Default::default()
        }),
        "ListPromptsResult",
    );
    c.client_request(
        "prompts/get",
        ClientRequest::GetPrompt(GetPromptRequestParams {
            name: "code_review".into(),
            arguments: Some(BTreeMap::from([(
                "code".to_owned(),
                "fn main() {}".to_owned(),
            )])),
            ..Default::default()
        }),
        "GetPromptRequest",
    );
    let mut prompt_messages = vec![
        PromptMessage::user("Please review this code:"),
        PromptMessage::user(ContentBlock::resource(text_resource())),
        PromptMessage::assistant(ContentBlock::image("iVBORw0KGgo=", "image/png")),
    ];
    if f.audio() {
        prompt_messages.push(PromptMessage::user(ContentBlock::audio(
            "UklGRiQAAABXQVZF",
            "audio/wav",
        )));
    }
    c.server_result(
        "prompts/get result",
        ServerResult::GetPrompt(GetPromptResult {
            description: Some("Code review".into()),
            messages: prompt_messages,
            ..Default::default()
        }),
        "GetPromptResult",
    );

    // Completion.
    c.client_request(
        "completion/complete (prompt)",
        ClientRequest::Complete(CompleteRequestParams {
            reference: CompletionReference::Prompt {
                name: "code_review".into(),
            },
            argument: CompletionArgument {
                name: "language".into(),
                value: "py".into(),
            },
            context: f.titles().then(|| CompletionContext {
                arguments: Some(BTreeMap::from([(
                    "framework".to_owned(),
                    "flask".to_owned(),
                )])),
            }),
            meta: None,
            extra: JsonObject::new(),
        }),
        "CompleteRequest",
    );
    c.client_request(
        "completion/complete (resource)",
        ClientRequest::Complete(CompleteRequestParams {
            reference: CompletionReference::Resource {
                uri: "file:///project/{path}".into(),
            },
            argument: CompletionArgument {
                name: "path".into(),
                value: "src/".into(),
            },
            context: None,
            meta: None,
            extra: JsonObject::new(),
        }),
        "CompleteRequest",
    );
    c.server_result(
        "completion/complete result",
        ServerResult::Complete(CompleteResult {
            completion: Completion {
                values: vec!["python".into(), "pytorch".into()],
                total: Some(10),
                has_more: Some(true),
            },
            ..Default::default()
        }),
        "CompleteResult",
    );

    // Logging, progress, cancellation.
    if f.handshake() {
        c.client_request(
            "logging/setLevel",
            ClientRequest::SetLevel(SetLevelRequestParams {
                level: LoggingLevel::Warning,
                meta: None,
                extra: JsonObject::new(),
            }),
            "SetLevelRequest",
        );
        c.server_result(
            "logging/setLevel result",
            ServerResult::Empty(EmptyParams::default()),
            "EmptyResult",
        );
    }
    for (level, data) in [
        (
            LoggingLevel::Error,
            json!({"error": "connection failed", "port": 5432}),
        ),
        (LoggingLevel::Info, json!("started")),
    ] {
        c.server_notification(
            "notifications/message",
            ServerNotification::LoggingMessage(LoggingMessageNotificationParams {
                level,
                logger: Some("database".into()),
                data,
                meta: None,
                extra: JsonObject::new(),
            }),
            "LoggingMessageNotification",
        );
    }
    c.server_notification(
        "notifications/progress",
        ServerNotification::Progress(ProgressNotificationParams {
            progress_token: RequestId::from("call-1"),
            progress: 50.0,
            total: Some(100.0),
            message: f.audio().then(|| "Halfway".to_owned()),
            meta: None,
            extra: JsonObject::new(),
        }),
        "ProgressNotification",
    );
    c.server_notification(
        "notifications/progress (fractional)",
        ServerNotification::Progress(ProgressNotificationParams {
            progress_token: RequestId::from(7),
            progress: 0.25,
            total: None,
            message: None,
            meta: None,
            extra: JsonObject::new(),
        }),
        "ProgressNotification",
    );
    c.client_notification(
        "notifications/cancelled",
        ClientNotification::Cancelled(CancelledNotificationParams {
            request_id: Some(RequestId::from(3)),
            reason: Some("user cancelled".into()),
            ..Default::default()
        }),
        "CancelledNotification",
    );

    // Requests to the client: JSON-RPC requests in the handshake era, input requests in an
    // `input_required` result (answered by retrying the call) in 2026-07-28.
    if f.handshake() {
        c.server_request(
            "sampling/createMessage",
            ServerRequest::CreateMessage(sampling_request(&f)),
            "CreateMessageRequest",
        );
        c.client_result(
            "sampling/createMessage result",
            ClientResult::CreateMessage(sampling_result()),
            "CreateMessageResult",
        );
        if f.icons() {
            let mut tool_use = sampling_result();
            tool_use.content = SamplingContent::Many(vec![ContentBlock::Other(obj(json!({
                "type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}
            })))]);
            tool_use.stop_reason = Some("toolUse".into());
            c.client_result(
                "sampling/createMessage tool-use result",
                ClientResult::CreateMessage(tool_use),
                "CreateMessageResult",
            );
        }
        c.server_request(
            "roots/list",
            ServerRequest::ListRoots(EmptyParams::default()),
            "ListRootsRequest",
        );
        c.client_result(
            "roots/list result",
            ClientResult::ListRoots(roots_result()),
            "ListRootsResult",
        );
        c.client_notification(
            "notifications/roots/list_changed",
            ClientNotification::RootsListChanged(EmptyParams::default()),
            "RootsListChangedNotification",
        );
        if f.titles() {
            let mut form = elicit_form();
            if f.icons() {
                form.mode = Some("form".into());
            }
            c.server_request(
                "elicitation/create (form)",
                ServerRequest::Elicit(form),
                "ElicitRequest",
            );
            c.client_result(
                "elicitation/create result",
                ClientResult::Elicit(elicit_accept()),
                "ElicitResult",
            );
        }
        if f.icons() {
            let mut url = elicit_url();
            url.extra.insert("elicitationId".into(), json!("elicit-1"));
            c.server_request(
                "elicitation/create (url)",
                ServerRequest::Elicit(url),
                "ElicitRequest",
            );
            c.client_result(
                "elicitation/create url result",
                ClientResult::Elicit(elicit_url_accept()),
                "ElicitResult",
            );
        }
    } else {
        let mut form = elicit_form();
        form.mode = Some("form".into());
        let url = elicit_url();
        let requests = BTreeMap::from([
            (
                "username".to_owned(),
                InputRequest::from(ServerRequest::Elicit(form)),
            ),
            (
                "sign_in".to_owned(),
                InputRequest::from(ServerRequest::Elicit(url)),
            ),
            (
                "capital".to_owned(),
                InputRequest::from(ServerRequest::CreateMessage(sampling_request(&f))),
            ),
            (
                "roots".to_owned(),
                InputRequest::from(ServerRequest::ListRoots(EmptyParams::default())),
            ),
        ]);
        let mut parts: Vec<(&'static str, Value)> = Vec::new();
        for (key, def) in [
            ("username", "ElicitRequest"),
            ("sign_in", "ElicitRequest"),
            ("capital", "CreateMessageRequest"),
            ("roots", "ListRootsRequest"),
        ] {
            parts.push((def, to_value(&requests[key])));
            parts.push(("InputRequest", to_value(&requests[key])));
        }
        let mut result = ServerResult::InputRequired(InputRequiredResult {
            input_requests: Some(requests),
            request_state: Some("opaque-state".into()),
            ..Default::default()
        });
        result.adapt_to(version);
        let result = result.to_value();
        parts.push(("InputRequiredResult", result.clone()));
        let id = c.id();
        c.push(
            "tools/call input_required result",
            JsonRpcMessage::Response(JsonRpcResponse { id, result }),
            parts,
        );

        let responses = BTreeMap::from([
            (
                "username".to_owned(),
                ClientResult::Elicit(elicit_accept()).to_value(),
            ),
            (
                "sign_in".to_owned(),
                ClientResult::Elicit(elicit_url_accept()).to_value(),
            ),
            (
                "capital".to_owned(),
                ClientResult::CreateMessage(sampling_result()).to_value(),
            ),
            (
                "roots".to_owned(),
                ClientResult::ListRoots(roots_result()).to_value(),
            ),
        ]);
        let response_parts: Vec<(&'static str, Value)> = vec![
            ("ElicitResult", responses["username"].clone()),
            ("ElicitResult", responses["sign_in"].clone()),
            ("CreateMessageResult", responses["capital"].clone()),
            ("ListRootsResult", responses["roots"].clone()),
            ("InputResponses", to_value(&responses)),
        ];
        c.client_request(
            "tools/call retry with inputResponses",
            ClientRequest::CallTool(CallToolRequestParams {
                name: "get_weather".into(),
                arguments: Some(obj(json!({"city": "Paris"}))),
                input_responses: Some(responses),
                request_state: Some("opaque-state".into()),
                ..Default::default()
            }),
            "CallToolRequest",
        );
        c.cases
            .last_mut()
            .expect("just pushed")
            .parts
            .extend(response_parts);
    }

    // Errors.
    // 2026-07-28 names the standard errors; earlier revisions only have the envelope.
    let named = |def: &'static str| (!f.handshake()).then_some(def);
    c.error(
        "method not found",
        ErrorObject::new(ErrorCode::METHOD_NOT_FOUND, "Method not found"),
        named("MethodNotFoundError"),
        None,
    );
    c.error(
        "invalid params with data",
        ErrorObject::new(ErrorCode::INVALID_PARAMS, "Unknown tool: nope")
            .with_data(json!({"tool": "nope"})),
        named("InvalidParamsError"),
        None,
    );
    c.error(
        "internal error",
        ErrorObject::new(ErrorCode::INTERNAL_ERROR, "Internal error"),
        named("InternalError"),
        None,
    );
    if !f.handshake() {
        c.error(
            "unsupported protocol version",
            ErrorObject::new(
                ErrorCode::UNSUPPORTED_PROTOCOL_VERSION,
                "Unsupported protocol version",
            )
            .with_data(json!({"supported": [version.as_str()], "requested": "1900-01-01"})),
            None,
            Some("UnsupportedProtocolVersionError"),
        );
        c.error(
            "missing client capability",
            ErrorObject::new(
                ErrorCode::MISSING_REQUIRED_CLIENT_CAPABILITY,
                "This tool needs elicitation",
            )
            .with_data(json!({"requiredCapabilities": {"elicitation": {}}})),
            None,
            Some("MissingRequiredClientCapabilityError"),
        );
    }
    c.cases
}

fn check(version: ProtocolVersion) {
    let v = version.as_str();
    let cases = build(version);
    let mut failures = Vec::new();
    let mut parts = 0;
    for case in &cases {
        if let Err(e) = schema::validate_message(v, &case.message) {
            failures.push(format!("[{}] message: {e}", case.label));
        }
        for (def, value) in &case.parts {
            parts += 1;
            let checked = if def.ends_with("Result") {
                schema::validate_result(v, def, value)
            } else {
                schema::validate_definition(v, def, value)
            };
            if let Err(e) = checked {
                failures.push(format!("[{}] {def}: {e}", case.label));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "MCP {v}: {} failure(s):\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    println!(
        "MCP {v}: {} messages validated, {parts} definition checks",
        cases.len()
    );
}

#[test]
fn messages_validate_against_2024_11_05() {
    check(V2024_11_05);
}

#[test]
fn messages_validate_against_2025_03_26() {
    check(V2025_03_26);
}

#[test]
fn messages_validate_against_2025_06_18() {
    check(V2025_06_18);
}

#[test]
fn messages_validate_against_2025_11_25() {
    check(V2025_11_25);
}

#[test]
fn messages_validate_against_2026_07_28() {
    check(V2026_07_28);
}

#[test]
fn every_revision_is_covered() {
    assert_eq!(
        ProtocolVersion::ALL.len(),
        5,
        "add a test for the new revision"
    );
}

/// JSON-RPC 2.0 answers a request whose id could not be read with `"id": null`, which no MCP
/// schema accepts; from 2025-11-25 the id may be left out, and turret-types leaves it out.
#[test]
fn errors_without_a_readable_id_omit_it_as_the_newer_schemas_allow() {
    let message = JsonRpcMessage::Error(JsonRpcError {
        id: None,
        error: ErrorObject::new(ErrorCode::PARSE_ERROR, "Parse error"),
    });
    let message = to_value(&message);
    assert!(message.get("id").is_none());
    for version in ["2025-11-25", "2026-07-28"] {
        schema::validate_message(version, &message).unwrap();
    }
}

#[test]
fn the_checker_rejects_what_the_schema_rejects() {
    // A tools/call without its required `name`, and a 2026-07-28 request without `_meta`.
    let bad = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {}});
    for version in ProtocolVersion::ALL {
        let err = schema::validate_message(version.as_str(), &bad).unwrap_err();
        assert!(err.contains("CallToolRequest"), "{err}");
    }
    // A 2026-07-28 result without `resultType`.
    let err = schema::validate_result("2026-07-28", "CallToolResult", &json!({"content": []}));
    assert!(err.unwrap_err().contains("resultType"));
    assert!(
        schema::validate_result("2025-06-18", "CallToolResult", &json!({"content": []})).is_ok()
    );
    assert!(schema::validate_message("2025-06-18", &json!({"jsonrpc": "2.0"})).is_err());
    assert!(
        schema::validate_message("1999-01-01", &json!({"jsonrpc": "2.0", "method": "x"})).is_err()
    );
}
