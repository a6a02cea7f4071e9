//! RFC 9728 protected-resource metadata: which authorization servers issue tokens for this
//! resource, and which scopes it knows. MCP clients read it after a 401 to start OAuth.

use std::convert::Infallible;
use std::fmt;
use std::future::{ready, Ready};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::Full;
use serde::Serialize;

/// The well-known path suffix of RFC 9728.
const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

/// The metadata document of a protected resource (RFC 9728 §2).
///
/// ```
/// use turret_auth::ProtectedResourceMetadata;
///
/// let metadata = ProtectedResourceMetadata::new("https://mcp.example.com/mcp")
///     .authorization_server("https://auth.example.com")
///     .scopes_supported(["mcp:tools", "mcp:admin"])
///     .resource_name("Example tools");
/// assert_eq!(
///     metadata.metadata_url().as_deref(),
///     Some("https://mcp.example.com/.well-known/oauth-protected-resource/mcp")
/// );
/// let json = serde_json::to_value(&metadata).unwrap();
/// assert_eq!(json["authorization_servers"][0], "https://auth.example.com");
/// assert_eq!(json["bearer_methods_supported"][0], "header");
/// ```
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ProtectedResourceMetadata {
    resource: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authorization_servers: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scopes_supported: Option<Vec<String>>,
    bearer_methods_supported: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_documentation: Option<String>,
}

impl ProtectedResourceMetadata {
    /// Metadata of the resource identified by `resource`: the absolute URL clients use for
    /// the MCP endpoint, and the audience tokens must be issued for (RFC 8707).
    pub fn new(resource: impl Into<String>) -> Self {
        Self {
            resource: resource.into(),
            authorization_servers: Vec::new(),
            scopes_supported: None,
            // OAuth 2.1 allows only the header for bearer tokens, and so does MCP.
            bearer_methods_supported: vec!["header".to_owned()],
            resource_name: None,
            resource_documentation: None,
        }
    }

    /// Adds the issuer identifier of an authorization server that issues tokens for this
    /// resource.
    pub fn authorization_server(mut self, issuer: impl Into<String>) -> Self {
        self.authorization_servers.push(issuer.into());
        self
    }

    /// The scopes this resource understands.
    pub fn scopes_supported<I>(mut self, scopes: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.scopes_supported = Some(scopes.into_iter().map(Into::into).collect());
        self
    }

    /// A name for people.
    pub fn resource_name(mut self, name: impl Into<String>) -> Self {
        self.resource_name = Some(name.into());
        self
    }

    /// A URL of documentation for developers.
    pub fn resource_documentation(mut self, url: impl Into<String>) -> Self {
        self.resource_documentation = Some(url.into());
        self
    }

    /// The resource identifier.
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The authorization servers.
    pub fn authorization_servers(&self) -> &[String] {
        &self.authorization_servers
    }

    /// Where this document is served: the well-known suffix inserted between the host and
    /// the path of the resource identifier (RFC 9728 §3.1), e.g.
    /// `https://host/.well-known/oauth-protected-resource/mcp` for `https://host/mcp`.
    /// `None` when the resource identifier is not an absolute URL.
    pub fn metadata_url(&self) -> Option<String> {
        let uri: http::Uri = self.resource.parse().ok()?;
        let scheme = uri.scheme_str()?;
        let authority = uri.authority()?;
        Some(format!("{scheme}://{authority}{}", self.metadata_path()?))
    }

    /// The path part of [`metadata_url`](Self::metadata_url).
    pub fn metadata_path(&self) -> Option<String> {
        let uri: http::Uri = self.resource.parse().ok()?;
        uri.authority()?;
        let path = uri.path().trim_end_matches('/');
        let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
        Some(format!("{WELL_KNOWN}{path}{query}"))
    }

