//! The bearer token of a request (RFC 6750 §2.1: the `Authorization` header only; OAuth 2.1
//! forbids tokens in the query string).

use http::{header, HeaderMap};

use crate::AuthError;

/// Longer tokens are refused before any parsing: real access tokens are a few KiB at most.
pub(crate) const MAX_TOKEN_LEN: usize = 8 * 1024;

/// The bearer token, `Ok(None)` when the request carries none (no `Authorization` header, or
/// another scheme), or why the header is unusable.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Result<Option<&str>, AuthError> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(AuthError::invalid("more than one Authorization header"));
    }
    if value.len() > MAX_TOKEN_LEN + "Bearer ".len() {
        return Err(AuthError::invalid("the bearer token is too long"));
    }
    let value = value
        .to_str()
        .map_err(|_| AuthError::invalid("malformed Authorization header"))?;
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Ok(None);
    }
    let token = rest.trim_matches(' ');
    if token.is_empty() {
        return Err(AuthError::invalid("empty bearer token"));
    }
    if !is_token68(token) {
        return Err(AuthError::invalid("malformed bearer token"));
    }
    Ok(Some(token))
}

/// RFC 7235 `token68`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_token68(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn token(values: &[&[u8]]) -> Result<Option<String>, String> {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(header::AUTHORIZATION, HeaderValue::from_bytes(v).unwrap());
        }
        bearer_token(&headers)
            .map(|t| t.map(str::to_owned))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn only_well_formed_bearer_tokens_pass() {
        assert_eq!(token(&[]), Ok(None));
        assert_eq!(token(&[b"Basic dXNlcjpwdw=="]), Ok(None));
        assert_eq!(
            token(&[b"Bearer a.b-c_d~e+f/g=="]),
            Ok(Some("a.b-c_d~e+f/g==".into()))
        );
        assert_eq!(token(&[b"bEaReR  abc "]), Ok(Some("abc".into())));
        assert!(token(&[b"Bearer"]).is_err());
        assert!(token(&[b"Bearer a b"]).is_err());
        assert!(token(&[b"Bearer ==="]).is_err());
        assert!(token(&[b"Bearer \xff\xfe"]).is_err());
        assert!(token(&[b"Bearer a", b"Bearer b"]).is_err());
        let huge = format!("Bearer {}", "a".repeat(MAX_TOKEN_LEN + 1));
        assert!(token(&[huge.as_bytes()]).unwrap_err().contains("too long"));
    }
}
