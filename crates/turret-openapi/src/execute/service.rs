//! The leaf: one operation as a `tower::Service` over MCP requests.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::future::BoxFuture;
use http::{HeaderMap, HeaderName};
use serde_json::Value;
use tower::ServiceExt as _;
use tower_service::Service;
use turret_core::uri_template::UriTemplate;
use turret_core::Request;
use turret_types::{CallToolResult, ClientRequest, JsonObject, ServerResult};

use super::plan::Plan;
use super::request;
use super::response::{self, Read};
use crate::client::HttpClient;
use crate::error::BoxError;

/// How every leaf of one server calls the API.
#[derive(Debug, Clone)]
pub(crate) struct CallConfig {
    pub(crate) base_url: String,
    pub(crate) timeout: Option<Duration>,
    /// Headers of the incoming MCP request copied onto API requests.
    pub(crate) forward: Vec<HeaderName>,
    pub(crate) max_body: usize,
}

/// What the leaf answers.
#[derive(Debug)]
pub(crate) enum Kind {
    Tool,
    Resource,
    Template(UriTemplate),
}

#[derive(Debug)]
struct Leaf {
    plan: Plan,
    kind: Kind,
    config: Arc<CallConfig>,
}

/// One operation's leaf.
#[derive(Clone)]
pub(crate) struct OperationService {
    leaf: Arc<Leaf>,
    client: HttpClient,
}

impl OperationService {
    pub(crate) fn new(plan: Plan, kind: Kind, config: Arc<CallConfig>, client: HttpClient) -> Self {
        Self {
            leaf: Arc::new(Leaf { plan, kind, config }),
            client,
        }
    }
}

/// The configured headers of the MCP request (the HTTP edge stores its request parts).
fn forwarded(names: &[HeaderName], req: &Request) -> HeaderMap {
    let mut out = HeaderMap::new();
    if let Some(parts) = req.extensions().get::<http::request::Parts>() {
        for name in names {
            for value in parts.headers.get_all(name) {
                out.append(name.clone(), value.clone());
            }
        }
    }
    out
}

impl Leaf {
    async fn send(
        &self,
        client: HttpClient,
        args: &JsonObject,
        headers: &HeaderMap,
    ) -> Result<Read, String> {
        let req = request::build(&self.plan, &self.config.base_url, args, headers)?;
        let max_body = self.config.max_body;
        // The body is read under the same limit as the head: an API that sends its headers
        // and then trickles (or stalls) must not hold the call past the timeout.
        let call = async move {
            let response = client
                .oneshot(req)
                .await
                .map_err(|e| format!("calling the API failed: {e}"))?;
            response::read(response, max_body).await
        };
        match self.config.timeout {
            Some(t) => tokio::time::timeout(t, call)
                .await
                .map_err(|_| format!("the API did not answer within {t:?}"))?,
            None => call.await,
        }
    }

    async fn call(&self, client: HttpClient, req: Request) -> Result<ServerResult, String> {
        let headers = forwarded(&self.config.forward, &req);
        match (&self.kind, req.message()) {
            (Kind::Tool, ClientRequest::CallTool(p)) => {
                let args = p.arguments.clone().unwrap_or_default();
                let result = match self.send(client, &args, &headers).await {
                    Ok(read) => read.into_tool_result(self.plan.wrap_result),
                    Err(e) => CallToolResult::error(e),
                };
                Ok(ServerResult::CallTool(result))
            }
            (Kind::Resource | Kind::Template(_), ClientRequest::ReadResource(p)) => {
                let args = match &self.kind {
                    Kind::Template(t) => t
                        .match_uri(&p.uri)
                        .ok_or_else(|| format!("{} does not match {}", p.uri, t.as_str()))?
                        .into_iter()
                        .map(|(k, v)| (k, Value::String(v)))
                        .collect(),
                    _ => JsonObject::new(),
                };
                let read = self.send(client, &args, &headers).await?;
                Ok(ServerResult::ReadResource(
                    read.into_resource_result(&p.uri)?,
                ))
            }
            (_, other) => Err(format!("an OpenAPI leaf cannot answer {}", other.method())),
        }
    }
}

impl Service<Request> for OperationService {
    type Response = ServerResult;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<ServerResult, BoxError>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        // The HTTP service is driven to readiness per call (`oneshot` on a clone).
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let leaf = self.leaf.clone();
        let client = self.client.clone();
        Box::pin(async move {
            leaf.call(client, req)
                .await
                // The API's status and excerpt are what the client needs to see.
                .map_err(|e| BoxError::from(turret_core::McpError::internal(e)))
        })
    }
}
