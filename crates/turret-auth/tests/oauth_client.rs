//! The OAuth client (`turret_auth::client`) against a small authorization server and a
//! protected resource, both axum apps on 127.0.0.1:0 written here: the authorization server
//! checks PKCE S256 itself, records what it was sent, and can be made to misbehave.

mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};
use tower::{Layer as _, ServiceExt as _};
use turret_auth::client::{default_http_service, HeadlessAuthorization, OAuthClient, OAuthLayer};

const TIMEOUT: Duration = Duration::from_secs(10);

/// How the test authorization server behaves.
#[derive(Clone)]
struct Behavior {
    code_challenge_methods: Vec<&'static str>,
    /// `Some(iss)` puts that `iss` in the redirect; `None` puts the real issuer.
    iss_override: Option<String>,
    /// Appended to the `iss` of the redirect.
    iss_suffix: &'static str,
    expires_in: u64,
    /// Whether the token response says `expires_in`.
    announce_expiry: bool,
    /// The `resource` the protected-resource metadata publishes; `None` for the real one.
    resource_override: Option<String>,
}

impl Default for Behavior {
    fn default() -> Self {
        Self {
            code_challenge_methods: vec!["S256"],
            iss_override: None,
            iss_suffix: "",
            expires_in: 3600,
            announce_expiry: true,
            resource_override: None,
        }
    }
}

#[derive(Default)]
struct Seen {
    authorize: Vec<HashMap<String, String>>,
    token: Vec<HashMap<String, String>>,
    /// Every `Authorization` header the authorization server received.
    as_authorization: Vec<String>,
    /// Every `Authorization` header the protected resource received.
    rs_authorization: Vec<String>,
    /// Every `Authorization` header the unrelated server received.
    elsewhere_authorization: Vec<String>,
}

struct AsState {
    issuer: String,
    resource: String,
    behavior: Behavior,
    seen: Mutex<Seen>,
    /// code → (challenge, scope)
    codes: Mutex<HashMap<String, (String, String)>>,
    /// access token → (expiry, scopes)
    tokens: Mutex<HashMap<String, (Instant, Vec<String>)>>,
    refresh: Mutex<HashMap<String, Vec<String>>>,
    counter: Mutex<u32>,
}

impl AsState {
    fn next(&self) -> u32 {
        let mut n = self.counter.lock().unwrap();
        *n += 1;
        *n
    }

    fn issue(&self, scopes: Vec<String>) -> Value {
        let n = self.next();
        let access = format!("at-{n}");
        let refresh = format!("rt-{n}");
        let expiry = Instant::now() + Duration::from_secs(self.behavior.expires_in);
        self.tokens
            .lock()
            .unwrap()
            .insert(access.clone(), (expiry, scopes.clone()));
        self.refresh
            .lock()
            .unwrap()
            .insert(refresh.clone(), scopes.clone());
        let mut answer = json!({
            "access_token": access,
            "token_type": "Bearer",
            "refresh_token": refresh,
            "scope": scopes.join(" "),
        });
        if self.behavior.announce_expiry {
            answer["expires_in"] = json!(self.behavior.expires_in);
        }
        answer
    }
}

type Shared = Arc<AsState>;

fn record_as(state: &AsState, headers: &HeaderMap) {
    if let Some(v) = headers.get("authorization") {
        state
            .seen
            .lock()
            .unwrap()
            .as_authorization
            .push(v.to_str().unwrap_or("?").to_owned());
    }
}

async fn as_metadata(State(s): State<Shared>, headers: HeaderMap) -> Json<Value> {
    record_as(&s, &headers);
    Json(json!({
        "issuer": s.issuer,
        "authorization_endpoint": format!("{}/authorize", s.issuer),
        "token_endpoint": format!("{}/token", s.issuer),
        "registration_endpoint": format!("{}/register", s.issuer),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": s.behavior.code_challenge_methods,
        "token_endpoint_auth_methods_supported": ["none"],
        "authorization_response_iss_parameter_supported": true,
    }))
}

async fn register(
    State(s): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    record_as(&s, &headers);
    let n = s.next();
    let client = json!({
        "client_id": format!("client-{n}"),
        "redirect_uris": body["redirect_uris"],
        "token_endpoint_auth_method": "none",
    });
    (StatusCode::CREATED, Json(client)).into_response()
}

