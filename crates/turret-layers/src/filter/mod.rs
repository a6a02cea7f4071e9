//! Include and exclude tools, prompts, resources and resource templates by tag and by name
//! pattern: hidden from lists, and uncallable.
//!
//! Tags are read from each definition's `_meta` under
//! [`TAGS_META_KEY`](turret_core::router::TAGS_META_KEY) (what the builders' `.tags(..)`
//! write), so the filter works the same on a local Router and on a proxied server whose
//! definitions carry that key. Name patterns (`*` for any run of characters, `?` for one)
//! match what a call names: a tool's or prompt's name, a resource's URI, a template's URI
//! template.
//!
//! An item is visible when no exclude rule matches it and, for each kind of include rule that
//! is set, one matches. A hidden item is answered as if it did not exist: `tools/call` and
//! `prompts/get` with `-32602` ("unknown tool"), `resources/read` and subscriptions with the
//! era's resource-not-found error, completions of a hidden prompt or template with `-32602`.
//!
//! To judge a call by tags, the layer needs the definition: it lists the inner service once
//! and keeps what it learnt until a [`Change`] says otherwise
//! ([`refresh_on`](FilterLayer::refresh_on)), the [`definitions_ttl`](FilterLayer::definitions_ttl)
//! passes, or a name it has never seen is called. Something the inner service does not list is
//! judged with no tags.
//!
//! ```
//! use tower::{ServiceBuilder, ServiceExt as _};
//! use turret_core::types::{CallToolRequestParams, ClientRequest, ErrorCode};
//! use turret_core::{tool_fn, McpError, Request, Router};
//! use turret_layers::FilterLayer;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let router = Router::new()
//!     .tool("search", tool_fn(|| async { "results" }).tags(["public"]))
//!     .tool("drop_tables", tool_fn(|| async { "gone" }).tags(["admin"]));
//! let service = ServiceBuilder::new()
//!     .layer(FilterLayer::new().exclude_tags(["admin"]))
//!     .service(router);
//! let call = ClientRequest::CallTool(CallToolRequestParams {
//!     name: "drop_tables".into(),
//!     ..Default::default()
//! });
//! let error = service.oneshot(Request::new(call)).await.unwrap_err();
//! let error = McpError::from_box_error(error);
//! assert_eq!(error.code(), ErrorCode::INVALID_PARAMS);
//! # }
//! ```

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use http::Extensions;
use tokio::sync::broadcast;
use tower_layer::Layer;
use tower_service::Service;
use turret_core::router::{meta_tags, Change};
use turret_core::types::{
    ClientRequest, CompletionReference, Meta, Prompt, ProtocolVersion, ServerResult, Tool,
};
use turret_core::{BoxError, McpError, Request, RequestContext};

use crate::catalog::Catalog;
use crate::changes::ChangeFeed;

mod rules;

use rules::{Glob, Rules};

/// What the services of one layer share.
struct Shared {
    rules: Rules,
    catalog: Catalog,
    changes: Option<ChangeFeed>,
}

impl Shared {
    fn sync(&self) {
        if let Some(feed) = &self.changes {
            feed.drain(|change| self.catalog.invalidate(change));
        }
    }

    fn visible(&self, key: &str, meta: Option<&Meta>) -> bool {
        self.rules.visible(key, meta_tags(meta))
    }

    /// Drops hidden items from a list result.
    fn filter_list(&self, result: &mut ServerResult) {
        match result {
            ServerResult::ListTools(r) => {
                r.tools.retain(|t| self.visible(&t.name, t.meta.as_ref()))
            }
            ServerResult::ListPrompts(r) => {
                r.prompts.retain(|p| self.visible(&p.name, p.meta.as_ref()))
            }
            ServerResult::ListResources(r) => r
                .resources
                .retain(|x| self.visible(&x.uri, x.meta.as_ref())),
            ServerResult::ListResourceTemplates(r) => r
                .resource_templates
                .retain(|t| self.visible(&t.uri_template, t.meta.as_ref())),
            _ => {}
        }
    }
}

