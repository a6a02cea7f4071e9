//! Turning a bearer token into an [`Identity`]: the trait, and a static list for development.

use std::collections::HashMap;
use std::fmt;

use futures_util::future::BoxFuture;
use sha2::{Digest, Sha256};
use turret_core::Identity;

use crate::AuthError;

/// Checks a bearer token and says who presented it.
///
/// [`JwtVerifier`](crate::JwtVerifier) checks JWTs locally; implement this trait for
/// anything else, such as RFC 7662 introspection. An implementation must check everything
/// that makes the token acceptable *for this server*: signature or introspection answer,
/// expiry, and the audience (RFC 8707: the token was issued for this resource, so a token
/// for another service cannot be replayed here). Scopes required by the
/// [`AuthLayer`](crate::AuthLayer) are checked afterwards, against
/// [`Identity::scopes`].
///
/// ```
/// use futures_util::future::BoxFuture;
/// use turret_auth::{AuthError, TokenVerifier};
/// use turret_core::Identity;
///
/// /// Accepts tokens of the form `user:<name>` (a toy; never do this).
/// struct Toy;
///
/// impl TokenVerifier for Toy {
///     fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Identity, AuthError>> {
///         Box::pin(async move {
///             let name = token.strip_prefix("user:").ok_or(AuthError::invalid("not a user"))?;
///             Ok(Identity::new(name))
///         })
///     }
/// }
/// ```
pub trait TokenVerifier: Send + Sync + 'static {
    /// The identity behind `token`, or why it is refused.
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Identity, AuthError>>;
}

/// A shared verifier, so that one can serve several layers (or be kept for other uses).
impl<T: TokenVerifier + ?Sized> TokenVerifier for std::sync::Arc<T> {
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Identity, AuthError>> {
        (**self).verify(token)
    }
}

/// A fixed list of tokens and who they stand for: for development and tests, not production
/// (tokens never expire and live in memory).
///
/// Tokens are kept as SHA-256 digests, so the lookup's timing says nothing about how much of
/// a guessed token was right.
///
/// ```
/// use turret_auth::StaticTokens;
/// use turret_core::Identity;
///
/// let tokens = StaticTokens::new()
///     .token("dev-secret", Identity::new("dev").with_scopes(["mcp:tools".to_owned()]));
/// ```
#[derive(Clone, Default)]
pub struct StaticTokens {
    tokens: HashMap<[u8; 32], Identity>,
}

impl StaticTokens {
    /// An empty list: every token is refused.
    pub fn new() -> Self {
        Self::default()
    }

    /// Accepts `token` as `identity`.
    pub fn token(mut self, token: impl AsRef<str>, identity: Identity) -> Self {
        self.tokens.insert(digest(token.as_ref()), identity);
        self
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl fmt::Debug for StaticTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The digests are secrets too, in a way; show only how many there are.
        f.debug_struct("StaticTokens")
            .field("tokens", &self.tokens.len())
            .finish()
    }
}

impl TokenVerifier for StaticTokens {
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Identity, AuthError>> {
        let found = self.tokens.get(&digest(token)).cloned();
        Box::pin(async move { found.ok_or_else(|| AuthError::invalid("unknown token")) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn static_tokens_accept_only_listed_tokens() {
        let tokens = StaticTokens::new().token("s3cret", Identity::new("dev"));
        assert_eq!(tokens.verify("s3cret").await.unwrap().subject(), "dev");
        assert!(matches!(
            tokens.verify("s3cre").await,
            Err(AuthError::InvalidToken(_))
        ));
        assert!(!format!("{tokens:?}").contains("s3cret"));
    }
}
