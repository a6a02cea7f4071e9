//! What the inner service lists, kept to judge calls by their definitions (tags,
//! annotations) without listing on every call.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use http::Extensions;
use tokio::time::Instant;
use tower::ServiceExt as _;
use tower_service::Service;
use turret_core::router::Change;
use turret_core::types::{
    ClientRequest, Meta, PaginatedRequestParams, Prompt, Resource, ResourceTemplate, ServerResult,
    Tool,
};
use turret_core::uri_template::UriTemplate;
use turret_core::{BoxError, Request};

/// An item missing from a snapshot at least this old triggers one refresh.
const MIN_REFRESH: Duration = Duration::from_secs(1);
/// Stop following cursors after this many pages (a misbehaving backend must not loop us).
const MAX_PAGES: usize = 1000;

pub(crate) struct Listing<T> {
    at: Instant,
    items: HashMap<String, Arc<T>>,
}

struct Resources {
    at: Instant,
    items: HashMap<String, Arc<Resource>>,
    templates: Vec<(UriTemplate, Arc<ResourceTemplate>)>,
}

#[derive(Default)]
pub(crate) struct State {
    tools: Option<Arc<Listing<Tool>>>,
    prompts: Option<Arc<Listing<Prompt>>>,
    resources: Option<Arc<Resources>>,
}

/// A resource a URI resolves to: the key it is listed under (its URI, or the template that
/// matched) and its `_meta`.
#[derive(Debug, Clone)]
pub(crate) struct ResourceMatch {
    pub(crate) key: String,
    pub(crate) meta: Option<Meta>,
}

/// Snapshots of the inner service's lists, refreshed when older than `ttl`, when a change
/// says so, or when an item is missing from a snapshot older than a second.
pub(crate) struct Catalog {
    state: RwLock<State>,
    ttl: Duration,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

/// Whether a snapshot taken at `at` may answer for `name`: younger than `ttl`, and holding
/// it unless it is too young to be worth refreshing for a missing item.
fn usable(at: Instant, ttl: Duration, has: impl FnOnce() -> bool) -> bool {
    let age = at.elapsed();
    age < ttl && (age < MIN_REFRESH || has())
}

impl Catalog {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            state: RwLock::default(),
            ttl,
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets what `change` touched (`None`: everything).
    pub(crate) fn invalidate(&self, change: Option<&Change>) {
        let mut state = self.write();
        match change {
            Some(Change::ToolsChanged) => state.tools = None,
            Some(Change::PromptsChanged) => state.prompts = None,
            Some(Change::ResourcesChanged) => state.resources = None,
            Some(_) => {}
            None => *state = State::default(),
        }
    }

    /// The tool or prompt listed as `name`.
    pub(crate) async fn named<T, S>(
        &self,
        service: S,
        ext: &Extensions,
        name: &str,
    ) -> Result<Option<Arc<T>>, BoxError>
    where
        T: Named,
        S: Service<Request, Response = ServerResult> + Clone,
        S::Error: Into<BoxError>,
    {
        let cached = T::slot(&self.read()).clone();
        if let Some(l) = cached {
            if usable(l.at, self.ttl, || l.items.contains_key(name)) {
                return Ok(l.items.get(name).cloned());
            }
        }
        let pages = list_all(service, ext, T::LIST).await?;
        let listing = Arc::new(Listing {
            at: Instant::now(),
            items: pages
                .into_iter()
                .flat_map(T::items)
                .map(|t| (t.name().to_owned(), Arc::new(t)))
                .collect(),
        });
        *T::slot_mut(&mut self.write()) = Some(listing.clone());
        Ok(listing.items.get(name).cloned())
    }

    /// The resource or resource template `uri` is listed under.
    pub(crate) async fn resource<S>(
        &self,
        service: S,
        ext: &Extensions,
        uri: &str,
    ) -> Result<Option<ResourceMatch>, BoxError>
    where
        S: Service<Request, Response = ServerResult> + Clone,
        S::Error: Into<BoxError>,
    {
        let resources = self
            .resources(service, ext, |r| lookup(r, uri).is_some())
            .await?;
        Ok(lookup(&resources, uri))
    }

    /// The resource template listed as `template` (completions name one).
    pub(crate) async fn template<S>(
        &self,
        service: S,
        ext: &Extensions,
        template: &str,
    ) -> Result<Option<ResourceMatch>, BoxError>
    where
        S: Service<Request, Response = ServerResult> + Clone,
        S::Error: Into<BoxError>,
    {
        let find = |r: &Resources| {
            r.templates
                .iter()
                .find(|(_, t)| t.uri_template == template)
                .map(|(_, t)| ResourceMatch {
                    key: t.uri_template.clone(),
                    meta: t.meta.clone(),
                })
        };
        let resources = self.resources(service, ext, |r| find(r).is_some()).await?;
        Ok(find(&resources))
    }

