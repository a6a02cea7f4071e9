//! The HTTP client underneath: any `tower::Service` from `http::Request` to `http::Response`,
//! erased to one type; by default the built-in pooled HTTP/1.1 client (see [`super::pool`]).

use bytes::Bytes;
use http::{HeaderMap, Request, Response};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt as _, Full};
use tower::util::BoxCloneSyncService;
use tower::ServiceExt as _;
use turret_core::BoxError;

use super::pool::Pool;

/// The body of a response, whatever the HTTP client's own body type.
pub(crate) type ResponseBody = UnsyncBoxBody<Bytes, BoxError>;

/// The HTTP client, type-erased.
pub(crate) type HttpService =
    BoxCloneSyncService<Request<Full<Bytes>>, Response<ResponseBody>, BoxError>;

/// The default client.
pub(crate) fn default_service() -> HttpService {
    erase(Pool::default())
}

/// Writes a function generic over an HTTP client service `S` answering with bodies `B`,
/// bounded as every such service must be: a cloneable `Send + Sync` `tower::Service` from
/// `http::Request<Full<Bytes>>` to `http::Response<B>`, whose errors and body errors are
/// `Into<BoxError>`. The function is written as usual, only without its `where` clause.
macro_rules! http_service_fn {
    (
        $(#[$attr:meta])*
        $vis:vis fn $name:ident<S, B>($($args:tt)*) -> $ret:ty $body:block
    ) => {
        $(#[$attr])*
        $vis fn $name<S, B>($($args)*) -> $ret
        where
            S: ::tower_service::Service<
                    ::http::Request<::http_body_util::Full<::bytes::Bytes>>,
                    Response = ::http::Response<B>,
                > + Clone
                + Send
                + Sync
                + 'static,
            S::Error: Into<::turret_core::BoxError>,
            S::Future: Send + 'static,
            B: ::http_body::Body<Data = ::bytes::Bytes> + Send + 'static,
            B::Error: Into<::turret_core::BoxError>,
        $body
    };
}
pub(crate) use http_service_fn;

http_service_fn! {
    /// Erases any HTTP client service to [`HttpService`].
    pub(crate) fn erase<S, B>(service: S) -> HttpService {
        BoxCloneSyncService::new(
            service
                .map_response(|response: Response<B>| {
                    response.map(|body| body.map_err(Into::into).boxed_unsync())
                })
                .map_err(Into::into),
        )
    }
}

/// The media type of a response (`text/event-stream`, `application/json`…), lowercased and
/// without parameters; empty when absent.
pub(crate) fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// The longest non-streaming body read (16 MiB).
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Reads a whole (non-streaming) body, up to 16 MiB. Stops as soon as the body says it has
/// ended (a `Content-Length` body read through), without waiting for the connection to
/// signal the end: that wait is one more task switch per response.
pub(crate) async fn read_body(mut body: ResponseBody) -> Result<Bytes, String> {
    let mut out = bytes::BytesMut::new();
    while !http_body::Body::is_end_stream(&body) {
        let Some(frame) = body.frame().await else {
            break;
        };
        let frame = frame.map_err(|e| format!("reading the response body failed: {e}"))?;
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > MAX_BODY {
                return Err(format!("the response body is longer than {MAX_BODY} bytes"));
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out.freeze())
}
