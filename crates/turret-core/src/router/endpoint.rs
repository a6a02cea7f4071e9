//! Leaves of the router: what answers one tool, resource or prompt.
//!
//! A leaf is a service over [`Request`]. Handlers become leaves through the adapters here;
//! any other service (a proxied backend, an HTTP operation) is a leaf as it is.

use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;

use futures_util::future::BoxFuture;
use futures_util::FutureExt as _;
use http::Extensions;
use tower::util::BoxCloneSyncService;
use tower::ServiceExt as _;
use turret_types::{CallToolResult, ClientRequest, JsonObject, ServerResult};

use crate::error::{BoxError, McpError};
use crate::handler::into_result::{
    IntoCallToolResult, IntoGetPromptResult, IntoReadResourceResult,
};
use crate::handler::{CallParts, Handler, Rejection};
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

/// How one kind of leaf reads its arguments and finishes its output.
pub(crate) trait LeafKind<O>: 'static {
    /// Takes the arguments out of the request (and notes what `finish` needs).
    fn arguments(message: ClientRequest, extensions: &mut Extensions) -> JsonObject;

    /// Turns the handler's outcome into the result.
    fn finish(outcome: Result<O, Rejection>, finish: Finish) -> Result<ServerResult, BoxError>;
}

/// What `finish` may need: the URI a resource handler read and its declared MIME type.
pub(crate) struct Finish {
    uri: String,
    mime_type: Option<String>,
}

impl<H, T, S, K> Endpoint<S> for HandlerEndpoint<H, T, K>
where
    H: Handler<T, S>,
    K: LeafKind<H::Output>,
    S: Clone + Send + Sync + 'static,
    T: 'static,
{
    fn call(&self, req: Request, state: &S) -> EndpointFuture {
        let (message, mut extensions) = req.into_parts();
        let arguments = K::arguments(message, &mut extensions);
        let finish = Finish {
            uri: extensions
                .get::<ResourceUri>()
                .map(|u| u.0.clone())
                .unwrap_or_default(),
            mime_type: self.mime_type.clone(),
        };
        let (handler, state) = (self.handler.clone(), state.clone());
        // The handler runs inside the future, so a panic in its synchronous part is caught too.
        let fut = async move {
            handler
                .call(CallParts::new(arguments, extensions), state)
                .await
        };
        Box::pin(async move {
            match AssertUnwindSafe(fut).catch_unwind().await {
                Ok(outcome) => K::finish(outcome, finish),
                // A panicking handler is a bug in it, not a reason to lose the request or the
                // connection: the caller gets an internal error (no panic text: it may hold
                // paths or data), and the panic hook has already logged it to stderr.
                Err(_) => {
                    tracing::error!("a handler panicked; answering with an internal error");
                    Err(McpError::internal("internal error").into())
                }
            }
        })
    }
}

impl<O: IntoCallToolResult> LeafKind<O> for ToolKind {
    fn arguments(message: ClientRequest, _: &mut Extensions) -> JsonObject {
        match message {
            ClientRequest::CallTool(p) => p.arguments.unwrap_or_default(),
            _ => JsonObject::new(),
        }
    }

    fn finish(outcome: Result<O, Rejection>, _: Finish) -> Result<ServerResult, BoxError> {
        let result = match outcome {
            Ok(output) => output.into_call_tool_result(),
            // Bad arguments are the model's to fix: a tool error it can read, not a protocol error.
            Err(r) if r.is_invalid_arguments() => CallToolResult::error(r.to_string()),
            Err(r) => return Err(r.into_error().into()),
        };
        Ok(ServerResult::CallTool(result))
    }
}

/// Variables matched from a resource template, as a JSON object of strings.
#[derive(Debug, Clone, Default)]
pub(crate) struct TemplateVariables(pub(crate) JsonObject);

impl<O: IntoReadResourceResult> LeafKind<O> for ResourceKind {
    fn arguments(_: ClientRequest, extensions: &mut Extensions) -> JsonObject {
        extensions
            .remove::<TemplateVariables>()
            .map(|v| v.0)
            .unwrap_or_default()
    }

    fn finish(outcome: Result<O, Rejection>, f: Finish) -> Result<ServerResult, BoxError> {
        let output = outcome.map_err(Rejection::into_error)?;
        Ok(ServerResult::ReadResource(
            output.into_read_result(&f.uri, f.mime_type.as_deref())?,
        ))
    }
}

impl<O: IntoGetPromptResult> LeafKind<O> for PromptKind {
    fn arguments(message: ClientRequest, _: &mut Extensions) -> JsonObject {
        match message {
            ClientRequest::GetPrompt(p) => string_map(p.arguments),
            _ => JsonObject::new(),
        }
    }

    fn finish(outcome: Result<O, Rejection>, _: Finish) -> Result<ServerResult, BoxError> {
        let output = outcome.map_err(Rejection::into_error)?;
        Ok(ServerResult::GetPrompt(output.into_prompt_result()?))
    }
}

#[cfg(test)]
mod tests {
    use tower::ServiceExt as _;
    use turret_types::{CallToolRequestParams, ClientRequest, ErrorCode, ServerResult};

    use crate::{tool_fn, McpError, Request, Router};

    fn call(name: &str) -> Request {
        Request::new(ClientRequest::CallTool(CallToolRequestParams {
            name: name.to_owned(),
            ..Default::default()
        }))
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_an_internal_error_and_the_router_keeps_serving() {
        let router = Router::new()
            .tool(
                "boom",
                tool_fn(|| async { panic!("secret at /home/user/.aws/credentials") as String }),
            )
            .tool("fine", tool_fn(|| async { "fine" }));
        for _ in 0..2 {
            let error: McpError = router.clone().oneshot(call("boom")).await.unwrap_err();
            assert_eq!(error.code(), ErrorCode::INTERNAL_ERROR);
            assert_eq!(error.message(), "internal error");
            let answer = router.clone().oneshot(call("fine")).await.unwrap();
            assert!(matches!(answer, ServerResult::CallTool(r) if r.is_error != Some(true)));
        }
    }
}
