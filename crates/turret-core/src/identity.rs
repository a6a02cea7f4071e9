//! Who is calling: the identity an authentication layer established.

use std::sync::Arc;

use turret_types::JsonObject;

/// The authenticated caller of a request, inserted into its extensions by an auth layer
/// (on the HTTP edge, outer layers put it into the HTTP request's extensions and the edge
/// carries it over). Layers key per-caller state on [`subject`](Self::subject); handlers
/// read it with `Extension<Identity>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    subject: Arc<str>,
    scopes: Arc<[String]>,
    claims: Arc<JsonObject>,
}

impl Identity {
    /// An identity with a subject and no scopes or claims.
    pub fn new(subject: impl Into<Arc<str>>) -> Self {
        Self {
            subject: subject.into(),
            scopes: Arc::new([]),
            claims: Arc::default(),
        }
    }

    /// With these granted scopes.
    pub fn with_scopes(mut self, scopes: impl IntoIterator<Item = String>) -> Self {
        self.scopes = scopes.into_iter().collect();
        self
    }

    /// With these token claims.
    pub fn with_claims(mut self, claims: JsonObject) -> Self {
        self.claims = Arc::new(claims);
        self
    }

    /// Who the caller is (a token's `sub`, an API key's owner…).
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The scopes the caller was granted.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// Whether the caller holds `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// The token's claims, if any.
    pub fn claims(&self) -> &JsonObject {
        &self.claims
    }
}
