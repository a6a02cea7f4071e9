//! `[auth]` as a layer: the HTTP endpoint as an OAuth 2.1 resource server.

use turret_auth::{AuthLayer, JwtVerifier, ProtectedResourceMetadata, StaticTokens};
use turret_core::Identity;

use crate::config::AuthConfig;

/// The layer `config` asks for, in front of the MCP endpoint at `url`.
///
/// # Errors
/// A JWT configuration the verifier refuses.
pub fn layer(config: &AuthConfig, url: &str) -> Result<AuthLayer, String> {
    let audience = config.audience.clone().unwrap_or_else(|| url.to_owned());
    let mut metadata = ProtectedResourceMetadata::new(&audience);
    if !config.scopes.is_empty() {
        metadata = metadata.scopes_supported(config.scopes.iter().cloned());
    }
    let layer = match (&config.issuer, &config.jwks_url) {
        (Some(issuer), Some(jwks)) => {
            let verifier = JwtVerifier::builder()
                .issuer(issuer)
                .audience(audience)
                .jwks_url(jwks)
                .build()
                .map_err(|e| format!("[auth]: {e}"))?;
            AuthLayer::new(verifier, metadata.authorization_server(issuer))
        }
        _ => {
            let tokens = config
                .tokens
                .iter()
                .fold(StaticTokens::new(), |t, (token, who)| {
                    let identity = Identity::new(who.as_str()).with_scopes(config.scopes.clone());
                    t.token(token, identity)
                });
            AuthLayer::new(tokens, metadata)
        }
    };
    Ok(layer.required_scopes(config.scopes.iter().cloned()))
}
