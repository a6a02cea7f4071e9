//! Real servers on 127.0.0.1:0 for the tests: an authorization server's JWKS endpoint that
//! counts its fetches and can rotate keys, a protected MCP endpoint behind `AuthLayer`, a
//! hyper-util client, and token signing with the test keys.
// Each test binary uses only some of this.
#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tower::{Layer as _, ServiceBuilder};
use turret_auth::{
    AuthLayer, JwtVerifier, JwtVerifierBuilder, ProtectedResourceMetadata, ToolScopesLayer,
};
use turret_core::{tool_fn, Extension, Identity, Router};
use turret_transport::streamable_http::{
    serve, ResponseMode, StreamableHttpConfig, StreamableHttpService,
};

/// How long any one step may take before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(10);

pub const RSA1: &[u8] = include_bytes!("../keys/rsa1.pem");
pub const RSA2: &[u8] = include_bytes!("../keys/rsa2.pem");
pub const EC1: &[u8] = include_bytes!("../keys/ec1.pem");
pub const RSA1_PUB: &[u8] = include_bytes!("../keys/rsa1.pub.pem");
pub const RSA1_JWK: &str = include_str!("../keys/rsa1.jwk.json");
pub const RSA2_JWK: &str = include_str!("../keys/rsa2.jwk.json");
pub const EC1_JWK: &str = include_str!("../keys/ec1.jwk.json");

/// The scope the whole endpoint needs.
pub const SCOPE: &str = "mcp:tools";

/// A listener on 127.0.0.1:0 and its `http://` origin.
pub async fn listener() -> (TcpListener, String) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    (l, url)
}

pub fn jwk(json: &str) -> Value {
    serde_json::from_str(json).expect("a test JWK")
}

/// The authorization server: `GET /jwks` serves the current key set and counts fetches.
pub struct AuthServer {
    pub issuer: String,
    pub jwks_url: String,
    keys: Arc<Mutex<Vec<Value>>>,
    fetches: Arc<AtomicUsize>,
}

impl AuthServer {
    pub async fn start(keys: Vec<Value>) -> Self {
        let keys = Arc::new(Mutex::new(keys));
        let fetches = Arc::new(AtomicUsize::new(0));
        let (k, f) = (keys.clone(), fetches.clone());
        let app = axum::Router::new().route(
            "/jwks",
            axum::routing::get(move || {
                let (keys, fetches) = (k.clone(), f.clone());
                async move {
                    fetches.fetch_add(1, Ordering::SeqCst);
                    let keys = keys.lock().unwrap().clone();
                    axum::Json(json!({ "keys": keys }))
                }
            }),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            issuer: format!("http://{addr}"),
            jwks_url: format!("http://{addr}/jwks"),
            keys,
            fetches,
        }
    }

    /// Serves `keys` from now on (a key rotation).
    pub fn set_keys(&self, keys: Vec<Value>) {
        *self.keys.lock().unwrap() = keys;
    }

    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

/// A URL where nothing listens: a port that was bound and released.
pub async fn dead_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/jwks")
}

/// The protected MCP server: `/mcp` behind `AuthLayer`, with the tools `whoami` (answers the
/// caller's subject) and `admin` (needs the `admin` scope).
pub struct Protected {
    pub addr: SocketAddr,
    pub resource: String,
}

