//! OAuth 2.1 end to end, offline: a protected MCP server, the client that gets a token for
//! it, and a proxy that reaches it with a token of its own.
//!
//! ```sh
//! cargo run --example auth              # the whole tour, step by step, then exit
//! cargo run --example auth -- --serve   # keep the servers up and print curl commands
//! ```
//!
//! Everything runs on 127.0.0.1 in one process:
//!
//! 1. A **demo authorization server** (axum): RFC 8414 metadata, dynamic client
//!    registration (RFC 7591), an authorization endpoint that approves at once as the user
//!    `alice`, a token endpoint that checks the PKCE verifier (S256) and issues RS256 JWTs
//!    for the `resource` asked for (RFC 8707), and its JWKS. It exists to make the example
//!    self-contained: it has no users, no consent, no refresh tokens, keeps everything in
//!    memory and signs with a key published in this repository. Never use it for real.
//! 2. A **protected MCP server**: a `whoami` tool behind `StreamableHttpService`, behind
//!    `turret::auth::AuthLayer` with a `JwtVerifier` (issuer, audience = the MCP URL, the
//!    JWKS) and the RFC 9728 protected-resource metadata naming the authorization server.
//! 3. A **client**: `turret::auth::client::OAuthLayer` wraps the HTTP service of
//!    `StreamableHttpClient`; on the first 401 it discovers the authorization server,
//!    registers, runs the authorization code flow with PKCE and retries with the token.
//! 4. A **proxy** (`turret::proxy::Proxy`) served without auth, whose backend is the
//!    protected server reached through its own `OAuthLayer`. The proxy's caller sends
//!    `Authorization: Bearer bogus`; the backend never sees it, only the proxy's token.

use std::collections::HashMap;
use std::hash::{BuildHasher as _, Hasher as _};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use bytes::Bytes;
use http::{header, HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt as _, Full};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};
use tokio::net::TcpListener;
use tower::{Layer as _, ServiceBuilder};
use turret::auth::client::{
    default_http_service, AuthorizationHandler as _, HeadlessAuthorization, OAuthClient, OAuthLayer,
};
use turret::auth::{AuthLayer, JwtVerifier, ProtectedResourceMetadata};
use turret::proxy::{Backend, Proxy};
use turret::transport::streamable_http::{serve, StreamableHttpService};
use turret::transport::StreamableHttpClient;
use turret::types::ContentBlock;
use turret::{tool_fn, Client, Extension, Identity, Router};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The demo signing key: the RSA test key of turret-auth's own tests. It is public (it is in
/// this repository), so tokens signed with it prove nothing outside this example.
const DEMO_KEY_PEM: &str = include_str!("../crates/turret-auth/tests/keys/rsa1.pem");
/// The public half of [`DEMO_KEY_PEM`], as the JWKS publishes it.
const DEMO_KEY_JWK: &str = include_str!("../crates/turret-auth/tests/keys/rsa1.jwk.json");
const DEMO_KEY_ID: &str = "rsa1";

/// The user the demo authorization server approves every request as.
const SUBJECT: &str = "alice";
/// The scope the protected server needs.
const SCOPE: &str = "mcp:tools";
/// How long the demo's access tokens live.
const TOKEN_LIFETIME: Duration = Duration::from_secs(3600);
/// The token the proxy's own caller sends, which must not reach the backend.
const FRONTEND_AUTHORIZATION: &str = "Bearer bogus";
/// Longer than the tour ever takes; a hang becomes an error instead of a stuck terminal.
const TOUR_DEADLINE: Duration = Duration::from_secs(30);

