//! Return values of handlers, and how they become MCP results.

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
use turret_types::{
    CallToolResult, ContentBlock, GetPromptResult, JsonObject, PromptMessage, ReadResourceResult,
    Resource, ResourceContents,
};

use crate::error::McpError;
use crate::handler::extract::schema_object;

/// A tool's return value.
///
/// | returned | result |
/// |---|---|
/// | `String`, `&'static str` | one text block |
/// | [`ContentBlock`], `Vec<ContentBlock>` | those blocks |
/// | [`Json<T>`] | `structuredContent` plus its text, with an output schema from `T` |
/// | [`Image`], [`Audio`] | a media block |
/// | [`Resource`] | a `resource_link` block |
/// | [`ResourceContents`] | an embedded resource |
/// | `()` | no content |
/// | [`CallToolResult`] | as is |
/// | `Result<T, E>` | `T`'s result, or `isError: true` with `E`'s message |
pub trait IntoCallToolResult {
    /// Converts into the result.
    fn into_call_tool_result(self) -> CallToolResult;

    /// The output schema this type always produces, if it produces structured content.
    fn output_schema() -> Option<Arc<JsonObject>> {
        None
    }
}

impl IntoCallToolResult for CallToolResult {
    fn into_call_tool_result(self) -> CallToolResult {
        self
    }
}

impl IntoCallToolResult for Vec<ContentBlock> {
    fn into_call_tool_result(self) -> CallToolResult {
        CallToolResult::success(self)
    }
}

macro_rules! one_block {
    ($($ty:ty),*) => {$(
        impl IntoCallToolResult for $ty {
            fn into_call_tool_result(self) -> CallToolResult {
                CallToolResult::success(vec![ContentBlock::from(self)])
            }
        }
    )*};
}
one_block!(String, &'static str, ContentBlock, Image, Audio);

impl IntoCallToolResult for Resource {
    fn into_call_tool_result(self) -> CallToolResult {
        CallToolResult::success(vec![ContentBlock::ResourceLink(self)])
    }
}

impl IntoCallToolResult for ResourceContents {
    fn into_call_tool_result(self) -> CallToolResult {
        CallToolResult::success(vec![ContentBlock::resource(self)])
    }
}

impl IntoCallToolResult for () {
    fn into_call_tool_result(self) -> CallToolResult {
        CallToolResult::success(Vec::new())
    }
}

impl<T: IntoCallToolResult, E: std::fmt::Display> IntoCallToolResult for Result<T, E> {
    fn into_call_tool_result(self) -> CallToolResult {
        match self {
            Ok(v) => v.into_call_tool_result(),
            Err(e) => CallToolResult::error(e.to_string()),
        }
    }

    fn output_schema() -> Option<Arc<JsonObject>> {
        T::output_schema()
    }
}

/// Structured output: serialized into `structuredContent` (and, for clients that read only
/// text, into a text block), with the tool's output schema derived from `T`.
///
/// MCP wants an object there; any other `T` is wrapped as `{"result": value}`, and the schema
/// says so.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

fn is_object_schema(schema: &JsonObject) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("object")
}

impl<T: Serialize + JsonSchema> IntoCallToolResult for Json<T> {
    fn into_call_tool_result(self) -> CallToolResult {
        let value = match serde_json::to_value(&self.0) {
            Ok(v) => v,
            Err(e) => return CallToolResult::error(format!("could not serialize the result: {e}")),
        };
        let structured = if is_object_schema(&schema_object::<T>()) {
            value
        } else {
            serde_json::json!({ "result": value })
        };
        CallToolResult {
            content: vec![ContentBlock::text(structured.to_string())],
            structured_content: Some(structured),
            ..CallToolResult::default()
        }
    }

    fn output_schema() -> Option<Arc<JsonObject>> {
        let schema = schema_object::<T>();
        if is_object_schema(&schema) {
            return Some(Arc::new(schema));
        }
        let mut wrapped = JsonObject::new();
        wrapped.insert("type".into(), "object".into());
        wrapped.insert("properties".into(), serde_json::json!({ "result": schema }));
        wrapped.insert("required".into(), serde_json::json!(["result"]));
        Some(Arc::new(wrapped))
    }
}

/// An image from raw bytes (encoded to base64 on the wire).
#[derive(Debug, Clone)]
pub struct Image {
    data: Vec<u8>,
    mime_type: String,
}

impl Image {
    /// Bytes of the given MIME type.
    pub fn new(data: impl Into<Vec<u8>>, mime_type: impl Into<String>) -> Self {
        Self {
            data: data.into(),
            mime_type: mime_type.into(),
        }
    }

    /// A PNG.
    pub fn png(data: impl Into<Vec<u8>>) -> Self {
        Self::new(data, "image/png")
    }
}

impl From<Image> for ContentBlock {
    fn from(i: Image) -> Self {
        ContentBlock::image(STANDARD.encode(i.data), i.mime_type)
    }
}

/// An audio clip from raw bytes.
#[derive(Debug, Clone)]
pub struct Audio {
    data: Vec<u8>,
    mime_type: String,
}

impl Audio {
    /// Bytes of the given MIME type.
    pub fn new(data: impl Into<Vec<u8>>, mime_type: impl Into<String>) -> Self {
        Self {
            data: data.into(),
            mime_type: mime_type.into(),
        }
    }

