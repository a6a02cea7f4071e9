//! Tool search for large catalogs: the wrapped service's `tools/list` becomes two
//! meta-tools, one that finds tools by what they do and one that calls them.
//!
//! A gateway over GitHub's and Stripe's APIs has about 1,700 tools; listing them all costs a
//! model more context than it has. Behind [`ToolSearchLayer`] a client lists
//!
//! * `search_tools` (`query`, optional `limit`, default 5): the tools that fit the query, as
//!   `structuredContent` `{"tools": [{"name", "description", "inputSchema", "score"}]}` and a
//!   short text. When the best score is under the [`threshold`](ToolSearchLayer::threshold)
//!   the list is empty and the text says that no tool fits.
//! * `call_tool` (`name`, `arguments`): calls the named tool through the wrapped service.
//!
//! plus the tools [pinned](ToolSearchLayer::pin) to be always listed. Every tool stays
//! callable by its own name. Ranking is BM25F over the tool's name split into words, title,
//! description, its first sentence and the arguments' names and descriptions, with English
//! stemming and a small table of synonyms (see [`Ranking`]); scores run from 0 to 1.
//!
//! The index is built from what the caller's own `tools/list` answers, so a
//! [`FilterLayer`](crate::FilterLayer) (or anything) inside this layer that hides tools from
//! a caller hides them from that caller's searches too, and `call_tool` of a hidden tool is
//! refused by it as if the tool did not exist. Callers who see the same tools share one
//! index. Views are kept per [`Caller`] for a [TTL](ToolSearchLayer::ttl) and dropped when
//! the inner service's tool list changes ([`refresh_on`](ToolSearchLayer::refresh_on)); a
//! request that names no caller ([`Caller::Anonymous`]) lists anew each time, since such
//! callers may see different tools. The meta-tools shadow inner tools of the same names:
//! rename them with [`names`](ToolSearchLayer::names) on a clash.
//!
//! ```
//! use serde_json::json;
//! use tower::{ServiceBuilder, ServiceExt as _};
//! use turret_core::types::{CallToolRequestParams, ClientRequest, ServerResult};
//! use turret_core::{tool_fn, Request, Router};
//! use turret_layers::ToolSearchLayer;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let router = Router::new()
//!     .tool("refund_charge", tool_fn(|| async { "refunded" }).description("Refunds a charge."))
//!     .tool("create_issue", tool_fn(|| async { "#1" }).description("Opens an issue."));
//! let service = ServiceBuilder::new()
//!     .layer(ToolSearchLayer::new().refresh_on(router.notifier().subscribe()))
//!     .service(router);
//! let search = ClientRequest::CallTool(CallToolRequestParams {
//!     name: "search_tools".into(),
//!     arguments: json!({"query": "refund a payment"}).as_object().cloned(),
//!     ..Default::default()
//! });
//! let ServerResult::CallTool(found) = service.oneshot(Request::new(search)).await.unwrap() else {
//!     panic!("a tool result")
//! };
//! let tools = &found.structured_content.unwrap()["tools"];
//! assert_eq!(tools[0]["name"], "refund_charge");
//! # }
//! ```
//!
//! Put the layer outside the layers that decide what a caller sees (filters, auth), and
//! inside those that should see the meta-tools as tools (tracing, rate limits).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::broadcast;
use tower_layer::Layer;
use tower_service::Service;
use turret_core::router::Change;
use turret_core::types::{
    CallToolRequestParams, CallToolResult, ClientRequest, ListToolsResult, ServerResult,
};
use turret_core::{BoxError, Request};

use crate::Caller;

mod index;
mod meta;
mod query;
mod rank;
mod synonyms;
mod tokenize;
mod views;

pub use index::ToolIndex;
pub use query::Hit;
pub use rank::Ranking;

use views::Views;

/// The score under which a search answers that no tool fits, by default. Chosen on the
/// evaluation set over the GitHub and Stripe catalogs (`tests/tool_search_eval.rs`): the best
/// tool of 171 of 172 answerable queries scores at least 0.3, that of every one of 25
/// queries no tool serves scores under 0.25; at 0.2, 4 of those 25 would get an answer.
pub const DEFAULT_THRESHOLD: f64 = 0.3;