async fn authorize(
    State(s): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    record_as(&s, &headers);
    s.seen.lock().unwrap().authorize.push(q.clone());
    if q.get("code_challenge_method").map(String::as_str) != Some("S256") {
        return (StatusCode::BAD_REQUEST, "S256 required").into_response();
    }
    let code = format!("code-{}", s.next());
    s.codes.lock().unwrap().insert(
        code.clone(),
        (
            q.get("code_challenge").cloned().unwrap_or_default(),
            q.get("scope").cloned().unwrap_or_default(),
        ),
    );
    let iss = s
        .behavior
        .iss_override
        .clone()
        .unwrap_or_else(|| s.issuer.clone());
    let iss = format!("{iss}{}", s.behavior.iss_suffix);
    let mut location = format!("{}?", q.get("redirect_uri").cloned().unwrap_or_default());
    location.push_str(
        &form_urlencoded::Serializer::new(String::new())
            .append_pair("code", &code)
            .append_pair(
                "state",
                q.get("state").map(String::as_str).unwrap_or_default(),
            )
            .append_pair("iss", &iss)
            .finish(),
    );
    Redirect::to(&location).into_response()
}

fn oauth_error(error: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": error}))).into_response()
}

async fn token(
    State(s): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    record_as(&s, &headers);
    s.seen.lock().unwrap().token.push(form.clone());
    if form.get("resource") != Some(&s.resource) {
        return oauth_error("invalid_target");
    }
    match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            let code = form.get("code").cloned().unwrap_or_default();
            let Some((challenge, scope)) = s.codes.lock().unwrap().remove(&code) else {
                return oauth_error("invalid_grant");
            };
            // PKCE S256, checked here and not trusted to the client.
            let verifier = form.get("code_verifier").cloned().unwrap_or_default();
            if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != challenge {
                return oauth_error("invalid_grant");
            }
            let scopes = scope.split_whitespace().map(str::to_owned).collect();
            Json(s.issue(scopes)).into_response()
        }
        Some("refresh_token") => {
            let rt = form.get("refresh_token").cloned().unwrap_or_default();
            let Some(scopes) = s.refresh.lock().unwrap().remove(&rt) else {
                return oauth_error("invalid_grant");
            };
            Json(s.issue(scopes)).into_response()
        }
        _ => oauth_error("unsupported_grant_type"),
    }
}

async fn prm(State(s): State<Shared>) -> Json<Value> {
    Json(json!({
        "resource": s.behavior.resource_override.clone().unwrap_or_else(|| s.resource.clone()),
        "authorization_servers": [s.issuer],
        "scopes_supported": ["read"],
    }))
}

/// The protected resource: `read` for anything, `read write` when `x-needs: write`.
async fn mcp(State(s): State<Shared>, headers: HeaderMap) -> Response {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if !auth.is_empty() {
        s.seen.lock().unwrap().rs_authorization.push(auth.clone());
    }
    let challenge = |status: StatusCode, extra: &str| {
        let metadata = s
            .resource
            .replace("/mcp", "/.well-known/oauth-protected-resource/mcp");
        let value = format!("Bearer {extra}resource_metadata=\"{metadata}\"");
        (status, [("www-authenticate", value)], "no").into_response()
    };
    let Some(token) = auth.strip_prefix("Bearer ") else {
        return challenge(StatusCode::UNAUTHORIZED, "");
    };
    let Some((expiry, scopes)) = s.tokens.lock().unwrap().get(token).cloned() else {
        return challenge(StatusCode::UNAUTHORIZED, "error=\"invalid_token\", ");
    };
    if expiry <= Instant::now() {
        return challenge(StatusCode::UNAUTHORIZED, "error=\"invalid_token\", ");
    }
    let needs_write = headers.get("x-needs").is_some_and(|v| v == "write");
    if needs_write && !scopes.iter().any(|s| s == "write") {
        return challenge(
            StatusCode::FORBIDDEN,
            "error=\"insufficient_scope\", scope=\"read write\", ",
        );
    }
    (StatusCode::OK, format!("ok {token}")).into_response()
}

async fn elsewhere(State(s): State<Shared>, headers: HeaderMap) -> &'static str {
    if let Some(v) = headers.get("authorization") {
        s.seen
            .lock()
            .unwrap()
            .elsewhere_authorization
            .push(v.to_str().unwrap_or("?").to_owned());
    }
    "elsewhere"
}

struct World {
    state: Shared,
    mcp_url: String,
    elsewhere_url: String,
}

