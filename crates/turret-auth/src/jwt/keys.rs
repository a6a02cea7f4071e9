//! A JWKS turned into verification keys: only public signing keys, at most a bounded number.

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};
use serde::Deserialize;

/// One usable key of a JWKS.
pub(crate) struct Key {
    kid: Option<String>,
    /// The algorithm the JWK pins, if it names one.
    alg: Option<Algorithm>,
    /// For EC keys: the one algorithm its curve goes with.
    curve_alg: Option<Algorithm>,
    key: DecodingKey,
}

impl Key {
    /// Whether this key may verify a token signed with `alg`.
    fn fits(&self, alg: Algorithm) -> bool {
        self.key.family() == alg.family()
            && self.alg.is_none_or(|a| a == alg)
            && self.curve_alg.is_none_or(|a| a == alg)
    }

    pub(crate) fn decoding_key(&self) -> &DecodingKey {
        &self.key
    }
}

/// The usable keys of a JWKS.
#[derive(Default)]
pub(crate) struct KeySet {
    keys: Vec<Key>,
}

/// The outer shape only, so that one key of an unknown kind does not spoil the others.
#[derive(Deserialize)]
struct RawSet {
    keys: Vec<serde_json::Value>,
}

impl KeySet {
    /// The usable keys of the JWKS document `json`, at most `max` of them. Keys of unknown
    /// types, symmetric keys, encryption keys and malformed keys are skipped: a public JWKS
    /// must never make a shared secret acceptable.
    pub(crate) fn from_jwks(json: &[u8], max: usize) -> Result<Self, String> {
        let raw: RawSet =
            serde_json::from_slice(json).map_err(|e| format!("not a JWK set: {e}"))?;
        let mut keys = Vec::new();
        for value in raw.keys {
            if keys.len() == max {
                tracing::warn!(
                    max,
                    "the JWKS has more keys than allowed; the rest are ignored"
                );
                break;
            }
            let Ok(jwk) = serde_json::from_value::<Jwk>(value) else {
                continue;
            };
            if let Some(key) = usable(&jwk) {
                keys.push(key);
            }
        }
        Ok(Self { keys })
    }

    /// Keys that may verify a token with this `kid` and `alg`. Without a `kid`, every key
    /// that fits the algorithm is a candidate.
    pub(crate) fn candidates<'a>(
        &'a self,
        kid: Option<&'a str>,
        alg: Algorithm,
    ) -> impl Iterator<Item = &'a Key> + 'a {
        self.keys
            .iter()
            .filter(move |k| kid.is_none_or(|kid| k.kid.as_deref() == Some(kid)))
            .filter(move |k| k.fits(alg))
    }

    /// Whether a key has this id.
    pub(crate) fn has_kid(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid.as_deref() == Some(kid))
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }
}

fn usable(jwk: &Jwk) -> Option<Key> {
    if matches!(
        jwk.common.public_key_use,
        Some(PublicKeyUse::Encryption | PublicKeyUse::Other(_))
    ) {
        return None;
    }
    let curve_alg = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) | AlgorithmParameters::OctetKeyPair(_) => None,
        AlgorithmParameters::EllipticCurve(p) => match p.curve {
            EllipticCurve::P256 => Some(Algorithm::ES256),
            EllipticCurve::P384 => Some(Algorithm::ES384),
            _ => return None,
        },
        // Symmetric keys have no place in a public key set.
        _ => return None,
    };
    let alg = match jwk.common.key_algorithm {
        // An `alg` that is not a signature algorithm (RSA-OAEP…) makes the key unusable here.
        Some(a) => Some(a.to_string().parse::<Algorithm>().ok()?),
        None => None,
    };
    let key = DecodingKey::from_jwk(jwk).ok()?;
    if key.family() == AlgorithmFamily::Hmac {
        return None;
    }
    Some(Key {
        kid: jwk.common.key_id.clone(),
        alg,
        curve_alg,
        key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSA: &str = r#"{"kty":"RSA","kid":"r","alg":"RS256","n":"sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw","e":"AQAB"}"#;

    #[test]
    fn symmetric_encryption_and_unknown_keys_are_dropped() {
        let json = format!(
            r#"{{"keys":[{RSA},
              {{"kty":"oct","kid":"h","k":"c2VjcmV0"}},
              {{"kty":"RSA","use":"enc","kid":"e","n":"AQAB","e":"AQAB"}},
              {{"kty":"weird"}},
              "not even an object"]}}"#
        );
        let set = KeySet::from_jwks(json.as_bytes(), 8).unwrap();
        assert_eq!(set.len(), 1);
        assert!(set.has_kid("r"));
        assert_eq!(set.candidates(Some("r"), Algorithm::RS256).count(), 1);
        // The key pins RS256; HS256 (a public key used as an HMAC secret) never fits.
        assert_eq!(set.candidates(Some("r"), Algorithm::HS256).count(), 0);
        assert_eq!(set.candidates(Some("r"), Algorithm::PS256).count(), 0);
        assert_eq!(set.candidates(None, Algorithm::RS256).count(), 1);
    }

    #[test]
    fn the_number_of_keys_is_bounded() {
        let json = format!(r#"{{"keys":[{RSA},{RSA},{RSA}]}}"#);
        assert_eq!(KeySet::from_jwks(json.as_bytes(), 2).unwrap().len(), 2);
        assert!(KeySet::from_jwks(b"[]", 2).is_err());
    }
}
