//! What the router answers, method by method.

use serde_json::Value;
use turret_types::meta::SERVER_INFO_KEY;
use turret_types::{
    ClientRequest, CompleteResult, DiscoverResult, EmptyResult, InitializeResult,
    ListChangedCapability, Meta, ProtocolVersion, ResourcesCapability, ServerCapabilities,
    ServerResult,
};

use super::endpoint::TemplateVariables;
use super::lifespan::LifespanSignal;
use super::{lists, tasks, Registry, ResourceUri, Router};
use crate::error::McpError;
use crate::param_headers::{self, ParamHeaders};
use crate::request::Request;

fn list_changed() -> Option<ListChangedCapability> {
    Some(ListChangedCapability {
        list_changed: Some(true),
        extra: Default::default(),
    })
}

impl<S> Registry<S> {
    /// Whether this router itself answers `uri` (a fixed resource or one of its templates).
    fn owns_uri(&self, uri: &str) -> bool {
        self.resources.get(uri).is_some()
            || self
                .templates
                .iter()
                .any(|(t, _)| uri.starts_with(t.literal_prefix()) && t.match_uri(uri).is_some())
    }

    fn capabilities(&self) -> ServerCapabilities {
        let mut caps = ServerCapabilities {
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
        };
        for child in self
            .mounts
            .points
            .iter()
            .filter_map(|p| p.capabilities.get())
        {
            tasks::merge_capabilities(&mut caps, child);
        }
        caps
    }
}