/// An authorization server, a protected resource at `/mcp` and an unrelated server, each
/// on its own port.
async fn world(behavior: Behavior) -> World {
    let (as_listener, issuer) = support::listener().await;
    let (rs_listener, rs_origin) = support::listener().await;
    let (other_listener, other_origin) = support::listener().await;
    let state = Arc::new(AsState {
        issuer,
        resource: format!("{rs_origin}/mcp"),
        behavior,
        seen: Mutex::default(),
        codes: Mutex::default(),
        tokens: Mutex::default(),
        refresh: Mutex::default(),
        counter: Mutex::default(),
    });
    let as_app = axum::Router::new()
        .route("/.well-known/oauth-authorization-server", get(as_metadata))
        .route("/authorize", get(authorize))
        .route("/token", post(token))
        .route("/register", post(register))
        .with_state(state.clone());
    let rs_app = axum::Router::new()
        .route("/.well-known/oauth-protected-resource/mcp", get(prm))
        .route("/mcp", get(mcp).post(mcp))
        .with_state(state.clone());
    let other_app = axum::Router::new()
        .route("/", get(elsewhere).post(elsewhere))
        .with_state(state.clone());
    tokio::spawn(async move { axum::serve(as_listener, as_app).await });
    tokio::spawn(async move { axum::serve(rs_listener, rs_app).await });
    tokio::spawn(async move { axum::serve(other_listener, other_app).await });
    World {
        state,
        mcp_url: format!("{rs_origin}/mcp"),
        elsewhere_url: format!("{other_origin}/"),
    }
}

type Service = turret_auth::client::OAuth<
    hyper_util::client::legacy::Client<
        hyper_util::client::legacy::connect::HttpConnector,
        Full<Bytes>,
    >,
>;

fn service(world: &World) -> Service {
    let client = OAuthClient::builder()
        .authorization_handler(HeadlessAuthorization::default())
        .build()
        .unwrap();
    OAuthLayer::new(client, &world.mcp_url)
        .unwrap()
        .layer(default_http_service())
}