    /// The paths to serve this document at: [`metadata_path`](Self::metadata_path) and the
    /// bare well-known path, which clients try when the first is missing.
    pub fn well_known_paths(&self) -> Vec<String> {
        let mut paths = Vec::with_capacity(2);
        if let Some(path) = self.metadata_path() {
            // The query is not part of the path a router matches.
            paths.push(path.split('?').next().unwrap_or_default().to_owned());
        }
        if !paths.iter().any(|p| p == WELL_KNOWN) {
            paths.push(WELL_KNOWN.to_owned());
        }
        paths
    }

    /// A service answering GET with this document as JSON, for an axum `route_service` at
    /// each of [`well_known_paths`](Self::well_known_paths). ([`AuthLayer`](crate::AuthLayer)
    /// already serves it at those paths, without a token.)
    ///
    /// ```
    /// use turret_auth::ProtectedResourceMetadata;
    ///
    /// let metadata = ProtectedResourceMetadata::new("http://127.0.0.1:8080/mcp")
    ///     .authorization_server("http://127.0.0.1:9000");
    /// let mut app: axum::Router = axum::Router::new();
    /// for path in metadata.well_known_paths() {
    ///     app = app.route_service(&path, metadata.service());
    /// }
    /// ```
    pub fn service(&self) -> MetadataService {
        MetadataService {
            json: Arc::new(Bytes::from(serde_json::to_vec(self).unwrap_or_default())),
        }
    }
}

/// Serves a [`ProtectedResourceMetadata`] document (see
/// [`ProtectedResourceMetadata::service`]).
#[derive(Clone)]
pub struct MetadataService {
    json: Arc<Bytes>,
}

impl fmt::Debug for MetadataService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetadataService").finish_non_exhaustive()
    }
}

impl MetadataService {
    /// The answer to `method`.
    pub(crate) fn respond(&self, method: &Method) -> Response<Full<Bytes>> {
        let mut response = match *method {
            Method::GET | Method::HEAD => {
                let body = if method == Method::HEAD {
                    Bytes::new()
                } else {
                    Bytes::clone(&self.json)
                };
                let mut r = Response::new(Full::new(body));
                r.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                r.headers_mut().insert(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=3600"),
                );
                r
            }
            // Browser-based clients preflight before reading it.
            Method::OPTIONS => {
                let mut r = Response::new(Full::default());
                *r.status_mut() = StatusCode::NO_CONTENT;
                r.headers_mut().insert(
                    header::ACCESS_CONTROL_ALLOW_METHODS,
                    HeaderValue::from_static("GET, HEAD, OPTIONS"),
                );
                r
            }
            _ => {
                let mut r = Response::new(Full::new(Bytes::from_static(
                    b"method not allowed: the metadata is read with GET\n",
                )));
                *r.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
                r.headers_mut().insert(
                    header::ALLOW,
                    HeaderValue::from_static("GET, HEAD, OPTIONS"),
                );
                r
            }
        };
        // The document is public; any origin may read it.
        response.headers_mut().insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        response
    }
}

impl<B> tower_service::Service<Request<B>> for MetadataService {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        ready(Ok(self.respond(req.method())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_well_known_suffix_goes_between_host_and_path() {
        let m = |r: &str| ProtectedResourceMetadata::new(r).metadata_url();
        assert_eq!(
            m("http://127.0.0.1:8080/mcp").as_deref(),
            Some("http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp")
        );
        assert_eq!(
            m("https://ex.com/").as_deref(),
            Some("https://ex.com/.well-known/oauth-protected-resource")
        );
        assert_eq!(
            m("https://ex.com").as_deref(),
            Some("https://ex.com/.well-known/oauth-protected-resource")
        );
        assert_eq!(m("not a url"), None);
        assert_eq!(m("/relative"), None);
        let paths = ProtectedResourceMetadata::new("https://ex.com/a/b").well_known_paths();
        assert_eq!(
            paths,
            [
                "/.well-known/oauth-protected-resource/a/b",
                "/.well-known/oauth-protected-resource"
            ]
        );
    }
}