impl<S: Clone + Send + Sync + 'static> Router<S> {
    pub(crate) async fn dispatch(&self, mut req: Request) -> Result<ServerResult, McpError> {
        if let Some(signal) = req.extensions().get::<LifespanSignal>().copied() {
            match signal {
                LifespanSignal::Start => self.startup().await?,
                LifespanSignal::Stop => self.shutdown().await,
            }
            return Ok(ServerResult::Empty(EmptyResult::default()));
        }
        if !self.shared.lifespan.is_started() {
            // Implicit start-up: this router's hooks; children start as they are first used.
            self.shared.lifespan.start(&[]).await?;
        }
        let registry = self.registry();
        let ctx = req.context();
        let version = ctx.version();
        let param_headers = req.extensions().get::<ParamHeaders>().cloned();
        let points = &registry.mounts.points[..];
        let mounted = !points.is_empty();
        let subscribe = matches!(req.message(), ClientRequest::Subscribe(_));
        if mounted
            && matches!(
                req.message(),
                ClientRequest::Initialize(_)
                    | ClientRequest::Discover(_)
                    | ClientRequest::SubscriptionsListen(_)
            )
        {
            // Children must know where to send change notifications before any arrive.
            self.link_mounts(points).await;
        }
        // Only lists send requests of their own to children; calls forward this one.
        let lists = matches!(
            req.message(),
            ClientRequest::ListTools(_)
                | ClientRequest::ListResources(_)
                | ClientRequest::ListResourceTemplates(_)
                | ClientRequest::ListPrompts(_)
        );
        let child_ext = if mounted && lists {
            req.extensions().clone()
        } else {
            Default::default()
        };
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
                self.list::<lists::Tools>(&registry, points, &child_ext, p.cursor.as_deref())
                    .await?
            }
            ClientRequest::ListResources(p) => {
                self.list::<lists::Resources>(&registry, points, &child_ext, p.cursor.as_deref())
                    .await?
            }
            ClientRequest::ListResourceTemplates(p) => {
                self.list::<lists::Templates>(&registry, points, &child_ext, p.cursor.as_deref())
                    .await?
            }
            ClientRequest::ListPrompts(p) => {
                self.list::<lists::Prompts>(&registry, points, &child_ext, p.cursor.as_deref())
                    .await?
            }
            ClientRequest::CallTool(p) if mounted && registry.tools.get(&p.name).is_none() => {
                let (point, name) = registry
                    .mounts
                    .route_name(&p.name, true)
                    .ok_or_else(|| McpError::invalid_params(format!("unknown tool: {}", p.name)))?;
                p.name = name;
                let mut result = Self::forward(&point, req).await?;
                point.expose_result(&mut result);
                // A task-augmented call answers with the task it created.
                point.expose_task_ids(&mut result);
                result
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
            ClientRequest::ReadResource(p) if mounted && !registry.owns_uri(&p.uri) => {
                let (point, uri) = registry
                    .mounts
                    .route_uri(&p.uri)
                    .ok_or_else(|| McpError::resource_not_found(&p.uri, version))?;
                p.uri = uri;
                let mut result = Self::forward(&point, req).await?;
                point.expose_result(&mut result);
                result
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
            ClientRequest::GetPrompt(p) if mounted && registry.prompts.get(&p.name).is_none() => {
                let (point, name) =
                    registry.mounts.route_name(&p.name, false).ok_or_else(|| {
                        McpError::invalid_params(format!("unknown prompt: {}", p.name))
                    })?;
                p.name = name;
                let mut result = Self::forward(&point, req).await?;
                point.expose_result(&mut result);
                result
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
                if let Some(point) = mounted
                    .then(|| Self::route_completion(&registry, p))
                    .flatten()
                {
                    return Self::forward(&point, req).await;
                }
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
            ClientRequest::Subscribe(p) | ClientRequest::Unsubscribe(p) => {
                let on = subscribe;
                self.shared
                    .notifier
                    .set_resource_subscription(ctx.session_peer(), &p.uri, on);
                if let Some((point, uri)) =
                    mounted.then(|| registry.mounts.route_uri(&p.uri)).flatten()
                {
                    // The child tells the session it is given, seen through the mount, which
                    // rewrites each update's URI to the subscribed one.
                    self.link(&point).await;
                    p.uri = uri;
                    Self::forward(&point, req).await?;
                }
                ServerResult::Empty(EmptyResult::default())
            }
            ClientRequest::SubscriptionsListen(p) => {
                self.shared.notifier.serve_listen(&ctx, p.clone()).await
            }
            ClientRequest::Other(m) if mounted && m.method == tasks::LIST => {
                // Every child's whole list, merged into one page.
                let pages = self
                    .gather(
                        points,
                        req.extensions(),
                        tasks::list_request,
                        tasks::list_page,
                    )
                    .await;
                let mut all = Vec::new();
                for (point, mut page) in pages {
                    page.iter_mut()
                        .for_each(|task| point.expose_task_ids_in(task));
                    all.append(&mut page);
                }
                tasks::list_result(all)
            }
            ClientRequest::Other(m) if mounted && tasks::addresses_a_task(&m.method) => {
                let point = tasks::route(&registry.mounts, m)
                    .ok_or_else(|| McpError::invalid_params("unknown task id"))?;
                let mut result = Self::forward(&point, req).await?;
                point.expose_task_ids(&mut result);
                // tasks/result carries the tool's result.
                point.expose_result(&mut result);
                result
            }
            other => return Err(McpError::method_not_found(other.method())),
        };
        if version.is_sessionless() {
            let meta = result.meta_mut().map(|m| m.get_or_insert_with(Meta::new));
            if let Some(meta) = meta {
                meta.insert(SERVER_INFO_KEY, registry.info_value.clone());
            }
        }
        Ok(result)
    }

    /// The child a completion request belongs to, if any.
    fn route_completion(
        registry: &Registry<S>,
        p: &mut turret_types::CompleteRequestParams,
    ) -> Option<std::sync::Arc<super::mount::MountPoint>> {
        use turret_types::CompletionReference;
        match &mut p.reference {
            CompletionReference::Prompt { name } if registry.prompts.get(name).is_none() => {
                let (point, child) = registry.mounts.route_name(name, false)?;
                *name = child;
                Some(point)
            }
            CompletionReference::Resource { uri } if !registry.owns_uri(uri) => {
                let (point, child) = registry.mounts.route_uri(uri)?;
                *uri = child;
                Some(point)
            }
            _ => None,
        }
    }
}
