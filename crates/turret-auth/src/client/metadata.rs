//! The metadata documents the client reads: RFC 9728 protected-resource metadata and
//! RFC 8414 / OpenID Connect authorization-server metadata.

use serde::Deserialize;

/// RFC 9728 §2, the fields the client uses.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ResourceMetadata {
    pub(crate) resource: Option<String>,
    #[serde(default)]
    pub(crate) authorization_servers: Vec<String>,
    pub(crate) scopes_supported: Option<Vec<String>>,
}

/// RFC 8414 §2 (and OpenID Connect Discovery §3), the fields the client uses.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ServerMetadata {
    pub(crate) issuer: String,
    pub(crate) authorization_endpoint: Option<String>,
    pub(crate) token_endpoint: Option<String>,
    pub(crate) registration_endpoint: Option<String>,
    pub(crate) scopes_supported: Option<Vec<String>>,
    pub(crate) grant_types_supported: Option<Vec<String>>,
    pub(crate) code_challenge_methods_supported: Option<Vec<String>>,
    pub(crate) token_endpoint_auth_methods_supported: Option<Vec<String>>,
    #[serde(default)]
    pub(crate) client_id_metadata_document_supported: bool,
    #[serde(default)]
    pub(crate) authorization_response_iss_parameter_supported: bool,
    /// RFC 9449 §5.1: the proof algorithms the server accepts; its presence says it
    /// issues DPoP-bound tokens.
    pub(crate) dpop_signing_alg_values_supported: Option<Vec<String>>,
    /// Not in the document: whether it was read from the authorization server (`false` for
    /// the 2025-03-26 default endpoints assumed when there is none).
    #[serde(skip)]
    pub(crate) published: bool,
}

impl ServerMetadata {
    /// The endpoints a 2025-03-26 server without metadata has: `/authorize`, `/token` and
    /// `/register` at the MCP server's origin.
    pub(crate) fn defaults_at(origin: &str) -> Self {
        Self {
            issuer: origin.to_owned(),
            authorization_endpoint: Some(format!("{origin}/authorize")),
            token_endpoint: Some(format!("{origin}/token")),
            registration_endpoint: Some(format!("{origin}/register")),
            scopes_supported: None,
            grant_types_supported: None,
            code_challenge_methods_supported: None,
            token_endpoint_auth_methods_supported: None,
            client_id_metadata_document_supported: false,
            authorization_response_iss_parameter_supported: false,
            dpop_signing_alg_values_supported: None,
            published: false,
        }
    }

    pub(crate) fn supports_auth_method(&self, method: &str) -> Option<bool> {
        self.token_endpoint_auth_methods_supported
            .as_ref()
            .map(|m| m.iter().any(|x| x == method))
    }

    pub(crate) fn lists_scope(&self, scope: &str) -> bool {
        self.scopes_supported
            .as_ref()
            .is_some_and(|s| s.iter().any(|x| x == scope))
    }

    pub(crate) fn supports_grant(&self, grant: &str) -> bool {
        // RFC 8414 §2: absent means ["authorization_code", "implicit"].
        match &self.grant_types_supported {
            Some(g) => g.iter().any(|x| x == grant),
            None => grant == "authorization_code",
        }
    }
}