/// POSTs to `url` through `service`: the status and body, or the layer's error.
async fn send(
    service: &Service,
    url: &str,
    headers: &[(&str, &str)],
) -> Result<(StatusCode, String), String> {
    let mut request = http::Request::post(url);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let request = request.body(Full::new(Bytes::from_static(b"{}"))).unwrap();
    let response = tokio::time::timeout(TIMEOUT, service.clone().oneshot(request))
        .await
        .expect("the request took too long")
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

#[tokio::test]
async fn the_flow_uses_pkce_s256_and_the_resource_parameter() {
    let world = world(Behavior::default()).await;
    let service = service(&world);
    let (status, body) = send(&service, &world.mcp_url, &[]).await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    // The token is reused: one authorization for two requests.
    let (status, _) = send(&service, &world.mcp_url, &[]).await.unwrap();
    assert_eq!(status, StatusCode::OK);
    let seen = world.state.seen.lock().unwrap();
    assert_eq!(seen.authorize.len(), 1);
    let authorize = &seen.authorize[0];
    assert_eq!(authorize["code_challenge_method"], "S256");
    assert_eq!(authorize["resource"], world.mcp_url);
    assert_eq!(
        authorize["scope"], "read",
        "the metadata's scopes_supported"
    );
    assert!(authorize["state"].len() >= 16);
    assert_eq!(seen.token.len(), 1);
    assert_eq!(seen.token[0]["resource"], world.mcp_url);
    // The verifier matched the challenge: the server would have refused the token otherwise.
    assert_eq!(seen.rs_authorization.last().unwrap(), "Bearer at-3");
}

/// The error a first request ends in, in a world that behaves as `behavior` says.
async fn refusal(behavior: Behavior) -> (World, String) {
    let world = world(behavior).await;
    let error = send(&service(&world), &world.mcp_url, &[])
        .await
        .unwrap_err();
    (world, error)
}

#[tokio::test]
async fn a_server_without_s256_is_refused() {
    let (world, error) = refusal(Behavior {
        code_challenge_methods: vec!["plain"],
        ..Behavior::default()
    })
    .await;
    assert!(error.contains("does not support PKCE S256"), "{error}");
    assert!(world.state.seen.lock().unwrap().authorize.is_empty());
}

#[tokio::test]
async fn a_wrong_iss_is_refused_before_the_token_request() {
    let (world, error) = refusal(Behavior {
        iss_override: Some("http://127.0.0.1:1".into()),
        ..Behavior::default()
    })
    .await;
    assert!(
        error.contains("iss") && error.contains("RFC 9207"),
        "{error}"
    );
    let seen = world.state.seen.lock().unwrap();
    assert_eq!(seen.authorize.len(), 1);
    assert!(seen.token.is_empty(), "the code went to the token endpoint");
}

#[tokio::test]
async fn iss_is_compared_without_normalization() {
    let (world, error) = refusal(Behavior {
        iss_suffix: "/",
        ..Behavior::default()
    })
    .await;
    assert!(error.contains("RFC 9207"), "{error}");
    assert!(world.state.seen.lock().unwrap().token.is_empty());
}

#[tokio::test]
async fn a_foreign_resource_is_refused() {
    let (world, error) = refusal(Behavior {
        resource_override: Some("http://127.0.0.1:1/mcp".into()),
        ..Behavior::default()
    })
    .await;
    assert!(error.contains("names the resource"), "{error}");
    assert!(world.state.seen.lock().unwrap().authorize.is_empty());
}

#[tokio::test]
async fn an_expiring_token_is_refreshed() {
    // Expiring within the client's margin: the next request refreshes first.
    let world = world(Behavior {
        expires_in: 2,
        ..Behavior::default()
    })
    .await;
    let service = service(&world);
    let (status, first) = send(&service, &world.mcp_url, &[]).await.unwrap();
    assert_eq!(status, StatusCode::OK);
    let (status, second) = send(&service, &world.mcp_url, &[]).await.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_ne!(first, second, "the second request used a new token");
    let seen = world.state.seen.lock().unwrap();
    assert_eq!(seen.authorize.len(), 1, "no second authorization");
    let grants: Vec<_> = seen
        .token
        .iter()
        .map(|f| f["grant_type"].as_str())
        .collect();
    assert_eq!(grants, ["authorization_code", "refresh_token"]);
    assert_eq!(seen.token[1]["resource"], world.mcp_url);
}

#[tokio::test]
async fn a_token_refused_with_401_is_refreshed() {
    // The client does not know when the token expires: only the server's 401 tells.
    let world = world(Behavior {
        expires_in: 1,
        announce_expiry: false,
        ..Behavior::default()
    })
    .await;
    let service = service(&world);
    send(&service, &world.mcp_url, &[]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, _) = send(&service, &world.mcp_url, &[]).await.unwrap();
    assert_eq!(status, StatusCode::OK);
    let seen = world.state.seen.lock().unwrap();
    assert_eq!(seen.authorize.len(), 1, "refreshed, not authorized again");
    let grants: Vec<_> = seen
        .token
        .iter()
        .map(|f| f["grant_type"].as_str())
        .collect();
    assert_eq!(grants, ["authorization_code", "refresh_token"]);
    // The refused token, then the refreshed one.
    let sent: Vec<_> = seen.rs_authorization.iter().map(String::as_str).collect();
    assert_eq!(sent[sent.len() - 2..], ["Bearer at-3", "Bearer at-4"]);
}

#[tokio::test]
async fn step_up_asks_for_the_union_of_scopes() {
    let world = world(Behavior::default()).await;
    let service = service(&world);
    assert_eq!(
        send(&service, &world.mcp_url, &[]).await.unwrap().0,
        StatusCode::OK
    );
    let (status, body) = send(&service, &world.mcp_url, &[("x-needs", "write")])
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    let seen = world.state.seen.lock().unwrap();
    assert_eq!(seen.authorize.len(), 2);
    let scopes: Vec<_> = seen.authorize[1]["scope"].split(' ').collect();
    assert!(
        scopes.contains(&"read") && scopes.contains(&"write"),
        "{scopes:?}"
    );
}

#[tokio::test]
async fn tokens_go_to_the_protected_server_only() {
    let world = world(Behavior::default()).await;
    let service = service(&world);
    // A token the caller received (a proxy's incoming one) must not reach the backend.
    let incoming = [("authorization", "Bearer from-the-caller")];
    let (status, _) = send(&service, &world.mcp_url, &incoming).await.unwrap();
    assert_eq!(status, StatusCode::OK);
    let (_, body) = send(&service, &world.elsewhere_url, &[]).await.unwrap();
    assert_eq!(body, "elsewhere");
    let seen = world.state.seen.lock().unwrap();
    assert!(
        seen.rs_authorization
            .iter()
            .all(|a| !a.contains("from-the-caller")),
        "{:?}",
        seen.rs_authorization
    );
    assert!(seen
        .rs_authorization
        .iter()
        .any(|a| a.starts_with("Bearer at-")));
    assert!(
        seen.elsewhere_authorization.is_empty(),
        "{:?}",
        seen.elsewhere_authorization
    );
    assert!(
        seen.as_authorization
            .iter()
            .all(|a| !a.starts_with("Bearer")),
        "{:?}",
        seen.as_authorization
    );
}
