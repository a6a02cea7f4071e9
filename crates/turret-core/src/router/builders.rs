//! `tool_fn`, `resource_fn`, `prompt_fn`: a handler plus the metadata clients list.

use std::marker::PhantomData;
use std::sync::Arc;

use serde_json::Value;
use turret_types::{Icon, JsonObject, Meta, PromptArgument, ToolAnnotations};

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

/// The `_meta` key under which a definition (tool, resource, resource template, prompt)
/// carries its tags: a JSON array of strings. The builders' `.tags(..)` set it; layers such as
/// a filter read it, on local definitions and on those of proxied servers alike.
pub const TAGS_META_KEY: &str = "turret/tags";

/// The tags in a definition's `_meta` (see [`TAGS_META_KEY`]); none when the key is absent
/// or not an array, and entries that are not strings are skipped.
///
/// ```
/// use serde_json::json;
/// use turret_core::router::{meta_tags, TAGS_META_KEY};
/// use turret_core::types::Meta;
///
/// let mut meta = Meta::new();
/// meta.insert(TAGS_META_KEY, json!(["admin", "beta"]));
/// assert_eq!(meta_tags(Some(&meta)).collect::<Vec<_>>(), ["admin", "beta"]);
/// assert_eq!(meta_tags(None).count(), 0);
/// ```
pub fn meta_tags(meta: Option<&Meta>) -> impl Iterator<Item = &str> {
    meta.and_then(|m| m.get(TAGS_META_KEY))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

/// The `_meta` of a definition with these tags (`None` without tags).
fn tags_meta(tags: &[String]) -> Option<Meta> {
    if tags.is_empty() {
        return None;
    }
    let mut meta = Meta::new();
    meta.insert(TAGS_META_KEY, tags.to_vec());
    Some(meta)
}

/// Builder methods shared by every builder: tags.
macro_rules! tag_setters {
    () => {
        /// Adds tags, listed in the definition's `_meta` under [`TAGS_META_KEY`] (a filter
        /// layer includes or excludes by them).
        pub fn tags<I>(mut self, tags: I) -> Self
        where
            I: IntoIterator,
            I::Item: Into<String>,
        {
            self.tags.extend(tags.into_iter().map(Into::into));
            self
        }

        /// The definition's `_meta`: the tags, if any.
        pub(crate) fn meta(&self) -> Option<Meta> {
            tags_meta(&self.tags)
        }
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
    pub(crate) tags: Vec<String>,
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
        tags: Vec::new(),
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

    tag_setters!();

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
    pub(crate) tags: Vec<String>,
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
        tags: Vec::new(),
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

    tag_setters!();
}

/// A prompt handler and its listing metadata; register it with
/// [`Router::prompt`](crate::Router::prompt). Arguments are listed from the handler's
/// `Args<T>` schema (its properties, their descriptions, and which are required).
#[derive(Debug, Clone)]
pub struct PromptBuilder<H, T> {
    pub(crate) handler: H,
    pub(crate) title: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) tags: Vec<String>,
    pub(crate) _args: PhantomData<fn() -> T>,
}

/// Starts a prompt from an async fn.
pub fn prompt_fn<H, T>(handler: H) -> PromptBuilder<H, T> {
    PromptBuilder {
        handler,
        title: None,
        description: None,
        tags: Vec::new(),
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

    tag_setters!();
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

#[cfg(test)]
mod tests {
    use tower::ServiceExt as _;
    use turret_types::{ClientRequest, ServerResult};

    use super::*;
    use crate::{Request, Router};

    #[tokio::test]
    async fn tags_are_listed_in_meta() {
        let router = Router::new()
            .tool("t", tool_fn(|| async { "" }).tags(["a", "b"]).tags(["c"]))
            .tool("plain", tool_fn(|| async { "" }))
            .resource("mem://r", resource_fn(|| async { "" }).tags(["docs"]))
            .prompt("p", prompt_fn(|| async { "" }).tags(["x"]));
        let list = |method: &str| {
            let message = ClientRequest::from_parts(method, None).unwrap();
            router.clone().oneshot(Request::new(message))
        };
        let Ok(ServerResult::ListTools(tools)) = list("tools/list").await else {
            panic!("tools/list")
        };
        let tags: Vec<_> = meta_tags(tools.tools[0].meta.as_ref()).collect();
        assert_eq!(tags, ["a", "b", "c"]);
        assert!(tools.tools[1].meta.is_none());
        let Ok(ServerResult::ListResources(r)) = list("resources/list").await else {
            panic!("resources/list")
        };
        assert_eq!(
            meta_tags(r.resources[0].meta.as_ref()).collect::<Vec<_>>(),
            ["docs"]
        );
        let Ok(ServerResult::ListPrompts(p)) = list("prompts/list").await else {
            panic!("prompts/list")
        };
        assert_eq!(
            meta_tags(p.prompts[0].meta.as_ref()).collect::<Vec<_>>(),
            ["x"]
        );
    }
}
