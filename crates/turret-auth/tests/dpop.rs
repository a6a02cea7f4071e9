//! DPoP (RFC 9449) in the OAuth client, against an authorization server and an MCP server
//! written here (axum, 127.0.0.1:0) that check proofs themselves: the signature with the
//! proof's own JWK, `typ`, `htm`/`htu`, `iat`, a `jti` never seen before, their nonces, and
//! at the resource `ath` and the key the token is bound to (its RFC 7638 thumbprint, the
//! `cnf.jkt` of the token).

mod support;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use jsonwebtoken::jwk::{Jwk, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};
use tower::{Layer as _, Service, ServiceExt as _};
use turret_auth::client::{
    default_http_service, DpopMode, HeadlessAuthorization, OAuthClient, OAuthLayer, TokenType,
};
use turret_core::BoxError;

const TIMEOUT: Duration = Duration::from_secs(10);
const AS_NONCE: &str = "as-nonce-1";

/// How the resource server asks for nonces.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RsNonce {
    Off,
    /// One nonce, demanded until a proof carries it.
    Fixed,
    /// A new nonce demanded on every request: no proof can ever satisfy it.
    NeverSatisfied,
}

#[derive(Clone)]
struct Behavior {
    /// Whether the metadata lists `dpop_signing_alg_values_supported: ["ES256"]`.
    advertise_dpop: bool,
    /// Whether a token request with a valid proof gets a DPoP-bound token (else a bearer
    /// one, the proof ignored).
    bind_tokens: bool,
    /// Whether the token endpoint demands its nonce.
    as_nonce: bool,
    rs_nonce: RsNonce,
    expires_in: u64,
}

impl Default for Behavior {
    fn default() -> Self {
        Self {
            advertise_dpop: true,
            bind_tokens: true,
            as_nonce: true,
            rs_nonce: RsNonce::Fixed,
            expires_in: 3600,
        }
    }
}

/// One token request as the authorization server saw it.
#[derive(Debug, Clone)]
struct TokenSeen {
    grant_type: String,
    /// The proof's claims, when it had a valid one.
    proof: Option<Value>,
    /// What the server answered: `ok`, `use_dpop_nonce`, `invalid_dpop_proof: …`…
    outcome: String,
}

/// One request to the MCP endpoint.
#[derive(Debug, Clone)]
struct RsSeen {
    authorization: String,
    proof: Option<String>,
    outcome: String,
}

#[derive(Default)]
struct Seen {
    token: Vec<TokenSeen>,
    rs: Vec<RsSeen>,
}

struct World {
    issuer: String,
    mcp_url: String,
    behavior: Behavior,
    seen: Mutex<Seen>,
    codes: Mutex<HashSet<String>>,
    /// access token → the thumbprint it is bound to (`cnf.jkt`), `None` for bearer.
    tokens: Mutex<HashMap<String, (Option<String>, SystemTime)>>,
    /// refresh token → the thumbprint it is bound to.
    refresh: Mutex<HashMap<String, Option<String>>>,
    /// The `jti`s of the proofs each server accepted: a second use is a replay.
    as_jtis: Mutex<HashSet<String>>,
    rs_jtis: Mutex<HashSet<String>>,
    counter: Mutex<u32>,
}

type Shared = Arc<World>;

impl World {
    fn next(&self) -> u32 {
        let mut n = self.counter.lock().unwrap();
        *n += 1;
        *n
    }

    fn issue(&self, jkt: Option<String>) -> Value {
        let n = self.next();
        let (access, refresh) = (format!("at-{n}"), format!("rt-{n}"));
        let expiry = SystemTime::now() + Duration::from_secs(self.behavior.expires_in);
        self.tokens
            .lock()
            .unwrap()
            .insert(access.clone(), (jkt.clone(), expiry));
        self.refresh
            .lock()
            .unwrap()
            .insert(refresh.clone(), jkt.clone());
        json!({
            "access_token": access,
            "token_type": if jkt.is_some() { "DPoP" } else { "Bearer" },
            "refresh_token": refresh,
            "expires_in": self.behavior.expires_in,
        })
    }

    fn record_token(&self, grant_type: &str, proof: Option<Value>, outcome: impl Into<String>) {
        self.seen.lock().unwrap().token.push(TokenSeen {
            grant_type: grant_type.to_owned(),
            proof,
            outcome: outcome.into(),
        });
    }
}

