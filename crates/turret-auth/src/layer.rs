//! The HTTP layer: bearer token in, identity into the request extensions, or a refusal.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::{Method, Request, Response};
use http_body_util::{Either, Full};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;
use turret_core::Identity;

use crate::bearer::bearer_token;
use crate::challenge::Challenger;
use crate::{AuthError, MetadataService, ProtectedResourceMetadata, TokenVerifier};

/// The body of [`Auth`]'s responses: the inner service's, or a refusal or metadata document.
pub type ResponseBody<B> = Either<B, Full<Bytes>>;

/// Protects an HTTP service with OAuth bearer tokens (the resource-server side of MCP's
/// authorization).
///
/// For each request:
/// - a GET (or HEAD, OPTIONS) of one of the metadata's
///   [well-known paths](ProtectedResourceMetadata::well_known_paths) is answered with the
///   [`ProtectedResourceMetadata`], no token needed;
/// - no bearer token (or another scheme): 401 with
///   `WWW-Authenticate: Bearer resource_metadata="…"` (and `scope="…"` when scopes are
///   required), which sends MCP clients into the OAuth flow;
/// - a malformed, expired, foreign or forged token: 401 with `error="invalid_token"` and a
///   short `error_description`;
/// - a valid token without every [required scope](Self::required_scopes): 403 with
///   `error="insufficient_scope"` and `scope="…"` naming the scopes needed;
/// - the verifier cannot decide (the JWKS or introspection endpoint is down): 503 with
///   `Retry-After`;
/// - else the caller's [`Identity`] is inserted into the request's extensions and the inner
///   service is called. Behind a `StreamableHttpService` it becomes the MCP request's
///   identity too (`Extension<Identity>` in handlers, the caller of Turret's layers), and
///   each handshake-era session belongs to the subject that opened it.
///
/// Put CORS handling outside this layer: preflight requests carry no token.
///
/// ```
/// use tower::Layer as _;
/// use turret_auth::{AuthLayer, ProtectedResourceMetadata, StaticTokens};
/// use turret_core::{tool_fn, Identity, Router};
/// use turret_transport::streamable_http::StreamableHttpService;
///
/// let tokens = StaticTokens::new().token(
///     "dev-token",
///     Identity::new("dev").with_scopes(["mcp".to_owned()]),
/// );
/// let metadata = ProtectedResourceMetadata::new("http://127.0.0.1:3000/")
///     .authorization_server("http://127.0.0.1:9000");
/// let mcp = StreamableHttpService::new(Router::new().tool("hi", tool_fn(|| async { "hi" })));
/// let protected = AuthLayer::new(tokens, metadata)
///     .required_scopes(["mcp"])
///     .layer(mcp);
/// ```
#[derive(Clone)]
pub struct AuthLayer {
    shared: Arc<Shared>,
}

#[derive(Clone)]
struct Shared {
    verifier: Arc<dyn TokenVerifier>,
    required: Vec<String>,
    challenger: Challenger,
    /// The paths the metadata is served at, and the document.
    metadata: Option<(Vec<String>, MetadataService)>,
}

impl fmt::Debug for AuthLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthLayer")
            .field("required_scopes", &self.shared.required)
            .field(
                "resource_metadata",
                &self.shared.challenger.resource_metadata,
            )
            .finish_non_exhaustive()
    }
}

impl AuthLayer {
    /// Checks tokens with `verifier`; challenges point to `metadata`, which is served at its
    /// well-known paths.
    pub fn new(verifier: impl TokenVerifier, metadata: ProtectedResourceMetadata) -> Self {
        let url = metadata.metadata_url();
        if url.is_none() {
            tracing::warn!(
                resource = metadata.resource(),
                "the resource identifier is not an absolute URL; challenges will not name the metadata"
            );
        }
        Self {
            shared: Arc::new(Shared {
                verifier: Arc::new(verifier),
                required: Vec::new(),
                challenger: Challenger {
                    resource_metadata: url,
                    scope: String::new(),
                },
                metadata: Some((metadata.well_known_paths(), metadata.service())),
            }),
        }
    }

    /// Scopes every request needs (none by default); they are also named in the 401
    /// challenge so that clients ask for them.
    pub fn required_scopes<I>(mut self, scopes: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        let shared = Arc::make_mut(&mut self.shared);
        shared.required = scopes.into_iter().map(Into::into).collect();
        shared.challenger.scope = shared.required.join(" ");
        self
    }

