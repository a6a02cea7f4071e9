//! Tool transformation (FastMCP's): show a backend's tools under other names, with other
//! descriptions and arguments, and with outputs derived from their results.
//!
//! Each [`ToolTransform`] rewrites one tool's definition in `tools/list` and maps a call of
//! the name it shows back to the backend: the backend's name, the backend's argument names,
//! hidden arguments set to their fixed values, defaults filled in. A renamed tool is not
//! callable under its old name (`-32602`, as for an unknown tool), and a backend tool that a
//! rename shadows is no longer listed. Everything else passes through untouched.
//!
//! ```
//! use schemars::JsonSchema;
//! use serde::Deserialize;
//! use serde_json::json;
//! use tower::{ServiceBuilder, ServiceExt as _};
//! use turret_core::types::{CallToolRequestParams, ClientRequest, ServerResult};
//! use turret_core::{tool_fn, Args, Request, Router};
//! use turret_layers::transform::{ToolTransform, TransformLayer};
//!
//! #[derive(Deserialize, JsonSchema)]
//! struct Search {
//!     q: String,
//!     index: String,
//! }
//!
//! async fn search(Args(s): Args<Search>) -> String {
//!     format!("{} in {}", s.q, s.index)
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let router = Router::new().tool("search_v2", tool_fn(search));
//! let transform = TransformLayer::new().tool(
//!     ToolTransform::new("search_v2")
//!         .rename("find")
//!         .rename_arg("q", "query")
//!         .hide_arg("index", json!("docs")),
//! );
//! let service = ServiceBuilder::new().layer(transform).service(router);
//! let call = ClientRequest::CallTool(CallToolRequestParams {
//!     name: "find".into(),
//!     arguments: json!({"query": "tower"}).as_object().cloned(),
//!     ..Default::default()
//! });
//! let Ok(ServerResult::CallTool(result)) = service.oneshot(Request::new(call)).await else {
//!     panic!()
//! };
//! assert_eq!(result.content[0].as_text(), Some("tower in docs"));
//! # }
//! ```

use std::collections::HashMap;
use std::sync::Arc;

use tower_layer::Layer;
use turret_core::types::{ClientRequest, ServerResult};
use turret_core::{McpError, Request};

mod tool;

pub use tool::ToolTransform;

#[derive(Debug, Clone, Default)]
struct Transforms {
    /// By the backend's name.
    by_source: HashMap<String, Arc<ToolTransform>>,
    /// By the name clients call.
    by_exposed: HashMap<String, Arc<ToolTransform>>,
}

/// Layer that transforms tools (see the [module docs](self)).
#[derive(Debug, Clone, Default)]
pub struct TransformLayer {
    transforms: Arc<Transforms>,
}

impl TransformLayer {
    /// A layer that transforms nothing until tools are added.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a tool's transformation.
    ///
    /// # Panics
    /// When that backend tool already has one, or another transformation shows a tool under
    /// the same name (a configuration mistake, caught at start-up).
    pub fn tool(mut self, transform: ToolTransform) -> Self {
        let transforms = Arc::make_mut(&mut self.transforms);
        let transform = Arc::new(transform);
        assert!(
            !transforms.by_source.contains_key(transform.source()),
            "the tool {:?} is transformed twice",
            transform.source()
        );
        assert!(
            !transforms.by_exposed.contains_key(transform.exposed()),
            "two transformed tools are named {:?}",
            transform.exposed()
        );
        transforms
            .by_source
            .insert(transform.source().to_owned(), transform.clone());
        transforms
            .by_exposed
            .insert(transform.exposed().to_owned(), transform);
        self
    }
}

impl<S> Layer<S> for TransformLayer {
    type Service = Transform<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Transform {
            inner,
            transforms: self.transforms.clone(),
        }
    }
}

/// Service of [`TransformLayer`].
#[derive(Debug, Clone)]
pub struct Transform<S> {
    inner: S,
    transforms: Arc<Transforms>,
}

inner_accessors!(Transform);

mcp_service! {
    impl Service<Request> for Transform<S>
    where {
        S::Future: Send + 'static,
    }
    type Future = ResponseFuture;

    fn call(&mut self, mut req: Request) -> Self::Future {
        let transforms = self.transforms.clone();
        let mut applied = None;
        match req.message_mut() {
            ClientRequest::ListTools(_) => {
                let fut = self.inner.call(req);
                return ResponseFuture::new(async move {
                    let mut result = fut.await.map_err(Into::into)?;
                    if let ServerResult::ListTools(list) = &mut result {
                        // A backend tool a rename shadows is gone; transformed ones change.
                        list.tools.retain(|t| {
                            transforms
                                .by_exposed
                                .get(&t.name)
                                .is_none_or(|x| x.source() == t.name)
                        });
                        for tool in &mut list.tools {
                            if let Some(x) = transforms.by_source.get(&tool.name) {
                                x.apply_to_definition(tool);
                            }
                        }
                    }
                    Ok(result)
                });
            }
            ClientRequest::CallTool(p) => {
                if let Some(x) = transforms.by_exposed.get(&p.name) {
                    p.name = x.source().to_owned();
                    p.arguments = x.apply_to_arguments(p.arguments.take());
                    applied = Some(x.clone());
                } else if transforms.by_source.contains_key(&p.name) {
                    let error = McpError::invalid_params(format!("unknown tool: {}", p.name));
                    return ResponseFuture::new(async move { Err(error.into()) });
                }
            }
            _ => {}
        }
        let fut = self.inner.call(req);
        ResponseFuture::new(async move {
            let mut result = fut.await.map_err(Into::into)?;
            if let (Some(x), ServerResult::CallTool(r)) = (applied, &mut result) {
                x.apply_to_result(r);
            }
            Ok(result)
        })
    }
}

boxed_response_future! {
    /// Response future of [`Transform`].
}

#[cfg(test)]
mod tests;