/// The RFC 7638 thumbprint of an EC public JWK: SHA-256 over its required members in
/// lexicographic order, without whitespace.
fn thumbprint(jwk: &Value) -> String {
    let canonical = format!(
        r#"{{"crv":"{}","kty":"{}","x":"{}","y":"{}"}}"#,
        jwk["crv"].as_str().unwrap_or_default(),
        jwk["kty"].as_str().unwrap_or_default(),
        jwk["x"].as_str().unwrap_or_default(),
        jwk["y"].as_str().unwrap_or_default(),
    );
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Checks the request's DPoP proof (RFC 9449 §4.3): the claims and the key's thumbprint.
fn verify_proof(
    headers: &HeaderMap,
    method: &str,
    url: &str,
    jtis: &Mutex<HashSet<String>>,
) -> Result<(Value, String), String> {
    let mut values = headers.get_all("dpop").iter();
    let proof = values
        .next()
        .ok_or("no DPoP proof")?
        .to_str()
        .map_err(|_| "unreadable proof")?;
    if values.next().is_some() {
        return Err("several DPoP proofs".into());
    }
    let header_part = proof.split('.').next().unwrap_or_default();
    let header: Value = URL_SAFE_NO_PAD
        .decode(header_part)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("unreadable proof header")?;
    if header["typ"] != "dpop+jwt" {
        return Err(format!("typ is {}", header["typ"]));
    }
    if header["alg"] != "ES256" {
        return Err(format!("alg is {}", header["alg"]));
    }
    let jwk_value = header.get("jwk").ok_or("no jwk")?;
    if jwk_value.get("d").is_some() {
        return Err("the jwk holds a private key".into());
    }
    let jwk: Jwk = serde_json::from_value(jwk_value.clone()).map_err(|e| format!("jwk: {e}"))?;
    let key = DecodingKey::from_jwk(&jwk).map_err(|e| format!("jwk: {e}"))?;
    let mut validation = Validation::new(Algorithm::ES256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;
    let claims = jsonwebtoken::decode::<Value>(proof, &key, &validation)
        .map_err(|e| format!("the signature does not verify: {e}"))?
        .claims;
    if claims["htm"] != method {
        return Err(format!("htm is {}", claims["htm"]));
    }
    if claims["htu"] != url {
        return Err(format!("htu is {}, not {url}", claims["htu"]));
    }
    let iat = claims["iat"].as_i64().ok_or("no iat")?;
    if (now() - iat).abs() > 60 {
        return Err("iat is not now".into());
    }
    let jti = claims["jti"].as_str().ok_or("no jti")?;
    if jti.len() < 16 {
        return Err("jti is too short to be unique".into());
    }
    if !jtis.lock().unwrap().insert(jti.to_owned()) {
        return Err(format!("the proof {jti} was replayed"));
    }
    Ok((claims, thumbprint(jwk_value)))
}

fn oauth_error(error: &str, description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

async fn as_metadata(State(w): State<Shared>) -> Json<Value> {
    let mut meta = json!({
        "issuer": w.issuer,
        "authorization_endpoint": format!("{}/authorize", w.issuer),
        "token_endpoint": format!("{}/token", w.issuer),
        "registration_endpoint": format!("{}/register", w.issuer),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none"],
    });
    if w.behavior.advertise_dpop {
        meta["dpop_signing_alg_values_supported"] = json!(["ES256"]);
    }
    Json(meta)
}

async fn register(State(w): State<Shared>, Json(body): Json<Value>) -> Response {
    let client = json!({
        "client_id": format!("client-{}", w.next()),
        "redirect_uris": body["redirect_uris"],
        "token_endpoint_auth_method": "none",
    });
    (StatusCode::CREATED, Json(client)).into_response()
}

async fn authorize(State(w): State<Shared>, Query(q): Query<HashMap<String, String>>) -> Response {
    let code = format!("code-{}", w.next());
    w.codes.lock().unwrap().insert(code.clone());
    let location = format!(
        "{}?{}",
        q.get("redirect_uri").cloned().unwrap_or_default(),
        form_urlencoded::Serializer::new(String::new())
            .append_pair("code", &code)
            .append_pair("state", q.get("state").map(String::as_str).unwrap_or(""))
            .finish()
    );
    Redirect::to(&location).into_response()
}

async fn token(
    State(w): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let grant = form.get("grant_type").cloned().unwrap_or_default();
    let url = format!("{}/token", w.issuer);
    let mut jkt = None;
    let mut claims = None;
    if headers.contains_key("dpop") {
        match verify_proof(&headers, "POST", &url, &w.as_jtis) {
            Ok((c, thumb)) => {
                if w.behavior.as_nonce && c["nonce"] != AS_NONCE {
                    w.record_token(&grant, Some(c), "use_dpop_nonce");
                    let mut response = oauth_error("use_dpop_nonce", "a nonce is required");
                    response
                        .headers_mut()
                        .insert("dpop-nonce", AS_NONCE.parse().unwrap());
                    return response;
                }
                claims = Some(c);
                jkt = Some(thumb);
            }
            Err(e) => {
                w.record_token(&grant, None, format!("invalid_dpop_proof: {e}"));
                return oauth_error("invalid_dpop_proof", &e);
            }
        }
    }
    let bound = match grant.as_str() {
        "authorization_code" => {
            let code = form.get("code").cloned().unwrap_or_default();
            if !w.codes.lock().unwrap().remove(&code) {
                w.record_token(&grant, claims, "invalid_grant");
                return oauth_error("invalid_grant", "unknown code");
            }
            jkt.filter(|_| w.behavior.bind_tokens)
        }
        "refresh_token" => {
            let rt = form.get("refresh_token").cloned().unwrap_or_default();
            let Some(bound_to) = w.refresh.lock().unwrap().remove(&rt) else {
                w.record_token(&grant, claims, "invalid_grant");
                return oauth_error("invalid_grant", "unknown refresh token");
            };
            // RFC 9449 §5: a bound refresh token needs a proof of the same key.
            if bound_to.is_some() && bound_to != jkt {
                w.record_token(&grant, claims, "invalid_grant: key");
                return oauth_error("invalid_grant", "not the key the token is bound to");
            }
            bound_to
        }
        _ => return oauth_error("unsupported_grant_type", ""),
    };
    w.record_token(&grant, claims, "ok");
    Json(w.issue(bound)).into_response()
}

async fn prm(State(w): State<Shared>) -> Json<Value> {
    Json(json!({
        "resource": w.mcp_url,
        "authorization_servers": [w.issuer],
    }))
}

/// The MCP endpoint: a DPoP-bound token with a valid proof, or a bearer token that is not
/// bound to any key.
async fn mcp(State(w): State<Shared>, method: Method, headers: HeaderMap) -> Response {
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let proof = headers
        .get("dpop")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let metadata = w
        .mcp_url
        .replace("/mcp", "/.well-known/oauth-protected-resource/mcp");
    let outcome = check_resource_request(&w, &method, &headers, &authorization);
    w.seen.lock().unwrap().rs.push(RsSeen {
        authorization,
        proof,
        outcome: match &outcome {
            Ok(()) => "ok".into(),
            Err((error, _, _)) => error.clone(),
        },
    });
    match outcome {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err((error, description, nonce)) => {
            let scheme = if w.behavior.advertise_dpop {
                "DPoP algs=\"ES256\", "
            } else {
                "Bearer "
            };
            let error = if error.is_empty() {
                String::new()
            } else {
                format!("error=\"{error}\", error_description=\"{description}\", ")
            };
            let challenge = format!("{scheme}{error}resource_metadata=\"{metadata}\"");
            let mut response = (
                StatusCode::UNAUTHORIZED,
                [("www-authenticate", challenge)],
                "no",
            )
                .into_response();
            if let Some(nonce) = nonce {
                response
                    .headers_mut()
                    .insert("dpop-nonce", nonce.parse().unwrap());
            }
            response
        }
    }
}

/// `Err((error, description, nonce to hand out))`.
fn check_resource_request(
    w: &World,
    method: &Method,
    headers: &HeaderMap,
    authorization: &str,
) -> Result<(), (String, String, Option<String>)> {
    let fail = |error: &str, description: String| Err((error.to_owned(), description, None));
    let (scheme, token) = authorization.split_once(' ').unwrap_or(("", ""));
    if token.is_empty() {
        return fail("", String::new());
    }
    let Some((bound, expiry)) = w.tokens.lock().unwrap().get(token).cloned() else {
        return fail("invalid_token", "unknown token".into());
    };
    if expiry <= SystemTime::now() {
        return fail("invalid_token", "expired".into());
    }
    match (scheme, bound) {
        ("Bearer", None) => Ok(()),
        // RFC 9449 §7.2: a bound token presented as a bearer token is refused.
        ("Bearer", Some(_)) => fail("invalid_token", "a DPoP-bound token as Bearer".into()),
        ("DPoP", Some(jkt)) => {
            let (claims, thumb) =
                match verify_proof(headers, method.as_str(), &w.mcp_url, &w.rs_jtis) {
                    Ok(ok) => ok,
                    Err(e) => return fail("invalid_dpop_proof", e),
                };
            let ath = URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()));
            if claims["ath"] != ath.as_str() {
                return fail("invalid_dpop_proof", "ath is not the token's hash".into());
            }
            if thumb != jkt {
                return fail("invalid_dpop_proof", "not the key of the token".into());
            }
            let nonce = claims["nonce"].as_str();
            match w.behavior.rs_nonce {
                RsNonce::Off => Ok(()),
                RsNonce::Fixed if nonce == Some("rs-nonce-1") => Ok(()),
                RsNonce::Fixed => Err((
                    "use_dpop_nonce".into(),
                    "a nonce is required".into(),
                    Some("rs-nonce-1".into()),
                )),
                RsNonce::NeverSatisfied => Err((
                    "use_dpop_nonce".into(),
                    "a nonce is required".into(),
                    Some(format!("rs-nonce-x{}", w.next())),
                )),
            }
        }
        _ => fail("invalid_token", format!("scheme {scheme:?}")),
    }
}

async fn world(behavior: Behavior) -> Shared {
    let (as_listener, issuer) = support::listener().await;
    let (rs_listener, rs_origin) = support::listener().await;
    let world = Arc::new(World {
        issuer,
        mcp_url: format!("{rs_origin}/mcp"),
        behavior,
        seen: Mutex::default(),
        codes: Mutex::default(),
        tokens: Mutex::default(),
        refresh: Mutex::default(),
        as_jtis: Mutex::default(),
        rs_jtis: Mutex::default(),
        counter: Mutex::default(),
    });
    let as_app = axum::Router::new()
        .route("/.well-known/oauth-authorization-server", get(as_metadata))
        .route("/authorize", get(authorize))
        .route("/token", post(token))
        .route("/register", post(register))
        .with_state(world.clone());
    let rs_app = axum::Router::new()
        .route("/.well-known/oauth-protected-resource/mcp", get(prm))
        .route("/mcp", get(mcp).post(mcp))
        .with_state(world.clone());
    tokio::spawn(async move { axum::serve(as_listener, as_app).await });
    tokio::spawn(async move { axum::serve(rs_listener, rs_app).await });
    world
}

fn client(mode: DpopMode) -> OAuthClient {
    OAuthClient::builder()
        .authorization_handler(HeadlessAuthorization::default())
        .dpop(mode)
        .build()
        .unwrap()
}

/// POSTs to `url` through `service`: the status and body, or the layer's error.
async fn send<S, B>(service: &S, url: &str) -> Result<(StatusCode, String), String>
where
    S: Service<http::Request<Full<Bytes>>, Response = http::Response<B>> + Clone,
    S::Error: std::fmt::Display,
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
    let request = http::Request::post(url)
        .body(Full::new(Bytes::from_static(b"{}")))
        .unwrap();
    let response = tokio::time::timeout(TIMEOUT, service.clone().oneshot(request))
        .await
        .expect("the request took too long")
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

fn outcomes(seen: &[RsSeen]) -> Vec<&str> {
    seen.iter().map(|r| r.outcome.as_str()).collect()
}

#[tokio::test]
async fn tokens_are_dpop_bound_and_both_nonces_are_followed() {
    let world = world(Behavior::default()).await;
    let client = client(DpopMode::default());
    let service = OAuthLayer::new(client.clone(), &world.mcp_url)
        .unwrap()
        .layer(default_http_service());
    for _ in 0..2 {
        let (status, body) = send(&service, &world.mcp_url).await.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let stored = client
        .token_store()
        .load(&world.mcp_url)
        .await
        .expect("a token is stored");
    assert_eq!(stored.token_type, TokenType::Dpop);
    let seen = world.seen.lock().unwrap();
    // The token endpoint: a proof without a nonce, refused with one, then with it.
    let token: Vec<_> = seen
        .token
        .iter()
        .map(|t| (t.grant_type.as_str(), t.outcome.as_str()))
        .collect();
    assert_eq!(
        token,
        [
            ("authorization_code", "use_dpop_nonce"),
            ("authorization_code", "ok")
        ]
    );
    assert_eq!(seen.token[1].proof.as_ref().unwrap()["nonce"], AS_NONCE);
    assert!(seen.token[0].proof.as_ref().unwrap().get("ath").is_none());
    // The MCP server: no token, then the token without its nonce, then with it; the second
    // request carries the nonce from the start.
    assert_eq!(
        outcomes(&seen.rs),
        ["", "use_dpop_nonce", "ok", "ok"],
        "{:?}",
        seen.rs
    );
    for request in &seen.rs[1..] {
        assert!(request.authorization.starts_with("DPoP at-"), "{request:?}");
    }
    // A fresh proof on every request.
    let proofs: HashSet<_> = seen.rs[1..].iter().map(|r| r.proof.clone()).collect();
    assert_eq!(proofs.len(), 3);
}

#[tokio::test]
async fn the_test_thumbprint_is_rfc_7638() {
    // The thumbprint the servers bind tokens with, checked against jsonwebtoken's.
    let jwk = json!({
        "kty": "EC",
        "crv": "P-256",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
    });
    let parsed: Jwk = serde_json::from_value(jwk.clone()).unwrap();
    assert_eq!(
        thumbprint(&jwk),
        parsed.thumbprint(ThumbprintHash::SHA256).unwrap()
    );
}

/// Sends the first request it is given twice, as a retrying proxy might, and answers the
/// second response: the server sees the same proof (the same `jti`) again.
#[derive(Clone)]
struct ReplayOnce<S> {
    inner: S,
    armed: Arc<AtomicBool>,
}

impl<S> Service<http::Request<Full<Bytes>>> for ReplayOnce<S>
where
    S: Service<http::Request<Full<Bytes>>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    S::Response: Send,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = futures_util::future::BoxFuture<'static, Result<S::Response, BoxError>>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: http::Request<Full<Bytes>>) -> Self::Future {
        let inner = self.inner.clone();
        let replay =
            request.headers().contains_key("dpop") && self.armed.swap(false, Ordering::SeqCst);
        Box::pin(async move {
            if replay {
                let mut copy = http::Request::new(request.body().clone());
                *copy.method_mut() = request.method().clone();
                *copy.uri_mut() = request.uri().clone();
                *copy.headers_mut() = request.headers().clone();
                inner.clone().oneshot(copy).await.map_err(Into::into)?;
            }
            inner.oneshot(request).await.map_err(Into::into)
        })
    }
}