/// Layer that hides tools, prompts and resources (see the [module docs](self)).
#[derive(Clone)]
pub struct FilterLayer {
    rules: Rules,
    definitions_ttl: Duration,
    changes: Option<Arc<broadcast::Receiver<Change>>>,
    shared: Arc<OnceLock<Arc<Shared>>>,
}

impl std::fmt::Debug for FilterLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FilterLayer")
            .field("rules", &self.rules)
            .field("definitions_ttl", &self.definitions_ttl)
            .finish_non_exhaustive()
    }
}

impl Default for FilterLayer {
    fn default() -> Self {
        Self {
            rules: Rules::default(),
            definitions_ttl: Duration::from_secs(60),
            changes: None,
            shared: Arc::default(),
        }
    }
}

fn strings<I>(items: I) -> impl Iterator<Item = String>
where
    I: IntoIterator,
    I::Item: Into<String>,
{
    items.into_iter().map(Into::into)
}

impl FilterLayer {
    /// A filter that lets everything through until rules are added.
    pub fn new() -> Self {
        Self::default()
    }

    fn with(mut self, f: impl FnOnce(&mut Rules)) -> Self {
        f(&mut self.rules);
        self.shared = Arc::default();
        self
    }

    /// Shows only items with at least one of these tags.
    pub fn include_tags<I>(self, tags: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.with(|r| r.include_tags.extend(strings(tags)))
    }

    /// Hides items with any of these tags.
    pub fn exclude_tags<I>(self, tags: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.with(|r| r.exclude_tags.extend(strings(tags)))
    }

    /// Shows only items whose name (or URI, or URI template) matches one of these patterns.
    pub fn include_names<I>(self, patterns: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.with(|r| {
            r.include_names
                .extend(strings(patterns).map(|p| Glob::new(&p)))
        })
    }

    /// Hides items whose name (or URI, or URI template) matches any of these patterns.
    pub fn exclude_names<I>(self, patterns: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.with(|r| {
            r.exclude_names
                .extend(strings(patterns).map(|p| Glob::new(&p)))
        })
    }

    /// How long definitions learnt from the inner service are trusted without a change
    /// saying otherwise (default 60 s).
    pub fn definitions_ttl(mut self, ttl: Duration) -> Self {
        self.definitions_ttl = ttl;
        self.shared = Arc::default();
        self
    }

    /// Relearns definitions when these changes say they changed (from
    /// [`Notifier::subscribe`](turret_core::Notifier::subscribe)).
    pub fn refresh_on(mut self, changes: broadcast::Receiver<Change>) -> Self {
        self.changes = Some(Arc::new(changes));
        self.shared = Arc::default();
        self
    }

    fn shared(&self) -> Arc<Shared> {
        self.shared
            .get_or_init(|| {
                Arc::new(Shared {
                    rules: self.rules.clone(),
                    catalog: Catalog::new(self.definitions_ttl),
                    changes: self
                        .changes
                        .as_ref()
                        .map(|c| ChangeFeed::new(c.resubscribe())),
                })
            })
            .clone()
    }
}

impl<S> Layer<S> for FilterLayer {
    type Service = Filter<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Filter {
            inner,
            shared: self.shared(),
        }
    }
}

/// Service of [`FilterLayer`].
#[derive(Clone)]
pub struct Filter<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S: std::fmt::Debug> std::fmt::Debug for Filter<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Filter")
            .field("inner", &self.inner)
            .field("rules", &self.shared.rules)
            .finish()
    }
}

inner_accessors!(Filter);

