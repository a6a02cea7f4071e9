//! Response caching: list results, `resources/read`, and calls of tools that say they are
//! read-only or idempotent (or that the configuration names).
//!
//! An answer is stored under the method, the tool name or URI, the parameters (without
//! `_meta`: progress tokens and per-request capabilities do not change it), the protocol
//! revision and the [`Caller`](crate::Caller), so one caller never sees another's answer. Entries live for a
//! TTL, within a bound on their number and on their size in bytes (as JSON); storage is a
//! [`quick_cache`] cache. Errors, tool results with `isError` and `input_required` answers are never
//! stored.
//!
//! Give the layer the server's [`Change`]s ([`Notifier::subscribe`](turret_core::Notifier::subscribe))
//! and it forgets what a change touches: `tools/list_changed` drops tool lists and tool
//! results, `prompts/list_changed` prompt lists, `resources/list_changed` resource lists and
//! reads, `resources/updated` the reads of that URI. Changes are applied before the next
//! request is served. For a remote server, feed [`CacheHandle::invalidate`] from its client's
//! notifications with [`Change::from_notification`].
//!
//! Every request that could be cached records `cache = "hit"` or `"miss"` on the current
//! span (the [`TraceLayer`](crate::TraceLayer)'s, when it is outside) and logs a `DEBUG`
//! event.
//!
//! ```
//! use std::time::Duration;
//!
//! use tower::{ServiceBuilder, ServiceExt as _};
//! use turret_core::types::{ReadResourceRequestParams, ClientRequest};
//! use turret_core::{resource_fn, Request, Router};
//! use turret_layers::CacheLayer;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let router = Router::new().resource("mem://motd", resource_fn(|| async { "hello" }));
//! let cache = CacheLayer::new()
//!     .ttl(Duration::from_secs(30))
//!     .max_entries(1_000)
//!     .max_bytes(8 << 20)
//!     .invalidate_on(router.notifier().subscribe());
//! let service = ServiceBuilder::new().layer(cache.clone()).service(router.clone());
//! let read = || {
//!     Request::new(ClientRequest::ReadResource(ReadResourceRequestParams {
//!         uri: "mem://motd".into(),
//!         ..Default::default()
//!     }))
//! };
//! service.clone().oneshot(read()).await.unwrap(); // miss: the router reads
//! service.clone().oneshot(read()).await.unwrap(); // hit
//! router.notifier().resource_updated("mem://motd").await;
//! service.oneshot(read()).await.unwrap(); // miss again
//! # }
//! ```

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::broadcast;
use tokio::time::Instant;
use tower_layer::Layer;
use turret_core::router::Change;
use turret_core::types::{ClientRequest, ServerResult, Tool};
use turret_core::Request;

use crate::catalog::Catalog;
use crate::changes::ChangeFeed;

mod key;

use key::{Key, Kind, Lookup};

#[derive(Debug, Clone)]
struct Config {
    ttl: Duration,
    max_entries: u64,
    max_bytes: u64,
    lists: bool,
    resources: bool,
    annotated_tools: bool,
    tools: Arc<HashSet<String>>,
    definitions_ttl: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(60),
            max_entries: 10_000,
            max_bytes: 64 << 20,
            lists: true,
            resources: true,
            annotated_tools: true,
            tools: Arc::default(),
            definitions_ttl: Duration::from_secs(60),
        }
    }
}

/// Independently locked parts of the cache: enough that concurrent stores rarely wait on each
/// other, few enough that an answer may take up to about a quarter of the byte budget (each
/// part has an equal share and cannot hold more).
const SHARDS: usize = 4;

/// A stored answer, when it expires, and what it weighs against the byte bound.
#[derive(Debug)]
struct Entry {
    result: ServerResult,
    expires: Instant,
    weight: u64,
}

/// Weighs an entry by the weight computed once when it was stored.
#[derive(Debug, Clone, Copy)]
struct Weight;

impl quick_cache::Weighter<Key, Arc<Entry>> for Weight {
    fn weight(&self, _: &Key, entry: &Arc<Entry>) -> u64 {
        entry.weight
    }
}

/// The cache the services of one layer share.
struct Shared {
    config: Config,
    entries: quick_cache::sync::Cache<Key, Arc<Entry>, Weight>,
    /// Hashes keys once per request (the cache then hashes just that hash).
    hasher: quick_cache::DefaultHashBuilder,
    /// The least an entry weighs: an equal share of the byte budget among `max_entries`.
    floor: u64,
    changes: Option<ChangeFeed>,
    /// The inner service's tool definitions, for their annotations.
    catalog: Catalog,
    /// Bumped by every invalidation: an answer computed across one is not stored.
    epoch: AtomicU64,
}