#[tokio::test]
async fn a_replayed_proof_is_refused_and_the_client_recovers() {
    let world = world(Behavior {
        rs_nonce: RsNonce::Off,
        ..Behavior::default()
    })
    .await;
    let armed = Arc::new(AtomicBool::new(false));
    let service = OAuthLayer::new(client(DpopMode::default()), &world.mcp_url)
        .unwrap()
        .layer(ReplayOnce {
            inner: default_http_service(),
            armed: armed.clone(),
        });
    let (status, _) = send(&service, &world.mcp_url).await.unwrap();
    assert_eq!(status, StatusCode::OK);
    // The next request with a proof reaches the server twice.
    armed.store(true, Ordering::SeqCst);
    let (status, body) = send(&service, &world.mcp_url).await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    let seen = world.seen.lock().unwrap();
    let outcomes = outcomes(&seen.rs);
    // The copy went through, the replay was refused; the client refreshed its token and
    // sent a new proof.
    assert_eq!(
        outcomes[2..],
        ["ok", "invalid_dpop_proof", "ok"],
        "{:?}",
        seen.rs
    );
    assert_eq!(seen.rs[2].proof, seen.rs[3].proof, "the same proof twice");
    assert_ne!(seen.rs[3].proof, seen.rs[4].proof);
    let grants: Vec<_> = seen
        .token
        .iter()
        .filter(|t| t.outcome == "ok")
        .map(|t| t.grant_type.as_str())
        .collect();
    assert_eq!(grants, ["authorization_code", "refresh_token"]);
}