    /// A WAV clip.
    pub fn wav(data: impl Into<Vec<u8>>) -> Self {
        Self::new(data, "audio/wav")
    }
}

impl From<Audio> for ContentBlock {
    fn from(a: Audio) -> Self {
        ContentBlock::audio(STANDARD.encode(a.data), a.mime_type)
    }
}

/// Binary resource contents from raw bytes.
#[derive(Debug, Clone)]
pub struct Blob(pub Vec<u8>);

/// A resource handler's return value. `uri` is the URI read; `mime_type` the one declared
/// when the resource was registered.
///
/// `String` and [`Json<T>`] become text, [`Blob`] binary, [`ResourceContents`] and
/// `Vec<ResourceContents>` are taken as they are; `Err(e)` becomes a protocol error.
pub trait IntoReadResourceResult {
    /// Converts into the result.
    fn into_read_result(
        self,
        uri: &str,
        mime_type: Option<&str>,
    ) -> Result<ReadResourceResult, McpError>;
}

fn contents(list: Vec<ResourceContents>) -> Result<ReadResourceResult, McpError> {
    Ok(ReadResourceResult {
        contents: list,
        ..ReadResourceResult::default()
    })
}

impl IntoReadResourceResult for ReadResourceResult {
    fn into_read_result(self, _: &str, _: Option<&str>) -> Result<ReadResourceResult, McpError> {
        Ok(self)
    }
}

impl IntoReadResourceResult for Vec<ResourceContents> {
    fn into_read_result(self, _: &str, _: Option<&str>) -> Result<ReadResourceResult, McpError> {
        contents(self)
    }
}

impl IntoReadResourceResult for ResourceContents {
    fn into_read_result(self, _: &str, _: Option<&str>) -> Result<ReadResourceResult, McpError> {
        contents(vec![self])
    }
}

impl IntoReadResourceResult for String {
    fn into_read_result(
        self,
        uri: &str,
        mime: Option<&str>,
    ) -> Result<ReadResourceResult, McpError> {
        contents(vec![ResourceContents::text(
            uri,
            mime.map(str::to_owned),
            self,
        )])
    }
}

impl IntoReadResourceResult for &'static str {
    fn into_read_result(
        self,
        uri: &str,
        mime: Option<&str>,
    ) -> Result<ReadResourceResult, McpError> {
        self.to_owned().into_read_result(uri, mime)
    }
}

impl IntoReadResourceResult for Blob {
    fn into_read_result(
        self,
        uri: &str,
        mime: Option<&str>,
    ) -> Result<ReadResourceResult, McpError> {
        let data = STANDARD.encode(self.0);
        contents(vec![ResourceContents::blob(
            uri,
            mime.map(str::to_owned),
            data,
        )])
    }
}

impl<T: Serialize> IntoReadResourceResult for Json<T> {
    fn into_read_result(
        self,
        uri: &str,
        mime: Option<&str>,
    ) -> Result<ReadResourceResult, McpError> {
        let text = serde_json::to_string(&self.0)
            .map_err(|e| McpError::internal(format!("could not serialize the resource: {e}")))?;
        let mime = mime.unwrap_or("application/json").to_owned();
        contents(vec![ResourceContents::text(uri, Some(mime), text)])
    }
}

impl<T: IntoReadResourceResult, E: Into<McpError>> IntoReadResourceResult for Result<T, E> {
    fn into_read_result(
        self,
        uri: &str,
        mime: Option<&str>,
    ) -> Result<ReadResourceResult, McpError> {
        self.map_err(Into::into)?.into_read_result(uri, mime)
    }
}

/// A prompt handler's return value: `String` (one user message), [`PromptMessage`],
/// `Vec<PromptMessage>`, [`GetPromptResult`], or a `Result` of one of them (`Err` becomes a
/// protocol error).
pub trait IntoGetPromptResult {
    /// Converts into the result.
    fn into_prompt_result(self) -> Result<GetPromptResult, McpError>;
}

impl IntoGetPromptResult for GetPromptResult {
    fn into_prompt_result(self) -> Result<GetPromptResult, McpError> {
        Ok(self)
    }
}

impl IntoGetPromptResult for Vec<PromptMessage> {
    fn into_prompt_result(self) -> Result<GetPromptResult, McpError> {
        Ok(GetPromptResult {
            messages: self,
            ..GetPromptResult::default()
        })
    }
}

impl IntoGetPromptResult for PromptMessage {
    fn into_prompt_result(self) -> Result<GetPromptResult, McpError> {
        vec![self].into_prompt_result()
    }
}

impl IntoGetPromptResult for String {
    fn into_prompt_result(self) -> Result<GetPromptResult, McpError> {
        PromptMessage::user(self).into_prompt_result()
    }
}

impl IntoGetPromptResult for &'static str {
    fn into_prompt_result(self) -> Result<GetPromptResult, McpError> {
        self.to_owned().into_prompt_result()
    }
}

impl<T: IntoGetPromptResult, E: Into<McpError>> IntoGetPromptResult for Result<T, E> {
    fn into_prompt_result(self) -> Result<GetPromptResult, McpError> {
        self.map_err(Into::into)?.into_prompt_result()
    }
}
