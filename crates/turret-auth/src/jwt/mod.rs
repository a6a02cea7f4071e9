//! JWT access tokens checked locally against the authorization server's keys.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, AlgorithmFamily, Validation};
use turret_core::types::JsonObject;
use turret_core::Identity;

use crate::{AuthError, HttpClient, TokenVerifier};

mod claims;
mod jwks;
mod keys;

use jwks::{FetchPolicy, Lookup, RemoteJwks};
use keys::KeySet;

/// Checks JWT access tokens (RFC 9068 style) against the keys of a JWKS.
///
/// A token is accepted when all of these hold:
/// - its header names an allowed asymmetric algorithm (by default RS256, RS384, RS512,
///   PS256, PS384, PS512, ES256, ES384 and EdDSA; `none` and the HMAC algorithms never),
///   and a key of the JWKS with its `kid` (or, without a `kid`, any key fitting the
///   algorithm) verifies the signature; a key that pins an `alg` is used for that one only;
/// - `iss` is the configured issuer;
/// - `aud` (a string or an array) contains one of this resource's identifiers (RFC 8707:
///   a token for another service cannot be replayed here);
/// - `exp` is present and not past, and `nbf`, if present, is not in the future, both give
///   or take the leeway (30 s by default);
/// - it names a subject: `sub`, or `client_id` for tokens issued to a client itself.
///
/// The identity's scopes come from `scope` (space-separated) or `scp` (an array or a
/// string); all claims are kept in [`Identity::claims`].
///
/// The JWKS is fetched when first needed and cached. It is fetched again when a token names
/// a `kid` the cache lacks (the AS rotated its keys) or the keys are older than
/// [`max_key_age`](JwtVerifierBuilder::max_key_age), but never more often than
/// [`min_refresh_interval`](JwtVerifierBuilder::min_refresh_interval) (10 s by default).
/// When no keys could ever be fetched, tokens are answered with
/// [`AuthError::Unavailable`] (503), not refused as invalid.
///
/// ```
/// use std::time::Duration;
/// use turret_auth::JwtVerifier;
///
/// let verifier = JwtVerifier::builder()
///     .issuer("https://auth.example.com")
///     .audience("https://mcp.example.com/mcp")
///     .jwks_url("http://auth.internal:8080/.well-known/jwks.json")
///     .min_refresh_interval(Duration::from_secs(30))
///     .build()
///     .expect("a valid configuration");
/// ```
#[derive(Clone)]
pub struct JwtVerifier {
    inner: Arc<Inner>,
}

struct Inner {
    issuer: String,
    audiences: Vec<String>,
    algorithms: Vec<Algorithm>,
    leeway: u64,
    keys: KeySource,
}

enum KeySource {
    Static(Arc<KeySet>),
    Remote(Box<RemoteJwks>),
}

impl fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("issuer", &self.inner.issuer)
            .field("audiences", &self.inner.audiences)
            .field("algorithms", &self.inner.algorithms)
            .finish_non_exhaustive()
    }
}

impl JwtVerifier {
    /// Starts a configuration.
    pub fn builder() -> JwtVerifierBuilder {
        JwtVerifierBuilder::default()
    }

    fn validation(&self, alg: Algorithm) -> Validation {
        let mut v = Validation::new(alg);
        v.leeway = self.inner.leeway;
        v.validate_exp = true;
        v.validate_nbf = true;
        v.validate_aud = true;
        v.set_issuer(&[&self.inner.issuer]);
        v.set_audience(&self.inner.audiences);
        v.set_required_spec_claims(&["exp", "iss", "aud"]);
        v
    }

    async fn check(&self, token: &str) -> Result<Identity, AuthError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| AuthError::invalid("malformed token, or an unsupported algorithm"))?;
        if !self.inner.algorithms.contains(&header.alg) {
            return Err(AuthError::invalid("the token's algorithm is not accepted"));
        }
        let kid = header.kid.as_deref();
        let keys = match &self.inner.keys {
            KeySource::Static(keys) => keys.clone(),
            KeySource::Remote(remote) => match remote.keys_for(kid).await {
                Lookup::Keys(keys) => keys,
                Lookup::Unavailable(e) => return Err(AuthError::Unavailable(e)),
            },
        };
        let validation = self.validation(header.alg);
        let mut outcome = Err(AuthError::invalid("no key of the issuer matches the token"));
        for key in keys.candidates(kid, header.alg) {
            match jsonwebtoken::decode::<JsonObject>(token, key.decoding_key(), &validation) {
                Ok(data) => return claims::identity(data.claims),
                // Without a kid several keys may be tried; only a bad signature means "try
                // the next one", any other failure is the token's.
                Err(e) if matches!(e.kind(), ErrorKind::InvalidSignature) => {
                    outcome = Err(AuthError::invalid("the signature does not verify"));
                }
                Err(e) => return Err(AuthError::invalid(describe(e.kind()))),
            }
        }
        outcome
    }
}