const USAGE: &str = "usage: auth [--serve]";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] => match tokio::time::timeout(TOUR_DEADLINE, tour()).await {
            Ok(result) => result,
            Err(_) => Err(format!("the tour took longer than {TOUR_DEADLINE:?}").into()),
        },
        ["--serve"] => serve_until_ctrl_c().await,
        ["-h" | "--help"] => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("auth example: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Every step, printed, against servers on ephemeral ports.
async fn tour() -> Result<(), Error> {
    let issuer = DemoAuthServer::start().await?;
    let protected = ProtectedServer::start(&issuer).await?;
    println!("demo authorization server: {issuer}");
    println!("protected MCP server:      {}", protected.url);

    println!("\n== 1. no token: the server answers with a challenge");
    let http = default_http_service();
    let request = post_json(&protected.url, &initialize_request())?;
    let response = http.request(request).await?;
    let challenge = response
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    println!("HTTP {}", response.status());
    println!("WWW-Authenticate: {challenge}");
    if response.status() != StatusCode::UNAUTHORIZED {
        return Err(format!("expected 401 without a token, got {}", response.status()).into());
    }
    let metadata_url = resource_metadata_url(&challenge)
        .ok_or("the 401 has no resource_metadata in its challenge")?;

    println!("\n== 2. the metadata the challenge points to");
    println!("GET {metadata_url}");
    let resource = get_json(&metadata_url).await?;
    println!("{}", serde_json::to_string_pretty(&resource)?);
    let as_metadata_url = format!("{issuer}/.well-known/oauth-authorization-server");
    println!("GET {as_metadata_url}");
    println!(
        "{}",
        serde_json::to_string_pretty(&get_json(&as_metadata_url).await?)?
    );

    println!("\n== 3. the OAuth flow, run by OAuthLayer on the client's first 401");
    let client = connect_with_oauth(&protected.url, "turret auth example").await?;
    println!("\n== 4. whoami, directly");
    let who = call_whoami(&client).await?;
    println!("whoami (direct): {who}");
    client.close().await?;

    println!("\n== 5. a proxy in front of the protected server, with a token of its own");
    let proxy_url = start_proxy(&protected.url).await?;
    println!("proxy (no auth of its own): {proxy_url}");
    let seen_before = protected.seen();
    // The proxy's caller presents a token the backend would reject. The proxy speaks MCP to
    // its backend and carries no caller's HTTP headers over; and its backend transport,
    // handed that very header on purpose (see `start_proxy`), goes through an OAuthLayer,
    // which owns the Authorization header and puts the proxy's own token there.
    let transport = StreamableHttpClient::new(&proxy_url)
        .header(header::AUTHORIZATION, FRONTEND_AUTHORIZATION)
        .connect()?;
    let frontend = Client::builder().connect(transport).await?;
    let who = call_whoami(&frontend).await?;
    println!("whoami (through the proxy, caller sent {FRONTEND_AUTHORIZATION:?}): {who}");
    frontend.close().await?;

    let during: Vec<Seen> = protected.seen()[seen_before.len()..].to_vec();
    let bogus = during.iter().filter(|s| **s == Seen::Frontend).count();
    let none = during.iter().filter(|s| **s == Seen::Missing).count();
    let own = during.iter().filter(|s| **s == Seen::Other).count();
    // The requests without a token are the proxy's first tries, before its flow (401).
    println!(
        "pass-through check: {bogus} of {} backend requests carried the caller's {FRONTEND_AUTHORIZATION:?}; \
         {none} carried no token (its first tries), {own} the proxy's own token",
        during.len()
    );
    if bogus > 0 {
        return Err("the backend saw the proxy caller's token".into());
    }
    if own == 0 {
        return Err("no request of the proxy reached the backend with a token".into());
    }
    println!("\ndone");
    Ok(())
}

/// `--serve`: the authorization server and the protected server, until Ctrl-C.
async fn serve_until_ctrl_c() -> Result<(), Error> {
    let issuer = DemoAuthServer::start().await?;
    let protected = ProtectedServer::start(&issuer).await?;
    // A token minted directly, so curl can skip the browser part of the flow.
    let token = sign_token(&demo_key()?, &issuer, &protected.url, SCOPE)?;
    let body = initialize_request().to_string();
    println!("demo authorization server: {issuer}");
    println!("  metadata: {issuer}/.well-known/oauth-authorization-server");
    println!("protected MCP server:      {}", protected.url);
    println!("  metadata: {}", resource_metadata_of(&protected.url));
    println!("\nwithout a token (401 and its challenge):");
    println!(
        "  curl -i {} -H 'content-type: application/json' \
         -H 'accept: application/json, text/event-stream' -d '{body}'",
        protected.url
    );
    println!("\nwith a token for {SUBJECT} from the demo authorization server:");
    println!(
        "  curl -i {} -H 'content-type: application/json' \
         -H 'accept: application/json, text/event-stream' \
         -H 'authorization: Bearer {token}' -d '{body}'",
        protected.url
    );
    println!("\nCtrl-C to stop");
    tokio::signal::ctrl_c().await?;
    protected.mcp.shutdown();
    Ok(())
}

// ---------------------------------------------------------------------------------------
// 1. The demo authorization server. NOT FOR PRODUCTION: see the module docs.
// ---------------------------------------------------------------------------------------

struct DemoAuthServer {
    issuer: String,
    key: EncodingKey,
    clients: Mutex<HashMap<String, Vec<String>>>,
    codes: Mutex<HashMap<String, PendingCode>>,
}

/// What an authorization code stands for until it is redeemed.
struct PendingCode {
    client_id: String,
    redirect_uri: String,
    code_challenge: String,
    scope: String,
    resource: Option<String>,
}

impl DemoAuthServer {
    /// Serves it on an ephemeral port; its issuer identifier (`http://127.0.0.1:PORT`).
    async fn start() -> Result<String, Error> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let issuer = format!("http://{}", listener.local_addr()?);
        let server = Arc::new(DemoAuthServer {
            issuer: issuer.clone(),
            key: demo_key()?,
            clients: Mutex::default(),
            codes: Mutex::default(),
        });
        let app = axum::Router::new()
            .route(
                "/.well-known/oauth-authorization-server",
                axum::routing::get(as_metadata),
            )
            .route("/register", axum::routing::post(register))
            .route("/authorize", axum::routing::get(authorize))
            .route("/token", axum::routing::post(token))
            .route("/jwks", axum::routing::get(jwks))
            .with_state(server);
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                eprintln!("auth example: the authorization server stopped: {e}");
            }
        });
        Ok(issuer)
    }
}

