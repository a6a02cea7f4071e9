//! The answers to refused requests: status, `WWW-Authenticate` challenge (RFC 6750 §3,
//! RFC 9728 §5.1) and a small JSON body.

use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};
use http_body_util::Full;
use serde_json::json;

use crate::AuthError;

/// What every challenge of one endpoint carries.
#[derive(Debug, Clone, Default)]
pub(crate) struct Challenger {
    /// Where clients find the protected-resource metadata.
    pub(crate) resource_metadata: Option<String>,
    /// The scopes the endpoint needs, space-separated; empty for none.
    pub(crate) scope: String,
}

impl Challenger {
    /// The response refusing a request for `error`.
    pub(crate) fn respond(&self, error: &AuthError) -> Response<Full<Bytes>> {
        let mut params: Vec<(&str, String)> = Vec::new();
        let (status, body) = match error {
            AuthError::MissingToken => {
                // No error code: the client simply has not authenticated yet (RFC 6750 §3.1).
                if !self.scope.is_empty() {
                    params.push(("scope", self.scope.clone()));
                }
                let body = json!({
                    "error": "unauthorized",
                    "error_description": "a bearer token is required",
                    "resource_metadata": self.resource_metadata,
                });
                (StatusCode::UNAUTHORIZED, body)
            }
            AuthError::InvalidToken(reason) => {
                let reason = sanitize(reason);
                params.push(("error", "invalid_token".into()));
                params.push(("error_description", reason.clone()));
                if !self.scope.is_empty() {
                    params.push(("scope", self.scope.clone()));
                }
                let body = json!({"error": "invalid_token", "error_description": reason});
                (StatusCode::UNAUTHORIZED, body)
            }
            AuthError::InsufficientScope { required } => {
                let scope = sanitize(&required.join(" "));
                let description = format!("the token lacks scopes; needed: {scope}");
                params.push(("error", "insufficient_scope".into()));
                params.push(("scope", scope.clone()));
                params.push(("error_description", description.clone()));
                let body = json!({
                    "error": "insufficient_scope",
                    "error_description": description,
                    "scope": scope,
                });
                (StatusCode::FORBIDDEN, body)
            }
            AuthError::Unavailable(_) => {
                // The cause stays in the logs: it may name internal hosts.
                let body = json!({
                    "error": "temporarily_unavailable",
                    "error_description": "the token cannot be verified right now; retry later",
                });
                let mut response = json_response(StatusCode::SERVICE_UNAVAILABLE, &body);
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
                return response;
            }
        };
        if let Some(url) = &self.resource_metadata {
            params.push(("resource_metadata", url.clone()));
        }
        let mut response = json_response(status, &body);
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, challenge(&params));
        response
    }
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> Response<Full<Bytes>> {
    let mut bytes = serde_json::to_vec(body).unwrap_or_default();
    bytes.push(b'\n');
    let mut response = Response::new(Full::new(Bytes::from(bytes)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `Bearer k1="v1", k2="v2"`.
fn challenge(params: &[(&str, String)]) -> HeaderValue {
    let mut value = String::from("Bearer");
    for (i, (key, v)) in params.iter().enumerate() {
        value.push_str(if i == 0 { " " } else { ", " });
        value.push_str(&format!("{key}=\"{}\"", sanitize(v)));
    }
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("Bearer"))
}

/// Printable ASCII without `"` and `\`, at most 200 characters: safe inside a quoted
/// string, whatever a custom verifier put into its reason.
fn sanitize(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .filter(|c| !matches!(c, '"' | '\\'))
        .take(200)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn www(r: &Response<Full<Bytes>>) -> &str {
        r.headers()[header::WWW_AUTHENTICATE].to_str().unwrap()
    }

    #[test]
    fn challenges_name_the_metadata_and_the_scopes() {
        let c = Challenger {
            resource_metadata: Some("http://h/.well-known/oauth-protected-resource/mcp".into()),
            scope: "mcp".into(),
        };
        let r = c.respond(&AuthError::MissingToken);
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            www(&r),
            r#"Bearer scope="mcp", resource_metadata="http://h/.well-known/oauth-protected-resource/mcp""#
        );
        let r = c.respond(&AuthError::invalid("bad \"quote\"\n\u{7f}é"));
        assert!(www(&r).starts_with(
            r#"Bearer error="invalid_token", error_description="bad quote", scope="mcp""#
        ));
        let r = c.respond(&AuthError::InsufficientScope {
            required: vec!["a".into(), "b".into()],
        });
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(www(&r).starts_with(r#"Bearer error="insufficient_scope", scope="a b""#));
        let r = c.respond(&AuthError::Unavailable("secret.internal down".into()));
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(r.headers().get(header::WWW_AUTHENTICATE).is_none());
    }
}
