//! The [`Router`]: a server, as a `tower::Service` over every MCP request.

use std::collections::HashMap;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::task::{Context as TaskContext, Poll};

use futures_util::future::BoxFuture;
use tower::util::BoxCloneSyncService;
use tower_service::Service;
use turret_types::{Implementation, Prompt, Resource, ResourceTemplate, ServerResult, Tool};

use crate::error::{BoxError, McpError};
use crate::handler::into_result::{
    IntoCallToolResult, IntoGetPromptResult, IntoReadResourceResult,
};
use crate::handler::Handler;
use crate::request::Request;
use crate::uri_template::UriTemplate;

mod builders;
mod child_peer;
mod dispatch;
pub(crate) mod endpoint;
mod import;
mod in_process;
mod lifespan;
mod lists;
mod mount;
mod mounted;
mod notify;
mod paginate;
mod register;
mod tasks;

pub use builders::{
    meta_tags, prompt_fn, resource_fn, tool_fn, PromptBuilder, ResourceBuilder, ToolBuilder,
    TAGS_META_KEY,
};
pub use endpoint::ResourceUri;
pub use lifespan::is_lifespan_signal;
pub use mount::{Mount, ResourcePrefix, MAX_NAME_LEN};
pub use notify::{Change, Notifier};
pub use register::Route;

use endpoint::{BoxedService, Endpoint, HandlerEndpoint, PromptKind, ResourceKind, ToolKind};

/// Completes prompt arguments and template variables: `completion/complete`.
pub type Completer = Arc<
    dyn Fn(turret_types::CompleteRequestParams) -> BoxFuture<'static, turret_types::Completion>
        + Send
        + Sync,
>;

/// A registered primitive: its listing and its leaf.
pub(crate) struct Entry<D, S> {
    pub(crate) def: D,
    pub(crate) endpoint: Arc<dyn Endpoint<S>>,
}

impl<D: Clone, S> Clone for Entry<D, S> {
    fn clone(&self) -> Self {
        Self {
            def: self.def.clone(),
            endpoint: self.endpoint.clone(),
        }
    }
}

/// An ordered table: listing in registration order (deterministic, as clients cache lists),
/// lookup by key in one hash probe.
pub(crate) struct Table<D, S> {
    pub(crate) entries: Vec<Entry<D, S>>,
    pub(crate) index: HashMap<String, usize>,
}

impl<D, S> Default for Table<D, S> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
            index: HashMap::new(),
        }
    }
}

impl<D: Clone, S> Clone for Table<D, S> {
    fn clone(&self) -> Self {
        Self {
            entries: self.entries.clone(),
            index: self.index.clone(),
        }
    }
}

impl<D, S> Table<D, S> {
    /// Adds or replaces the entry under `key`.
    fn insert(&mut self, key: String, entry: Entry<D, S>) {
        match self.index.get(&key) {
            Some(&i) => self.entries[i] = entry,
            None => {
                self.index.insert(key, self.entries.len());
                self.entries.push(entry);
            }
        }
    }

