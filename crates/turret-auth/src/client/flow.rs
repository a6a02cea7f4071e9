//! The client's side of the protocol: discovery, registration, the grants, refresh.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use bytes::Bytes;
use http::{header, HeaderValue, Method, Request, StatusCode};
use http_body_util::Full;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use super::credentials::{AssertionProvider, AssertionRequest, ClientCredentials};
use super::dpop::{self, Dpop, DpopKey, DpopMode, TokenType};
use super::handler::AuthorizationHandler;
use super::metadata::{ResourceMetadata, ServerMetadata};
use super::pkce::{random_string, Pkce};
use super::store::{StoredToken, TokenStore};
use super::urls::{self, Parsed};
use super::www_authenticate::BearerChallenge;
use super::OAuthError;
use crate::HttpClient;

/// The longest metadata or token response read.
const MAX_BODY: usize = 256 * 1024;
/// How long one request to an authorization server may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const JWT_CLIENT_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Which grant gets the tokens.
#[derive(Clone)]
pub(crate) enum Grant {
    AuthorizationCode(Arc<dyn AuthorizationHandler>),
    ClientCredentials,
    JwtBearer(Arc<dyn AssertionProvider>),
}

impl Grant {
    fn name(&self) -> &'static str {
        match self {
            Self::AuthorizationCode(_) => "authorization_code",
            Self::ClientCredentials => "client_credentials",
            Self::JwtBearer(_) => JWT_BEARER,
        }
    }
}

/// Everything configured on the client.
pub(crate) struct Config {
    pub(crate) grant: Grant,
    pub(crate) client_name: String,
    pub(crate) redirect_uri: String,
    pub(crate) client_metadata_url: Option<String>,
    pub(crate) pre_registered: Vec<ClientCredentials>,
    pub(crate) offline_access: bool,
    pub(crate) application_type: String,
}

impl Config {
    pub(crate) fn grant_name(&self) -> &'static str {
        self.grant.name()
    }
}

/// How the client authenticates at a token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AuthMethod {
    None,
    Basic,
    Post,
    PrivateKeyJwt,
}

/// A client known to one authorization server.
#[derive(Clone)]
struct Registered {
    credentials: ClientCredentials,
    method: AuthMethod,
}

/// What discovery found for one MCP server.
struct Discovered {
    /// The `resource` parameter: the protected-resource metadata's identifier as published,
    /// or the server's canonical URL when it publishes none.
    resource: String,
    prm_scopes: Option<Vec<String>>,
    server: ServerMetadata,
}

/// The shared state of a client.
pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) http: HttpClient,
    pub(crate) store: Arc<dyn TokenStore>,
    /// Dynamically registered clients, by issuer: never reused with another issuer.
    registrations: Mutex<HashMap<String, Registered>>,
    /// The authorization servers seen, by issuer: a refresh goes to the one that issued.
    servers: Mutex<HashMap<String, ServerMetadata>>,
    /// One token acquisition at a time: concurrent 401s wait for the first flow's token.
    pub(crate) flow: tokio::sync::Mutex<()>,
    /// DPoP: the key, and the nonces of authorization servers (`as:` + issuer) and MCP
    /// servers (`rs:` + URL).
    pub(crate) dpop: Dpop,
}

impl Inner {
    pub(crate) fn new(
        config: Config,
        http: HttpClient,
        store: Arc<dyn TokenStore>,
        dpop: Dpop,
    ) -> Self {
        Self {
            config,
            http,
            store,
            registrations: Mutex::new(HashMap::new()),
            servers: Mutex::new(HashMap::new()),
            flow: tokio::sync::Mutex::new(()),
            dpop,
        }
    }

