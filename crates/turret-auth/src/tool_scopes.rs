//! Scopes per tool: a tool the caller's token does not cover is hidden from `tools/list` and
//! refused on `tools/call`.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use pin_project_lite::pin_project;
use serde_json::json;
use tower_layer::Layer;
use tower_service::Service;
use turret_core::types::{ClientRequest, ServerResult};
use turret_core::{BoxError, Identity, McpError, Request};

/// Makes tools need scopes.
///
/// The caller's scopes are those of the [`Identity`] in the request's extensions (or in the
/// HTTP request parts the streamable HTTP edge attaches, where [`AuthLayer`](crate::AuthLayer)
/// put it). A request with no identity holds no scopes. For tools the caller may not use:
/// - `tools/list` leaves them out;
/// - `tools/call` answers a JSON-RPC error, `-32602`, whose message names the scopes needed
///   and whose `data` is `{"error": "insufficient_scope", "scope": "…"}`.
///
/// Scopes the whole endpoint needs belong on [`AuthLayer::required_scopes`](crate::AuthLayer::required_scopes)
/// instead, which answers 403 at the HTTP level.
///
/// ```
/// use tower::{ServiceBuilder, ServiceExt as _};
/// use turret_auth::ToolScopesLayer;
/// use turret_core::types::{CallToolRequestParams, ClientRequest};
/// use turret_core::{tool_fn, Identity, McpError, Request, Router};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let service = ServiceBuilder::new()
///     .layer(ToolScopesLayer::new().tool("drop_tables", ["admin"]))
///     .service(Router::new().tool("drop_tables", tool_fn(|| async { "gone" })));
/// let call = ClientRequest::CallTool(CallToolRequestParams {
///     name: "drop_tables".into(),
///     ..Default::default()
/// });
/// let mut req = Request::new(call);
/// req.extensions_mut().insert(Identity::new("bob").with_scopes(["read".to_owned()]));
/// let error = McpError::from_box_error(service.oneshot(req).await.unwrap_err());
/// assert!(error.message().contains("admin"));
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct ToolScopesLayer {
    tools: Arc<HashMap<String, Vec<String>>>,
}

impl ToolScopesLayer {
    /// No tool needs a scope yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The tool `name` needs every one of `scopes`.
    pub fn tool<I>(mut self, name: impl Into<String>, scopes: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        Arc::make_mut(&mut self.tools)
            .insert(name.into(), scopes.into_iter().map(Into::into).collect());
        self
    }
}

impl<S> Layer<S> for ToolScopesLayer {
    type Service = ToolScopes<S>;

    fn layer(&self, inner: S) -> ToolScopes<S> {
        ToolScopes {
            inner,
            tools: self.tools.clone(),
        }
    }
}

/// Service of [`ToolScopesLayer`].
#[derive(Debug, Clone)]
pub struct ToolScopes<S> {
    inner: S,
    tools: Arc<HashMap<String, Vec<String>>>,
}

impl<S> ToolScopes<S> {
    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// Consumes the layer, returning the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

/// The scopes `tool` needs that `identity` lacks (empty: allowed).
fn missing<'a>(
    tools: &'a HashMap<String, Vec<String>>,
    tool: &str,
    identity: Option<&Identity>,
) -> Vec<&'a str> {
    tools.get(tool).map_or_else(Vec::new, |needed| {
        needed
            .iter()
            .filter(|s| !identity.is_some_and(|i| i.has_scope(s)))
            .map(String::as_str)
            .collect()
    })
}

impl<S> Service<Request> for ToolScopes<S>
where
    S: Service<Request, Response = ServerResult>,
    S::Error: Into<BoxError>,
{
    type Response = ServerResult;
    type Error = BoxError;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let identity = req.extensions().get::<Identity>().cloned();
        let kind = match req.message() {
            ClientRequest::CallTool(p) => {
                let lacking = missing(&self.tools, &p.name, identity.as_ref());
                if !lacking.is_empty() {
                    let scope = lacking.join(" ");
                    let error = McpError::invalid_params(format!(
                        "insufficient scope: the tool `{}` needs {scope}",
                        p.name
                    ))
                    .with_data(json!({"error": "insufficient_scope", "scope": scope}));
                    return ResponseFuture {
                        kind: Kind::Refused { error: Some(error) },
                    };
                }
                Kind::Pass {
                    future: self.inner.call(req),
                }
            }
            ClientRequest::ListTools(_) => Kind::List {
                future: self.inner.call(req),
                tools: self.tools.clone(),
                identity,
            },
            _ => Kind::Pass {
                future: self.inner.call(req),
            },
        };
        ResponseFuture { kind }
    }
}

pin_project! {
    /// Response future of [`ToolScopes`].
    pub struct ResponseFuture<F> {
        #[pin]
        kind: Kind<F>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F> {
        Refused { error: Option<McpError> },
        List {
            #[pin]
            future: F,
            tools: Arc<HashMap<String, Vec<String>>>,
            identity: Option<Identity>,
        },
        Pass { #[pin] future: F },
    }
}

impl<F> std::fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<F, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<ServerResult, E>>,
    E: Into<BoxError>,
{
    type Output = Result<ServerResult, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Refused { error } => Poll::Ready(Err(error
                .take()
                .unwrap_or_else(|| McpError::internal("polled after completion"))
                .into())),
            KindProj::Pass { future } => future.poll(cx).map_err(Into::into),
            KindProj::List {
                future,
                tools,
                identity,
            } => {
                let mut result = ready!(future.poll(cx)).map_err(Into::into)?;
                if let ServerResult::ListTools(list) = &mut result {
                    list.tools
                        .retain(|t| missing(tools, &t.name, identity.as_ref()).is_empty());
                }
                Poll::Ready(Ok(result))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use tower::ServiceExt as _;
    use turret_core::types::PaginatedRequestParams;
    use turret_core::{tool_fn, Router};

    use super::*;

    #[tokio::test]
    async fn tools_without_their_scopes_are_hidden() {
        let router = Router::new()
            .tool("read", tool_fn(|| async { "r" }))
            .tool("admin", tool_fn(|| async { "a" }));
        let layer = ToolScopesLayer::new().tool("admin", ["admin"]);
        let list = |scopes: &[&str]| {
            let mut req = Request::new(ClientRequest::ListTools(PaginatedRequestParams::default()));
            let scopes = scopes.iter().map(|s| (*s).to_owned());
            req.extensions_mut()
                .insert(Identity::new("x").with_scopes(scopes));
            layer.layer(router.clone()).oneshot(req)
        };
        let names = |r: ServerResult| match r {
            ServerResult::ListTools(l) => l.tools.into_iter().map(|t| t.name).collect::<Vec<_>>(),
            _ => Vec::new(),
        };
        let mut all = names(list(&["admin"]).await.unwrap());
        all.sort();
        assert_eq!(all, ["admin", "read"]);
        assert_eq!(names(list(&["read"]).await.unwrap()), ["read"]);
    }
}
