//! The URLs of discovery: well-known locations (RFC 9728 §3, RFC 8414 §3, OpenID Connect
//! Discovery §4) and the checks made on the URLs metadata hands out. Issuers and resources
//! are kept as the strings published: RFC 8414 and RFC 9207 compare them exactly, so they
//! are never normalized.

use http::Uri;

use super::OAuthError;

/// An absolute `http`/`https` URL split into what discovery needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Parsed {
    /// `scheme://authority`, lowercased.
    pub(crate) origin: String,
    /// The path without a trailing `/`; empty for the root.
    pub(crate) path: String,
}

/// Splits `url`, which must be absolute `http` or `https` without credentials.
pub(crate) fn parse(url: &str, what: &str) -> Result<Parsed, OAuthError> {
    let uri: Uri = url
        .parse()
        .map_err(|e| OAuthError::new(format!("{what} {url:?} is not a URL: {e}")))?;
    parse_uri(&uri, what)
}

pub(crate) fn parse_uri(uri: &Uri, what: &str) -> Result<Parsed, OAuthError> {
    let scheme = uri
        .scheme_str()
        .map(str::to_ascii_lowercase)
        .ok_or_else(|| OAuthError::new(format!("{what} {uri} is not an absolute URL")))?;
    if scheme != "http" && scheme != "https" {
        return Err(OAuthError::new(format!(
            "{what} {uri} is not an http or https URL"
        )));
    }
    let authority = uri
        .authority()
        .ok_or_else(|| OAuthError::new(format!("{what} {uri} has no host")))?;
    if authority.as_str().contains('@') {
        return Err(OAuthError::new(format!(
            "{what} {uri} carries credentials in its authority"
        )));
    }
    Ok(Parsed {
        origin: format!("{scheme}://{}", authority.as_str().to_ascii_lowercase()),
        path: uri.path().trim_end_matches('/').to_owned(),
    })
}

/// The canonical URI of an MCP server (MCP authorization, "Canonical Server URI"): scheme
/// and host lowercased, no query, no fragment, no trailing slash.
pub(crate) fn canonical(uri: &Uri) -> Result<String, OAuthError> {
    let parsed = parse_uri(uri, "the MCP server URL")?;
    Ok(format!("{}{}", parsed.origin, parsed.path))
}

/// The protected-resource metadata URLs to try for a server without a `resource_metadata`
/// hint: the path-inserted one first, then the root (MCP authorization, "Protected Resource
/// Metadata Discovery Requirements").
pub(crate) fn protected_resource_candidates(server: &Parsed) -> Vec<String> {
    let mut out = Vec::new();
    if !server.path.is_empty() {
        out.push(format!(
            "{}/.well-known/oauth-protected-resource{}",
            server.origin, server.path
        ));
    }
    out.push(format!(
        "{}/.well-known/oauth-protected-resource",
        server.origin
    ));
    out
}

/// The authorization-server metadata URLs for `issuer`, in the order the MCP specification
/// gives: RFC 8414 with path insertion, OpenID Connect with path insertion, OpenID Connect
/// with the path appended; just the first two for an issuer without a path.
pub(crate) fn authorization_server_candidates(issuer: &Parsed) -> Vec<String> {
    let Parsed { origin, path } = issuer;
    if path.is_empty() {
        vec![
            format!("{origin}/.well-known/oauth-authorization-server"),
            format!("{origin}/.well-known/openid-configuration"),
        ]
    } else {
        vec![
            format!("{origin}/.well-known/oauth-authorization-server{path}"),
            format!("{origin}/.well-known/openid-configuration{path}"),
            format!("{origin}{path}/.well-known/openid-configuration"),
        ]
    }
}

/// Whether the resource identifier `resource` (from protected-resource metadata) names the
/// server at `server` or a parent of it: same origin, and a path that is a prefix of the
/// server's on a segment boundary. Anything else would have the client ask for a token
/// meant for another server.
pub(crate) fn resource_covers(resource: &str, server: &Parsed) -> bool {
    let Ok(resource) = parse(resource, "the resource") else {
        return false;
    };
    if resource.origin != server.origin {
        return false;
    }
    resource.path.is_empty()
        || server.path == resource.path
        || server
            .path
            .strip_prefix(&resource.path)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Whether `uri` is on the same origin as `server`: the requests a server's token may go to.
pub(crate) fn same_origin(uri: &Uri, server: &Parsed) -> bool {
    parse_uri(uri, "the request URL").is_ok_and(|p| p.origin == server.origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Parsed {
        parse(s, "test").unwrap()
    }

    #[test]
    fn well_known_orders() {
        assert_eq!(
            protected_resource_candidates(&p("http://H:1/mcp/")),
            vec![
                "http://h:1/.well-known/oauth-protected-resource/mcp",
                "http://h:1/.well-known/oauth-protected-resource"
            ]
        );
        assert_eq!(
            authorization_server_candidates(&p("http://a/tenant1")),
            vec![
                "http://a/.well-known/oauth-authorization-server/tenant1",
                "http://a/.well-known/openid-configuration/tenant1",
                "http://a/tenant1/.well-known/openid-configuration"
            ]
        );
        assert_eq!(authorization_server_candidates(&p("http://a/")).len(), 2);
    }

    #[test]
    fn resources_cover_their_server_and_children_only() {
        let server = p("http://localhost:5/mcp");
        assert!(resource_covers("http://localhost:5/mcp", &server));
        assert!(resource_covers("http://localhost:5", &server));
        assert!(resource_covers("HTTP://LOCALHOST:5/", &server));
        assert!(!resource_covers("https://evil.example.com/mcp", &server));
        assert!(!resource_covers("http://localhost:5/mc", &server));
        assert!(!resource_covers("http://localhost:6/mcp", &server));
        assert!(!resource_covers("http://localhost:5/mcp/deeper", &server));
        assert!(!resource_covers("not a url", &server));
    }

    #[test]
    fn bad_urls_are_named() {
        let e = parse("ftp://x/y", "the issuer").unwrap_err();
        assert!(e.to_string().contains("the issuer"), "{e}");
        assert!(parse("http://u:p@x/", "x").is_err());
        assert!(parse("/relative", "x").is_err());
    }
}