    /// Runs the whole flow for the MCP server `server` after a challenge: discovery,
    /// registration, the grant; stores and returns the token. `extra_scopes` are added to
    /// the ones the challenge or the metadata name (a step-up keeps what it had).
    pub(crate) async fn obtain(
        &self,
        server: &Parsed,
        server_key: &str,
        challenge: &BearerChallenge,
        extra_scopes: &[String],
    ) -> Result<StoredToken, OAuthError> {
        let found = self.discover(server, challenge).await?;
        let meta = &found.server;
        self.servers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(meta.issuer.clone(), meta.clone());
        let mut scopes = challenge.scopes();
        if scopes.is_empty() {
            scopes = found.prm_scopes.clone().unwrap_or_default();
        }
        for s in extra_scopes {
            if !scopes.contains(s) {
                scopes.push(s.clone());
            }
        }
        let token = match &self.config.grant {
            Grant::AuthorizationCode(handler) => {
                // A refresh token needs offline_access where the server lists it (SEP-2207).
                if self.config.offline_access
                    && meta.lists_scope("offline_access")
                    && meta.supports_grant("refresh_token")
                    && !scopes.iter().any(|s| s == "offline_access")
                {
                    scopes.push("offline_access".into());
                }
                self.authorization_code(&found, handler.as_ref(), &scopes)
                    .await?
            }
            Grant::ClientCredentials => {
                let client = self.pre_registered(meta, "the client_credentials grant")?;
                let mut form = vec![("grant_type", "client_credentials".to_owned())];
                push_scope(&mut form, &scopes);
                form.push(("resource", found.resource.clone()));
                self.token_request(meta, &client, form, &scopes, false)
                    .await?
            }
            Grant::JwtBearer(provider) => {
                let client = self.pre_registered(meta, "the JWT-bearer grant")?;
                let assertion = provider
                    .assertion(AssertionRequest {
                        issuer: meta.issuer.clone(),
                        resource: found.resource.clone(),
                        scopes: scopes.clone(),
                    })
                    .await?;
                let mut form = vec![
                    ("grant_type", JWT_BEARER.to_owned()),
                    ("assertion", assertion),
                ];
                push_scope(&mut form, &scopes);
                form.push(("resource", found.resource.clone()));
                self.token_request(meta, &client, form, &scopes, false)
                    .await?
            }
        };
        self.store.save(server_key, token.clone()).await;
        Ok(token)
    }

