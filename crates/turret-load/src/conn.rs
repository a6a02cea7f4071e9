//! The HTTP side: where requests go ([`Target`]) and the keep-alive connection that carries
//! them ([`Conn`]), giving back each whole [`Answer`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Method, Request};
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::answer::Answer;
use crate::BoxError;

/// Where to send requests.
pub(crate) struct Target {
    addr: SocketAddr,
    authority: HeaderValue,
    path: http::Uri,
}

impl Target {
    pub(crate) async fn parse(url: &str) -> Result<Self, BoxError> {
        let uri: http::Uri = url.parse()?;
        if uri.scheme_str() != Some("http") {
            return Err("only http:// URLs are supported".into());
        }
        let authority = uri.authority().ok_or("the URL has no host")?.clone();
        let port = authority.port_u16().unwrap_or(80);
        let addr = tokio::net::lookup_host((authority.host(), port))
            .await?
            .next()
            .ok_or("the host does not resolve")?;
        let path = uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
            .parse()?;
        Ok(Self {
            addr,
            authority: HeaderValue::from_str(authority.as_str())?,
            path,
        })
    }
}

/// One keep-alive HTTP/1.1 connection, reopened when the server closes it.
pub(crate) struct Conn {
    target: Arc<Target>,
    sender: Option<SendRequest<Full<Bytes>>>,
    timeout: Duration,
}

impl Conn {
    pub(crate) fn new(target: Arc<Target>, timeout: Duration) -> Self {
        Self {
            target,
            sender: None,
            timeout,
        }
    }

    async fn open(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, BoxError> {
        if self.sender.as_ref().is_some_and(SendRequest::is_closed) {
            self.sender = None;
        }
        if self.sender.is_none() {
            let stream = TcpStream::connect(self.target.addr).await?;
            stream.set_nodelay(true)?;
            let (sender, conn) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            self.sender = Some(sender);
        }
        Ok(self.sender.as_mut().expect("just opened"))
    }

    /// Sends one request with the given extra headers and reads the whole answer.
    pub(crate) async fn send(
        &mut self,
        method: Method,
        headers: &[(&'static str, &HeaderValue)],
        body: Bytes,
    ) -> Result<Answer, BoxError> {
        let mut request = Request::builder()
            .method(method)
            .uri(self.target.path.clone())
            .header(http::header::HOST, self.target.authority.clone())
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::ACCEPT, "application/json, text/event-stream");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Full::new(body))?;
        let timeout = self.timeout;
        let result = tokio::time::timeout(timeout, async {
            let sender = self.open().await?;
            sender.ready().await?;
            let response = sender.send_request(request).await?;
            let (parts, body) = response.into_parts();
            let body = body.collect().await?.to_bytes();
            let sse = parts
                .headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("text/event-stream"));
            Ok::<_, BoxError>(Answer {
                status: parts.status,
                sse,
                session: parts.headers.get("mcp-session-id").cloned(),
                body,
            })
        })
        .await;
        match result {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) => {
                self.sender = None;
                Err(e)
            }
            Err(_) => {
                self.sender = None;
                Err("request timed out".into())
            }
        }
    }
}