/// RFC 8414 metadata.
async fn as_metadata(State(server): State<Arc<DemoAuthServer>>) -> Json<Value> {
    let issuer = &server.issuer;
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "registration_endpoint": format!("{issuer}/register"),
        "jwks_uri": format!("{issuer}/jwks"),
        "scopes_supported": [SCOPE],
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code"],
        "token_endpoint_auth_methods_supported": ["none"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
    }))
}

/// RFC 7591 dynamic registration of public clients (no secret: PKCE protects the code).
async fn register(
    State(server): State<Arc<DemoAuthServer>>,
    Json(request): Json<Value>,
) -> Response {
    let redirect_uris: Vec<String> = request["redirect_uris"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| u.as_str().map(str::to_owned))
        .collect();
    if redirect_uris.is_empty() {
        return oauth_error("invalid_redirect_uri", "redirect_uris is required");
    }
    let client_id = format!("demo-client-{}", random_token());
    println!(
        "  [authorization server] registered {client_id} ({}) for {redirect_uris:?}",
        request["client_name"].as_str().unwrap_or("unnamed")
    );
    lock(&server.clients).insert(client_id.clone(), redirect_uris.clone());
    let answer = json!({
        "client_id": client_id,
        "client_id_issued_at": unix_now(),
        "client_name": request["client_name"],
        "redirect_uris": redirect_uris,
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    });
    (StatusCode::CREATED, Json(answer)).into_response()
}

