//! DNS-rebinding protection: the `Host` and `Origin` a request may carry.

use http::HeaderMap;

use super::config::StreamableHttpConfig;

/// The host part of `host[:port]` or `[v6]:port`, lower-cased.
fn host_of(authority: &str) -> String {
    let authority = authority.trim().to_ascii_lowercase();
    if authority.starts_with('[') {
        return match authority.find(']') {
            Some(end) => authority[..=end].to_owned(),
            None => authority,
        };
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host.to_owned(),
        _ => authority,
    }
}

/// Why a request was refused: said in the 403 body.
pub(crate) fn check(
    headers: &HeaderMap,
    config: &StreamableHttpConfig,
) -> Result<(), &'static str> {
    if !config.any_host {
        if let Some(host) = headers.get(http::header::HOST) {
            let host = host.to_str().map(host_of).unwrap_or_default();
            if !config.allowed_hosts.contains(&host) {
                return Err("Host not allowed");
            }
        }
    }
    if !config.any_origin {
        if let Some(origin) = headers.get(http::header::ORIGIN) {
            let origin = origin.to_str().unwrap_or_default().to_ascii_lowercase();
            let listed = config.allowed_origins.contains(&origin);
            let local = origin
                .split_once("://")
                .is_some_and(|(_, rest)| config.allowed_hosts.iter().any(|h| *h == host_of(rest)));
            if !listed && !local {
                return Err("Origin not allowed");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(host: Option<&str>, origin: Option<&str>) -> Result<(), &'static str> {
        let mut h = HeaderMap::new();
        if let Some(v) = host {
            h.insert(http::header::HOST, v.parse().unwrap());
        }
        if let Some(v) = origin {
            h.insert(http::header::ORIGIN, v.parse().unwrap());
        }
        check(&h, &StreamableHttpConfig::default())
    }

    #[test]
    fn local_names_pass_foreign_ones_do_not() {
        assert!(verdict(Some("localhost:8080"), Some("http://localhost:3000")).is_ok());
        assert!(verdict(Some("127.0.0.1:1"), None).is_ok());
        assert!(verdict(Some("[::1]:9"), Some("http://[::1]:9")).is_ok());
        assert!(verdict(None, None).is_ok());
        assert_eq!(
            verdict(Some("evil.example.com"), None),
            Err("Host not allowed")
        );
        assert_eq!(
            verdict(Some("localhost"), Some("http://evil.example.com")),
            Err("Origin not allowed")
        );
        assert_eq!(
            verdict(Some("localhost.evil.com"), None),
            Err("Host not allowed")
        );
        let c = StreamableHttpConfig::default()
            .allow_host("mcp.example.com")
            .allow_origin("https://app.example.com");
        let mut h = HeaderMap::new();
        h.insert(http::header::HOST, "mcp.example.com".parse().unwrap());
        h.insert(
            http::header::ORIGIN,
            "https://app.example.com".parse().unwrap(),
        );
        assert!(check(&h, &c).is_ok());
    }
}
