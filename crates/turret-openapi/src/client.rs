//! The HTTP service operations call: any `tower::Service<http::Request<_>>`, erased once.

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt as _, Full};
use tower::util::BoxCloneSyncService;
use tower::ServiceExt as _;
use tower_service::Service;

use crate::error::BoxError;

/// The body of responses, once erased.
pub type HttpBody = UnsyncBoxBody<Bytes, BoxError>;

/// The HTTP service every generated leaf shares: requests carry a [`Full`] body.
pub type HttpClient = BoxCloneSyncService<Request<Full<Bytes>>, Response<HttpBody>, BoxError>;

/// Erases an HTTP service: a hyper-util client, an axum `Router`, a tower-http stack with
/// auth headers or a timeout, or any service of the same shape.
pub fn http_client<C, B>(client: C) -> HttpClient
where
    C: Service<Request<Full<Bytes>>, Response = Response<B>> + Clone + Send + Sync + 'static,
    C::Error: Into<BoxError>,
    C::Future: Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    BoxCloneSyncService::new(
        client
            .map_response(|r: Response<B>| r.map(|b| b.map_err(Into::into).boxed_unsync()))
            .map_err(Into::into),
    )
}
