//! Content blocks carried by tool results, prompt messages and sampling messages.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::meta::Meta;
use crate::resources::ResourceContents;
use crate::JsonObject;

/// Who an annotated item is meant for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The user.
    User,
    /// The assistant (the model).
    Assistant,
}

/// Hints about how a client should use an item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Annotations {
    /// Intended audience.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<Vec<Role>>,
    /// Importance from 0 to 1.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::number::compact_opt"
    )]
    pub priority: Option<f64>,
    /// ISO 8601 time of the last change (2025-06-18).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// Unmodelled fields.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// Text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextContent {
    /// The text.
    pub text: String,
    /// Annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Annotations>,
    /// Metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Unmodelled fields.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// Base64-encoded binary media: an image or audio clip.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaContent {
    /// Base64 data.
    pub data: String,
    /// MIME type, e.g. `image/png` or `audio/wav`.
    pub mime_type: String,
    /// Annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Annotations>,
    /// Metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Unmodelled fields.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// A resource's contents embedded in a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddedResource {
    /// The contents.
    pub resource: ResourceContents,
    /// Annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Annotations>,
    /// Metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Unmodelled fields.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// One block of content, tagged by `type` on the wire.
///
/// Block types this version does not model (for example sampling's `tool_use`) are kept as
/// [`ContentBlock::Other`] so they can be forwarded unchanged.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub enum ContentBlock {
    /// `text`.
    Text(TextContent),
    /// `image`.
    Image(MediaContent),
    /// `audio` (2025-03-26).
    Audio(MediaContent),
    /// `resource_link` (2025-06-18): a link to a resource, with the resource's metadata.
    ResourceLink(crate::resources::Resource),
    /// `resource`: an embedded resource.
    Resource(EmbeddedResource),
    /// Any other type, kept whole (including its `type` member).
    Other(JsonObject),
}

impl ContentBlock {
    /// A text block.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(TextContent {
            text: text.into(),
            ..TextContent::default()
        })
    }

    /// An image block from base64 data.
    pub fn image(data: impl Into<String>, mime_type: impl Into<String>) -> Self {
        Self::Image(MediaContent {
            data: data.into(),
            mime_type: mime_type.into(),
            ..MediaContent::default()
        })
    }

    /// An audio block from base64 data.
    pub fn audio(data: impl Into<String>, mime_type: impl Into<String>) -> Self {
        Self::Audio(MediaContent {
            data: data.into(),
            mime_type: mime_type.into(),
            ..MediaContent::default()
        })
    }

    /// An embedded resource block.
    pub fn resource(contents: ResourceContents) -> Self {
        Self::Resource(EmbeddedResource {
            resource: contents,
            annotations: None,
            meta: None,
            extra: JsonObject::new(),
        })
    }

    /// The wire `type` tag.
    pub fn kind(&self) -> &str {
        match self {
            Self::Text(_) => "text",
            Self::Image(_) => "image",
            Self::Audio(_) => "audio",
            Self::ResourceLink(_) => "resource_link",
            Self::Resource(_) => "resource",
            Self::Other(o) => o.get("type").and_then(Value::as_str).unwrap_or(""),
        }
    }

    /// The text, when this is a text block.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(t) => Some(&t.text),
            _ => None,
        }
    }
}

/// Serializes `value` as an object with a leading `type` member.
fn tagged<S: Serializer, T: Serialize>(s: S, kind: &str, value: &T) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Tagged<'a, T> {
        #[serde(rename = "type")]
        kind: &'a str,
        #[serde(flatten)]
        value: &'a T,
    }
    Tagged { kind, value }.serialize(s)
}

impl Serialize for ContentBlock {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Text(c) => tagged(s, "text", c),
            Self::Image(c) => tagged(s, "image", c),
            Self::Audio(c) => tagged(s, "audio", c),
            Self::ResourceLink(c) => tagged(s, "resource_link", c),
            Self::Resource(c) => tagged(s, "resource", c),
            Self::Other(o) => o.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for ContentBlock {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let object = JsonObject::deserialize(d)?;
        let kind = match object.get("type") {
            Some(Value::String(k)) => k.clone(),
            _ => return Err(D::Error::custom("a content block needs a string \"type\"")),
        };
        fn body<T: serde::de::DeserializeOwned, E: serde::de::Error>(
            mut o: JsonObject,
        ) -> Result<T, E> {
            o.remove("type");
            serde_json::from_value(Value::Object(o)).map_err(E::custom)
        }
        Ok(match kind.as_str() {
            "text" => Self::Text(body(object)?),
            "image" => Self::Image(body(object)?),
            "audio" => Self::Audio(body(object)?),
            "resource_link" => Self::ResourceLink(body(object)?),
            "resource" => Self::Resource(body(object)?),
            _ => Self::Other(object),
        })
    }
}

impl From<String> for ContentBlock {
    fn from(text: String) -> Self {
        Self::text(text)
    }
}

impl From<&str> for ContentBlock {
    fn from(text: &str) -> Self {
        Self::text(text)
    }
}
