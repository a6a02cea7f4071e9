//! How the client identifies itself: pre-registered credentials, and assertions for the
//! JWT-bearer grant.

use std::fmt;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use jsonwebtoken::{Algorithm, EncodingKey};

use super::OAuthError;

/// A client registered with an authorization server beforehand: its `client_id`, and a
/// secret or a private key to authenticate at the token endpoint with (none for a public
/// client). Tied to one issuer with [`issuer`](Self::issuer), it is never shown to another
/// authorization server.
#[derive(Clone)]
pub struct ClientCredentials {
    pub(crate) client_id: String,
    pub(crate) client_secret: Option<String>,
    pub(crate) private_key: Option<Arc<(Algorithm, EncodingKey)>>,
    pub(crate) issuer: Option<String>,
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "…"))
            .field("private_key", &self.private_key.as_ref().map(|k| k.0))
            .field("issuer", &self.issuer)
            .finish()
    }
}

impl ClientCredentials {
    /// A public client: just its `client_id`.
    pub fn new(client_id: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: None,
            private_key: None,
            issuer: None,
        }
    }

    /// A confidential client's secret, sent with `client_secret_basic` or
    /// `client_secret_post`, whichever the authorization server supports.
    pub fn secret(mut self, secret: impl Into<String>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// Authenticates with `private_key_jwt` (RFC 7523 §2.2): a JWT signed with this PEM
    /// private key (PKCS#8 or SEC1 for EC, PKCS#1/PKCS#8 for RSA) with `alg`.
    pub fn private_key_pem(mut self, pem: &[u8], alg: Algorithm) -> Result<Self, OAuthError> {
        use jsonwebtoken::Algorithm as A;
        let key = match alg {
            A::ES256 | A::ES384 => EncodingKey::from_ec_pem(pem),
            A::RS256 | A::RS384 | A::RS512 | A::PS256 | A::PS384 | A::PS512 => {
                EncodingKey::from_rsa_pem(pem)
            }
            A::EdDSA => EncodingKey::from_ed_pem(pem),
            other => {
                return Err(OAuthError::new(format!(
                    "private_key_jwt needs an asymmetric algorithm, not {other:?}"
                )))
            }
        }
        .map_err(|e| OAuthError::new(format!("the client's private key is not usable: {e}")))?;
        self.private_key = Some(Arc::new((alg, key)));
        Ok(self)
    }

    /// Uses these credentials only with the authorization server whose issuer is `issuer`
    /// (compared exactly). Without it they go to whichever authorization server the MCP
    /// server names.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    pub(crate) fn applies_to(&self, issuer: &str) -> bool {
        self.issuer.as_deref().is_none_or(|i| i == issuer)
    }
}

/// What an [`AssertionProvider`] is asked for: an assertion for the token endpoint of
/// `issuer`, for a token meant for `resource`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AssertionRequest {
    /// The authorization server's issuer.
    pub issuer: String,
    /// The protected resource (the MCP server) the token is for.
    pub resource: String,
    /// The scopes the client will ask for.
    pub scopes: Vec<String>,
}

/// Supplies the assertion of the JWT-bearer grant (RFC 7523 §2.1): a workload identity
/// token, or an identity assertion authorization grant got from an identity provider
/// ([`IdJagExchange`](super::IdJagExchange)).
pub trait AssertionProvider: Send + Sync + 'static {
    /// The assertion to send.
    fn assertion(
        &self,
        request: AssertionRequest,
    ) -> BoxFuture<'static, Result<String, OAuthError>>;
}

/// A fixed assertion (a workload's JWT read from the environment, say).
impl AssertionProvider for String {
    fn assertion(&self, _: AssertionRequest) -> BoxFuture<'static, Result<String, OAuthError>> {
        let assertion = self.clone();
        Box::pin(async move { Ok(assertion) })
    }
}