#[derive(Debug, Clone)]
struct Config {
    search_name: String,
    call_name: String,
    pin: Vec<String>,
    limit: usize,
    threshold: f64,
    ttl: Duration,
    ranking: Ranking,
    max_callers: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            search_name: "search_tools".into(),
            call_name: "call_tool".into(),
            pin: Vec::new(),
            limit: 5,
            threshold: DEFAULT_THRESHOLD,
            ttl: Duration::from_secs(60),
            ranking: Ranking::default(),
            max_callers: 10_000,
        }
    }
}

/// What the services of one layer share.
struct Shared {
    config: Config,
    views: Views,
}

/// Layer that replaces a service's tool list with tool search (see the
/// [module docs](self)).
#[derive(Clone, Default)]
pub struct ToolSearchLayer {
    config: Config,
    changes: Option<Arc<broadcast::Receiver<Change>>>,
    shared: Arc<OnceLock<Arc<Shared>>>,
}

impl std::fmt::Debug for ToolSearchLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolSearchLayer")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl ToolSearchLayer {
    /// Tool search with the defaults: meta-tools `search_tools` and `call_tool`, 5 results,
    /// threshold [`DEFAULT_THRESHOLD`], views kept 60 s.
    pub fn new() -> Self {
        Self::default()
    }

    fn with(mut self, f: impl FnOnce(&mut Config)) -> Self {
        f(&mut self.config);
        self.shared = Arc::default();
        self
    }

    /// Lists these tools beside the meta-tools, for every caller who can see them.
    pub fn pin<I>(self, names: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.with(|c| c.pin.extend(names.into_iter().map(Into::into)))
    }

    /// How many tools a search returns when the query does not say (default 5, at most 50).
    pub fn limit(self, limit: usize) -> Self {
        self.with(|c| c.limit = limit.clamp(1, meta::MAX_LIMIT))
    }

    /// The score (0 to 1) the best tool must reach for a search to return anything
    /// (default [`DEFAULT_THRESHOLD`]); 0 always returns what matches at all.
    pub fn threshold(self, threshold: f64) -> Self {
        self.with(|c| c.threshold = threshold.clamp(0.0, 1.0))
    }

    /// The names of the meta-tools (default `search_tools` and `call_tool`).
    pub fn names(self, search: impl Into<String>, call: impl Into<String>) -> Self {
        self.with(|c| {
            c.search_name = search.into();
            c.call_name = call.into();
        })
    }

    /// How long a caller's view of the tools is trusted without a change saying otherwise
    /// (default 60 s).
    pub fn ttl(self, ttl: Duration) -> Self {
        self.with(|c| c.ttl = ttl)
    }

    /// How tools are ranked (default: [`Ranking::default`]).
    pub fn ranking(self, ranking: Ranking) -> Self {
        self.with(|c| c.ranking = ranking)
    }

    /// How many callers' views are kept at most (default 10,000; callers with the same
    /// view share one index, so this bounds the small per-caller entries).
    pub fn max_callers(self, max: usize) -> Self {
        self.with(|c| c.max_callers = max)
    }

    /// Drops every view when these changes say the tool list changed (from
    /// [`Notifier::subscribe`](turret_core::Notifier::subscribe)).
    pub fn refresh_on(mut self, changes: broadcast::Receiver<Change>) -> Self {
        self.changes = Some(Arc::new(changes));
        self.shared = Arc::default();
        self
    }

    fn shared(&self) -> Arc<Shared> {
        self.shared
            .get_or_init(|| {
                let c = &self.config;
                let changes = self.changes.as_ref().map(|c| c.resubscribe());
                Arc::new(Shared {
                    views: Views::new(c.ttl, c.ranking, c.max_callers, changes),
                    config: c.clone(),
                })
            })
            .clone()
    }
}

impl<S> Layer<S> for ToolSearchLayer {
    type Service = ToolSearch<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ToolSearch {
            inner,
            shared: self.shared(),
        }
    }
}

/// Service of [`ToolSearchLayer`].
#[derive(Clone)]
pub struct ToolSearch<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S: std::fmt::Debug> std::fmt::Debug for ToolSearch<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolSearch")
            .field("inner", &self.inner)
            .field("config", &self.shared.config)
            .finish()
    }
}

