//! DPoP (RFC 9449): the client's proof-of-possession key, the proof JWTs it signs, and the
//! nonces servers hand out.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http::{HeaderMap, Method, Uri};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::Generate as _;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

use super::pkce::random_string;
use super::OAuthError;

/// The only proof algorithm the client signs with.
pub(crate) const ALG: &str = "ES256";

/// When the client asks for DPoP-bound tokens (RFC 9449) rather than bearer tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum DpopMode {
    /// Never: bearer tokens only.
    Disabled,
    /// When the authorization server's metadata lists `ES256` in
    /// `dpop_signing_alg_values_supported` (the default); a bearer token otherwise.
    #[default]
    WhenSupported,
    /// Always: every token request carries a proof, and a token the authorization server
    /// issues as `Bearer` anyway is refused.
    Required,
}

/// How an access token is presented (the token response's `token_type`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenType {
    /// `Authorization: Bearer …` (RFC 6750).
    #[default]
    Bearer,
    /// `Authorization: DPoP …` with a fresh proof on each request, signed with the key the
    /// token is bound to (RFC 9449 §7).
    Dpop,
}

/// The client's proof key: an ES256 key pair generated at random for this client. It lives
/// in memory only, so DPoP-bound tokens kept elsewhere outlive their usefulness when the
/// process ends (the server refuses them, and the client gets new ones).
pub(crate) struct DpopKey {
    signing: SigningKey,
    /// The public key as a JWK (RFC 7517), for the proof's `jwk` header.
    jwk: Value,
}

impl fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopKey")
            .field("jwk", &self.jwk)
            .finish_non_exhaustive()
    }
}

impl DpopKey {
    pub(crate) fn generate() -> Result<Self, OAuthError> {
        let signing = SigningKey::try_generate()
            .map_err(|e| OAuthError::new(format!("the system random generator failed: {e}")))?;
        // Uncompressed SEC1 point: 0x04 ‖ x ‖ y, 32 bytes each for P-256.
        let point = signing.verifying_key().to_sec1_point(false);
        let bytes = point.as_bytes();
        let (x, y) = bytes[1..].split_at(32);
        let jwk = json!({
            "kty": "EC",
            "crv": "P-256",
            "x": URL_SAFE_NO_PAD.encode(x),
            "y": URL_SAFE_NO_PAD.encode(y),
        });
        Ok(Self { signing, jwk })
    }

    /// A proof for one request (RFC 9449 §4.2): `htm` and `htu` name it, `nonce` is the
    /// server's latest, `ath` binds it to the access token sent with it.
    pub(crate) fn proof(
        &self,
        method: &Method,
        uri: &Uri,
        nonce: Option<&str>,
        access_token: Option<&str>,
    ) -> Result<String, OAuthError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let header = json!({"typ": "dpop+jwt", "alg": ALG, "jwk": self.jwk});
        let mut claims = json!({
            "jti": random_string(16)?,
            "htm": method.as_str(),
            "htu": htu(uri)?,
            "iat": now,
        });
        if let Some(nonce) = nonce {
            claims["nonce"] = json!(nonce);
        }
        if let Some(token) = access_token {
            claims["ath"] = json!(URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes())));
        }
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        // ES256 (RFC 7518 §3.4): ECDSA P-256 over SHA-256, the signature as r ‖ s.
        let signature: Signature = self.signing.sign(input.as_bytes());
        Ok(format!(
            "{input}.{}",
            URL_SAFE_NO_PAD.encode(signature.to_bytes())
        ))
    }
}

/// The `htu` of a request: its URI without query and fragment (RFC 9449 §4.2).
fn htu(uri: &Uri) -> Result<String, OAuthError> {
    match (uri.scheme_str(), uri.authority()) {
        (Some(scheme), Some(authority)) => Ok(format!("{scheme}://{authority}{}", uri.path())),
        _ => Err(OAuthError::new(format!(
            "a DPoP proof needs an absolute URL, not {uri}"
        ))),
    }
}

/// Whether `algs` (the metadata's `dpop_signing_alg_values_supported`) lets the client sign.
pub(crate) fn supports_es256(algs: Option<&[String]>) -> bool {
    algs.is_some_and(|a| a.iter().any(|x| x == ALG))
}

/// The latest nonce each server gave (RFC 9449 §8, §9), keyed by the caller: authorization
/// servers by issuer, MCP servers by URL, never mixed up.
#[derive(Debug, Default)]
pub(crate) struct Nonces {
    by_server: Mutex<HashMap<String, String>>,
}

impl Nonces {
    pub(crate) fn get(&self, server: &str) -> Option<String> {
        self.by_server
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(server)
            .cloned()
    }

    /// Keeps the `DPoP-Nonce` of a response, if it has one: a server may send a new nonce
    /// with any response, not only with `use_dpop_nonce`. Whether it had one.
    pub(crate) fn update(&self, server: &str, headers: &HeaderMap) -> bool {
        let Some(nonce) = headers
            .get("dpop-nonce")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|n| !n.is_empty())
        else {
            return false;
        };
        self.by_server
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(server.to_owned(), nonce.to_owned());
        true
    }
}

/// DPoP as configured on a client: its mode, its key (none when disabled), the nonces.
#[derive(Debug)]
pub(crate) struct Dpop {
    pub(crate) mode: DpopMode,
    pub(crate) key: Option<DpopKey>,
    pub(crate) nonces: Nonces,
}

impl Dpop {
    pub(crate) fn new(mode: DpopMode) -> Result<Self, OAuthError> {
        let key = match mode {
            DpopMode::Disabled => None,
            _ => Some(DpopKey::generate()?),
        };
        Ok(Self {
            mode,
            key,
            nonces: Nonces::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(part: &str) -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    #[test]
    fn a_proof_has_the_rfc_9449_shape() {
        let key = DpopKey::generate().unwrap();
        let uri: Uri = "http://127.0.0.1:8080/mcp?x=1#f".parse().unwrap();
        let proof = key
            .proof(&Method::POST, &uri, Some("n-1"), Some("tok"))
            .unwrap();
        let parts: Vec<_> = proof.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header = decode(parts[0]);
        assert_eq!(header["typ"], "dpop+jwt");
        assert_eq!(header["alg"], "ES256");
        assert_eq!(header["jwk"]["kty"], "EC");
        assert!(header["jwk"].get("d").is_none(), "no private key");
        let claims = decode(parts[1]);
        assert_eq!(claims["htm"], "POST");
        assert_eq!(claims["htu"], "http://127.0.0.1:8080/mcp");
        assert_eq!(claims["nonce"], "n-1");
        assert_eq!(
            claims["ath"],
            URL_SAFE_NO_PAD.encode(Sha256::digest(b"tok"))
        );
        assert_eq!(URL_SAFE_NO_PAD.decode(parts[2]).unwrap().len(), 64);
        // A fresh jti each time.
        let again = key.proof(&Method::POST, &uri, None, None).unwrap();
        let again = decode(again.split('.').nth(1).unwrap());
        assert_ne!(again["jti"], claims["jti"]);
        assert!(again.get("nonce").is_none() && again.get("ath").is_none());
    }

    #[test]
    fn two_clients_have_two_keys() {
        let a = DpopKey::generate().unwrap();
        let b = DpopKey::generate().unwrap();
        assert_ne!(a.jwk, b.jwk);
    }
}