    fn remove(&mut self, key: &str) -> bool {
        let Some(i) = self.index.remove(key) else {
            return false;
        };
        self.entries.remove(i);
        for v in self.index.values_mut() {
            if *v > i {
                *v -= 1;
            }
        }
        true
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Entry<D, S>> {
        self.index.get(key).map(|&i| &self.entries[i])
    }
}

/// Everything that can change after the router is built; swapped whole on change.
pub(crate) struct Registry<S> {
    pub(crate) info: Implementation,
    /// `info` as JSON, for the `_meta` of every 2026-07-28 result (kept in step by `update`).
    pub(crate) info_value: serde_json::Value,
    pub(crate) instructions: Option<String>,
    pub(crate) page_size: usize,
    pub(crate) tools: Table<Tool, S>,
    pub(crate) resources: Table<Resource, S>,
    pub(crate) templates: Vec<(UriTemplate, Entry<ResourceTemplate, S>)>,
    pub(crate) prompts: Table<Prompt, S>,
    pub(crate) completer: Option<Completer>,
    pub(crate) mounts: mount::Mounts,
}

impl<S> Clone for Registry<S> {
    fn clone(&self) -> Self {
        Self {
            info: self.info.clone(),
            info_value: self.info_value.clone(),
            instructions: self.instructions.clone(),
            page_size: self.page_size,
            tools: self.tools.clone(),
            resources: self.resources.clone(),
            templates: self.templates.clone(),
            prompts: self.prompts.clone(),
            completer: self.completer.clone(),
            mounts: self.mounts.clone(),
        }
    }
}

pub(crate) struct Shared<S> {
    pub(crate) state: S,
    pub(crate) registry: RwLock<Arc<Registry<S>>>,
    pub(crate) notifier: Notifier,
    pub(crate) lifespan: lifespan::Lifespan,
}

/// An MCP server: tools, resources, resource templates and prompts, dispatched by method
/// and then by name or URI with hash-map lookups. It is a `tower::Service<Request>`, so it
/// can be wrapped in any layer and served on any edge.
///
/// ```
/// use schemars::JsonSchema;
/// use serde::Deserialize;
/// use turret_core::{prompt_fn, resource_fn, tool_fn, Args, Router};
///
/// #[derive(Deserialize, JsonSchema)]
/// struct Add { a: i64, b: i64 }
///
/// async fn add(Args(Add { a, b }): Args<Add>) -> String {
///     (a + b).to_string()
/// }
///
/// async fn readme() -> &'static str {
///     "# Hello"
/// }
///
/// async fn greet() -> String {
///     "Say hello to the user.".to_owned()
/// }
///
/// let router = Router::new()
///     .name("calc")
///     .tool("add", tool_fn(add).description("Adds two integers"))
///     .resource("docs://readme", resource_fn(readme).mime_type("text/markdown"))
///     .prompt("greet", prompt_fn(greet));
/// ```
///
/// Handlers that need shared state take `State<T>`; build such a router with
/// [`Router::with_state`].
pub struct Router<S = ()> {
    shared: Arc<Shared<S>>,
}

impl<S> Clone for Router<S> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl<S> std::fmt::Debug for Router<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = self.registry();
        f.debug_struct("Router")
            .field("name", &r.info.name)
            .field("tools", &r.tools.entries.len())
            .field("resources", &r.resources.entries.len())
            .field("templates", &r.templates.len())
            .field("prompts", &r.prompts.entries.len())
            .finish()
    }
}

impl Router<()> {
    /// A router without state.
    pub fn new() -> Self {
        Self::with_state(())
    }

    /// A router named `name`: `Router::new().name(name)`, as FastMCP's `FastMCP("name")`.
    pub fn named(name: impl Into<String>) -> Self {
        Self::new().name(name)
    }
}

impl Default for Router<()> {
    fn default() -> Self {
        Self::new()
    }
}

/// Default page size of `*/list` results.
pub const DEFAULT_PAGE_SIZE: usize = 100;

impl<S> Router<S> {
    pub(crate) fn registry(&self) -> Arc<Registry<S>> {
        self.shared
            .registry
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn update(&self, f: impl FnOnce(&mut Registry<S>)) {
        let mut guard = self
            .shared
            .registry
            .write()
            .unwrap_or_else(|e| e.into_inner());
        let mut next = Registry::clone(&guard);
        f(&mut next);
        next.info_value = serde_json::to_value(&next.info).unwrap_or_default();
        *guard = Arc::new(next);
    }
}

impl<S: Clone + Send + Sync + 'static> Router<S> {
    /// A router whose handlers can extract `State<S>`.
    pub fn with_state(state: S) -> Self {
        let info = Implementation::new("turret", env!("CARGO_PKG_VERSION"));
        let registry = Registry {
            info_value: serde_json::to_value(&info).unwrap_or_default(),
            info,
            instructions: None,
            page_size: DEFAULT_PAGE_SIZE,
            tools: Table::default(),
            resources: Table::default(),
            templates: Vec::new(),
            prompts: Table::default(),
            completer: None,
            mounts: mount::Mounts::default(),
        };
        Self {
            shared: Arc::new(Shared {
                state,
                registry: RwLock::new(Arc::new(registry)),
                notifier: Notifier::default(),
                lifespan: lifespan::Lifespan::default(),
            }),
        }
    }

    /// The server's name (in `initialize` and `server/discover` results).
    pub fn name(self, name: impl Into<String>) -> Self {
        self.update(|r| r.info.name = name.into());
        self
    }

    /// The server's version string.
    pub fn version(self, version: impl Into<String>) -> Self {
        self.update(|r| r.info.version = version.into());
        self
    }