impl Protected {
    /// Serves with a JWT verifier for `issuer`, keys from `jwks_url`, configured further by
    /// `configure`.
    pub async fn start(
        issuer: &str,
        jwks_url: &str,
        configure: impl FnOnce(JwtVerifierBuilder) -> JwtVerifierBuilder,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let resource = format!("http://{addr}/mcp");
        let builder = JwtVerifier::builder()
            .issuer(issuer)
            .audience(&resource)
            .jwks_url(jwks_url);
        let verifier = configure(builder).build().expect("verifier configuration");
        let metadata = ProtectedResourceMetadata::new(&resource)
            .authorization_server(issuer)
            .scopes_supported([SCOPE, "admin"]);
        let tools = ServiceBuilder::new()
            .layer(ToolScopesLayer::new().tool("admin", ["admin"]))
            .service(
                Router::new()
                    .tool(
                        "whoami",
                        tool_fn(|Extension(who): Extension<Identity>| async move {
                            who.subject().to_owned()
                        }),
                    )
                    .tool("admin", tool_fn(|| async { "admin done" })),
            );
        let config = StreamableHttpConfig::new().response_mode(ResponseMode::Json);
        let mcp = StreamableHttpService::with_config(tools, config);
        let app = axum::Router::new().nest_service("/mcp", mcp);
        let app = AuthLayer::new(verifier, metadata)
            .required_scopes([SCOPE])
            .layer(app);
        tokio::spawn(serve(listener, app, std::future::pending()));
        Self { addr, resource }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// Claims of a token that passes every check for `resource` from `issuer`.
pub fn claims(issuer: &str, resource: &str, sub: &str) -> Value {
    json!({
        "iss": issuer,
        "aud": resource,
        "sub": sub,
        "scope": format!("{SCOPE} other"),
        "iat": now(),
        "exp": now() + 300,
    })
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// `claims` signed with the PEM private key `pem` as `alg`, naming `kid`.
pub fn sign(alg: Algorithm, pem: &[u8], kid: Option<&str>, claims: &Value) -> String {
    let key = match alg {
        Algorithm::ES256 | Algorithm::ES384 => EncodingKey::from_ec_pem(pem),
        _ => EncodingKey::from_rsa_pem(pem),
    }
    .expect("a test key");
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &key).expect("signing")
}

/// An HTTP answer, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }
}

/// A hyper-util client speaking to the servers over TCP.
#[derive(Clone)]
pub struct HttpClient {
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Default for HttpClient {
    fn default() -> Self {
        Self {
            client: Client::builder(TokioExecutor::new()).build(HttpConnector::new()),
        }
    }
}

impl HttpClient {
    pub async fn send(&self, req: Request<Full<Bytes>>) -> Reply {
        let response = tokio::time::timeout(TIMEOUT, self.client.request(req))
            .await
            .expect("the server answers in time")
            .expect("the request goes through");
        let (parts, body) = response.into_parts();
        let body = tokio::time::timeout(TIMEOUT, body.collect())
            .await
            .expect("the body arrives in time")
            .expect("the body reads")
            .to_bytes();
        Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    pub async fn get(&self, url: &str) -> Reply {
        self.send(Request::get(url).body(Full::default()).unwrap())
            .await
    }

    /// POSTs the JSON-RPC `body` to `url` with `token` (if any) and extra `headers`.
    pub async fn post(
        &self,
        url: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: &Value,
    ) -> Reply {
        let mut req = Request::post(url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream");
        if let Some(token) = token {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let body = Full::new(Bytes::from(serde_json::to_vec(body).unwrap()));
        self.send(req.body(body).unwrap()).await
    }

    /// A POST of `initialize`: the reply.
    pub async fn initialize(&self, url: &str, token: Option<&str>) -> Reply {
        self.post(url, token, &[], &initialize()).await
    }

    /// `initialize`, `notifications/initialized`, then `tools/call` of `tool`: the call's
    /// reply. Asserts that the handshake succeeds.
    pub async fn call_tool(&self, url: &str, token: &str, tool: &str) -> Reply {
        let init = self.initialize(url, Some(token)).await;
        assert_eq!(init.status, StatusCode::OK, "initialize: {:?}", init.body);
        let session = init.header("mcp-session-id").to_owned();
        let version = init.json()["result"]["protocolVersion"]
            .as_str()
            .expect("a negotiated version")
            .to_owned();
        let headers = [
            ("mcp-session-id", session.as_str()),
            ("mcp-protocol-version", version.as_str()),
        ];
        let notification = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        let ack = self.post(url, Some(token), &headers, &notification).await;
        assert_eq!(ack.status, StatusCode::ACCEPTED, "initialized");
        let call = json!({
            "jsonrpc": "2.0", "id": 2, "method": "tools/call",
            "params": {"name": tool, "arguments": {}},
        });
        self.post(url, Some(token), &headers, &call).await
    }
}

/// A handshake-era `initialize` request.
pub fn initialize() -> Value {
    json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "auth-test", "version": "0"},
        },
    })
}
