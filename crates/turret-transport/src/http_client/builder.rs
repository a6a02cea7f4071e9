//! The two public builders: [`StreamableHttpClient`] and [`LegacySseClient`].

use std::fmt;
use std::io;
use std::time::Duration;

use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::Uri;
use turret_core::Transport;

use super::connection::{Config, Shared};
use super::legacy;
use super::service::{default_service, erase, http_service_fn, HttpService};

/// Connects to an MCP server's streamable HTTP endpoint; configure it, then
/// [`connect`](Self::connect) and hand the [`Transport`] to a
/// [`Client`](turret_core::Client). See the [module docs](super) for what the transport does.
///
/// ```no_run
/// use turret_core::Client;
/// use turret_transport::http_client::StreamableHttpClient;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let transport = StreamableHttpClient::new("http://127.0.0.1:3000/mcp")
///     .header("authorization", "Bearer s3cr3t")
///     .connect()?;
/// let client = Client::builder().connect(transport).await?;
/// println!("{} tools", client.list_tools().await?.len());
/// client.close().await?; // ends the session with DELETE
/// # Ok(())
/// # }
/// ```
#[must_use = "a builder does nothing until `connect` is called"]
#[derive(Clone)]
pub struct StreamableHttpClient {
    url: Result<Uri, String>,
    headers: HeaderMap,
    /// The first invalid header given, reported by `connect`.
    invalid: Option<String>,
    http: Option<HttpService>,
    legacy_fallback: bool,
    standalone_stream: bool,
    default_retry: Duration,
    max_reconnects: u32,
}

impl fmt::Debug for StreamableHttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamableHttpClient")
            .field("url", &self.url)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("custom_http_service", &self.http.is_some())
            .field("legacy_fallback", &self.legacy_fallback)
            .field("standalone_stream", &self.standalone_stream)
            .field("default_retry", &self.default_retry)
            .field("max_reconnects", &self.max_reconnects)
            .finish()
    }
}

impl StreamableHttpClient {
    /// A client of the MCP endpoint at `url` (`http://host:port/path`), with the defaults:
    /// fall back to HTTP+SSE, open the standalone stream, reconnect after 1 s when the server
    /// gives no `retry:`, give up after 5 reconnections that bring nothing.
    pub fn new(url: impl AsRef<str>) -> Self {
        let url = url.as_ref();
        Self {
            url: url
                .parse::<Uri>()
                .map_err(|e| format!("{url:?} is not a URL: {e}")),
            headers: HeaderMap::new(),
            invalid: None,
            http: None,
            legacy_fallback: true,
            standalone_stream: true,
            default_retry: Duration::from_secs(1),
            max_reconnects: 5,
        }
    }

    /// Adds a header to every HTTP request (authorization, tracing, routing…). The MCP
    /// headers (`Content-Type`, `Accept`, `Mcp-Session-Id`, `MCP-Protocol-Version`,
    /// `Mcp-Method`, …) are the transport's and win over these.
    pub fn header<K, V>(mut self, name: K, value: V) -> Self
    where
        K: TryInto<HeaderName>,
        K::Error: fmt::Display,
        V: TryInto<HeaderValue>,
        V::Error: fmt::Display,
    {
        match (name.try_into(), value.try_into()) {
            (Ok(name), Ok(value)) => {
                self.headers.append(name, value);
            }
            (Err(e), _) => {
                self.invalid
                    .get_or_insert(format!("invalid header name: {e}"));
            }
            (_, Err(e)) => {
                self.invalid
                    .get_or_insert(format!("invalid header value: {e}"));
            }
        }
        self
    }

    /// Adds every header of `headers` to every HTTP request (see [`header`](Self::header)).
    pub fn headers(mut self, headers: HeaderMap) -> Self {
        self.headers.extend(headers);
        self
    }

    http_service_fn! {
        /// Sends the HTTP requests with `service` instead of the built-in client (pooled
        /// HTTP/1.1 connections over plain TCP with `TCP_NODELAY`): a client with TLS, a proxy, or tower
        /// layers of your own (retries, tracing, auth). Any `tower::Service` from
        /// `http::Request<Full<Bytes>>` to `http::Response<B>` will do.
        pub fn http_service<S, B>(mut self, service: S) -> Self {
            self.http = Some(erase(service));
            self
        }
    }

    /// Whether a server that refuses `initialize` with 400, 404 or 405 (and no MCP error in
    /// the body) is tried as an old HTTP+SSE server: `GET` the URL and wait for the
    /// `endpoint` event (default `true`).
    pub fn legacy_fallback(mut self, enabled: bool) -> Self {
        self.legacy_fallback = enabled;
        self
    }

