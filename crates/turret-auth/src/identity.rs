//! Carrying the HTTP layer's identity over to the MCP request.

use std::task::{Context, Poll};

use tower_layer::Layer;
use tower_service::Service;
use turret_core::{Identity, Request};

/// The [`Identity`] of an MCP request: the one in its extensions, else the one the HTTP
/// layer put into the HTTP request (which the streamable HTTP edge attaches as
/// `http::request::Parts`).
pub(crate) fn identity_of(req: &Request) -> Option<&Identity> {
    req.extensions().get::<Identity>().or_else(|| {
        req.extensions()
            .get::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Identity>())
    })
}

/// Copies the [`Identity`] that [`AuthLayer`](crate::AuthLayer) established into the MCP
/// request's own extensions.
///
/// The streamable HTTP edge hands an MCP service the HTTP request's parts as an extension,
/// so the identity of the HTTP layer sits inside `Extension<http::request::Parts>`. Turret's
/// layers that key on the caller (rate limits, cache keys, tracing) and handlers taking
/// `Extension<Identity>` look in the MCP request's extensions: apply this layer outermost
/// in the MCP stack so that all of them see it.
///
/// ```
/// use tower::ServiceBuilder;
/// use turret_auth::HttpIdentityLayer;
/// use turret_core::{tool_fn, Extension, Identity, Router};
/// use turret_transport::streamable_http::StreamableHttpService;
///
/// async fn whoami(Extension(who): Extension<Identity>) -> String {
///     who.subject().to_owned()
/// }
///
/// let mcp = ServiceBuilder::new()
///     .layer(HttpIdentityLayer::new())
///     // .layer(turret_layers::RateLimitLayer…), keyed on the identity's subject
///     .service(Router::new().tool("whoami", tool_fn(whoami)));
/// let endpoint = StreamableHttpService::new(mcp);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct HttpIdentityLayer {
    _private: (),
}

impl HttpIdentityLayer {
    /// The layer.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<S> Layer<S> for HttpIdentityLayer {
    type Service = HttpIdentity<S>;

    fn layer(&self, inner: S) -> HttpIdentity<S> {
        HttpIdentity { inner }
    }
}

/// Service of [`HttpIdentityLayer`].
#[derive(Debug, Clone)]
pub struct HttpIdentity<S> {
    inner: S,
}

impl<S> HttpIdentity<S> {
    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// Consumes the layer, returning the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: Service<Request>> Service<Request> for HttpIdentity<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> S::Future {
        if req.extensions().get::<Identity>().is_none() {
            if let Some(identity) = identity_of(&req).cloned() {
                req.extensions_mut().insert(identity);
            }
        }
        self.inner.call(req)
    }
}

#[cfg(test)]
mod tests {
    use tower::ServiceExt as _;
    use turret_core::types::{ClientRequest, EmptyParams};

    use super::*;

    #[tokio::test]
    async fn the_identity_moves_from_the_http_parts_to_the_request() {
        let (mut parts, ()) = http::Request::new(()).into_parts();
        parts.extensions.insert(Identity::new("alice"));
        let mut req = Request::new(ClientRequest::Ping(EmptyParams::default()));
        req.extensions_mut().insert(parts);
        let seen = |req: Request| async move {
            let who = req
                .extensions()
                .get::<Identity>()
                .map(|i| i.subject().to_owned());
            Ok::<_, std::convert::Infallible>(who)
        };
        let service = HttpIdentityLayer::new().layer(tower::service_fn(seen));
        assert_eq!(
            service.oneshot(req).await.unwrap().as_deref(),
            Some("alice")
        );
        let service = HttpIdentityLayer::new().layer(tower::service_fn(seen));
        let bare = Request::new(ClientRequest::Ping(EmptyParams::default()));
        assert_eq!(service.oneshot(bare).await.unwrap(), None);
    }
}