/// What a request asks for, as the filter judges it (borrowed from the request).
enum Target<'a> {
    List,
    Tool(&'a str),
    Prompt(&'a str),
    Resource(&'a str),
    Template(&'a str),
    Other,
}

fn target(message: &ClientRequest) -> Target<'_> {
    match message {
        ClientRequest::ListTools(_)
        | ClientRequest::ListPrompts(_)
        | ClientRequest::ListResources(_)
        | ClientRequest::ListResourceTemplates(_) => Target::List,
        ClientRequest::CallTool(p) => Target::Tool(&p.name),
        ClientRequest::GetPrompt(p) => Target::Prompt(&p.name),
        ClientRequest::ReadResource(p) => Target::Resource(&p.uri),
        ClientRequest::Subscribe(p) | ClientRequest::Unsubscribe(p) => Target::Resource(&p.uri),
        ClientRequest::Complete(p) => match &p.reference {
            CompletionReference::Prompt { name } => Target::Prompt(name),
            CompletionReference::Resource { uri } => Target::Template(uri),
            _ => Target::Other,
        },
        _ => Target::Other,
    }
}

impl Shared {
    /// Whether the target of a call is visible; `Err` when the inner service could not be
    /// listed (the call is refused rather than let through unjudged).
    async fn allows<S>(
        &self,
        lister: S,
        ext: &Extensions,
        target: &Target<'_>,
    ) -> Result<bool, BoxError>
    where
        S: Service<Request, Response = ServerResult> + Clone,
        S::Error: Into<BoxError>,
    {
        let rules = &self.rules;
        if rules.is_empty() {
            return Ok(true);
        }
        Ok(match target {
            Target::List | Target::Other => true,
            Target::Tool(name) => {
                rules.name_allowed(name)
                    && (!rules.uses_tags() || {
                        let tool = self.catalog.named::<Tool, _>(lister, ext, name).await?;
                        rules.tags_allowed(meta_tags(tool.as_ref().and_then(|t| t.meta.as_ref())))
                    })
            }
            Target::Prompt(name) => {
                rules.name_allowed(name)
                    && (!rules.uses_tags() || {
                        let prompt = self.catalog.named::<Prompt, _>(lister, ext, name).await?;
                        rules.tags_allowed(meta_tags(prompt.as_ref().and_then(|p| p.meta.as_ref())))
                    })
            }
            Target::Resource(uri) => {
                let found = self.catalog.resource(lister, ext, uri).await?;
                match found {
                    Some(m) => self.visible(&m.key, m.meta.as_ref()),
                    None => self.visible(uri, None),
                }
            }
            Target::Template(template) => {
                let found = self.catalog.template(lister, ext, template).await?;
                self.visible(template, found.as_ref().and_then(|m| m.meta.as_ref()))
            }
        })
    }
}

/// The error answering a call of something hidden: the same as for something absent.
fn hidden(target: &Target<'_>, req: &Request) -> McpError {
    match target {
        Target::Tool(name) => McpError::invalid_params(format!("unknown tool: {name}")),
        Target::Prompt(name) => McpError::invalid_params(format!("unknown prompt: {name}")),
        Target::Resource(uri) => {
            let version = req
                .extensions()
                .get::<RequestContext>()
                .map_or(ProtocolVersion::LATEST_HANDSHAKE, RequestContext::version);
            McpError::resource_not_found(uri, version)
        }
        Target::Template(t) => McpError::invalid_params(format!("unknown resource template: {t}")),
        Target::List | Target::Other => McpError::internal("hidden"),
    }
}

mcp_service! {
    impl Service<Request> for Filter<S>
    where {
        S: Clone + Send + 'static,
        S::Future: Send + 'static,
    }
    type Future = ResponseFuture;

    fn call(&mut self, req: Request) -> Self::Future {
        let shared = self.shared.clone();
        shared.sync();
        match target(req.message()) {
            Target::Other => {
                let fut = self.inner.call(req);
                return ResponseFuture::new(async move { fut.await.map_err(Into::into) });
            }
            Target::List => {
                let fut = self.inner.call(req);
                return ResponseFuture::new(async move {
                    let mut result = fut.await.map_err(Into::into)?;
                    shared.filter_list(&mut result);
                    Ok(result)
                });
            }
            _ => {}
        }
        let lister = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, lister.clone());
        ResponseFuture::new(async move {
            // Judged again here, borrowing from the request the future owns.
            let target = target(req.message());
            if !shared.allows(lister, req.extensions(), &target).await? {
                tracing::debug!("filtered out");
                return Err(hidden(&target, &req).into());
            }
            inner.call(req).await.map_err(Into::into)
        })
    }
}

boxed_response_future! {
    /// Response future of [`Filter`].
}

#[cfg(test)]
mod tests;
