//! [`OpenApi`]: the options, then a [`Router`] (or just the [`Components`]).

use std::sync::Arc;
use std::time::Duration;

use http::header::AUTHORIZATION;
use http::HeaderName;
use turret_core::Router;

use crate::client::HttpClient;
use crate::document::Spec;
use crate::error::Error;
use crate::execute::service::{CallConfig, Kind, OperationService};
use crate::generate::{generate, Components, Generated, Options};
use crate::naming::Naming;
use crate::operation::Operation;
use crate::report::Report;
use crate::route_map::{RouteMap, RouteOverride, Target};
use crate::schema::shape::SchemaShape;

/// Default per-call timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default bound on the `$defs` bytes of one output schema.
pub const DEFAULT_OUTPUT_DEFS_BUDGET: usize = 16 * 1024;
/// Default limit on a response body.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// A server generated from an OpenAPI description.
///
/// ```
/// use turret_openapi::{Naming, OpenApi, RouteMap, Spec};
///
/// let spec = Spec::parse(r#"{"openapi": "3.1.0", "info": {"title": "t"}, "paths": {
///     "/items/{id}": {"get": {"operationId": "getItem", "parameters": [
///         {"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}]}}}}"#)?;
/// let components = OpenApi::new(spec)
///     .route_maps(RouteMap::get_as_resources())
///     .naming(Naming::Improved)
///     .components()?;
/// assert_eq!(components.resource_templates[0].uri_template, "resource://getItem/{id}");
/// # Ok::<(), turret_openapi::Error>(())
/// ```
#[derive(Clone)]
pub struct OpenApi {
    spec: Arc<Spec>,
    maps: Vec<RouteMap>,
    over: Option<RouteOverride>,
    naming: Naming,
    base_url: Option<String>,
    timeout: Option<Duration>,
    forward: Vec<HeaderName>,
    max_body: usize,
    output_budget: Option<usize>,
    shape: SchemaShape,
}

impl std::fmt::Debug for OpenApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenApi")
            .field("maps", &self.maps)
            .field("naming", &self.naming)
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("forward", &self.forward)
            .finish_non_exhaustive()
    }
}

impl OpenApi {
    /// Every operation a tool, FastMCP-compatible names, the spec's first server URL, a
    /// 30 s timeout.
    pub fn new(spec: Spec) -> Self {
        Self {
            spec: Arc::new(spec),
            maps: RouteMap::all_tools(),
            over: None,
            naming: Naming::default(),
            base_url: None,
            timeout: Some(DEFAULT_TIMEOUT),
            forward: Vec::new(),
            max_body: DEFAULT_MAX_RESPONSE_BYTES,
            output_budget: Some(DEFAULT_OUTPUT_DEFS_BUDGET),
            shape: SchemaShape::default(),
        }
    }

    /// The route maps, tried in order (first match wins; no match: a tool).
    pub fn route_maps(mut self, maps: Vec<RouteMap>) -> Self {
        self.maps = maps;
        self
    }

    /// A function with the last word on each operation's target.
    pub fn route_override<F>(mut self, f: F) -> Self
    where
        F: Fn(&Operation<'_>, Target) -> Target + Send + Sync + 'static,
    {
        self.over = Some(Arc::new(f));
        self
    }

    /// The naming rules.
    pub fn naming(mut self, naming: Naming) -> Self {
        self.naming = naming;
        self
    }

    /// Where requests go (default: the spec's first server URL; empty for an in-process
    /// router).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The per-call timeout, reading the whole response body included (`None`: wait as
    /// long as the HTTP service does). Past it the tool call is an error result.
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// Headers of the incoming MCP request (over HTTP) to copy onto API requests: per-caller
    /// credentials such as `x-api-key`. `Authorization` is never forwarded: it carries the
    /// MCP bearer token, meant for this server only.
    pub fn forward_headers<I: IntoIterator<Item = HeaderName>>(mut self, names: I) -> Self {
        self.forward
            .extend(names.into_iter().filter(|n| n != AUTHORIZATION));
        self
    }

    /// The largest response body read (default 16 MiB). A larger one makes the call an
    /// error result; reading stops at the limit (or before, when the body declares its
    /// length), so an enormous response costs at most this much memory.
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_body = limit;
        self
    }

    /// Bounds the shared definitions an output schema carries (default 16 KiB; `None`: all
    /// reachable ones). Definitions are taken breadth first from the response's root;
    /// references to those past the budget become `{}` (any value), so the schema stays
    /// true, only less detailed deep down. Input schemas always carry every definition.
    pub fn output_definitions_budget(mut self, bytes: Option<usize>) -> Self {
        self.output_budget = bytes;
        self
    }

    /// How tool schemas carry shared definitions: `$defs` at the root (the default) or
    /// inlined, self-contained (see [`SchemaShape`]).
    pub fn schema_shape(mut self, shape: SchemaShape) -> Self {
        self.shape = shape;
        self
    }

    fn generated(&self) -> Result<(Vec<Generated>, Report), Error> {
        let options = Options {
            maps: &self.maps,
            over: self.over.as_ref(),
            naming: self.naming,
            output_budget: self.output_budget,
            shape: self.shape,
        };
        generate(&self.spec, &options)
    }

    /// The tools, resources and templates the spec generates, without an HTTP service.
    /// An operation that cannot be generated is left out; [`OpenApi::report`] says which
    /// and why.
    pub fn components(&self) -> Result<Components, Error> {
        let mut out = Components::default();
        for g in self.generated()?.0 {
            match g {
                Generated::Tool(t, _) => out.tools.push(t),
                Generated::Resource(r, _) => out.resources.push(r),
                Generated::Template(t, _, _) => out.resource_templates.push(t),
            }
        }
        Ok(out)
    }

    /// What became of each operation: the component it is, or why it was left out, and
    /// what was renamed or simplified on the way. With `notes` on the numbers of the spec
    /// that a tool's schema holds only as the nearest double.
    pub fn report(&self) -> Result<Report, Error> {
        let mut report = self.generated()?.1;
        report.notes.extend(self.spec.rounded_numbers());
        Ok(report)
    }

    /// The server: each operation a leaf calling `client` (see
    /// [`http_client`](crate::http_client)).
    pub fn into_router(self, client: HttpClient) -> Result<Router, Error> {
        let config = Arc::new(CallConfig {
            base_url: self
                .base_url
                .clone()
                .or_else(|| self.spec.server_url())
                .unwrap_or_default(),
            timeout: self.timeout,
            forward: self.forward.clone(),
            max_body: self.max_body,
        });
        let mut router = Router::new().name(self.spec.title().unwrap_or("openapi"));
        let leaf = |plan, kind| OperationService::new(plan, kind, config.clone(), client.clone());
        for g in self.generated()?.0 {
            router = match g {
                Generated::Tool(def, plan) => router.tool_service(def, leaf(plan, Kind::Tool)),
                Generated::Resource(def, plan) => {
                    router.resource_service(def, leaf(plan, Kind::Resource))
                }
                Generated::Template(def, parsed, plan) => {
                    router.resource_template_service(def, leaf(plan, Kind::Template(parsed)))
                }
            };
        }
        Ok(router)
    }
}