    /// The server's full identity.
    pub fn server_info(self, info: Implementation) -> Self {
        self.update(|r| r.info = info);
        self
    }

    /// Guidance for the model using this server.
    pub fn instructions(self, instructions: impl Into<String>) -> Self {
        self.update(|r| r.instructions = Some(instructions.into()));
        self
    }

    /// How many items a `*/list` page holds (default [`DEFAULT_PAGE_SIZE`]).
    ///
    /// # Panics
    /// If `size` is 0.
    pub fn page_size(self, size: usize) -> Self {
        assert!(size > 0, "page size must be at least 1");
        self.update(|r| r.page_size = size);
        self
    }

    /// Answers `completion/complete` with `completer`.
    pub fn completions<F, Fut>(self, completer: F) -> Self
    where
        F: Fn(turret_types::CompleteRequestParams) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = turret_types::Completion> + Send + 'static,
    {
        let completer: Completer = Arc::new(move |p| Box::pin(completer(p)));
        self.update(|r| r.completer = Some(completer));
        self
    }

    /// Adds a tool.
    pub fn tool<H, T>(self, name: impl Into<String>, tool: ToolBuilder<H, T>) -> Self
    where
        H: Handler<T, S>,
        H::Output: IntoCallToolResult,
        T: 'static,
    {
        // Building is not a change clients have to hear about (and a router built inside a
        // runtime would otherwise announce every tool to whoever connects first).
        self.insert_tool(name.into(), tool);
        self
    }

    /// Adds (or replaces) a tool on a running router and tells clients the list changed.
    pub fn add_tool<H, T>(&self, name: impl Into<String>, tool: ToolBuilder<H, T>)
    where
        H: Handler<T, S>,
        H::Output: IntoCallToolResult,
        T: 'static,
    {
        self.insert_tool(name.into(), tool);
        self.announce(|n| async move { n.tools_changed().await });
    }

    fn insert_tool<H, T>(&self, name: String, tool: ToolBuilder<H, T>)
    where
        H: Handler<T, S>,
        H::Output: IntoCallToolResult,
        T: 'static,
    {
        let def = Tool {
            name,
            title: tool.title.clone(),
            description: tool.description.clone(),
            input_schema: tool.schema(),
            output_schema: tool
                .output_schema
                .clone()
                .or_else(<H::Output as IntoCallToolResult>::output_schema),
            annotations: tool.annotations.clone(),
            icons: tool.icons.clone(),
            meta: tool.meta(),
            ..Tool::default()
        };
        let endpoint = HandlerEndpoint::<H, T, ToolKind> {
            handler: tool.handler,
            mime_type: None,
            _kind: PhantomData,
        };
        self.insert_tool_entry(def, Arc::new(endpoint));
    }

    /// Adds a tool answered by any service (a proxied backend, an HTTP operation…). The
    /// service receives the whole `tools/call` request.
    pub fn tool_service<T>(self, def: Tool, service: T) -> Self
    where
        T: crate::McpService,
    {
        self.insert_tool_entry(def, Arc::new(boxed(service)));
        self
    }

    /// Adds a resource answered by any service; it receives the whole `resources/read`
    /// request (the URI is `def.uri`).
    pub fn resource_service<T>(self, def: Resource, service: T) -> Self
    where
        T: crate::McpService,
    {
        let endpoint: Arc<dyn Endpoint<S>> = Arc::new(boxed(service));
        self.update(|r| r.resources.insert(def.uri.clone(), Entry { def, endpoint }));
        self
    }

    /// Adds a resource template answered by any service; it receives the whole
    /// `resources/read` request for every URI matching `def.uri_template` (and matches the
    /// variables itself, e.g. with [`UriTemplate::match_uri`]).
    ///
    /// # Panics
    /// If `def.uri_template` is not a valid URI template (a programming error, caught at
    /// start-up).
    pub fn resource_template_service<T>(self, def: ResourceTemplate, service: T) -> Self
    where
        T: crate::McpService,
    {
        let parsed = UriTemplate::parse(&def.uri_template)
            .unwrap_or_else(|e| panic!("invalid resource template {:?}: {e}", def.uri_template));
        let endpoint: Arc<dyn Endpoint<S>> = Arc::new(boxed(service));
        self.update(|r| r.templates.push((parsed, Entry { def, endpoint })));
        self
    }