    /// Refreshes `token` at the authorization server that issued it.
    pub(crate) async fn refresh(
        &self,
        server: &Parsed,
        server_key: &str,
        token: &StoredToken,
    ) -> Result<StoredToken, OAuthError> {
        let Some(refresh_token) = token.refresh_token.clone() else {
            return Err(OAuthError::new("the token has no refresh token"));
        };
        let known = self
            .servers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&token.issuer)
            .cloned();
        let meta = match known {
            Some(meta) => meta,
            None => {
                let issuer = urls::parse(&token.issuer, "the token's issuer")?;
                self.server_metadata(&issuer, &token.issuer, true).await?
            }
        };
        let client = self.registration_for(&meta).await?;
        let resource = self.resource_for_refresh(server).await;
        let form = vec![
            ("grant_type", "refresh_token".to_owned()),
            ("refresh_token", refresh_token.clone()),
            ("resource", resource),
        ];
        // A DPoP-bound refresh token is refreshed with a proof of the same key.
        let bound = token.token_type == TokenType::Dpop;
        let mut fresh = self
            .token_request(&meta, &client, form, &token.scopes, bound)
            .await?;
        // RFC 6749 §6: the server may keep the old refresh token valid and send no new one.
        if fresh.refresh_token.is_none() {
            fresh.refresh_token = Some(refresh_token);
        }
        self.store.save(server_key, fresh.clone()).await;
        Ok(fresh)
    }

    /// The `resource` of a refresh: as published in the server's metadata when it has any.
    async fn resource_for_refresh(&self, server: &Parsed) -> String {
        let fallback = format!("{}{}", server.origin, server.path);
        for url in urls::protected_resource_candidates(server) {
            if let Ok(Some(prm)) = self.get_json::<ResourceMetadata>(&url).await {
                if let Some(r) = prm.resource.filter(|r| urls::resource_covers(r, server)) {
                    return r;
                }
            }
        }
        fallback
    }

    async fn discover(
        &self,
        server: &Parsed,
        challenge: &BearerChallenge,
    ) -> Result<Discovered, OAuthError> {
        // RFC 9728 §5.1: the challenge's URL first, then the well-known locations.
        let mut candidates = Vec::new();
        if let Some(url) = challenge.resource_metadata() {
            candidates.push(url.to_owned());
        }
        candidates.extend(urls::protected_resource_candidates(server));
        let mut prm = None;
        for url in &candidates {
            match self.get_json::<ResourceMetadata>(url).await {
                Ok(Some(doc)) => {
                    prm = Some(doc);
                    break;
                }
                Ok(None) => continue,
                Err(e) => tracing::debug!("protected-resource metadata at {url}: {e}"),
            }
        }
        let server_url = format!("{}{}", server.origin, server.path);
        let Some(prm) = prm else {
            // A 2025-03-26 server: the authorization server is at the MCP server's origin,
            // with its metadata or with the default endpoints.
            tracing::debug!("no protected-resource metadata for {server_url}; trying the server's origin as its authorization server");
            // 2025-03-26: the authorization base URL is the server URL without its path.
            let base = Parsed {
                origin: server.origin.clone(),
                path: String::new(),
            };
            let meta = match self.server_metadata(&base, &server.origin, false).await {
                Ok(meta) => meta,
                Err(e) => {
                    tracing::debug!("{e}; using the default endpoints");
                    ServerMetadata::defaults_at(&server.origin)
                }
            };
            return Ok(Discovered {
                resource: server_url,
                prm_scopes: None,
                server: self.check_pkce(meta)?,
            });
        };
        let resource = match prm.resource {
            Some(resource) if urls::resource_covers(&resource, server) => resource,
            Some(resource) => {
                return Err(OAuthError::new(format!(
                    "the protected-resource metadata names the resource {resource:?}, which is not {server_url} (RFC 9728 §3.3); refusing to get a token for it"
                )))
            }
            None => {
                return Err(OAuthError::new(format!(
                    "the protected-resource metadata of {server_url} has no resource"
                )))
            }
        };
        let issuer = prm.authorization_servers.first().ok_or_else(|| {
            OAuthError::new(format!(
                "the protected-resource metadata of {server_url} names no authorization server"
            ))
        })?;
        let parsed = urls::parse(issuer, "the authorization server")?;
        let meta = self.server_metadata(&parsed, issuer, true).await?;
        Ok(Discovered {
            resource,
            prm_scopes: prm.scopes_supported,
            server: self.check_pkce(meta)?,
        })
    }

    /// MCP requires PKCE S256; a server whose metadata does not list it is refused.
    fn check_pkce(&self, meta: ServerMetadata) -> Result<ServerMetadata, OAuthError> {
        let needs_pkce = matches!(self.config.grant, Grant::AuthorizationCode(_));
        let s256 = meta
            .code_challenge_methods_supported
            .as_ref()
            .is_some_and(|m| m.iter().any(|x| x == "S256"));
        if needs_pkce && meta.published && !s256 {
            return Err(OAuthError::new(format!(
                "the authorization server {} does not support PKCE S256 (its metadata's code_challenge_methods_supported lacks S256); refusing to authorize",
                meta.issuer
            )));
        }
        Ok(meta)
    }

    /// The metadata of the authorization server `issuer`, from the first well-known URL that
    /// has it. With `strict`, its `issuer` must be `issuer` exactly (RFC 8414 §3.3).
    async fn server_metadata(
        &self,
        parsed: &Parsed,
        issuer: &str,
        strict: bool,
    ) -> Result<ServerMetadata, OAuthError> {
        let candidates = urls::authorization_server_candidates(parsed);
        for url in &candidates {
            let mut meta = match self.get_json::<ServerMetadata>(url).await {
                Ok(Some(meta)) => meta,
                Ok(None) => continue,
                Err(e) => {
                    tracing::debug!("authorization-server metadata at {url}: {e}");
                    continue;
                }
            };
            if strict && meta.issuer != issuer {
                return Err(OAuthError::new(format!(
                    "the authorization-server metadata at {url} names the issuer {:?}, not {issuer:?} (RFC 8414 §3.3); refusing to use it",
                    meta.issuer
                )));
            }
            meta.published = true;
            return Ok(meta);
        }
        Err(OAuthError::new(format!(
            "no authorization-server metadata for {issuer} (tried {})",
            candidates.join(", ")
        )))
    }

    /// Pre-registered credentials for this server: the grants without a user need them.
    fn pre_registered(&self, meta: &ServerMetadata, what: &str) -> Result<Registered, OAuthError> {
        let credentials = self
            .config
            .pre_registered
            .iter()
            .find(|c| c.applies_to(&meta.issuer))
            .ok_or_else(|| {
                OAuthError::new(format!(
                    "{what} needs pre-registered client credentials for {}",
                    meta.issuer
                ))
            })?;
        Ok(Registered {
            method: method_for(credentials, meta),
            credentials: credentials.clone(),
        })
    }

    /// The client to use with this authorization server, in the MCP order: pre-registered,
    /// a client ID metadata document, dynamic registration (RFC 7591).
    async fn registration_for(&self, meta: &ServerMetadata) -> Result<Registered, OAuthError> {
        if let Ok(registered) = self.pre_registered(meta, "") {
            return Ok(registered);
        }
        let known = self
            .registrations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&meta.issuer)
            .cloned();
        if let Some(registered) = known {
            return Ok(registered);
        }
        if let Some(url) = &self.config.client_metadata_url {
            if meta.client_id_metadata_document_supported {
                return Ok(Registered {
                    credentials: ClientCredentials::new(url.clone()),
                    method: AuthMethod::None,
                });
            }
        }
        let Some(endpoint) = &meta.registration_endpoint else {
            return Err(OAuthError::new(format!(
                "no client for the authorization server {}: no pre-registered credentials for it, it supports no client ID metadata documents{}, and it has no registration endpoint",
                meta.issuer,
                if self.config.client_metadata_url.is_some() { "" } else { " (or none is configured)" }
            )));
        };
        let registered = self.register(meta, endpoint).await?;
        self.registrations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(meta.issuer.clone(), registered.clone());
        Ok(registered)
    }

    async fn register(
        &self,
        meta: &ServerMetadata,
        endpoint: &str,
    ) -> Result<Registered, OAuthError> {
        // A public client where the server allows it (native apps cannot keep secrets).
        let requested = if meta.supports_auth_method("none").unwrap_or(true) {
            "none"
        } else if meta.supports_auth_method("client_secret_basic") == Some(true) {
            "client_secret_basic"
        } else if meta.supports_auth_method("client_secret_post") == Some(true) {
            "client_secret_post"
        } else {
            "none"
        };
        let mut grant_types = vec![self.config.grant.name()];
        if matches!(self.config.grant, Grant::AuthorizationCode(_)) {
            grant_types.push("refresh_token");
        }
        let body = json!({
            "client_name": self.config.client_name,
            "redirect_uris": [self.config.redirect_uri],
            "grant_types": grant_types,
            "response_types": ["code"],
            "token_endpoint_auth_method": requested,
            "application_type": self.config.application_type,
        });
        let request = json_post(endpoint, &body)?;
        let response = self.send(request).await?;
        let status = response.status();
        if !status.is_success() {
            return Err(oauth_error_from(
                &format!("dynamic client registration at {endpoint}"),
                status,
                response.body(),
            ));
        }
        #[derive(Deserialize)]
        struct Answer {
            client_id: String,
            client_secret: Option<String>,
            token_endpoint_auth_method: Option<String>,
        }
        let answer: Answer = serde_json::from_slice(response.body()).map_err(|e| {
            OAuthError::new(format!(
                "dynamic client registration at {endpoint} answered an unreadable client: {e}"
            ))
        })?;
        let mut credentials = ClientCredentials::new(answer.client_id);
        credentials.client_secret = answer.client_secret;
        credentials.issuer = Some(meta.issuer.clone());
        let method = match answer.token_endpoint_auth_method.as_deref() {
            Some("client_secret_basic") => AuthMethod::Basic,
            Some("client_secret_post") => AuthMethod::Post,
            Some("none") => AuthMethod::None,
            _ => method_for(&credentials, meta),
        };
        Ok(Registered {
            credentials,
            method,
        })
    }

    async fn authorization_code(
        &self,
        found: &Discovered,
        handler: &dyn AuthorizationHandler,
        scopes: &[String],
    ) -> Result<StoredToken, OAuthError> {
        let meta = &found.server;
        let endpoint = meta.authorization_endpoint.as_deref().ok_or_else(|| {
            OAuthError::new(format!(
                "the authorization server {} has no authorization endpoint",
                meta.issuer
            ))
        })?;
        let client = self.registration_for(meta).await?;
        let pkce = Pkce::new()?;
        let state = random_string(24)?;
        let mut form = vec![
            ("response_type", "code".to_owned()),
            ("client_id", client.credentials.client_id.clone()),
            ("redirect_uri", self.config.redirect_uri.clone()),
            ("code_challenge", pkce.challenge.clone()),
            ("code_challenge_method", "S256".to_owned()),
            ("state", state.clone()),
        ];
        if !scopes.is_empty() {
            form.push(("scope", scopes.join(" ")));
        }
        form.push(("resource", found.resource.clone()));
        let separator = if endpoint.contains('?') { '&' } else { '?' };
        let url = format!("{endpoint}{separator}{}", form_body(&form));

        let redirect = handler.authorize(url).await?;
        let params = redirect_params(&redirect)?;
        if let Some(error) = params.get("error") {
            let description = params
                .get("error_description")
                .map(|d| format!(": {d}"))
                .unwrap_or_default();
            return Err(OAuthError::with_code(
                format!("the authorization server refused: {error}{description}"),
                error.clone(),
            ));
        }
        if params.get("state") != Some(&state) {
            return Err(OAuthError::new(
                "the authorization response's state is not the request's; refusing it (a forged or replayed response)",
            ));
        }
        // RFC 9207 §2.4: a present iss must be the issuer, compared as a string; an absent
        // one is refused when the server said it sends it.
        match params.get("iss") {
            Some(iss) if meta.published && iss != &meta.issuer => {
                return Err(OAuthError::new(format!(
                    "the authorization response's iss {iss:?} is not the authorization server's issuer {:?} (RFC 9207); refusing it",
                    meta.issuer
                )))
            }
            None if meta.authorization_response_iss_parameter_supported => {
                return Err(OAuthError::new(format!(
                    "the authorization server {} advertises authorization_response_iss_parameter_supported but its response has no iss (RFC 9207); refusing it",
                    meta.issuer
                )))
            }
            _ => {}
        }
        let code = params
            .get("code")
            .ok_or_else(|| OAuthError::new("the authorization response has no code"))?;
        let form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.clone()),
            ("redirect_uri", self.config.redirect_uri.clone()),
            ("code_verifier", pkce.verifier),
            ("resource", found.resource.clone()),
        ];
        self.token_request(meta, &client, form, scopes, false).await
    }

    /// The key to prove possession with at this authorization server, if the client uses
    /// DPoP there; `bound` when refreshing a DPoP-bound token.
    fn dpop_key(&self, meta: &ServerMetadata, bound: bool) -> Result<Option<&DpopKey>, OAuthError> {
        let Some(key) = &self.dpop.key else {
            return if bound {
                Err(OAuthError::new(
                    "the token is DPoP-bound but DPoP is disabled on this client",
                ))
            } else {
                Ok(None)
            };
        };
        let advertised = meta.dpop_signing_alg_values_supported.as_deref();
        match self.dpop.mode {
            DpopMode::Disabled => Ok(None),
            DpopMode::Required if advertised.is_some_and(|a| !dpop::supports_es256(Some(a))) => {
                Err(OAuthError::new(format!(
                    "DPoP is required but the authorization server {} accepts no {} proofs (its dpop_signing_alg_values_supported)",
                    meta.issuer,
                    dpop::ALG
                )))
            }
            DpopMode::Required => Ok(Some(key)),
            _ => Ok((bound || dpop::supports_es256(advertised)).then_some(key)),
        }
    }

    /// POSTs a token request with the client's authentication (and a DPoP proof where the
    /// client uses DPoP); the token it answers. `bound`: the grant is the refresh of a
    /// DPoP-bound token.
    async fn token_request(
        &self,
        meta: &ServerMetadata,
        client: &Registered,
        form: Vec<(&'static str, String)>,
        asked: &[String],
        bound: bool,
    ) -> Result<StoredToken, OAuthError> {
        let endpoint = meta.token_endpoint.as_deref().ok_or_else(|| {
            OAuthError::new(format!(
                "the authorization server {} has no token endpoint",
                meta.issuer
            ))
        })?;
        let uri: http::Uri = endpoint.parse().map_err(|e| {
            OAuthError::new(format!("the token endpoint {endpoint:?} is not a URL: {e}"))
        })?;
        let dpop_key = self.dpop_key(meta, bound)?;
        let nonce_key = format!("as:{}", meta.issuer);
        let mut nonce_retried = false;
        let response = loop {
            // Built again for a retry: a client assertion's jti must not be replayed either.
            let mut request = self.token_http_request(client, form.clone(), &meta.issuer, &uri)?;
            if let Some(key) = dpop_key {
                let nonce = self.dpop.nonces.get(&nonce_key);
                let proof = key.proof(&Method::POST, &uri, nonce.as_deref(), None)?;
                let value = HeaderValue::from_str(&proof)
                    .map_err(|_| OAuthError::new("the DPoP proof is not a valid header value"))?;
                request.headers_mut().insert("dpop", value);
            }
            let response = self.send(request).await?;
            let new_nonce =
                dpop_key.is_some() && self.dpop.nonces.update(&nonce_key, response.headers());
            // RFC 9449 §8: the server wants a nonce; the proof is signed again with it, once.
            if response.status() == StatusCode::BAD_REQUEST && new_nonce && !nonce_retried {
                let error = oauth_error_from("", response.status(), response.body());
                if error.code() == Some("use_dpop_nonce") {
                    nonce_retried = true;
                    continue;
                }
            }
            break response;
        };
        let status = response.status();
        if !status.is_success() {
            return Err(oauth_error_from(
                &format!("the token request to {endpoint}"),
                status,
                response.body(),
            ));
        }
        #[derive(Deserialize)]
        struct Answer {
            access_token: String,
            token_type: String,
            expires_in: Option<Value>,
            refresh_token: Option<String>,
            scope: Option<String>,
        }
        let answer: Answer = serde_json::from_slice(response.body()).map_err(|e| {
            OAuthError::new(format!(
                "the token endpoint {endpoint} answered an unreadable token: {e}"
            ))
        })?;
        let token_type = if answer.token_type.eq_ignore_ascii_case("bearer") {
            // RFC 9449 §5: a server may ignore the proof and issue a bearer token.
            if dpop_key.is_some() && self.dpop.mode == DpopMode::Required {
                return Err(OAuthError::new(format!(
                    "the token endpoint {endpoint} issued a Bearer token, but DPoP is required; refusing it"
                )));
            }
            TokenType::Bearer
        } else if answer.token_type.eq_ignore_ascii_case("dpop") && dpop_key.is_some() {
            TokenType::Dpop
        } else {
            return Err(OAuthError::new(format!(
                "the token endpoint {endpoint} issued a {:?} token{}",
                answer.token_type,
                if dpop_key.is_some() {
                    "; only Bearer and DPoP tokens are supported"
                } else {
                    " to a request without a DPoP proof; only Bearer tokens can be used"
                }
            )));
        };
        let expires_at = answer
            .expires_in
            .as_ref()
            .and_then(|v| {
                v.as_u64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            })
            .map(|secs| SystemTime::now() + Duration::from_secs(secs));
        let scopes = match answer.scope {
            Some(scope) => scope.split_whitespace().map(str::to_owned).collect(),
            None => asked.to_vec(),
        };
        Ok(StoredToken {
            access_token: answer.access_token,
            token_type,
            refresh_token: answer.refresh_token,
            expires_at,
            scopes,
            issuer: meta.issuer.clone(),
        })
    }

    /// The HTTP request of a token request: the form with the client's authentication.
    fn token_http_request(
        &self,
        client: &Registered,
        mut form: Vec<(&'static str, String)>,
        issuer: &str,
        uri: &http::Uri,
    ) -> Result<Request<Full<Bytes>>, OAuthError> {
        let credentials = &client.credentials;
        let mut basic = None;
        match client.method {
            AuthMethod::None => form.push(("client_id", credentials.client_id.clone())),
            AuthMethod::Post => {
                form.push(("client_id", credentials.client_id.clone()));
                form.push((
                    "client_secret",
                    credentials.client_secret.clone().unwrap_or_default(),
                ));
            }
            AuthMethod::Basic => {
                // RFC 6749 §2.3.1: both parts form-encoded before base64.
                let encode =
                    |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
                let pair = format!(
                    "{}:{}",
                    encode(&credentials.client_id),
                    encode(credentials.client_secret.as_deref().unwrap_or_default())
                );
                basic = Some(format!("Basic {}", STANDARD.encode(pair)));
            }
            AuthMethod::PrivateKeyJwt => {
                form.push(("client_id", credentials.client_id.clone()));
                form.push(("client_assertion_type", JWT_CLIENT_ASSERTION.to_owned()));
                form.push(("client_assertion", client_assertion(credentials, issuer)?));
            }
        }
        let body = form_body(&form);
        let mut request = Request::new(Full::new(Bytes::from(body)));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = uri.clone();
        let headers = request.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        if let Some(basic) = basic {
            let value = HeaderValue::from_str(&basic)
                .map_err(|_| OAuthError::new("the client credentials do not fit in a header"))?;
            headers.insert(header::AUTHORIZATION, value);
        }
        Ok(request)
    }

    /// GETs a JSON document: `None` when the server answers anything but 2xx.
    async fn get_json<T: DeserializeOwned>(&self, url: &str) -> Result<Option<T>, OAuthError> {
        let mut request = Request::new(Full::<Bytes>::default());
        *request.uri_mut() = url
            .parse()
            .map_err(|e| OAuthError::new(format!("{url:?} is not a URL: {e}")))?;
        request
            .headers_mut()
            .insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        let response = self.send(request).await?;
        if !response.status().is_success() {
            return Ok(None);
        }
        serde_json::from_slice(response.body())
            .map(Some)
            .map_err(|e| {
                OAuthError::new(format!("the document at {url} is not valid metadata: {e}"))
            })
    }

    pub(crate) async fn send(
        &self,
        request: Request<Full<Bytes>>,
    ) -> Result<http::Response<Bytes>, OAuthError> {
        let what = format!("{} {}", request.method(), request.uri());
        match tokio::time::timeout(REQUEST_TIMEOUT, self.http.send(request, MAX_BODY)).await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(e)) => Err(OAuthError::new(e.to_string())),
            Err(_) => Err(OAuthError::new(format!(
                "{what} took longer than {REQUEST_TIMEOUT:?}"
            ))),
        }
    }
}