    /// A fresh enough listing of resources and templates (one where `has` holds, if the
    /// service lists it).
    async fn resources<S>(
        &self,
        service: S,
        ext: &Extensions,
        has: impl Fn(&Resources) -> bool,
    ) -> Result<Arc<Resources>, BoxError>
    where
        S: Service<Request, Response = ServerResult> + Clone,
        S::Error: Into<BoxError>,
    {
        let cached = self.read().resources.clone();
        if let Some(r) = cached {
            if usable(r.at, self.ttl, || has(&r)) {
                return Ok(r);
            }
        }
        let mut items = HashMap::new();
        for page in list_all(service.clone(), ext, ClientRequest::ListResources).await? {
            if let ServerResult::ListResources(r) = page {
                items.extend(
                    r.resources
                        .into_iter()
                        .map(|r| (r.uri.clone(), Arc::new(r))),
                );
            }
        }
        let mut templates = Vec::new();
        for page in list_all(service, ext, ClientRequest::ListResourceTemplates).await? {
            if let ServerResult::ListResourceTemplates(r) = page {
                templates.extend(r.resource_templates.into_iter().filter_map(|t| {
                    Some((UriTemplate::parse(&t.uri_template).ok()?, Arc::new(t)))
                }));
            }
        }
        let resources = Arc::new(Resources {
            at: Instant::now(),
            items,
            templates,
        });
        self.write().resources = Some(resources.clone());
        Ok(resources)
    }
}

/// A kind of definition listed by name: tools and prompts.
pub(crate) trait Named: Sized + Send + Sync + 'static {
    /// The list request of this kind.
    const LIST: fn(PaginatedRequestParams) -> ClientRequest;
    /// The items of one page.
    fn items(page: ServerResult) -> Vec<Self>;
    /// The name it is called by.
    fn name(&self) -> &str;
    /// Where a catalog keeps them.
    fn slot(state: &State) -> &Option<Arc<Listing<Self>>>;
    /// Where a catalog keeps them, to replace.
    fn slot_mut(state: &mut State) -> &mut Option<Arc<Listing<Self>>>;
}

impl Named for Tool {
    const LIST: fn(PaginatedRequestParams) -> ClientRequest = ClientRequest::ListTools;

    fn items(page: ServerResult) -> Vec<Self> {
        match page {
            ServerResult::ListTools(r) => r.tools,
            _ => Vec::new(),
        }
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn slot(state: &State) -> &Option<Arc<Listing<Self>>> {
        &state.tools
    }

    fn slot_mut(state: &mut State) -> &mut Option<Arc<Listing<Self>>> {
        &mut state.tools
    }
}

impl Named for Prompt {
    const LIST: fn(PaginatedRequestParams) -> ClientRequest = ClientRequest::ListPrompts;

    fn items(page: ServerResult) -> Vec<Self> {
        match page {
            ServerResult::ListPrompts(r) => r.prompts,
            _ => Vec::new(),
        }
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn slot(state: &State) -> &Option<Arc<Listing<Self>>> {
        &state.prompts
    }

    fn slot_mut(state: &mut State) -> &mut Option<Arc<Listing<Self>>> {
        &mut state.prompts
    }
}

fn lookup(r: &Resources, uri: &str) -> Option<ResourceMatch> {
    if let Some(res) = r.items.get(uri) {
        return Some(ResourceMatch {
            key: res.uri.clone(),
            meta: res.meta.clone(),
        });
    }
    r.templates
        .iter()
        .filter(|(t, _)| uri.starts_with(t.literal_prefix()))
        .find(|(t, _)| t.match_uri(uri).is_some())
        .map(|(_, t)| ResourceMatch {
            key: t.uri_template.clone(),
            meta: t.meta.clone(),
        })
}

/// Marks the list requests a layer sends on its own to learn definitions: the cache does not
/// report them on the caller's span, rate limits do not count them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Internal;

/// Whether `req` is a layer's own list request.
pub(crate) fn is_internal(req: &Request) -> bool {
    req.extensions().get::<Internal>().is_some()
}

/// Every page of a list, following cursors.
pub(crate) async fn list_all<S>(
    service: S,
    ext: &Extensions,
    make: fn(PaginatedRequestParams) -> ClientRequest,
) -> Result<Vec<ServerResult>, BoxError>
where
    S: Service<Request, Response = ServerResult> + Clone,
    S::Error: Into<BoxError>,
{
    let mut pages = Vec::new();
    let mut cursor = None;
    for _ in 0..MAX_PAGES {
        let message = make(PaginatedRequestParams {
            cursor: cursor.take(),
            ..Default::default()
        });
        let mut ext = ext.clone();
        ext.insert(Internal);
        let page = service
            .clone()
            .oneshot(Request::from_parts(message, ext))
            .await
            .map_err(Into::into)?;
        cursor = match &page {
            ServerResult::ListTools(r) => r.next_cursor.clone(),
            ServerResult::ListPrompts(r) => r.next_cursor.clone(),
            ServerResult::ListResources(r) => r.next_cursor.clone(),
            ServerResult::ListResourceTemplates(r) => r.next_cursor.clone(),
            _ => None,
        };
        pages.push(page);
        if cursor.is_none() {
            break;
        }
    }
    Ok(pages)
}