    /// Whether the standalone `GET` stream is opened after the handshake, for server
    /// messages that belong to no request (default `true`). Servers may not offer one (405).
    pub fn standalone_stream(mut self, enabled: bool) -> Self {
        self.standalone_stream = enabled;
        self
    }

    /// How long to wait before reconnecting a closed stream when the server never sent a
    /// `retry:` delay (default 1 s). The server's `retry:` always wins.
    pub fn default_retry(mut self, delay: Duration) -> Self {
        self.default_retry = delay;
        self
    }

    /// How many reconnections in a row that bring no event the transport makes before it
    /// gives up on a stream (default 5); a request then fails.
    pub fn max_reconnects(mut self, reconnects: u32) -> Self {
        self.max_reconnects = reconnects;
        self
    }

    fn config(self) -> io::Result<Config> {
        let invalid = |message: String| io::Error::new(io::ErrorKind::InvalidInput, message);
        if let Some(e) = self.invalid {
            return Err(invalid(e));
        }
        let url = self.url.map_err(invalid)?;
        if url.authority().is_none() {
            return Err(invalid(format!("{url} has no host")));
        }
        let http = match (self.http, url.scheme_str()) {
            (Some(http), Some("http" | "https")) => http,
            (None, Some("http")) => default_service(),
            (None, Some("https")) => {
                return Err(invalid(format!(
                    "{url}: the built-in HTTP client speaks plain HTTP only; give a client with TLS to `http_service`"
                )))
            }
            _ => return Err(invalid(format!("{url} is not an http:// or https:// URL"))),
        };
        Ok(Config {
            url,
            headers: self.headers,
            http,
            legacy_fallback: self.legacy_fallback,
            standalone_stream: self.standalone_stream,
            default_retry: self.default_retry,
            max_reconnects: self.max_reconnects,
        })
    }

    /// The transport. Nothing is sent until the client sends its first message; the
    /// background work runs on the tokio runtime of whoever sends it.
    ///
    /// Fails (`InvalidInput`) only for an unusable URL or header, or an `https://` URL
    /// without an [`http_service`](Self::http_service).
    pub fn connect(self) -> io::Result<Transport> {
        Ok(Shared::transport(self.config()?).0)
    }
}

/// Connects to a server of the old HTTP+SSE transport (protocol 2024-11-05, deprecated):
/// `GET` the SSE URL, wait for its `endpoint` event, and `POST` every message there.
///
/// [`StreamableHttpClient`] falls back to this transport on its own when a server refuses
/// its `initialize`; use this builder when the URL is known to be an HTTP+SSE one.
///
/// ```no_run
/// use turret_core::client::{Client, Era};
/// use turret_core::types::ProtocolVersion;
/// use turret_transport::http_client::LegacySseClient;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let transport = LegacySseClient::new("http://127.0.0.1:8000/sse").connect().await?;
/// let client = Client::builder()
///     .era(Era::Handshake(ProtocolVersion::V2024_11_05))
///     .connect(transport)
///     .await?;
/// # Ok(())
/// # }
/// ```
#[must_use = "a builder does nothing until `connect` is called"]
#[derive(Debug, Clone)]
pub struct LegacySseClient {
    inner: StreamableHttpClient,
}

impl LegacySseClient {
    /// A client of the SSE endpoint at `url`.
    pub fn new(url: impl AsRef<str>) -> Self {
        Self {
            inner: StreamableHttpClient::new(url),
        }
    }

    /// Adds a header to every HTTP request (see [`StreamableHttpClient::header`]).
    pub fn header<K, V>(mut self, name: K, value: V) -> Self
    where
        K: TryInto<HeaderName>,
        K::Error: fmt::Display,
        V: TryInto<HeaderValue>,
        V::Error: fmt::Display,
    {
        self.inner = self.inner.header(name, value);
        self
    }

    /// Adds every header of `headers` to every HTTP request.
    pub fn headers(mut self, headers: HeaderMap) -> Self {
        self.inner = self.inner.headers(headers);
        self
    }

    http_service_fn! {
        /// Sends the HTTP requests with `service` (see [`StreamableHttpClient::http_service`]).
        pub fn http_service<S, B>(mut self, service: S) -> Self {
            self.inner = self.inner.http_service(service);
            self
        }
    }

    /// Opens the SSE stream and waits (up to 10 s) for the `endpoint` event. Needs a tokio
    /// runtime. The transport ends when the server closes the stream.
    pub async fn connect(self) -> io::Result<Transport> {
        let (transport, shared) = Shared::transport(self.inner.config()?);
        legacy::switch(&shared).await.map_err(|e| {
            io::Error::new(
                io::ErrorKind::ConnectionRefused,
                format!("no HTTP+SSE server: {e}"),
            )
        })?;
        Ok(transport)
    }
}
