//! The tower layer that puts tokens on an MCP client's HTTP requests and gets new ones when
//! the server asks.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Uri, Version};
use http_body_util::Full;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tower::ServiceExt as _;
use tower_layer::Layer;
use tower_service::Service;
use turret_core::BoxError;

use super::dpop::Dpop;
use super::store::StoredToken;
use super::urls::{self, Parsed};
use super::www_authenticate::BearerChallenge;
use super::{OAuthClient, OAuthError, TokenType};

/// A token this close to its expiry is refreshed before it is sent.
const EXPIRY_MARGIN: Duration = Duration::from_secs(10);

/// The MCP server a layer authenticates to.
#[derive(Debug)]
struct Server {
    parsed: Parsed,
    /// The canonical URL: the key of its token in the store.
    key: String,
    /// The key of its DPoP nonce.
    nonce_key: String,
}

/// Authenticates the HTTP requests to one MCP server with tokens from an [`OAuthClient`];
/// see the [module docs](super). Requests to other origins pass through untouched.
#[derive(Clone)]
pub struct OAuthLayer {
    client: OAuthClient,
    server: Arc<Server>,
}

impl fmt::Debug for OAuthLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthLayer")
            .field("server", &self.server.key)
            .finish_non_exhaustive()
    }
}

impl OAuthLayer {
    /// A layer for the MCP server at `server_url` (the URL the transport connects to).
    pub fn new(client: OAuthClient, server_url: impl AsRef<str>) -> Result<Self, OAuthError> {
        let url = server_url.as_ref();
        let uri: Uri = url.parse().map_err(|e| {
            OAuthError::new(format!("the MCP server URL {url:?} is not a URL: {e}"))
        })?;
        let parsed = urls::parse_uri(&uri, "the MCP server URL")?;
        let key = urls::canonical(&uri)?;
        Ok(Self {
            client,
            server: Arc::new(Server {
                parsed,
                nonce_key: format!("rs:{key}"),
                key,
            }),
        })
    }
}

impl<S> Layer<S> for OAuthLayer {
    type Service = OAuth<S>;

    fn layer(&self, inner: S) -> OAuth<S> {
        OAuth {
            inner,
            client: self.client.clone(),
            server: self.server.clone(),
        }
    }
}

/// The service [`OAuthLayer`] makes.
#[derive(Clone)]
pub struct OAuth<S> {
    inner: S,
    client: OAuthClient,
    server: Arc<Server>,
}

impl<S> fmt::Debug for OAuth<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth")
            .field("server", &self.server.key)
            .finish_non_exhaustive()
    }
}

/// hyper-util's pooled client over plain TCP: the HTTP service to wrap when you have no
/// other (it speaks no TLS).
pub fn default_http_service() -> Client<HttpConnector, Full<Bytes>> {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector.set_connect_timeout(Some(Duration::from_secs(10)));
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(30))
        .build(connector)
}

impl<S, B> Service<Request<Full<Bytes>>> for OAuth<S>
where
    S: Service<Request<Full<Bytes>>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Send + 'static,
{
    type Response = Response<B>;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<Response<B>, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Request<Full<Bytes>>) -> Self::Future {
        // The ready service handles this request; a clone takes its place.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let client = self.client.clone();
        let server = self.server.clone();
        Box::pin(async move {
            if !urls::same_origin(request.uri(), &server.parsed) {
                return inner.oneshot(request).await.map_err(Into::into);
            }
            Flow { client, server }.run(inner, request).await
        })
    }
}

/// A request, kept to be sent again.
struct Template {
    method: Method,
    uri: Uri,
    version: Version,
    headers: HeaderMap,
    body: Full<Bytes>,
}

impl Template {
    /// The request with `token`; a DPoP-bound one with a fresh proof carrying the server's
    /// latest nonce (`nonce_key`).
    fn build(
        &self,
        token: Option<&StoredToken>,
        dpop: &Dpop,
        nonce_key: &str,
    ) -> Result<Request<Full<Bytes>>, OAuthError> {
        let mut request = Request::new(self.body.clone());
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = self.uri.clone();
        *request.version_mut() = self.version;
        *request.headers_mut() = self.headers.clone();
        let headers = request.headers_mut();
        // The layer owns both: a caller's token or proof is never passed on.
        headers.remove(header::AUTHORIZATION);
        headers.remove(DPOP);
        let Some(token) = token else {
            return Ok(request);
        };
        let scheme = match token.token_type {
            TokenType::Dpop => {
                let key = dpop.key.as_ref().ok_or_else(|| {
                    OAuthError::new(
                        "the stored token is DPoP-bound but DPoP is disabled on this client",
                    )
                })?;
                let nonce = dpop.nonces.get(nonce_key);
                let proof = key.proof(
                    &self.method,
                    &self.uri,
                    nonce.as_deref(),
                    Some(&token.access_token),
                )?;
                let proof = HeaderValue::from_str(&proof)
                    .map_err(|_| OAuthError::new("the DPoP proof is not a valid header value"))?;
                headers.insert(DPOP, proof);
                "DPoP"
            }
            _ => "Bearer",
        };
        let mut value = HeaderValue::from_str(&format!("{scheme} {}", token.access_token))
            .map_err(|_| OAuthError::new("the access token is not a valid header value"))?;
        value.set_sensitive(true);
        headers.insert(header::AUTHORIZATION, value);
        Ok(request)
    }
}

/// The header of DPoP proofs (RFC 9449 §4.1).
const DPOP: &str = "dpop";