impl Shared {
    fn new(config: Config, changes: Option<broadcast::Receiver<Change>>) -> Self {
        // One bound for both limits: an entry weighs its bytes, and at least an equal share
        // of the byte budget, so the total weight stays under `max_bytes` only if the bytes
        // do and the count stays under `max_entries`.
        let floor = (config.max_bytes / config.max_entries).max(1);
        let options = quick_cache::OptionsBuilder::new()
            .estimated_items_capacity(usize::try_from(config.max_entries).unwrap_or(usize::MAX))
            .weight_capacity(config.max_bytes)
            .shards(SHARDS)
            .build()
            .expect("both capacities are set");
        let entries = quick_cache::sync::Cache::with_options(
            options,
            Weight,
            quick_cache::DefaultHashBuilder::default(),
            quick_cache::sync::DefaultLifecycle::default(),
        );
        Self {
            catalog: Catalog::new(config.definitions_ttl),
            config,
            entries,
            hasher: quick_cache::DefaultHashBuilder::default(),
            floor,
            changes: changes.map(ChangeFeed::new),
            epoch: AtomicU64::new(0),
        }
    }

    /// Applies the changes announced since the last request.
    fn sync(&self) {
        if let Some(feed) = &self.changes {
            feed.drain(|change| self.invalidate(change));
        }
    }

    fn invalidate(&self, change: Option<&Change>) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.catalog.invalidate(change);
        match change {
            None => self.entries.clear(),
            Some(change) => self
                .entries
                .retain(|k, _| !k.kind.stale_after(k.target.as_deref(), Some(change))),
        }
    }

    fn enabled(&self, kind: Kind) -> bool {
        match kind {
            Kind::ListTools | Kind::ListPrompts | Kind::ListResources | Kind::ListTemplates => {
                self.config.lists
            }
            Kind::Read => self.config.resources,
            Kind::Call => self.config.annotated_tools || !self.config.tools.is_empty(),
        }
    }

    /// The stored answer to `key` if it has not expired by `now`. An expired one stays until
    /// the answer that replaces it is stored, or the bounds evict it.
    fn get(&self, key: &Lookup<'_>, now: Instant) -> Option<Arc<Entry>> {
        self.entries.get(key).filter(|e| e.expires > now)
    }

    /// Stores `result` under `key`, looked up at `now` and in `epoch`.
    fn store(&self, key: Key, result: &ServerResult, now: Instant, epoch: u64) {
        let storable = match result {
            ServerResult::CallTool(r) => r.is_error != Some(true),
            ServerResult::InputRequired(_) | ServerResult::Other(_) => false,
            _ => true,
        };
        if !storable {
            return;
        }
        self.sync();
        if self.epoch.load(Ordering::SeqCst) != epoch {
            return;
        }
        let bytes = (key::json_len(result) + key.json_len()) as u64;
        if bytes > self.config.max_bytes {
            return;
        }
        let entry = Entry {
            result: result.clone(),
            expires: now + self.config.ttl,
            weight: bytes.max(self.floor),
        };
        self.entries.insert(key, Arc::new(entry));
    }
}

/// Layer that caches answers (see the [module docs](self)).
#[derive(Clone, Default)]
pub struct CacheLayer {
    config: Config,
    changes: Option<Arc<broadcast::Receiver<Change>>>,
    shared: Arc<OnceLock<Arc<Shared>>>,
}

impl std::fmt::Debug for CacheLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheLayer")
            .field("config", &self.config)
            .field("invalidated", &self.changes.is_some())
            .finish_non_exhaustive()
    }
}

impl CacheLayer {
    /// A cache of lists, reads and read-only or idempotent tools' results: 60 s TTL, at most
    /// 10,000 entries and 64 MiB. Services made by one layer (and its clones) share one
    /// cache.
    pub fn new() -> Self {
        Self::default()
    }

    fn with(mut self, f: impl FnOnce(&mut Config)) -> Self {
        f(&mut self.config);
        // A new configuration is a new cache.
        self.shared = Arc::default();
        self
    }

    /// How long an answer stays.
    pub fn ttl(self, ttl: Duration) -> Self {
        self.with(|c| c.ttl = ttl)
    }

    /// At most this many answers.
    pub fn max_entries(self, max: u64) -> Self {
        self.with(|c| c.max_entries = max.max(1))
    }

    /// At most this many bytes of answers (as JSON, keys included). An answer bigger than
    /// about a quarter of this is not stored.
    pub fn max_bytes(self, max: u64) -> Self {
        self.with(|c| c.max_bytes = max.max(1))
    }

    /// Whether `*/list` results are cached (default: yes).
    pub fn lists(self, on: bool) -> Self {
        self.with(|c| c.lists = on)
    }

    /// Whether `resources/read` results are cached (default: yes).
    pub fn resources(self, on: bool) -> Self {
        self.with(|c| c.resources = on)
    }

    /// Whether results of tools annotated `readOnlyHint` or `idempotentHint` are cached
    /// (default: yes). The layer learns the annotations from the inner `tools/list`.
    pub fn annotated_tools(self, on: bool) -> Self {
        self.with(|c| c.annotated_tools = on)
    }

    /// Caches the results of these tools too, whatever their annotations say.
    pub fn tools<I>(self, names: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.with(|c| {
            let mut tools = HashSet::clone(&c.tools);
            tools.extend(names.into_iter().map(Into::into));
            c.tools = Arc::new(tools);
        })
    }

