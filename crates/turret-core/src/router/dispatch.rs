//! What the router answers, method by method.

use serde_json::Value;
use turret_types::meta::{SERVER_INFO_KEY, SUBSCRIPTION_ID_KEY};
use turret_types::{
    ClientRequest, CompleteResult, DiscoverResult, EmptyResult, InitializeResult,
    ListChangedCapability, ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult,
    ListToolsResult, Meta, ProtocolVersion, ResourcesCapability, ServerCapabilities,
    ServerNotification, ServerResult, SubscriptionsListenParams,
};

use super::endpoint::TemplateVariables;
use super::{paginate, Registry, ResourceUri, Router};
use crate::error::McpError;
use crate::param_headers::{self, ParamHeaders};
use crate::request::{Request, RequestContext};

fn list_changed() -> Option<ListChangedCapability> {
    Some(ListChangedCapability {
        list_changed: Some(true),
        extra: Default::default(),
    })
}

impl<S> Registry<S> {
    fn capabilities(&self) -> ServerCapabilities {
        ServerCapabilities {
            logging: Some(Default::default()),
            completions: self.completer.as_ref().map(|_| Default::default()),
            prompts: list_changed(),
            resources: Some(ResourcesCapability {
                subscribe: Some(true),
                list_changed: Some(true),
                extra: Default::default(),
            }),
            tools: list_changed(),
            ..ServerCapabilities::default()
        }
    }
}

