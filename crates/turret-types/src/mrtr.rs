//! Multi round-trip requests (2026-07-28): a server answers `input_required` with requests for
//! the client, and the client retries the original request with the answers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::messages::ServerRequest;
use crate::meta::Meta;
use crate::JsonObject;

/// One entry of an `input_required` result's `inputRequests`: a server request as a bare
/// `{method, params}` object (no JSON-RPC envelope), with any other members kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputRequest {
    /// The request (its `method` and `params` members).
    #[serde(flatten)]
    pub request: ServerRequest,
    /// Members beside `method` and `params` that this version does not model, kept for
    /// forwarding.
    #[serde(flatten)]
    pub extra: JsonObject,
}

impl From<ServerRequest> for InputRequest {
    fn from(request: ServerRequest) -> Self {
        Self {
            request,
            extra: JsonObject::new(),
        }
    }
}

/// Requests for the client, by server-assigned key.
pub type InputRequests = BTreeMap<String, InputRequest>;

/// The client's answers, by the keys of the [`InputRequests`] they answer. Each value is the
/// result object of the corresponding request.
pub type InputResponses = BTreeMap<String, Value>;

/// An interim result: the server needs input before it can finish.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InputRequiredResult {
    /// What the client must answer before retrying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_requests: Option<InputRequests>,
    /// Opaque state to echo back on the retry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_state: Option<String>,
    /// Metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Unmodelled fields (including `resultType`).
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// The `resultType` member of 2026-07-28 results.
pub const RESULT_TYPE_KEY: &str = "resultType";
/// `resultType` of an ordinary, final result.
pub const RESULT_TYPE_COMPLETE: &str = "complete";
/// `resultType` of an [`InputRequiredResult`].
pub const RESULT_TYPE_INPUT_REQUIRED: &str = "input_required";