/// The method for pre-registered (or unannounced) credentials: a private key signs, a
/// secret goes the way the server supports (`client_secret_basic` is RFC 8414's default),
/// no secret means a public client.
fn method_for(credentials: &ClientCredentials, meta: &ServerMetadata) -> AuthMethod {
    if credentials.private_key.is_some() {
        AuthMethod::PrivateKeyJwt
    } else if credentials.client_secret.is_none() {
        AuthMethod::None
    } else if meta.supports_auth_method("client_secret_basic") != Some(false) {
        AuthMethod::Basic
    } else if meta.supports_auth_method("client_secret_post") == Some(true) {
        AuthMethod::Post
    } else {
        AuthMethod::Basic
    }
}

/// The `private_key_jwt` assertion (RFC 7523 §3): issued by and about the client, for the
/// authorization server, short-lived and unique.
fn client_assertion(credentials: &ClientCredentials, issuer: &str) -> Result<String, OAuthError> {
    let Some(key) = &credentials.private_key else {
        return Err(OAuthError::new("private_key_jwt without a private key"));
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let claims = json!({
        "iss": credentials.client_id,
        "sub": credentials.client_id,
        "aud": issuer,
        "iat": now,
        "exp": now + 300,
        "jti": random_string(16)?,
    });
    let header = jsonwebtoken::Header::new(key.0);
    jsonwebtoken::encode(&header, &claims, &key.1)
        .map_err(|e| OAuthError::new(format!("signing the client assertion failed: {e}")))
}

fn push_scope(form: &mut Vec<(&'static str, String)>, scopes: &[String]) {
    if !scopes.is_empty() {
        form.push(("scope", scopes.join(" ")));
    }
}

pub(crate) fn form_body(form: &[(&str, String)]) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form {
        serializer.append_pair(k, v);
    }
    serializer.finish()
}

fn json_post(url: &str, body: &Value) -> Result<Request<Full<Bytes>>, OAuthError> {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut request = Request::new(Full::new(Bytes::from(bytes)));
    *request.method_mut() = Method::POST;
    *request.uri_mut() = url
        .parse()
        .map_err(|e| OAuthError::new(format!("{url:?} is not a URL: {e}")))?;
    request.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    request
        .headers_mut()
        .insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    Ok(request)
}

/// An error naming `what` and the OAuth error the server gave (RFC 6749 §5.2), if any.
pub(crate) fn oauth_error_from(what: &str, status: StatusCode, body: &[u8]) -> OAuthError {
    #[derive(Deserialize)]
    struct ErrorBody {
        error: String,
        error_description: Option<String>,
    }
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(e) => {
            let description = e
                .error_description
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            OAuthError::with_code(
                format!("{what} failed with {status}: {}{description}", e.error),
                e.error,
            )
        }
        Err(_) => OAuthError::new(format!("{what} failed with {status}")),
    }
}

/// The query parameters of the redirect URL.
fn redirect_params(redirect: &str) -> Result<HashMap<String, String>, OAuthError> {
    let uri: http::Uri = redirect
        .parse()
        .map_err(|e| OAuthError::new(format!("the redirect URL {redirect:?} is not a URL: {e}")))?;
    let query = uri.query().unwrap_or_default();
    let mut params = HashMap::new();
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        // A repeated parameter is ambiguous; RFC 6749 §3.1 forbids it.
        if params.insert(k.to_string(), v.to_string()).is_some() {
            return Err(OAuthError::new(format!(
                "the authorization response repeats the parameter {k:?}"
            )));
        }
    }
    Ok(params)
}