impl<S: Clone + Send + Sync + 'static> Router<S> {
    pub(crate) async fn dispatch(&self, mut req: Request) -> Result<ServerResult, McpError> {
        let registry = self.registry();
        let ctx = req.context();
        let version = ctx.version();
        let param_headers = req.extensions().get::<ParamHeaders>().cloned();
        let mut result = match req.message_mut() {
            ClientRequest::Initialize(_) => {
                self.shared.notifier.add_session(ctx.session_peer());
                ServerResult::Initialize(InitializeResult {
                    protocol_version: version.as_str().to_owned(),
                    capabilities: registry.capabilities(),
                    server_info: registry.info.clone(),
                    instructions: registry.instructions.clone(),
                    ..InitializeResult::default()
                })
            }
            ClientRequest::Discover(_) => ServerResult::Discover(DiscoverResult {
                supported_versions: ProtocolVersion::ALL
                    .iter()
                    .map(|v| v.as_str().to_owned())
                    .collect(),
                capabilities: registry.capabilities(),
                instructions: registry.instructions.clone(),
                ..DiscoverResult::default()
            }),
            ClientRequest::Ping(_) => ServerResult::Empty(EmptyResult::default()),
            ClientRequest::ListTools(p) => {
                let defs: Vec<_> = registry.tools.entries.iter().map(|e| &e.def).collect();
                let (page, next_cursor) =
                    paginate::page(&defs, p.cursor.as_deref(), registry.page_size)?;
                ServerResult::ListTools(ListToolsResult {
                    tools: page.into_iter().cloned().collect(),
                    next_cursor,
                    ..ListToolsResult::default()
                })
            }
            ClientRequest::ListResources(p) => {
                let defs: Vec<_> = registry.resources.entries.iter().map(|e| &e.def).collect();
                let (page, next_cursor) =
                    paginate::page(&defs, p.cursor.as_deref(), registry.page_size)?;
                ServerResult::ListResources(ListResourcesResult {
                    resources: page.into_iter().cloned().collect(),
                    next_cursor,
                    ..ListResourcesResult::default()
                })
            }
            ClientRequest::ListResourceTemplates(p) => {
                let defs: Vec<_> = registry.templates.iter().map(|(_, e)| &e.def).collect();
                let (page, next_cursor) =
                    paginate::page(&defs, p.cursor.as_deref(), registry.page_size)?;
                ServerResult::ListResourceTemplates(ListResourceTemplatesResult {
                    resource_templates: page.into_iter().cloned().collect(),
                    next_cursor,
                    ..ListResourceTemplatesResult::default()
                })
            }
            ClientRequest::ListPrompts(p) => {
                let defs: Vec<_> = registry.prompts.entries.iter().map(|e| &e.def).collect();
                let (page, next_cursor) =
                    paginate::page(&defs, p.cursor.as_deref(), registry.page_size)?;
                ServerResult::ListPrompts(ListPromptsResult {
                    prompts: page.into_iter().cloned().collect(),
                    next_cursor,
                    ..ListPromptsResult::default()
                })
            }
            ClientRequest::CallTool(p) => {
                let entry = registry
                    .tools
                    .get(&p.name)
                    .ok_or_else(|| McpError::invalid_params(format!("unknown tool: {}", p.name)))?;
                if let Some(headers) = &param_headers {
                    param_headers::check(&entry.def.input_schema, p.arguments.as_ref(), headers)?;
                }
                let endpoint = entry.endpoint.clone();
                endpoint
                    .call(req, &self.shared.state)
                    .await
                    .map_err(McpError::from_box_error)?
            }
            ClientRequest::ReadResource(p) => {
                let uri = p.uri.clone();
                let endpoint = if let Some(entry) = registry.resources.get(&uri) {
                    entry.endpoint.clone()
                } else {
                    let (entry, vars) = registry
                        .templates
                        .iter()
                        .filter(|(t, _)| uri.starts_with(t.literal_prefix()))
                        .find_map(|(t, e)| t.match_uri(&uri).map(|vars| (e, vars)))
                        .ok_or_else(|| McpError::resource_not_found(&uri, version))?;
                    let vars = vars
                        .into_iter()
                        .map(|(k, v)| (k, Value::String(v)))
                        .collect();
                    req.extensions_mut().insert(TemplateVariables(vars));
                    entry.endpoint.clone()
                };
                req.extensions_mut().insert(ResourceUri(uri));
                endpoint
                    .call(req, &self.shared.state)
                    .await
                    .map_err(McpError::from_box_error)?
            }
            ClientRequest::GetPrompt(p) => {
                let entry = registry.prompts.get(&p.name).ok_or_else(|| {
                    McpError::invalid_params(format!("unknown prompt: {}", p.name))
                })?;
                let given = p.arguments.as_ref();
                if let Some(missing) = entry.def.arguments.iter().flatten().find(|a| {
                    a.required == Some(true) && !given.is_some_and(|g| g.contains_key(&a.name))
                }) {
                    return Err(McpError::invalid_params(format!(
                        "prompt {} needs the argument {}",
                        p.name, missing.name
                    )));
                }
                let endpoint = entry.endpoint.clone();
                endpoint
                    .call(req, &self.shared.state)
                    .await
                    .map_err(McpError::from_box_error)?
            }
            ClientRequest::Complete(p) => {
                let completion = match &registry.completer {
                    Some(c) => c(p.clone()).await,
                    None => Default::default(),
                };
                ServerResult::Complete(CompleteResult {
                    completion,
                    ..CompleteResult::default()
                })
            }
            ClientRequest::SetLevel(p) => {
                ctx.set_session_log_level(p.level);
                ServerResult::Empty(EmptyResult::default())
            }
            ClientRequest::Subscribe(p) => {
                self.shared
                    .notifier
                    .set_resource_subscription(ctx.session_peer(), &p.uri, true);
                ServerResult::Empty(EmptyResult::default())
            }
            ClientRequest::Unsubscribe(p) => {
                self.shared
                    .notifier
                    .set_resource_subscription(ctx.session_peer(), &p.uri, false);
                ServerResult::Empty(EmptyResult::default())
            }
            ClientRequest::SubscriptionsListen(p) => self.listen(&ctx, p.clone()).await,
            other => return Err(McpError::method_not_found(other.method())),
        };
        if version.is_sessionless() {
            let meta = result.meta_mut().map(|m| m.get_or_insert_with(Meta::new));
            if let Some(meta) = meta {
                meta.insert(
                    SERVER_INFO_KEY,
                    serde_json::to_value(&registry.info).unwrap_or_default(),
                );
            }
        }
        Ok(result)
    }

    /// `subscriptions/listen`: acknowledge, stream the chosen notifications until the client
    /// cancels (or leaves), then answer.
    async fn listen(&self, ctx: &RequestContext, p: SubscriptionsListenParams) -> ServerResult {
        let id = ctx
            .id()
            .and_then(|id| serde_json::to_value(id).ok())
            .unwrap_or(Value::Null);
        let guard = self
            .shared
            .notifier
            .listen(ctx.peer(), id.clone(), p.notifications.clone());
        let mut ack = SubscriptionsListenParams {
            notifications: p.notifications,
            ..Default::default()
        };
        ack.meta = super::notify::tagged(Some(id.clone())).meta;
        ctx.peer()
            .notify(ServerNotification::SubscriptionsAcknowledged(ack))
            .await;
        ctx.cancellation().cancelled().await;
        drop(guard);
        let mut meta = Meta::new();
        meta.insert(SUBSCRIPTION_ID_KEY, id);
        ServerResult::Empty(EmptyResult {
            meta: Some(meta),
            ..EmptyResult::default()
        })
    }
}
