//! Extractors: what a handler's arguments are built from.

use std::fmt;
use std::sync::Arc;

use http::Extensions;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;
use turret_types::JsonObject;

use crate::context::Context;
use crate::error::McpError;
use crate::mrtr::InputCollector;
use crate::request::RequestContext;

/// What extractors read from: the call's arguments (a tool's arguments, a prompt's
/// arguments, a resource template's variables) and the request's extensions.
#[derive(Debug)]
pub struct CallParts {
    arguments: JsonObject,
    extensions: Extensions,
}

impl CallParts {
    /// Parts from arguments and extensions.
    pub fn new(arguments: JsonObject, extensions: Extensions) -> Self {
        Self {
            arguments,
            extensions,
        }
    }

    /// The arguments object.
    pub fn arguments(&self) -> &JsonObject {
        &self.arguments
    }

    /// The request's extensions.
    pub fn extensions(&self) -> &Extensions {
        &self.extensions
    }
}

/// Why an extractor could not build its value.
#[derive(Debug, Clone)]
pub struct Rejection {
    error: McpError,
    arguments: bool,
}

impl Rejection {
    /// The arguments do not fit the handler's type. For tools this becomes a result with
    /// `isError` so the model can correct itself; for prompts and resources, `-32602`.
    pub fn invalid_arguments(message: impl Into<String>) -> Self {
        Self {
            error: McpError::invalid_params(message),
            arguments: true,
        }
    }

    /// The server is set up wrong (for example a missing extension): `-32603`.
    pub fn misconfigured(message: impl Into<String>) -> Self {
        Self {
            error: McpError::internal(message),
            arguments: false,
        }
    }

    /// Whether the arguments were at fault.
    pub fn is_invalid_arguments(&self) -> bool {
        self.arguments
    }

    /// The protocol error this rejection becomes.
    pub fn into_error(self) -> McpError {
        self.error
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.error.message())
    }
}

impl std::error::Error for Rejection {}

/// Builds a handler argument from the call. Implement it for your own extractors.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a handler argument",
    note = "handler arguments are extractors: `Args<T>`, `Context`, `State<T>`, `Extension<T>`, `RequestContext`"
)]
pub trait FromCall<S>: Sized {
    /// Extracts the value.
    fn from_call(parts: &mut CallParts, state: &S) -> Result<Self, Rejection>;

    /// The JSON Schema of the arguments this extractor reads, if it reads them.
    fn input_schema() -> Option<Arc<JsonObject>> {
        None
    }
}

/// The call's arguments, deserialized into `T`; the tool's input schema comes from the
/// same type.
///
/// ```
/// use schemars::JsonSchema;
/// use serde::Deserialize;
/// use turret_core::Args;
///
/// #[derive(Deserialize, JsonSchema)]
/// struct Add {
///     /// The first addend.
///     a: i64,
///     b: i64,
/// }
///
/// async fn add(Args(Add { a, b }): Args<Add>) -> String {
///     (a + b).to_string()
/// }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Args<T>(pub T);

impl<S, T: DeserializeOwned + JsonSchema> FromCall<S> for Args<T> {
    fn from_call(parts: &mut CallParts, _: &S) -> Result<Self, Rejection> {
        let arguments = std::mem::take(&mut parts.arguments);
        serde_json::from_value(Value::Object(arguments))
            .map(Args)
            .map_err(|e| Rejection::invalid_arguments(format!("invalid arguments: {e}")))
    }

    fn input_schema() -> Option<Arc<JsonObject>> {
        Some(Arc::new(schema_object::<T>()))
    }
}

/// The JSON Schema of `T` as an object (draft 2020-12, as `schemars` generates it).
pub fn schema_object<T: JsonSchema>() -> JsonObject {
    match schemars::schema_for!(T).to_value() {
        Value::Object(o) => o,
        _ => JsonObject::new(),
    }
}

/// The state given to [`Router::with_state`](crate::Router::with_state).
#[derive(Debug, Clone, Copy, Default)]
pub struct State<T>(pub T);

impl<S: Clone> FromCall<S> for State<S> {
    fn from_call(_: &mut CallParts, state: &S) -> Result<Self, Rejection> {
        Ok(State(state.clone()))
    }
}

/// A value a layer or the edge put into the request's extensions.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extension<T>(pub T);

impl<S, T: Clone + Send + Sync + 'static> FromCall<S> for Extension<T> {
    fn from_call(parts: &mut CallParts, _: &S) -> Result<Self, Rejection> {
        parts
            .extensions
            .get::<T>()
            .cloned()
            .map(Extension)
            .ok_or_else(|| {
                Rejection::misconfigured(format!(
                    "missing request extension {}: is the layer that inserts it applied?",
                    std::any::type_name::<T>()
                ))
            })
    }
}

impl<S> FromCall<S> for RequestContext {
    fn from_call(parts: &mut CallParts, _: &S) -> Result<Self, Rejection> {
        Ok(parts
            .extensions
            .get::<RequestContext>()
            .cloned()
            .unwrap_or_default())
    }
}

impl<S> FromCall<S> for Context {
    fn from_call(parts: &mut CallParts, state: &S) -> Result<Self, Rejection> {
        let request = RequestContext::from_call(parts, state)?;
        Ok(Context::new(
            request,
            parts.extensions.get::<InputCollector>().cloned(),
        ))
    }
}

impl<S, T: FromCall<S>> FromCall<S> for Option<T> {
    fn from_call(parts: &mut CallParts, state: &S) -> Result<Self, Rejection> {
        Ok(T::from_call(parts, state).ok())
    }

    fn input_schema() -> Option<Arc<JsonObject>> {
        T::input_schema()
    }
}
