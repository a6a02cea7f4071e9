//! Reading `WWW-Authenticate: Bearer …` challenges (RFC 6750 §3, RFC 9728 §5.1), and the
//! `DPoP …` ones of servers that take DPoP-bound tokens (RFC 9449 §7.1), which carry the
//! same parameters.

use std::collections::HashMap;

use http::HeaderMap;

/// The parameters of the `Bearer` challenge of a response, if it has one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct BearerChallenge {
    /// Lowercased parameter names and their (unquoted) values.
    params: HashMap<String, String>,
}

impl BearerChallenge {
    /// The `Bearer` challenge among the response's `WWW-Authenticate` headers, else the
    /// `DPoP` one (a server that only takes DPoP-bound tokens sends only that).
    pub(crate) fn from_headers(headers: &HeaderMap) -> Option<Self> {
        Self::scheme_from_headers(headers, "bearer")
            .or_else(|| Self::scheme_from_headers(headers, "dpop"))
    }

    /// The `DPoP` challenge among the response's `WWW-Authenticate` headers.
    pub(crate) fn dpop_from_headers(headers: &HeaderMap) -> Option<Self> {
        Self::scheme_from_headers(headers, "dpop")
    }

    fn scheme_from_headers(headers: &HeaderMap, scheme: &str) -> Option<Self> {
        headers
            .get_all(http::header::WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| parse_challenge(v, scheme))
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// `resource_metadata`: where the protected-resource metadata is.
    pub(crate) fn resource_metadata(&self) -> Option<&str> {
        self.get("resource_metadata").filter(|s| !s.is_empty())
    }

    /// The `scope` parameter, split.
    pub(crate) fn scopes(&self) -> Vec<String> {
        self.get("scope")
            .map(|s| s.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default()
    }

    pub(crate) fn error(&self) -> Option<&str> {
        self.get("error")
    }
}

#[cfg(test)]
fn parse_bearer(value: &str) -> Option<BearerChallenge> {
    parse_challenge(value, "bearer")
}

/// The challenge of `scheme` in one header value, which may hold several challenges
/// (`DPoP algs="ES256", Bearer realm="x"`).
fn parse_challenge(value: &str, scheme: &str) -> Option<BearerChallenge> {
    let mut rest = value;
    let mut current: Option<(String, HashMap<String, String>)> = None;
    let mut found = None;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            break;
        }
        let token_end = rest
            .find(|c: char| c == '=' || c == ',' || c.is_whitespace())
            .unwrap_or(rest.len());
        let token = &rest[..token_end];
        let after = rest[token_end..].trim_start_matches([' ', '\t']);
        if token.is_empty() {
            // A stray character: skip it rather than loop forever.
            rest = &rest[1..];
            continue;
        }
        if let Some(value_part) = after.strip_prefix('=').filter(|_| current.is_some()) {
            // An auth-param of the current challenge.
            let value_part = value_part.trim_start_matches([' ', '\t']);
            let (value, remaining) = if let Some(quoted) = value_part.strip_prefix('"') {
                unquote(quoted)
            } else {
                let end = value_part.find(',').unwrap_or(value_part.len());
                (value_part[..end].trim().to_owned(), &value_part[end..])
            };
            if let Some((_, params)) = current.as_mut() {
                params.insert(token.to_ascii_lowercase(), value);
            }
            rest = remaining;
        } else if after.starts_with('=') {
            // token68 or a parameter before any scheme: ignore up to the next comma.
            let end = after.find(',').unwrap_or(after.len());
            rest = &after[end..];
        } else {
            // A new challenge starts with its scheme.
            if let Some((name, params)) = current.take() {
                if name.eq_ignore_ascii_case(scheme) && found.is_none() {
                    found = Some(BearerChallenge { params });
                }
            }
            current = Some((token.to_owned(), HashMap::new()));
            rest = after;
        }
    }
    if let Some((name, params)) = current {
        if name.eq_ignore_ascii_case(scheme) && found.is_none() {
            found = Some(BearerChallenge { params });
        }
    }
    found
}

/// The quoted string starting after its opening quote, and what follows its closing quote.
fn unquote(s: &str) -> (String, &str) {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                if let Some((_, escaped)) = chars.next() {
                    out.push(escaped);
                }
            }
            '"' => return (out, &s[i + 1..]),
            c => out.push(c),
        }
    }
    (out, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_parameters_are_read() {
        let c = parse_bearer(
            r#"Bearer error="insufficient_scope", scope="a b", resource_metadata="http://h/.well-known/oauth-protected-resource/mcp", error_description="say \"hi\"""#,
        )
        .unwrap();
        assert_eq!(c.error(), Some("insufficient_scope"));
        assert_eq!(c.scopes(), vec!["a", "b"]);
        assert_eq!(
            c.resource_metadata(),
            Some("http://h/.well-known/oauth-protected-resource/mcp")
        );
        assert_eq!(c.get("error_description"), Some(r#"say "hi""#));
    }

    #[test]
    fn bearer_among_other_schemes_and_bare_values() {
        let c = parse_bearer(r#"DPoP algs="ES256", Bearer realm=mcp, scope="x""#).unwrap();
        assert_eq!(c.get("realm"), Some("mcp"));
        assert_eq!(c.scopes(), vec!["x"]);
        assert!(parse_bearer("Basic realm=\"x\"").is_none());
        let d = parse_challenge(r#"DPoP algs="ES256", Bearer realm=mcp"#, "dpop").unwrap();
        assert_eq!(d.get("algs"), Some("ES256"));
        assert_eq!(d.get("realm"), None);
        assert_eq!(parse_bearer("Bearer").unwrap(), BearerChallenge::default());
        // Garbage never panics.
        for s in [
            "=",
            "\"",
            "Bearer =\"",
            "Bearer a=\"unterminated",
            ",,,",
            "Bearer a=b=c",
        ] {
            let _ = parse_bearer(s);
        }
    }

    #[test]
    fn a_dpop_only_server_is_understood() {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::WWW_AUTHENTICATE,
            r#"DPoP error="use_dpop_nonce", resource_metadata="http://h/prm""#
                .parse()
                .unwrap(),
        );
        let c = BearerChallenge::from_headers(&headers).unwrap();
        assert_eq!(c.resource_metadata(), Some("http://h/prm"));
        let d = BearerChallenge::dpop_from_headers(&headers).unwrap();
        assert_eq!(d.error(), Some("use_dpop_nonce"));
    }
}
