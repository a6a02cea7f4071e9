//! The HTTP client the JWKS is fetched with: any `tower::Service` from `http::Request` to
//! `http::Response`, erased to one type; by default hyper-util's pooled client over plain TCP.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tower::util::BoxCloneSyncService;
use tower::ServiceExt as _;
use turret_core::BoxError;

type Erased =
    BoxCloneSyncService<Request<Full<Bytes>>, Response<UnsyncBoxBody<Bytes, BoxError>>, BoxError>;

/// How long connecting to the authorization server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// An HTTP client for fetching keys: a cloneable `tower::Service` from
/// `http::Request<Full<Bytes>>` to `http::Response<B>`, type-erased.
///
/// [`HttpClient::default`] is hyper-util's legacy client over plain TCP (no TLS, so that this
/// crate pulls in no TLS stack). For an `https` JWKS URL give a client with TLS, a proxy, or
/// your own tower layers (retries, tracing) with [`HttpClient::new`].
///
/// ```
/// use hyper_util::client::legacy::{connect::HttpConnector, Client};
/// use hyper_util::rt::TokioExecutor;
/// use turret_auth::HttpClient;
///
/// let hyper = Client::builder(TokioExecutor::new()).build(HttpConnector::new());
/// let client = HttpClient::new(hyper);
/// ```
#[derive(Clone)]
pub struct HttpClient {
    inner: Erased,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient").finish_non_exhaustive()
    }
}

impl Default for HttpClient {
    fn default() -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
        let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Self::new(client)
    }
}

impl HttpClient {
    /// Sends requests with `service`.
    pub fn new<S, B>(service: S) -> Self
    where
        S: tower_service::Service<Request<Full<Bytes>>, Response = Response<B>>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Error: Into<BoxError>,
        S::Future: Send + 'static,
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let inner = BoxCloneSyncService::new(
            service
                .map_response(|response: Response<B>| {
                    response.map(|body| body.map_err(Into::into).boxed_unsync())
                })
                .map_err(Into::into),
        );
        Self { inner }
    }

    /// GETs `url` and reads a JSON body of at most `limit` bytes: the bytes of a 2xx answer,
    /// else an error naming the status.
    #[cfg(feature = "server")]
    pub(crate) async fn get_json(&self, url: &http::Uri, limit: usize) -> Result<Bytes, BoxError> {
        let mut request = Request::new(Full::default());
        *request.uri_mut() = url.clone();
        request.headers_mut().insert(
            http::header::ACCEPT,
            http::HeaderValue::from_static("application/json"),
        );
        let response = match self.inner.clone().oneshot(request).await {
            Ok(response) => response,
            Err(e) => return Err(format!("GET {url} failed: {e}").into()),
        };
        let status = response.status();
        if !status.is_success() {
            return Err(format!("GET {url} answered {status}").into());
        }
        // Read frame by frame rather than with `Limited`, whose boxed-error bounds trip the
        // `Send` inference of the futures this runs in.
        let mut body = response.into_body();
        let mut out = bytes::BytesMut::new();
        while let Some(frame) = body.frame().await {
            let frame = match frame {
                Ok(frame) => frame,
                Err(e) => return Err(format!("reading GET {url} failed: {e}").into()),
            };
            if let Ok(data) = frame.into_data() {
                if out.len() + data.len() > limit {
                    return Err(format!("GET {url}: the body is longer than {limit} bytes").into());
                }
                out.extend_from_slice(&data);
            }
        }
        Ok(out.freeze())
    }

    /// Sends `request` and reads the whole answer (at most `limit` bytes), whatever its
    /// status: the OAuth client reads error bodies and `Location` headers too.
    #[cfg(feature = "client")]
    pub(crate) async fn send(
        &self,
        request: Request<Full<Bytes>>,
        limit: usize,
    ) -> Result<Response<Bytes>, BoxError> {
        let what = format!("{} {}", request.method(), request.uri());
        let response = match self.inner.clone().oneshot(request).await {
            Ok(response) => response,
            Err(e) => return Err(format!("{what} failed: {e}").into()),
        };
        let (parts, mut body) = response.into_parts();
        let mut out = bytes::BytesMut::new();
        while let Some(frame) = body.frame().await {
            let frame = match frame {
                Ok(frame) => frame,
                Err(e) => return Err(format!("reading {what} failed: {e}").into()),
            };
            if let Ok(data) = frame.into_data() {
                if out.len() + data.len() > limit {
                    return Err(format!("{what}: the body is longer than {limit} bytes").into());
                }
                out.extend_from_slice(&data);
            }
        }
        Ok(Response::from_parts(parts, out.freeze()))
    }
}
