//! From verified claims to an [`Identity`].

use serde_json::Value;
use turret_core::types::JsonObject;
use turret_core::Identity;

use crate::AuthError;

/// The caller the verified `claims` describe: the subject from `sub` (or `client_id` for a
/// token a client got for itself), the scopes from `scope` or `scp`, every claim kept.
pub(crate) fn identity(claims: JsonObject) -> Result<Identity, AuthError> {
    let subject = ["sub", "client_id"]
        .iter()
        .find_map(|k| claims.get(*k).and_then(Value::as_str))
        .filter(|s| !s.is_empty())
        .ok_or_else(|| AuthError::invalid("the token names no subject"))?
        .to_owned();
    let scopes = scopes(&claims);
    Ok(Identity::new(subject)
        .with_scopes(scopes)
        .with_claims(claims))
}

/// `scope` (RFC 8693/9068: space-separated) or, as some servers issue, `scp` (an array, or
/// a space-separated string). Anything else counts as no scopes.
pub(crate) fn scopes(claims: &JsonObject) -> Vec<String> {
    let words = |s: &str| s.split_ascii_whitespace().map(str::to_owned).collect();
    match claims.get("scope").or_else(|| claims.get("scp")) {
        Some(Value::String(s)) => words(s),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(v: Value) -> JsonObject {
        match v {
            Value::Object(o) => o,
            _ => unreachable!(),
        }
    }

    #[test]
    fn scopes_come_from_scope_or_scp() {
        let id = identity(object(json!({"sub": "a", "scope": "read  write"}))).unwrap();
        assert_eq!(id.scopes(), ["read", "write"]);
        let id = identity(object(json!({"sub": "a", "scp": ["x", 1, "y"]}))).unwrap();
        assert_eq!(id.scopes(), ["x", "y"]);
        let id = identity(object(json!({"client_id": "c", "scope": 7}))).unwrap();
        assert_eq!(id.subject(), "c");
        assert!(id.scopes().is_empty());
        assert_eq!(id.claims()["scope"], json!(7));
    }

    #[test]
    fn a_subject_is_required() {
        assert!(identity(object(json!({"sub": ""}))).is_err());
        assert!(identity(object(json!({"sub": 5}))).is_err());
    }
}