struct Flow {
    client: OAuthClient,
    server: Arc<Server>,
}

impl Flow {
    async fn run<S, B>(
        self,
        service: S,
        request: Request<Full<Bytes>>,
    ) -> Result<Response<B>, BoxError>
    where
        S: Service<Request<Full<Bytes>>, Response = Response<B>> + Clone + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
    {
        let (parts, body) = request.into_parts();
        let template = Template {
            method: parts.method.clone(),
            uri: parts.uri.clone(),
            version: parts.version,
            headers: parts.headers.clone(),
            body,
        };
        let dpop = &self.client.inner.dpop;
        let nonce_key = self.server.nonce_key.as_str();
        let mut token = self.current().await;
        let mut first = template.build(token.as_ref(), dpop, nonce_key)?;
        // The first attempt keeps the caller's extensions.
        *first.extensions_mut() = parts.extensions;
        let mut next = Some(first);
        let mut reauthorized = false;
        let mut stepped_up = false;
        let mut nonce_retried = false;
        loop {
            let request = match next.take() {
                Some(request) => request,
                None => template.build(token.as_ref(), dpop, nonce_key)?,
            };
            let sent_dpop = token
                .as_ref()
                .is_some_and(|t| t.token_type == TokenType::Dpop);
            let response = service.clone().oneshot(request).await.map_err(Into::into)?;
            let status = response.status();
            let new_nonce = dpop.key.is_some() && dpop.nonces.update(nonce_key, response.headers());
            // RFC 9449 §9: the server wants its nonce in the proof; sent again once with it,
            // the token kept.
            if status == StatusCode::UNAUTHORIZED
                && sent_dpop
                && new_nonce
                && !nonce_retried
                && BearerChallenge::dpop_from_headers(response.headers())
                    .is_some_and(|c| c.error() == Some("use_dpop_nonce"))
            {
                nonce_retried = true;
                continue;
            }
            let challenge = BearerChallenge::from_headers(response.headers()).unwrap_or_default();
            if status == StatusCode::UNAUTHORIZED && !reauthorized {
                reauthorized = true;
                token = Some(self.unauthorized(token.as_ref(), &challenge).await?);
                continue;
            }
            if status == StatusCode::FORBIDDEN
                && challenge.error() == Some("insufficient_scope")
                && !stepped_up
            {
                let needed = challenge.scopes();
                let held = token
                    .as_ref()
                    .map(|t| t.scopes.as_slice())
                    .unwrap_or_default();
                // Asking again for scopes already held would loop: the 403 stands.
                if needed.iter().all(|s| held.contains(s)) && token.is_some() {
                    return Ok(response);
                }
                stepped_up = true;
                token = Some(self.step_up(token.as_ref(), &challenge).await?);
                continue;
            }
            return Ok(response);
        }
    }

    /// The stored token, refreshed first when it is about to expire.
    async fn current(&self) -> Option<StoredToken> {
        let inner = &self.client.inner;
        let token = inner.store.load(&self.server.key).await?;
        if !token.expires_within(EXPIRY_MARGIN) || token.refresh_token.is_none() {
            return Some(token);
        }
        let _flow = inner.flow.lock().await;
        // Another request may have refreshed it while this one waited.
        let token = inner.store.load(&self.server.key).await?;
        if !token.expires_within(EXPIRY_MARGIN) {
            return Some(token);
        }
        match inner
            .refresh(&self.server.parsed, &self.server.key, &token)
            .await
        {
            Ok(fresh) => Some(fresh),
            Err(e) => {
                tracing::debug!("refreshing the token of {} failed: {e}", self.server.key);
                inner.store.remove(&self.server.key).await;
                None
            }
        }
    }

    /// After a 401: the token another request got meanwhile, a refreshed one, or a new one.
    async fn unauthorized(
        &self,
        sent: Option<&StoredToken>,
        challenge: &BearerChallenge,
    ) -> Result<StoredToken, OAuthError> {
        let inner = &self.client.inner;
        let _flow = inner.flow.lock().await;
        if let Some(latest) = inner.store.load(&self.server.key).await {
            if sent.is_none_or(|s| s.access_token != latest.access_token) {
                return Ok(latest);
            }
        }
        if let Some(sent) = sent.filter(|t| t.refresh_token.is_some()) {
            match inner
                .refresh(&self.server.parsed, &self.server.key, sent)
                .await
            {
                Ok(fresh) => return Ok(fresh),
                Err(e) => tracing::debug!("refreshing a refused token failed: {e}"),
            }
        }
        inner.store.remove(&self.server.key).await;
        inner
            .obtain(&self.server.parsed, &self.server.key, challenge, &[])
            .await
    }

    /// After a 403 `insufficient_scope`: a token with the held and the required scopes.
    async fn step_up(
        &self,
        sent: Option<&StoredToken>,
        challenge: &BearerChallenge,
    ) -> Result<StoredToken, OAuthError> {
        let inner = &self.client.inner;
        let _flow = inner.flow.lock().await;
        let needed = challenge.scopes();
        if let Some(latest) = inner.store.load(&self.server.key).await {
            let newer = sent.is_none_or(|s| s.access_token != latest.access_token);
            if newer && needed.iter().all(|s| latest.scopes.contains(s)) {
                return Ok(latest);
            }
        }
        let held = sent.map(|t| t.scopes.clone()).unwrap_or_default();
        inner
            .obtain(&self.server.parsed, &self.server.key, challenge, &held)
            .await
    }
}