    /// How long the tool definitions learnt from the inner service are trusted without a
    /// change saying otherwise (default 60 s).
    pub fn definitions_ttl(self, ttl: Duration) -> Self {
        self.with(|c| c.definitions_ttl = ttl)
    }

    /// Forgets what the changes received here touch (from
    /// [`Notifier::subscribe`](turret_core::Notifier::subscribe)).
    pub fn invalidate_on(mut self, changes: broadcast::Receiver<Change>) -> Self {
        self.changes = Some(Arc::new(changes));
        self.shared = Arc::default();
        self
    }

    fn shared(&self) -> Arc<Shared> {
        self.shared
            .get_or_init(|| {
                let changes = self.changes.as_ref().map(|c| c.resubscribe());
                Arc::new(Shared::new(self.config.clone(), changes))
            })
            .clone()
    }

    /// A handle on this layer's cache: invalidate by hand, count entries.
    pub fn handle(&self) -> CacheHandle {
        CacheHandle {
            shared: self.shared(),
        }
    }
}

impl<S> Layer<S> for CacheLayer {
    type Service = Cache<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Cache {
            inner,
            shared: self.shared(),
        }
    }
}

/// A handle on a [`CacheLayer`]'s cache.
#[derive(Clone)]
pub struct CacheHandle {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for CacheHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheHandle")
            .field("entries", &self.shared.entries.len())
            .finish()
    }
}

impl CacheHandle {
    /// Forgets what `change` touches.
    pub fn invalidate(&self, change: &Change) {
        self.shared.invalidate(Some(change));
    }

    /// Forgets everything.
    pub fn invalidate_all(&self) {
        self.shared.invalidate(None);
    }

    /// How many answers are stored (expired ones included until they are replaced or
    /// evicted).
    pub fn entry_count(&self) -> u64 {
        self.shared.entries.len() as u64
    }

    /// How many bytes the stored answers weigh (each at least an equal share of the byte
    /// budget among `max_entries`).
    pub fn weighted_size(&self) -> u64 {
        self.shared.entries.weight()
    }
}

/// Service of [`CacheLayer`].
#[derive(Clone)]
pub struct Cache<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S: std::fmt::Debug> std::fmt::Debug for Cache<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("inner", &self.inner)
            .field("config", &self.shared.config)
            .finish()
    }
}

inner_accessors!(Cache);

fn record(outcome: &'static str, key: &Lookup<'_>, internal: bool) {
    if !internal {
        tracing::Span::current().record("cache", outcome);
    }
    let target = key.target.unwrap_or_default();
    tracing::debug!(cache = outcome, kind = ?key.kind, target, caller = %key.caller, "cache {outcome}");
}

mcp_service! {
    impl Service<Request> for Cache<S>
    where {
        S: Clone + Send + 'static,
        S::Future: Send + 'static,
    }
    type Future = ResponseFuture;

    fn call(&mut self, req: Request) -> Self::Future {
        let shared = self.shared.clone();
        shared.sync();
        let kind = Kind::of(req.message()).filter(|&k| shared.enabled(k));
        let Some(kind) = kind else {
            let fut = self.inner.call(req);
            return ResponseFuture::new(async move { fut.await.map_err(Into::into) });
        };
        // Tools not named in the configuration are judged by their annotations, which a
        // clone of the inner service lists; the ready one answers the request.
        let lister = (kind == Kind::Call)
            .then(|| match req.message() {
                ClientRequest::CallTool(p) if !shared.config.tools.contains(&p.name) => {
                    Some(self.inner.clone())
                }
                _ => None,
            })
            .flatten();
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        ResponseFuture::new(async move {
            if let Some(lister) = lister {
                let name = match req.message() {
                    ClientRequest::CallTool(p) => p.name.as_str(),
                    _ => "",
                };
                let tool = shared
                    .catalog
                    .named::<Tool, _>(lister, req.extensions(), name)
                    .await;
                if !matches!(tool, Ok(Some(t)) if shared.config.annotated_tools && cacheable(&t)) {
                    return inner.call(req).await.map_err(Into::into);
                }
            }
            let Some(lookup) = Lookup::new(&req, &shared.hasher) else {
                return inner.call(req).await.map_err(Into::into);
            };
            let internal = crate::catalog::is_internal(&req);
            let now = Instant::now();
            if let Some(entry) = shared.get(&lookup, now) {
                record("hit", &lookup, internal);
                return Ok(entry.result.clone());
            }
            record("miss", &lookup, internal);
            let key = lookup.to_key();
            let epoch = shared.epoch.load(Ordering::SeqCst);
            let result = inner.call(req).await.map_err(Into::into)?;
            shared.store(key, &result, now, epoch);
            Ok(result)
        })
    }
}

/// Whether a tool's annotations say calling it again gives the same answer.
fn cacheable(tool: &Tool) -> bool {
    tool.annotations
        .as_ref()
        .is_some_and(|a| a.read_only_hint == Some(true) || a.idempotent_hint == Some(true))
}

boxed_response_future! {
    /// Response future of [`Cache`].
}

#[cfg(test)]
mod tests;