    /// Whether this layer answers GETs of the metadata's well-known paths itself (default
    /// true). Turn it off when the metadata is served elsewhere.
    pub fn serve_metadata(mut self, serve: bool) -> Self {
        if !serve {
            Arc::make_mut(&mut self.shared).metadata = None;
        }
        self
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = Auth<S>;

    fn layer(&self, inner: S) -> Auth<S> {
        Auth {
            inner,
            shared: self.shared.clone(),
        }
    }
}

/// Service of [`AuthLayer`].
#[derive(Clone)]
pub struct Auth<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S: fmt::Debug> fmt::Debug for Auth<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("inner", &self.inner)
            .field("required_scopes", &self.shared.required)
            .finish_non_exhaustive()
    }
}

impl<S> Auth<S> {
    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Consumes the layer, returning the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl Shared {
    /// The metadata answer, when `req` asks for the metadata document.
    fn metadata_answer<B>(&self, req: &Request<B>) -> Option<Response<Full<Bytes>>> {
        let (paths, service) = self.metadata.as_ref()?;
        let read = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
        (read && paths.iter().any(|p| p == req.uri().path())).then(|| service.respond(req.method()))
    }

    fn refuse(&self, error: &AuthError) -> Response<Full<Bytes>> {
        match error {
            AuthError::Unavailable(e) => {
                tracing::warn!(error = %e, "the bearer token could not be verified")
            }
            e => tracing::debug!(error = %e, "bearer token refused"),
        }
        self.challenger.respond(error)
    }

    /// `Err` naming every required scope when `identity` lacks any.
    fn check_scopes(&self, identity: &Identity) -> Result<(), AuthError> {
        if self.required.iter().all(|s| identity.has_scope(s)) {
            Ok(())
        } else {
            Err(AuthError::InsufficientScope {
                required: self.required.clone(),
            })
        }
    }
}

impl<S, B, ResB> Service<Request<B>> for Auth<S>
where
    S: Service<Request<B>, Response = Response<ResB>> + Clone,
{
    type Response = Response<ResponseBody<ResB>>;
    type Error = S::Error;
    type Future = ResponseFuture<S, B>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let shared = &self.shared;
        if let Some(response) = shared.metadata_answer(&req) {
            return ResponseFuture::done(response);
        }
        let token = match bearer_token(req.headers()) {
            Ok(Some(token)) => token.to_owned(),
            Ok(None) => return ResponseFuture::done(shared.refuse(&AuthError::MissingToken)),
            Err(e) => return ResponseFuture::done(shared.refuse(&e)),
        };
        // The ready service goes with this request; the clone waits for the next one.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let verifier = shared.verifier.clone();
        let verify: BoxFuture<'static, _> = Box::pin(async move { verifier.verify(&token).await });
        ResponseFuture {
            state: State::Verify {
                verify,
                inner: Some(inner),
                req: Some(req),
                shared: shared.clone(),
            },
        }
    }
}