impl TokenVerifier for JwtVerifier {
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Identity, AuthError>> {
        Box::pin(self.check(token))
    }
}

/// A reason for `error_description`: says what is wrong, reveals nothing of the keys or
/// the configuration.
fn describe(kind: &ErrorKind) -> String {
    match kind {
        ErrorKind::ExpiredSignature => "the token has expired".into(),
        ErrorKind::ImmatureSignature => "the token is not valid yet".into(),
        ErrorKind::InvalidAudience => "the token is not meant for this resource".into(),
        ErrorKind::InvalidIssuer => "the token comes from an unexpected issuer".into(),
        ErrorKind::InvalidSignature => "the signature does not verify".into(),
        ErrorKind::InvalidAlgorithm => "the token's algorithm is not accepted".into(),
        ErrorKind::MissingRequiredClaim(claim) => match claim.as_str() {
            "exp" | "iss" | "aud" => format!("the token has no `{claim}` claim"),
            _ => "the token lacks a required claim".into(),
        },
        ErrorKind::InvalidClaimFormat(_) => "a claim of the token is malformed".into(),
        _ => "malformed token".into(),
    }
}

/// Why a [`JwtVerifierBuilder`] could not build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtConfigError(String);

impl fmt::Display for JwtConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid JWT verifier configuration: {}", self.0)
    }
}

impl std::error::Error for JwtConfigError {}

/// Configures a [`JwtVerifier`]; `issuer`, `audience` and a key source are required.
#[derive(Debug, Clone)]
pub struct JwtVerifierBuilder {
    issuer: Option<String>,
    audiences: Vec<String>,
    algorithms: Vec<Algorithm>,
    leeway: Duration,
    jwks_url: Option<String>,
    jwks_json: Option<Vec<u8>>,
    client: Option<HttpClient>,
    policy: FetchPolicy,
}

impl Default for JwtVerifierBuilder {
    fn default() -> Self {
        Self {
            issuer: None,
            audiences: Vec::new(),
            algorithms: [
                AlgorithmFamily::Rsa.algorithms(),
                AlgorithmFamily::Ec.algorithms(),
                AlgorithmFamily::Ed.algorithms(),
            ]
            .concat(),
            leeway: Duration::from_secs(30),
            jwks_url: None,
            jwks_json: None,
            client: None,
            policy: FetchPolicy {
                min_refresh_interval: Duration::from_secs(10),
                max_age: Duration::from_secs(3600),
                timeout: Duration::from_secs(5),
                max_keys: 32,
            },
        }
    }
}

