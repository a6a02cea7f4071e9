//! Why a request was not let through.

use std::error::Error as StdError;
use std::fmt;

use turret_core::BoxError;

/// Why a bearer token was not accepted; each variant maps to one HTTP answer.
#[non_exhaustive]
#[derive(Debug)]
pub enum AuthError {
    /// No `Authorization: Bearer` header: 401, so the client starts the OAuth flow.
    MissingToken,
    /// The token is malformed, expired, not meant for this resource, or its signature does
    /// not verify: 401 with `error="invalid_token"`. The reason goes into
    /// `error_description`, so it must not reveal secrets.
    InvalidToken(String),
    /// The token is valid but lacks scopes: 403 with `error="insufficient_scope"`.
    InsufficientScope {
        /// Every scope the request needs (the client asks for these on step-up).
        required: Vec<String>,
    },
    /// The token could not be checked (the JWKS endpoint or introspection server did not
    /// answer): 503; the client may retry.
    Unavailable(BoxError),
}

impl AuthError {
    /// An [`InvalidToken`](Self::InvalidToken) error with this reason.
    pub fn invalid(reason: impl Into<String>) -> Self {
        Self::InvalidToken(reason.into())
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingToken => f.write_str("no bearer token in the Authorization header"),
            Self::InvalidToken(reason) => write!(f, "invalid bearer token: {reason}"),
            Self::InsufficientScope { required } => {
                write!(f, "the token lacks scopes; needed: {}", required.join(" "))
            }
            Self::Unavailable(_) => {
                f.write_str("the token could not be verified now (key or introspection server unreachable); retry later")
            }
        }
    }
}

impl StdError for AuthError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            Self::Unavailable(e) => Some(e.as_ref()),
            _ => None,
        }
    }
}