/// Approves at once as [`SUBJECT`] and redirects back with `code`, `state` and `iss`.
async fn authorize(
    State(server): State<Arc<DemoAuthServer>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let param = |name: &str| query.get(name).cloned().unwrap_or_default();
    let (client_id, redirect_uri) = (param("client_id"), param("redirect_uri"));
    // An unknown client or redirect URI gets an error page, never a redirect (RFC 6749
    // §4.1.2.1): redirecting there would hand the answer to whoever forged the request.
    let known = lock(&server.clients)
        .get(&client_id)
        .is_some_and(|uris| uris.contains(&redirect_uri));
    if !known {
        return oauth_error("invalid_request", "unknown client_id or redirect_uri");
    }
    let refuse = |error: &str| {
        redirect(
            &redirect_uri,
            &[
                ("error", error),
                ("state", &param("state")),
                ("iss", &server.issuer),
            ],
        )
    };
    if param("response_type") != "code" {
        return refuse("unsupported_response_type");
    }
    // OAuth 2.1 makes PKCE mandatory; this server knows only S256.
    if param("code_challenge_method") != "S256" || param("code_challenge").is_empty() {
        return refuse("invalid_request");
    }
    let code = random_token();
    let scope = query.get("scope").cloned().unwrap_or_else(|| SCOPE.into());
    println!("  [authorization server] {client_id} authorized as {SUBJECT} (scope {scope:?})");
    lock(&server.codes).insert(
        code.clone(),
        PendingCode {
            client_id,
            redirect_uri: redirect_uri.clone(),
            code_challenge: param("code_challenge"),
            scope,
            resource: query.get("resource").cloned(),
        },
    );
    redirect(
        &redirect_uri,
        &[
            ("code", &code),
            ("state", &param("state")),
            ("iss", &server.issuer),
        ],
    )
}

/// The authorization code grant: the code, once, with the PKCE verifier that matches it.
async fn token(
    State(server): State<Arc<DemoAuthServer>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let param = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    if param("grant_type") != "authorization_code" {
        return oauth_error("unsupported_grant_type", "only authorization_code");
    }
    // Removed whatever happens next: a code is good for one attempt.
    let Some(pending) = lock(&server.codes).remove(param("code")) else {
        return oauth_error("invalid_grant", "unknown or used code");
    };
    if pending.client_id != param("client_id") || pending.redirect_uri != param("redirect_uri") {
        return oauth_error("invalid_grant", "the code was issued to another client");
    }
    let verified = URL_SAFE_NO_PAD.encode(Sha256::digest(param("code_verifier")));
    if verified != pending.code_challenge {
        return oauth_error("invalid_grant", "the PKCE verifier does not match");
    }
    // RFC 8707: the token is for the resource named at both steps.
    let resource = match (pending.resource.as_ref(), form.get("resource")) {
        (Some(asked), Some(now)) if asked != now => {
            return oauth_error("invalid_target", "resource differs from the authorization")
        }
        (Some(resource), _) | (None, Some(resource)) => resource.clone(),
        (None, None) => return oauth_error("invalid_target", "a resource is required"),
    };
    let access_token = match sign_token(&server.key, &server.issuer, &resource, &pending.scope) {
        Ok(token) => token,
        Err(e) => return oauth_error("server_error", &e.to_string()),
    };
    println!(
        "  [authorization server] PKCE verifier matches; issued an RS256 JWT: sub {SUBJECT:?}, \
         aud {resource:?}, scope {:?}",
        pending.scope
    );
    let answer = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME.as_secs(),
        "scope": pending.scope,
    });
    ([(header::CACHE_CONTROL, "no-store")], Json(answer)).into_response()
}

/// The public keys that verify the tokens.
async fn jwks() -> Response {
    match serde_json::from_str::<Value>(DEMO_KEY_JWK) {
        Ok(key) => Json(json!({ "keys": [key] })).into_response(),
        Err(e) => oauth_error("server_error", &format!("the demo JWK is unreadable: {e}")),
    }
}

fn demo_key() -> Result<EncodingKey, Error> {
    Ok(EncodingKey::from_rsa_pem(DEMO_KEY_PEM.as_bytes())?)
}

/// An access token for [`SUBJECT`] and `resource` (its audience), signed with `key`.
fn sign_token(
    key: &EncodingKey,
    issuer: &str,
    resource: &str,
    scope: &str,
) -> Result<String, Error> {
    let now = unix_now();
    let claims = json!({
        "iss": issuer,
        "aud": resource,
        "sub": SUBJECT,
        "scope": scope,
        "iat": now,
        "exp": now + TOKEN_LIFETIME.as_secs(),
    });
    let mut header = Header::new(Algorithm::RS256);
    // The verifier picks the JWKS key by kid.
    header.kid = Some(DEMO_KEY_ID.into());
    Ok(jsonwebtoken::encode(&header, &claims, key)?)
}