impl JwtVerifierBuilder {
    /// The authorization server's issuer identifier, compared exactly with `iss`.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// An identifier of this resource that `aud` must contain (the resource URL of the MCP
    /// endpoint, as in the protected-resource metadata). Call again to accept several.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// The signature algorithms accepted (by default every asymmetric one). HMAC algorithms
    /// are refused by [`build`](Self::build): with a public key set they would let anyone
    /// who knows a public key sign tokens.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().collect();
        self
    }

    /// How much clock skew `exp` and `nbf` tolerate (default 30 s).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Fetches the keys from this JWKS URL (the AS metadata's `jwks_uri`).
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.jwks_url = Some(url.into());
        self
    }

    /// Uses this JWKS document (`{"keys": [...]}`) instead of fetching one.
    pub fn jwks_json(mut self, json: impl Into<Vec<u8>>) -> Self {
        self.jwks_json = Some(json.into());
        self
    }

    /// Fetches the JWKS with this client instead of the built-in plain-HTTP one (needed for
    /// an `https` URL).
    pub fn http_client(mut self, client: HttpClient) -> Self {
        self.client = Some(client);
        self
    }

    /// The shortest time between two JWKS fetches (default 10 s), whatever tokens arrive.
    pub fn min_refresh_interval(mut self, interval: Duration) -> Self {
        self.policy.min_refresh_interval = interval;
        self
    }

    /// How long fetched keys are used before being fetched again (default 1 h).
    pub fn max_key_age(mut self, age: Duration) -> Self {
        self.policy.max_age = age;
        self
    }

    /// How long one JWKS fetch may take (default 5 s).
    pub fn fetch_timeout(mut self, timeout: Duration) -> Self {
        self.policy.timeout = timeout;
        self
    }

    /// The most keys kept from one JWKS (default 32); the rest are ignored.
    pub fn max_keys(mut self, max: usize) -> Self {
        self.policy.max_keys = max;
        self
    }

    /// The verifier, or what is missing or wrong.
    pub fn build(self) -> Result<JwtVerifier, JwtConfigError> {
        let err = |m: &str| Err(JwtConfigError(m.to_owned()));
        let Some(issuer) = self.issuer else {
            return err("an issuer is required");
        };
        if self.audiences.is_empty() {
            return err("an audience (this resource's identifier) is required");
        }
        let algorithms: HashSet<_> = self.algorithms.iter().copied().collect();
        if algorithms.is_empty() {
            return err("at least one algorithm is required");
        }
        if algorithms
            .iter()
            .any(|a| a.family() == AlgorithmFamily::Hmac)
        {
            return err("HMAC algorithms cannot be used with a public key set");
        }
        let keys = match (self.jwks_url, self.jwks_json) {
            (Some(_), Some(_)) => return err("give either a JWKS URL or a JWKS document"),
            (None, None) => return err("a JWKS URL or a JWKS document is required"),
            (None, Some(json)) => KeySource::Static(Arc::new(
                KeySet::from_jwks(&json, self.policy.max_keys)
                    .map_err(|e| JwtConfigError(format!("the JWKS document: {e}")))?,
            )),
            (Some(url), None) => {
                let url: http::Uri = url
                    .parse()
                    .map_err(|e| JwtConfigError(format!("the JWKS URL: {e}")))?;
                if url.scheme().is_none() || url.host().is_none() {
                    return err("the JWKS URL must be absolute");
                }
                let client = self.client.unwrap_or_default();
                KeySource::Remote(Box::new(RemoteJwks::new(url, client, self.policy)))
            }
        };
        Ok(JwtVerifier {
            inner: Arc::new(Inner {
                issuer,
                audiences: self.audiences,
                algorithms: self.algorithms,
                leeway: self.leeway.as_secs(),
                keys,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> JwtVerifierBuilder {
        JwtVerifier::builder()
            .issuer("http://as")
            .audience("http://rs/mcp")
            .jwks_url("http://as/jwks")
    }

    #[test]
    fn unsafe_or_incomplete_configurations_do_not_build() {
        assert!(base().build().is_ok());
        let hmac = base()
            .algorithms([Algorithm::RS256, Algorithm::HS256])
            .build();
        assert!(hmac.unwrap_err().to_string().contains("HMAC"));
        assert!(base().algorithms([]).build().is_err());
        assert!(JwtVerifier::builder()
            .audience("a")
            .jwks_url("http://as/jwks")
            .build()
            .is_err());
        assert!(JwtVerifier::builder()
            .issuer("i")
            .jwks_url("http://as/jwks")
            .build()
            .is_err());
        assert!(JwtVerifier::builder()
            .issuer("i")
            .audience("a")
            .build()
            .is_err());
        assert!(base().jwks_json(r#"{"keys":[]}"#).build().is_err());
        assert!(JwtVerifier::builder()
            .issuer("i")
            .audience("a")
            .jwks_url("/relative")
            .build()
            .is_err());
    }

    #[tokio::test]
    async fn tokens_are_refused_before_any_fetch_when_malformed() {
        // The JWKS URL points nowhere: a malformed token must be judged without it.
        let verifier = base().build().unwrap();
        for token in ["", "a", "a.b", "a.b.c", "e30.e30.", &"x".repeat(100_000)] {
            assert!(
                matches!(
                    verifier.verify(token).await,
                    Err(AuthError::InvalidToken(_))
                ),
                "{token:.20}"
            );
        }
    }
}
