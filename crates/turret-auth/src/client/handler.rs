//! The user-agent step of the authorization code flow.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::{Method, Request};
use http_body_util::Full;

use super::OAuthError;
use crate::HttpClient;

/// Takes the user through the authorization endpoint: given the authorization URL, returns
/// the URL the authorization server redirected back to (the client's `redirect_uri` with
/// `code`, `state` and maybe `iss` in its query). A desktop client opens a browser and
/// listens on its loopback redirect URI; a test harness can use [`HeadlessAuthorization`].
pub trait AuthorizationHandler: Send + Sync + 'static {
    /// Has the user authorize at `authorization_url`; resolves to the redirect URL.
    fn authorize(
        &self,
        authorization_url: String,
    ) -> BoxFuture<'static, Result<String, OAuthError>>;
}

impl<F, Fut> AuthorizationHandler for F
where
    F: Fn(String) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<String, OAuthError>> + Send + 'static,
{
    fn authorize(
        &self,
        authorization_url: String,
    ) -> BoxFuture<'static, Result<String, OAuthError>> {
        Box::pin(self(authorization_url))
    }
}

impl<T: AuthorizationHandler + ?Sized> AuthorizationHandler for Arc<T> {
    fn authorize(
        &self,
        authorization_url: String,
    ) -> BoxFuture<'static, Result<String, OAuthError>> {
        (**self).authorize(authorization_url)
    }
}

/// An [`AuthorizationHandler`] with no user: it GETs the authorization URL and takes the
/// `Location` of the redirect it answers with. Only for authorization servers that approve
/// without interaction: test servers, conformance suites.
#[derive(Clone, Default)]
pub struct HeadlessAuthorization {
    http: HttpClient,
}

impl fmt::Debug for HeadlessAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeadlessAuthorization")
            .finish_non_exhaustive()
    }
}

impl HeadlessAuthorization {
    /// Sends its GET with `http` (the default is plain HTTP).
    pub fn new(http: HttpClient) -> Self {
        Self { http }
    }
}

impl AuthorizationHandler for HeadlessAuthorization {
    fn authorize(
        &self,
        authorization_url: String,
    ) -> BoxFuture<'static, Result<String, OAuthError>> {
        let http = self.http.clone();
        Box::pin(async move {
            let mut request = Request::new(Full::<Bytes>::default());
            *request.method_mut() = Method::GET;
            *request.uri_mut() = authorization_url.parse().map_err(|e| {
                OAuthError::new(format!(
                    "the authorization URL {authorization_url:?} is not a URL: {e}"
                ))
            })?;
            let response = http
                .send(request, 64 * 1024)
                .await
                .map_err(|e| OAuthError::new(format!("the authorization request failed: {e}")))?;
            if !response.status().is_redirection() {
                return Err(OAuthError::new(format!(
                    "the authorization endpoint answered {} instead of redirecting",
                    response.status()
                )));
            }
            response
                .headers()
                .get(http::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .ok_or_else(|| {
                    OAuthError::new("the authorization endpoint redirected without a Location")
                })
        })
    }
}