inner_accessors!(ToolSearch);

/// What a request asks of this layer.
enum Action {
    List,
    Search,
    Call,
    Forward,
}

impl Shared {
    fn action(&self, message: &ClientRequest) -> Action {
        match message {
            ClientRequest::ListTools(_) => Action::List,
            ClientRequest::CallTool(p) if p.name == self.config.search_name => Action::Search,
            ClientRequest::CallTool(p) if p.name == self.config.call_name => Action::Call,
            _ => Action::Forward,
        }
    }

    fn meta_tools(&self) -> Vec<turret_core::types::Tool> {
        let c = &self.config;
        vec![
            meta::search_tool(&c.search_name, &c.call_name, c.limit),
            meta::call_tool(&c.call_name, &c.search_name),
        ]
    }

    async fn list<S>(&self, lister: S, req: &Request) -> Result<ServerResult, BoxError>
    where
        S: Service<Request, Response = ServerResult> + Clone,
        S::Error: Into<BoxError>,
    {
        let mut tools = self.meta_tools();
        if !self.config.pin.is_empty() {
            let index = self
                .views
                .index(lister, req.extensions(), Caller::of(req))
                .await?;
            let pinned = self.config.pin.iter().filter_map(|name| index.get(name));
            tools.extend(pinned.map(|t| (**t).clone()));
        }
        Ok(ServerResult::ListTools(ListToolsResult {
            tools,
            ..Default::default()
        }))
    }

    async fn search<S>(&self, lister: S, req: &Request) -> Result<ServerResult, BoxError>
    where
        S: Service<Request, Response = ServerResult> + Clone,
        S::Error: Into<BoxError>,
    {
        let ClientRequest::CallTool(params) = req.message() else {
            unreachable!("a search is a tool call")
        };
        let args = match meta::search_args(params.arguments.as_ref(), self.config.limit) {
            Ok(args) => args,
            Err(message) => return Ok(ServerResult::CallTool(CallToolResult::error(message))),
        };
        let index = self
            .views
            .index(lister, req.extensions(), Caller::of(req))
            .await?;
        let mut hits = index.search(&args.query, args.limit);
        if hits
            .first()
            .is_none_or(|h| h.score() < self.config.threshold)
        {
            hits.clear();
        }
        Ok(ServerResult::CallTool(meta::answer(
            &args.query,
            &hits,
            index.len(),
        )))
    }

    /// The request `call_tool` stands for, or the error result refusing it.
    fn forwarded(&self, req: Request) -> Result<Request, CallToolResult> {
        let (message, ext) = req.into_parts();
        let ClientRequest::CallTool(params) = message else {
            unreachable!("a call is a tool call")
        };
        let (name, arguments) =
            meta::call_args(params.arguments.as_ref()).map_err(CallToolResult::error)?;
        if name == self.config.search_name || name == self.config.call_name {
            return Err(CallToolResult::error(format!(
                "`{name}` is a meta-tool: call it directly"
            )));
        }
        let call = CallToolRequestParams {
            name,
            arguments,
            ..params
        };
        Ok(Request::from_parts(ClientRequest::CallTool(call), ext))
    }
}

mcp_service! {
    impl Service<Request> for ToolSearch<S>
    where {
        S: Clone + Send + 'static,
        S::Future: Send + 'static,
    }
    type Future = ResponseFuture;

    fn call(&mut self, req: Request) -> Self::Future {
        let shared = self.shared.clone();
        shared.views.sync();
        let action = shared.action(req.message());
        if let Action::Forward = action {
            let fut = self.inner.call(req);
            return ResponseFuture::new(async move { fut.await.map_err(Into::into) });
        }
        let lister = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, lister.clone());
        ResponseFuture::new(async move {
            match action {
                Action::List => shared.list(lister, &req).await,
                Action::Search => shared.search(lister, &req).await,
                Action::Call => match shared.forwarded(req) {
                    Ok(call) => inner.call(call).await.map_err(Into::into),
                    Err(refused) => Ok(ServerResult::CallTool(refused)),
                },
                Action::Forward => unreachable!("forwarded above"),
            }
        })
    }
}

boxed_response_future! {
    /// Response future of [`ToolSearch`].
}

#[cfg(test)]
mod tests;
