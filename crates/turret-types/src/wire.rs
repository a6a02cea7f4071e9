//! Shaping a result for the revision it is sent in.

use serde_json::Value;

use crate::capabilities::CacheScope;
use crate::messages::ServerResult;
use crate::mrtr::{RESULT_TYPE_COMPLETE, RESULT_TYPE_INPUT_REQUIRED, RESULT_TYPE_KEY};
use crate::version::ProtocolVersion;

impl ServerResult {
    /// Makes the result exactly what `version` expects: 2026-07-28 results get `resultType`
    /// and, where the revision requires them, cache hints (`ttlMs: 0`, `cacheScope:
    /// "private"` when the producer set none, the safe choice); earlier revisions get neither.
    pub fn adapt_to(&mut self, version: ProtocolVersion) {
        let modern = version.is_sessionless();
        if let Some((ttl, scope)) = self.cache_hints_mut() {
            if modern {
                ttl.get_or_insert(0);
                scope.get_or_insert(CacheScope::Private);
            } else {
                *ttl = None;
                *scope = None;
            }
        }
        let kind = match self {
            Self::InputRequired(_) => RESULT_TYPE_INPUT_REQUIRED,
            _ => RESULT_TYPE_COMPLETE,
        };
        if let Some(extra) = self.extra_mut() {
            if modern {
                if !extra.contains_key(RESULT_TYPE_KEY) {
                    extra.insert(RESULT_TYPE_KEY.to_owned(), Value::from(kind));
                }
            } else {
                extra.remove(RESULT_TYPE_KEY);
                // A raw result forwarded from a newer server may carry the hints as members.
                extra.remove("ttlMs");
                extra.remove("cacheScope");
            }
        }
    }

    fn cache_hints_mut(&mut self) -> Option<(&mut Option<u64>, &mut Option<CacheScope>)> {
        match self {
            Self::ListTools(r) => Some((&mut r.ttl_ms, &mut r.cache_scope)),
            Self::ListResources(r) => Some((&mut r.ttl_ms, &mut r.cache_scope)),
            Self::ListResourceTemplates(r) => Some((&mut r.ttl_ms, &mut r.cache_scope)),
            Self::ListPrompts(r) => Some((&mut r.ttl_ms, &mut r.cache_scope)),
            Self::ReadResource(r) => Some((&mut r.ttl_ms, &mut r.cache_scope)),
            Self::Discover(r) => Some((&mut r.ttl_ms, &mut r.cache_scope)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::ListToolsResult;

    #[test]
    fn modern_results_get_result_type_and_cache_hints_legacy_ones_lose_them() {
        let mut r = ServerResult::ListTools(ListToolsResult::default());
        r.adapt_to(ProtocolVersion::V2026_07_28);
        let v = r.to_value();
        assert_eq!(v["resultType"], "complete");
        assert_eq!(v["ttlMs"], 0);
        assert_eq!(v["cacheScope"], "private");
        r.adapt_to(ProtocolVersion::V2025_06_18);
        let v = r.to_value();
        assert!(v.get("resultType").is_none() && v.get("ttlMs").is_none());
    }
}
