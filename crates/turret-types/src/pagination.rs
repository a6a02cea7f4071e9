//! Paginated listing: the request parameters and the shape every `*/list` result shares.

use serde::{Deserialize, Serialize};

use crate::meta::Meta;
use crate::JsonObject;

/// Parameters of every `*/list` request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PaginatedRequestParams {
    /// Where to continue, as returned in `nextCursor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Unmodelled fields.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// Defines a `*/list` result struct: one page of items, the next cursor, the 2026-07-28
/// cache hints, `_meta` and the unmodelled fields.
macro_rules! paged_result {
    ($(#[$doc:meta])* $name:ident, $field:ident: $item:ty, $wire:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            /// This page of items.
            #[serde(rename = $wire)]
            pub $field: Vec<$item>,
            /// Cursor of the next page.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub next_cursor: Option<String>,
            /// Freshness hint in milliseconds (2026-07-28).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub ttl_ms: Option<u64>,
            /// Cache sharing scope (2026-07-28).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub cache_scope: Option<$crate::capabilities::CacheScope>,
            /// Metadata.
            #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
            pub meta: Option<$crate::meta::Meta>,
            /// Unmodelled fields.
            #[serde(flatten)]
            pub extra: $crate::JsonObject,
        }
    };
}
pub(crate) use paged_result;
