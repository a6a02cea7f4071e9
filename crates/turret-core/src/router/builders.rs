//! `tool_fn`, `resource_fn`, `prompt_fn`: a handler plus the metadata clients list.

use std::marker::PhantomData;
use std::sync::Arc;

use serde_json::Value;
use turret_types::{Icon, JsonObject, PromptArgument, ToolAnnotations};

use crate::handler::Handler;

/// Builder methods that set an optional text field from anything `Into<String>`: each
/// `/// docs field;` entry becomes `pub fn field(mut self, field: impl Into<String>) -> Self`,
/// storing `Some(field.into())` in the field of the same name.
macro_rules! text_setters {
    ($($(#[$doc:meta])* $field:ident;)+) => {
        $(
            $(#[$doc])*
            pub fn $field(mut self, $field: impl Into<String>) -> Self {
                self.$field = Some($field.into());
                self
            }
        )+
    };
}

/// A tool handler and its listing metadata; register it with
/// [`Router::tool`](crate::Router::tool).
///
/// ```
/// use turret_core::{tool_fn, Router};
///
/// async fn hello() -> &'static str {
///     "hello"
/// }
///
/// let router = Router::new().tool("hello", tool_fn(hello).description("Says hello"));
/// ```
#[derive(Debug, Clone)]
pub struct ToolBuilder<H, T> {
    pub(crate) handler: H,
    pub(crate) title: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) annotations: Option<ToolAnnotations>,
    pub(crate) input_schema: Option<Arc<JsonObject>>,
    pub(crate) output_schema: Option<Arc<JsonObject>>,
    pub(crate) icons: Option<Vec<Icon>>,
    pub(crate) _args: PhantomData<fn() -> T>,
}

/// Starts a tool from an async fn (see [`ToolBuilder`]).
pub fn tool_fn<H, T>(handler: H) -> ToolBuilder<H, T> {
    ToolBuilder {
        handler,
        title: None,
        description: None,
        annotations: None,
        input_schema: None,
        output_schema: None,
        icons: None,
        _args: PhantomData,
    }
}

impl<H, T> ToolBuilder<H, T> {
    text_setters! {
        /// What the tool does, for the model.
        description;
        /// A human-readable title.
        title;
    }

    /// Behaviour hints.
    pub fn annotations(mut self, annotations: ToolAnnotations) -> Self {
        self.annotations = Some(annotations);
        self
    }

    /// Icons.
    pub fn icons(mut self, icons: Vec<Icon>) -> Self {
        self.icons = Some(icons);
        self
    }

    /// Replaces the input schema derived from the handler's `Args<T>` (it is sent verbatim).
    pub fn input_schema(mut self, schema: JsonObject) -> Self {
        self.input_schema = Some(Arc::new(schema));
        self
    }

    /// Replaces the output schema derived from the handler's return type.
    pub fn output_schema(mut self, schema: JsonObject) -> Self {
        self.output_schema = Some(Arc::new(schema));
        self
    }

    pub(crate) fn schema<S>(&self) -> Arc<JsonObject>
    where
        H: Handler<T, S>,
    {
        self.input_schema
            .clone()
            .unwrap_or_else(|| self.handler.input_schema())
    }
}

/// A resource (or resource template) handler and its listing metadata; register it with
/// [`Router::resource`](crate::Router::resource) or
/// [`Router::resource_template`](crate::Router::resource_template).
#[derive(Debug, Clone)]
pub struct ResourceBuilder<H, T> {
    pub(crate) handler: H,
    pub(crate) name: Option<String>,
    pub(crate) title: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) mime_type: Option<String>,
    pub(crate) _args: PhantomData<fn() -> T>,
}

/// Starts a resource from an async fn. A template's variables reach it as `Args<T>`.
pub fn resource_fn<H, T>(handler: H) -> ResourceBuilder<H, T> {
    ResourceBuilder {
        handler,
        name: None,
        title: None,
        description: None,
        mime_type: None,
        _args: PhantomData,
    }
}

impl<H, T> ResourceBuilder<H, T> {
    text_setters! {
        /// Programmatic name (defaults to the URI).
        name;
        /// A human-readable title.
        title;
        /// What it is.
        description;
        /// The MIME type of its contents.
        mime_type;
    }
}

/// A prompt handler and its listing metadata; register it with
/// [`Router::prompt`](crate::Router::prompt). Arguments are listed from the handler's
/// `Args<T>` schema (its properties, their descriptions, and which are required).
#[derive(Debug, Clone)]
pub struct PromptBuilder<H, T> {
    pub(crate) handler: H,
    pub(crate) title: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) _args: PhantomData<fn() -> T>,
}

/// Starts a prompt from an async fn.
pub fn prompt_fn<H, T>(handler: H) -> PromptBuilder<H, T> {
    PromptBuilder {
        handler,
        title: None,
        description: None,
        _args: PhantomData,
    }
}

impl<H, T> PromptBuilder<H, T> {
    text_setters! {
        /// A human-readable title.
        title;
        /// What the prompt does.
        description;
    }
}

/// The prompt arguments an object schema describes.
pub(crate) fn prompt_arguments(schema: &JsonObject) -> Option<Vec<PromptArgument>> {
    let properties = schema.get("properties")?.as_object()?;
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    Some(
        properties
            .iter()
            .map(|(name, p)| PromptArgument {
                name: name.clone(),
                title: p.get("title").and_then(Value::as_str).map(str::to_owned),
                description: p
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                required: Some(required.contains(&name.as_str())),
                extra: JsonObject::new(),
            })
            .collect(),
    )
}