    fn insert_tool_entry(&self, def: Tool, endpoint: Arc<dyn Endpoint<S>>) {
        self.update(|r| r.tools.insert(def.name.clone(), Entry { def, endpoint }));
    }

    /// Removes a tool; tells clients when there was one.
    pub fn remove_tool(&self, name: &str) -> bool {
        let mut removed = false;
        self.update(|r| removed = r.tools.remove(name));
        if removed {
            self.announce(|n| async move { n.tools_changed().await });
        }
        removed
    }

    /// Adds a resource with a fixed URI.
    pub fn resource<H, T>(self, uri: impl Into<String>, resource: ResourceBuilder<H, T>) -> Self
    where
        H: Handler<T, S>,
        H::Output: IntoReadResourceResult,
        T: 'static,
    {
        let uri = uri.into();
        let def = Resource {
            name: resource.name.clone().unwrap_or_else(|| uri.clone()),
            uri: uri.clone(),
            title: resource.title.clone(),
            description: resource.description.clone(),
            mime_type: resource.mime_type.clone(),
            meta: resource.meta(),
            ..Resource::default()
        };
        let endpoint = resource_endpoint(resource);
        self.update(|r| r.resources.insert(uri, Entry { def, endpoint }));
        self
    }

    /// Adds a family of resources under an RFC 6570 URI template; the handler receives the
    /// matched variables as `Args<T>`.
    ///
    /// # Panics
    /// If `template` is not a valid URI template (a programming error, caught at start-up).
    pub fn resource_template<H, T>(self, template: &str, resource: ResourceBuilder<H, T>) -> Self
    where
        H: Handler<T, S>,
        H::Output: IntoReadResourceResult,
        T: 'static,
    {
        let parsed = UriTemplate::parse(template)
            .unwrap_or_else(|e| panic!("invalid resource template {template:?}: {e}"));
        let def = ResourceTemplate {
            uri_template: template.to_owned(),
            name: resource.name.clone().unwrap_or_else(|| template.to_owned()),
            title: resource.title.clone(),
            description: resource.description.clone(),
            mime_type: resource.mime_type.clone(),
            meta: resource.meta(),
            ..ResourceTemplate::default()
        };
        let endpoint = resource_endpoint(resource);
        self.update(|r| r.templates.push((parsed, Entry { def, endpoint })));
        self
    }

    /// Adds a prompt.
    pub fn prompt<H, T>(self, name: impl Into<String>, prompt: PromptBuilder<H, T>) -> Self
    where
        H: Handler<T, S>,
        H::Output: IntoGetPromptResult,
        T: 'static,
    {
        self.insert_prompt(name.into(), prompt);
        self
    }

    /// Adds (or replaces) a prompt on a running router and tells clients the list changed.
    pub fn add_prompt<H, T>(&self, name: impl Into<String>, prompt: PromptBuilder<H, T>)
    where
        H: Handler<T, S>,
        H::Output: IntoGetPromptResult,
        T: 'static,
    {
        self.insert_prompt(name.into(), prompt);
        self.announce(|n| async move { n.prompts_changed().await });
    }

    /// Removes a prompt; tells clients when there was one.
    pub fn remove_prompt(&self, name: &str) -> bool {
        let mut removed = false;
        self.update(|r| removed = r.prompts.remove(name));
        if removed {
            self.announce(|n| async move { n.prompts_changed().await });
        }
        removed
    }

    fn insert_prompt<H, T>(&self, name: String, prompt: PromptBuilder<H, T>)
    where
        H: Handler<T, S>,
        H::Output: IntoGetPromptResult,
        T: 'static,
    {
        let def = Prompt {
            name,
            meta: prompt.meta(),
            title: prompt.title,
            description: prompt.description,
            arguments: builders::prompt_arguments(&prompt.handler.input_schema()),
            ..Prompt::default()
        };
        let endpoint: Arc<dyn Endpoint<S>> = Arc::new(HandlerEndpoint::<H, T, PromptKind> {
            handler: prompt.handler,
            mime_type: None,
            _kind: PhantomData,
        });
        self.update(|r| r.prompts.insert(def.name.clone(), Entry { def, endpoint }));
    }

