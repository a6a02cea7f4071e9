//! Leaves of the router: what answers one tool, resource or prompt.
//!
//! A leaf is a service over [`Request`]. Handlers become leaves through the adapters here;
//! any other service (a proxied backend, an HTTP operation) is a leaf as it is.

use std::marker::PhantomData;

use futures_util::future::BoxFuture;
use tower::util::BoxCloneSyncService;
use tower::ServiceExt as _;
use turret_types::{CallToolResult, ClientRequest, JsonObject, ServerResult};

use crate::error::BoxError;
use crate::handler::into_result::{IntoCallToolResult, IntoGetPromptResult, IntoReadResourceResult};
use crate::handler::{CallParts, Handler};
use crate::request::Request;

/// The future every leaf returns once erased.
pub(crate) type EndpointFuture = BoxFuture<'static, Result<ServerResult, BoxError>>;

/// A leaf, erased, given the router's state on each call.
pub(crate) trait Endpoint<S>: Send + Sync + 'static {
    fn call(&self, req: Request, state: &S) -> EndpointFuture;
}

/// A boxed service leaf.
pub(crate) type BoxedService = BoxCloneSyncService<Request, ServerResult, BoxError>;

impl<S> Endpoint<S> for BoxedService {
    fn call(&self, req: Request, _: &S) -> EndpointFuture {
        Box::pin(self.clone().oneshot(req))
    }
}

/// The URI a resource handler is reading, in its extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceUri(pub String);

/// Which kind of leaf a handler is: decides where arguments come from and how the output
/// becomes a result.
pub(crate) struct HandlerEndpoint<H, T, K> {
    pub(crate) handler: H,
    pub(crate) mime_type: Option<String>,
    pub(crate) _kind: PhantomData<fn() -> (T, K)>,
}

pub(crate) struct ToolKind;
pub(crate) struct ResourceKind;
pub(crate) struct PromptKind;

fn string_map(map: Option<std::collections::BTreeMap<String, String>>) -> JsonObject {
    map.unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.into()))
        .collect()
}

impl<H, T, S> Endpoint<S> for HandlerEndpoint<H, T, ToolKind>
where
    H: Handler<T, S>,
    H::Output: IntoCallToolResult,
    S: Clone + Send + Sync + 'static,
    T: 'static,
{
    fn call(&self, req: Request, state: &S) -> EndpointFuture {
        let (message, extensions) = req.into_parts();
        let arguments = match message {
            ClientRequest::CallTool(p) => p.arguments.unwrap_or_default(),
            _ => JsonObject::new(),
        };
        let fut = self
            .handler
            .clone()
            .call(CallParts::new(arguments, extensions), state.clone());
        Box::pin(async move {
            let result = match fut.await {
                Ok(output) => output.into_call_tool_result(),
                // Bad arguments are the model's to fix: a tool error it can read, not a protocol error.
                Err(r) if r.is_invalid_arguments() => CallToolResult::error(r.to_string()),
                Err(r) => return Err(r.into_error().into()),
            };
            Ok(ServerResult::CallTool(result))
        })
    }
}

impl<H, T, S> Endpoint<S> for HandlerEndpoint<H, T, ResourceKind>
where
    H: Handler<T, S>,
    H::Output: IntoReadResourceResult,
    S: Clone + Send + Sync + 'static,
    T: 'static,
{
    fn call(&self, req: Request, state: &S) -> EndpointFuture {
        let (_, mut extensions) = req.into_parts();
        let uri = extensions.remove::<ResourceUri>().unwrap_or(ResourceUri(String::new()));
        let variables = extensions
            .get::<TemplateVariables>()
            .map(|v| v.0.clone())
            .unwrap_or_default();
        extensions.insert(uri.clone());
        let fut = self
            .handler
            .clone()
            .call(CallParts::new(variables, extensions), state.clone());
        let mime = self.mime_type.clone();
        Box::pin(async move {
            let output = fut.await.map_err(|r| r.into_error())?;
            Ok(ServerResult::ReadResource(output.into_read_result(&uri.0, mime.as_deref())?))
        })
    }
}

/// Variables matched from a resource template, as a JSON object of strings.
#[derive(Debug, Clone, Default)]
pub(crate) struct TemplateVariables(pub(crate) JsonObject);

impl<H, T, S> Endpoint<S> for HandlerEndpoint<H, T, PromptKind>
where
    H: Handler<T, S>,
    H::Output: IntoGetPromptResult,
    S: Clone + Send + Sync + 'static,
    T: 'static,
{
    fn call(&self, req: Request, state: &S) -> EndpointFuture {
        let (message, extensions) = req.into_parts();
        let arguments = match message {
            ClientRequest::GetPrompt(p) => string_map(p.arguments),
            _ => JsonObject::new(),
        };
        let fut = self
            .handler
            .clone()
            .call(CallParts::new(arguments, extensions), state.clone());
        Box::pin(async move {
            let output = fut.await.map_err(|r| r.into_error())?;
            Ok(ServerResult::GetPrompt(output.into_prompt_result()?))
        })
    }
}