pin_project! {
    /// Response future of [`Auth`].
    pub struct ResponseFuture<S, B>
    where
        S: Service<Request<B>>,
    {
        #[pin]
        state: State<S, B>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<S, B>
    where
        S: Service<Request<B>>,
    {
        /// Refused, or the metadata: answered without the inner service.
        Done { response: Option<Response<Full<Bytes>>> },
        Verify {
            verify: BoxFuture<'static, Result<Identity, AuthError>>,
            inner: Option<S>,
            req: Option<Request<B>>,
            shared: Arc<Shared>,
        },
        Call { #[pin] future: S::Future },
    }
}

impl<S, B> ResponseFuture<S, B>
where
    S: Service<Request<B>>,
{
    fn done(response: Response<Full<Bytes>>) -> Self {
        Self {
            state: State::Done {
                response: Some(response),
            },
        }
    }
}

impl<S, B> fmt::Debug for ResponseFuture<S, B>
where
    S: Service<Request<B>>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<S, B, ResB> Future for ResponseFuture<S, B>
where
    S: Service<Request<B>, Response = Response<ResB>>,
{
    type Output = Result<Response<ResponseBody<ResB>>, S::Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            let mut this = self.as_mut().project();
            match this.state.as_mut().project() {
                StateProj::Done { response } => {
                    // Polled again after completion: answer an empty refusal rather than panic.
                    let response = response.take().unwrap_or_default();
                    return Poll::Ready(Ok(response.map(Either::Right)));
                }
                StateProj::Verify {
                    verify,
                    inner,
                    req,
                    shared,
                } => {
                    let outcome = ready!(verify.as_mut().poll(cx));
                    let checked = outcome.and_then(|identity| {
                        shared.check_scopes(&identity)?;
                        Ok(identity)
                    });
                    let (Some(mut inner), Some(mut req)) = (inner.take(), req.take()) else {
                        return Poll::Ready(Ok(Response::default().map(Either::Right)));
                    };
                    match checked {
                        Ok(identity) => {
                            req.extensions_mut().insert(identity);
                            let future = inner.call(req);
                            this.state.set(State::Call { future });
                        }
                        Err(e) => {
                            let response = shared.refuse(&e);
                            this.state.set(State::Done {
                                response: Some(response),
                            });
                        }
                    }
                }
                StateProj::Call { future } => {
                    let response = ready!(future.poll(cx))?;
                    return Poll::Ready(Ok(response.map(Either::Left)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use http::{header, StatusCode};
    use http_body_util::BodyExt as _;
    use tower::ServiceExt as _;

    use super::*;
    use crate::StaticTokens;

    /// Refuses every token as if its key server were down.
    struct Down;

    impl TokenVerifier for Down {
        fn verify<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<Identity, AuthError>> {
            Box::pin(async { Err(AuthError::Unavailable("keys.internal: refused".into())) })
        }
    }

    fn metadata() -> ProtectedResourceMetadata {
        ProtectedResourceMetadata::new("http://127.0.0.1:1/mcp").authorization_server("http://as")
    }

    /// Answers with the subject the layer inserted.
    async fn echo(req: Request<()>) -> Result<Response<Full<Bytes>>, Infallible> {
        let who = req
            .extensions()
            .get::<Identity>()
            .map_or("nobody".to_owned(), |i| i.subject().to_owned());
        Ok(Response::new(Full::new(Bytes::from(who))))
    }

    async fn send(layer: &AuthLayer, req: Request<()>) -> (StatusCode, String, String) {
        let response = layer
            .layer(tower::service_fn(echo))
            .oneshot(req)
            .await
            .unwrap();
        let status = response.status();
        let challenge = response
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .map_or(String::new(), |v| v.to_str().unwrap().to_owned());
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            challenge,
            String::from_utf8_lossy(&body).into_owned(),
        )
    }

    fn with_token(token: &str) -> Request<()> {
        Request::post("/mcp")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(())
            .unwrap()
    }

    #[tokio::test]
    async fn identities_scopes_and_refusals() {
        let tokens = StaticTokens::new()
            .token(
                "full",
                Identity::new("alice").with_scopes(["mcp".to_owned()]),
            )
            .token("narrow", Identity::new("bob"));
        let layer = AuthLayer::new(tokens, metadata()).required_scopes(["mcp"]);

        let (status, _, body) = send(&layer, with_token("full")).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "alice"));

        let (status, challenge, _) = send(&layer, with_token("narrow")).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(challenge.contains(r#"error="insufficient_scope", scope="mcp""#));

        let (status, challenge, _) = send(&layer, with_token("unknown")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(challenge.contains(r#"error="invalid_token""#));

        let (status, challenge, _) = send(&layer, Request::new(())).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            challenge,
            r#"Bearer scope="mcp", resource_metadata="http://127.0.0.1:1/.well-known/oauth-protected-resource/mcp""#
        );
    }

    #[tokio::test]
    async fn the_metadata_is_served_without_a_token_and_only_for_reads() {
        let layer = AuthLayer::new(StaticTokens::new(), metadata());
        let get = Request::get("/.well-known/oauth-protected-resource/mcp")
            .body(())
            .unwrap();
        let (status, _, body) = send(&layer, get).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            body.contains(r#""authorization_servers":["http://as"]"#),
            "{body}"
        );
        // Anything else at that path is protected like the rest.
        let post = Request::post("/.well-known/oauth-protected-resource/mcp")
            .body(())
            .unwrap();
        assert_eq!(send(&layer, post).await.0, StatusCode::UNAUTHORIZED);
        let off = layer.clone().serve_metadata(false);
        let get = Request::get("/.well-known/oauth-protected-resource")
            .body(())
            .unwrap();
        assert_eq!(send(&off, get).await.0, StatusCode::UNAUTHORIZED);
    }

    #[tokio::test]
    async fn an_unavailable_verifier_answers_503_without_internals() {
        let layer = AuthLayer::new(std::sync::Arc::new(Down), metadata());
        let (status, challenge, body) = send(&layer, with_token("t")).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(challenge.is_empty());
        assert!(!body.contains("keys.internal"), "{body}");
    }
}