    /// Mounts `service` under `namespace`: its tools and prompts appear as
    /// `{namespace}_{name}`, its resources as `scheme://{namespace}/path`. The child is any
    /// MCP service (a [`Router`], a client to a remote server…); its later changes show
    /// through, and its change notifications reach this router's clients.
    ///
    /// The router's own entries win over mounted ones; among mounts, the longest namespace
    /// that prefixes a name wins.
    ///
    /// ```
    /// use turret_core::{resource_fn, tool_fn, Router};
    ///
    /// let service_a = Router::named("ServiceA")
    ///     .tool("process_a", tool_fn(|| async { "A processed" }))
    ///     .resource("a://config", resource_fn(|| async { r#"{"a_ver": 1}"# }));
    /// // Lists `serviceA_process_a` and `a://serviceA/config`.
    /// let main_app = Router::named("MainApp").mount("serviceA", service_a);
    /// ```
    ///
    /// # Panics
    /// When `namespace` is already mounted.
    pub fn mount<T>(self, namespace: impl Into<String>, service: T) -> Self
    where
        T: crate::McpService,
    {
        self.mount_with(namespace, service, Mount::new())
    }

    /// [`mount`](Self::mount) with options: separators, the resource URI form, renamed
    /// tools, name limits.
    ///
    /// # Panics
    /// When `namespace` is already mounted.
    pub fn mount_with<T>(self, namespace: impl Into<String>, service: T, options: Mount) -> Self
    where
        T: crate::McpService,
    {
        let point = mount::MountPoint::new(namespace.into(), options, boxed(service));
        self.update(|r| r.mounts.add(point));
        self
    }

    /// Async work to do once before the first request: open a pool, load data. Mounted
    /// children start after their parent's start-up hooks, once, whatever the mount mode.
    /// Runs on the first request, or earlier with [`startup`](Self::startup).
    pub fn on_startup<F, Fut>(self, hook: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        self.shared.lifespan.on_startup(hook);
        self
    }

    /// Async work to do once at [`shutdown`](Self::shutdown), after mounted children
    /// stopped.
    pub fn on_shutdown<F, Fut>(self, hook: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        self.shared.lifespan.on_shutdown(hook);
        self
    }

    /// Runs the start-up hooks and starts mounted children, once (later calls, and the
    /// first request's implicit start, do nothing).
    pub async fn startup(&self) -> Result<(), McpError> {
        let registry = self.registry();
        self.shared.lifespan.start(&registry.mounts.points).await
    }

    /// Stops mounted children, then runs the shut-down hooks, once, if started.
    pub async fn shutdown(&self) {
        let registry = self.registry();
        self.shared.lifespan.stop(&registry.mounts.points).await
    }

    /// The notifier for list changes and resource updates.
    pub fn notifier(&self) -> Notifier {
        self.shared.notifier.clone()
    }

    /// Sends a notification from a synchronous builder call, when a runtime is running.
    fn announce<F, Fut>(&self, f: F)
    where
        F: FnOnce(Notifier) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(f(self.notifier()));
        }
    }
}

fn resource_endpoint<H, T, S>(resource: ResourceBuilder<H, T>) -> Arc<dyn Endpoint<S>>
where
    H: Handler<T, S>,
    H::Output: IntoReadResourceResult,
    S: Clone + Send + Sync + 'static,
    T: 'static,
{
    Arc::new(HandlerEndpoint::<H, T, ResourceKind> {
        handler: resource.handler,
        mime_type: resource.mime_type,
        _kind: PhantomData,
    })
}

fn boxed<T>(service: T) -> BoxedService
where
    T: crate::McpService,
{
    use tower::ServiceExt as _;
    BoxCloneSyncService::new(service.map_err(Into::into))
}

/// The router's response future.
pub struct RouterFuture {
    inner: BoxFuture<'static, Result<ServerResult, McpError>>,
}

impl std::fmt::Debug for RouterFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouterFuture").finish_non_exhaustive()
    }
}

impl Future for RouterFuture {
    type Output = Result<ServerResult, McpError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx)
    }
}

impl<S: Clone + Send + Sync + 'static> Service<Request> for Router<S> {
    type Response = ServerResult;
    type Error = McpError;
    type Future = RouterFuture;

    fn poll_ready(&mut self, _: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        // Leaves are driven to readiness one at a time when chosen (`oneshot`), so the
        // router itself is always ready, however many leaves it holds.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let router = self.clone();
        RouterFuture {
            inner: Box::pin(async move { router.dispatch(req).await }),
        }
    }
}