#[tokio::test]
async fn a_dpop_bound_token_is_refreshed_with_a_proof_of_the_same_key() {
    // Expiring within the client's margin: the second request refreshes first.
    let world = world(Behavior {
        expires_in: 2,
        ..Behavior::default()
    })
    .await;
    let service = OAuthLayer::new(client(DpopMode::default()), &world.mcp_url)
        .unwrap()
        .layer(default_http_service());
    for _ in 0..2 {
        let (status, body) = send(&service, &world.mcp_url).await.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let seen = world.seen.lock().unwrap();
    let refresh: Vec<_> = seen
        .token
        .iter()
        .filter(|t| t.grant_type == "refresh_token")
        .collect();
    assert_eq!(refresh.len(), 1, "{:?}", seen.token);
    assert_eq!(refresh[0].outcome, "ok", "the server checked the key");
    // The nonce learnt at the first token request is reused at once.
    assert_eq!(refresh[0].proof.as_ref().unwrap()["nonce"], AS_NONCE);
    assert!(seen.rs.last().unwrap().authorization.starts_with("DPoP "));
}

#[tokio::test]
async fn a_bearer_only_server_gets_bearer_tokens_and_no_proofs() {
    let world = world(Behavior {
        advertise_dpop: false,
        ..Behavior::default()
    })
    .await;
    let client = client(DpopMode::default());
    let service = OAuthLayer::new(client.clone(), &world.mcp_url)
        .unwrap()
        .layer(default_http_service());
    let (status, body) = send(&service, &world.mcp_url).await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    let stored = client.token_store().load(&world.mcp_url).await.unwrap();
    assert_eq!(stored.token_type, TokenType::Bearer);
    let seen = world.seen.lock().unwrap();
    assert_eq!(seen.token.len(), 1);
    assert!(seen.token[0].proof.is_none(), "a proof went to the AS");
    let last = seen.rs.last().unwrap();
    assert!(last.authorization.starts_with("Bearer at-"), "{last:?}");
    assert!(last.proof.is_none(), "a proof went with a bearer token");
}

#[tokio::test]
async fn a_bearer_token_despite_the_proof_is_used_or_refused_as_configured() {
    let behavior = Behavior {
        bind_tokens: false,
        ..Behavior::default()
    };
    // RFC 9449 §5: the server may ignore the proof; by default the bearer token is used.
    let world_ = world(behavior.clone()).await;
    let service = OAuthLayer::new(client(DpopMode::WhenSupported), &world_.mcp_url)
        .unwrap()
        .layer(default_http_service());
    let (status, _) = send(&service, &world_.mcp_url).await.unwrap();
    assert_eq!(status, StatusCode::OK);
    let last = world_.seen.lock().unwrap().rs.last().unwrap().clone();
    assert!(last.authorization.starts_with("Bearer "), "{last:?}");

    // Required: the downgrade is refused.
    let world_ = world(behavior).await;
    let service = OAuthLayer::new(client(DpopMode::Required), &world_.mcp_url)
        .unwrap()
        .layer(default_http_service());
    let error = send(&service, &world_.mcp_url).await.unwrap_err();
    assert!(error.contains("DPoP is required"), "{error}");
    let seen = world_.seen.lock().unwrap();
    assert!(
        seen.rs.iter().all(|r| r.authorization.is_empty()),
        "the bearer token was used: {:?}",
        seen.rs
    );
}

#[tokio::test]
async fn disabled_dpop_sends_no_proof_to_a_dpop_server() {
    let world = world(Behavior::default()).await;
    let service = OAuthLayer::new(client(DpopMode::Disabled), &world.mcp_url)
        .unwrap()
        .layer(default_http_service());
    let (status, _) = send(&service, &world.mcp_url).await.unwrap();
    assert_eq!(status, StatusCode::OK);
    let seen = world.seen.lock().unwrap();
    assert!(seen.token.iter().all(|t| t.proof.is_none()));
    assert!(seen.rs.last().unwrap().authorization.starts_with("Bearer "));
}

#[tokio::test]
async fn a_nonce_that_never_satisfies_ends_in_a_401_not_a_loop() {
    let world = world(Behavior {
        rs_nonce: RsNonce::NeverSatisfied,
        ..Behavior::default()
    })
    .await;
    let service = OAuthLayer::new(client(DpopMode::default()), &world.mcp_url)
        .unwrap()
        .layer(default_http_service());
    let (status, _) = send(&service, &world.mcp_url).await.unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let seen = world.seen.lock().unwrap();
    // No token, then the new token, then one retry with the nonce it was given: the
    // second refusal stands.
    assert_eq!(
        outcomes(&seen.rs),
        ["", "use_dpop_nonce", "use_dpop_nonce"],
        "{:?}",
        seen.rs
    );
}
