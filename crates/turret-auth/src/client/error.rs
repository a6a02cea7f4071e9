//! Why the client could not get a token.

use std::error::Error as StdError;
use std::fmt;

/// Why the OAuth client could not get (or refresh) an access token: discovery found no
/// usable metadata, the authorization server refused, a security check failed (resource
/// mismatch, PKCE S256 unsupported, `iss` mismatch, `state` mismatch)… The message names
/// what failed.
#[derive(Debug, Clone)]
pub struct OAuthError {
    message: String,
    /// The OAuth `error` code, when the authorization or token endpoint sent one.
    code: Option<String>,
}

impl OAuthError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: None,
        }
    }

    pub(crate) fn with_code(message: impl Into<String>, code: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: Some(code.into()),
        }
    }

    /// The OAuth error code the authorization server answered with (`invalid_grant`,
    /// `access_denied`…), if the failure came from one.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OAuth: ")?;
        f.write_str(&self.message)
    }
}

impl StdError for OAuthError {}