/// An RFC 6749 §5.2 error answer.
fn oauth_error(error: &str, description: &str) -> Response {
    let body = json!({ "error": error, "error_description": description });
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

/// A 302 to `uri` with `params` added to its query.
fn redirect(uri: &str, params: &[(&str, &str)]) -> Response {
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect();
    let separator = if uri.contains('?') { '&' } else { '?' };
    let location = format!("{uri}{separator}{}", query.join("&"));
    match HeaderValue::from_str(&location) {
        Ok(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
        Err(_) => oauth_error("invalid_request", "the redirect_uri is not a valid URL"),
    }
}

/// Everything but RFC 3986's unreserved characters, %-encoded.
fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// 128 unpredictable bits for codes and client IDs. std's `RandomState` is seeded from the
/// OS; it keeps the example free of an RNG dependency. A real server uses a CSPRNG.
fn random_token() -> String {
    let half = || {
        std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish()
    };
    format!("{:016x}{:016x}", half(), half())
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A poisoned lock only means another request panicked; the maps are still usable.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

// ---------------------------------------------------------------------------------------
// 2. The protected MCP server.
// ---------------------------------------------------------------------------------------

/// The caller's subject: `AuthLayer` verified the token and put the identity on the request.
async fn whoami(Extension(who): Extension<Identity>) -> String {
    who.subject().to_owned()
}

/// What the `Authorization` header of a request reaching the protected server was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Missing,
    /// [`FRONTEND_AUTHORIZATION`]: the proxy's caller's token, which must not get here.
    Frontend,
    Other,
}

struct ProtectedServer {
    url: String,
    mcp: StreamableHttpService<Router>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl ProtectedServer {
    async fn start(issuer: &str) -> Result<Self, Error> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/mcp", listener.local_addr()?);

        // The MCP URL is the resource identifier: tokens must name it as their audience.
        let metadata = ProtectedResourceMetadata::new(&url)
            .authorization_server(issuer)
            .scopes_supported([SCOPE])
            .resource_name("Turret auth example");
        let verifier = JwtVerifier::builder()
            .issuer(issuer)
            .audience(&url)
            .jwks_url(format!("{issuer}/jwks"))
            .build()?;

        let tools = Router::new().tool(
            "whoami",
            tool_fn(whoami).description("The subject of the caller's access token"),
        );
        let mcp = StreamableHttpService::new(tools);
        let app = axum::Router::new().route_service("/mcp", mcp.clone());
        let app = AuthLayer::new(verifier, metadata)
            .required_scopes([SCOPE])
            .layer(app);

        // Records every request's Authorization header, for the pass-through check.
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        let app = ServiceBuilder::new()
            .map_request(move |request: Request<hyper::body::Incoming>| {
                let value = request.headers().get(header::AUTHORIZATION);
                lock(&record).push(match value {
                    None => Seen::Missing,
                    Some(v) if v == FRONTEND_AUTHORIZATION => Seen::Frontend,
                    Some(_) => Seen::Other,
                });
                request
            })
            .service(app);

        tokio::spawn(async move {
            if let Err(e) = serve(listener, app, std::future::pending()).await {
                eprintln!("auth example: the protected server stopped: {e}");
            }
        });
        Ok(Self { url, mcp, seen })
    }

    fn seen(&self) -> Vec<Seen> {
        lock(&self.seen).clone()
    }
}

// ---------------------------------------------------------------------------------------
// 3. The client, and 4. the proxy.
// ---------------------------------------------------------------------------------------

/// An `OAuthLayer` for the MCP server at `url`, with an OAuth client of its own (its own
/// registration and tokens), that follows the demo server's redirect without a browser.
fn oauth_layer(url: &str, client_name: &str) -> Result<OAuthLayer, Error> {
    let headless = HeadlessAuthorization::default();
    let label = client_name.to_owned();
    let oauth = OAuthClient::builder()
        .client_name(client_name)
        .authorization_handler(move |authorization_url: String| {
            let endpoint = authorization_url.split('?').next().unwrap_or_default();
            println!("  [{label}] sending the user to {endpoint}?…");
            headless.authorize(authorization_url)
        })
        .build()?;
    Ok(OAuthLayer::new(oauth, url)?)
}

/// A client of the protected server through `OAuthLayer`; the flow runs on its first 401.
async fn connect_with_oauth(url: &str, client_name: &str) -> Result<Client, Error> {
    let http = ServiceBuilder::new()
        .layer(oauth_layer(url, client_name)?)
        .service(default_http_service());
    let transport = StreamableHttpClient::new(url)
        .http_service(http)
        .connect()?;
    Ok(Client::builder().connect(transport).await?)
}

/// Serves a proxy of the protected server at `http://127.0.0.1:PORT/mcp`, without auth.
async fn start_proxy(backend_url: &str) -> Result<String, Error> {
    let layer = oauth_layer(backend_url, "turret auth example proxy")?;
    let url = backend_url.to_owned();
    let backend = Backend::transport(move || {
        let http = ServiceBuilder::new()
            .layer(layer.clone())
            .service(default_http_service());
        // As if a careless proxy copied its caller's header onto its backend requests: the
        // OAuthLayer replaces whatever Authorization it is handed with the proxy's token.
        let transport = StreamableHttpClient::new(&url)
            .header(header::AUTHORIZATION, FRONTEND_AUTHORIZATION)
            .http_service(http)
            .connect();
        async move { transport }
    });
    let mcp = StreamableHttpService::new(Proxy::new("protected", backend));
    let app = axum::Router::new().route_service("/mcp", mcp);
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/mcp", listener.local_addr()?);
    tokio::spawn(async move {
        if let Err(e) = serve(listener, app, std::future::pending()).await {
            eprintln!("auth example: the proxy stopped: {e}");
        }
    });
    Ok(url)
}

/// Calls `whoami`; its text.
async fn call_whoami(client: &Client) -> Result<String, Error> {
    let result = client.call_tool("whoami", Value::Null).await?;
    let text: String = result
        .content
        .iter()
        .filter_map(|block| match block {
            ContentBlock::Text(t) => Some(t.text.as_str()),
            _ => None,
        })
        .collect();
    if result.is_error == Some(true) {
        return Err(format!("whoami failed: {text}").into());
    }
    Ok(text)
}

// ---------------------------------------------------------------------------------------
// Plain HTTP, to show what a client without a token sees.
// ---------------------------------------------------------------------------------------

fn initialize_request() -> Value {
    json!({
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": { "name": "curl", "version": "0" }
        }
    })
}

fn post_json(url: &str, body: &Value) -> Result<Request<Full<Bytes>>, Error> {
    let request = Request::builder()
        .method(Method::POST)
        .uri(url)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/json, text/event-stream")
        .body(Full::new(Bytes::from(body.to_string())))?;
    Ok(request)
}

async fn get_json(url: &str) -> Result<Value, Error> {
    let request = Request::get(url).body(Full::default())?;
    let response = default_http_service().request(request).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    if !status.is_success() {
        return Err(format!("GET {url}: {status}").into());
    }
    Ok(serde_json::from_slice(&body)?)
}

/// The `resource_metadata` parameter of a `Bearer` challenge.
fn resource_metadata_url(challenge: &str) -> Option<String> {
    let start = challenge.find("resource_metadata=\"")? + "resource_metadata=\"".len();
    let len = challenge[start..].find('"')?;
    Some(challenge[start..start + len].to_owned())
}

/// Where RFC 9728 puts the metadata of `resource` (for the `--serve` printout).
fn resource_metadata_of(resource: &str) -> String {
    ProtectedResourceMetadata::new(resource)
        .metadata_url()
        .unwrap_or_default()
}
