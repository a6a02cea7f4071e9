//! The client side: getting access tokens for protected MCP servers.
//!
//! [`OAuthLayer`] wraps the HTTP service of Turret's MCP client transport. It sends the
//! token it holds for the server as `Authorization: Bearer …` (or `DPoP …`, below); on a
//! 401 it runs the MCP authorization flow and retries the request once:
//!
//! 1. protected-resource metadata (RFC 9728): the `resource_metadata` of the
//!    `WWW-Authenticate` challenge, else `/.well-known/oauth-protected-resource` with the
//!    server's path inserted, then at the root. Its `resource` must be the server or a parent
//!    of it; that identifier, as published, is the `resource` parameter (RFC 8707).
//! 2. authorization-server metadata: RFC 8414 and OpenID Connect well-known URLs with path
//!    insertion, in the specification's order; the metadata's `issuer` must be the one asked
//!    for. A server whose metadata lacks PKCE `S256` is refused. A 2025-03-26 server without
//!    protected-resource metadata is its own authorization server (its metadata, or the
//!    default `/authorize`, `/token`, `/register`).
//! 3. the client: pre-registered [`ClientCredentials`], else a client ID metadata document
//!    URL when the server supports them, else dynamic registration (RFC 7591), kept per
//!    issuer and never shown to another authorization server.
//! 4. the grant: authorization code with PKCE S256, `state` and RFC 9207 `iss` checks
//!    through an [`AuthorizationHandler`]; or `client_credentials`; or JWT-bearer with an
//!    [`AssertionProvider`] (workload identity, [`IdJagExchange`]).
//!
//! DPoP (RFC 9449): when the authorization server lists `ES256` in
//! `dpop_signing_alg_values_supported` (see [`DpopMode`]), token requests carry a proof
//! signed with an ES256 key the client generates for itself, and a token issued as `DPoP`
//! is sent as `Authorization: DPoP …` with a fresh proof (`ath`, the server's nonce) on
//! every request. A `use_dpop_nonce` answer, from the token endpoint or the MCP server, is
//! retried once with the nonce it gave; nonces are kept per server.
//!
//! Scopes come from the challenge, else the metadata's `scopes_supported`, else none. A 403
//! with `insufficient_scope` asks once for the union of the held and the required scopes.
//! An expired token is refreshed first; a refused one is refreshed before a new flow.
//! Tokens live in a [`TokenStore`] ([`MemoryTokenStore`] by default) and go only to the
//! MCP server's origin: never to an authorization server, never elsewhere. The layer owns
//! the `Authorization` header of those requests: whatever a caller put there is replaced
//! or removed, so a token a proxy received is never passed on to its backend.
//!
//! ```no_run
//! use turret_auth::client::{HeadlessAuthorization, OAuthClient, OAuthLayer};
//! use turret_core::Client;
//! use turret_transport::http_client::StreamableHttpClient;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let url = "http://127.0.0.1:8080/mcp";
//! let oauth = OAuthClient::builder()
//!     .client_name("my agent")
//!     .authorization_handler(HeadlessAuthorization::default())
//!     .build()?;
//! let http = tower::ServiceBuilder::new()
//!     .layer(OAuthLayer::new(oauth, url)?)
//!     .service(turret_auth::client::default_http_service());
//! let transport = StreamableHttpClient::new(url).http_service(http).connect()?;
//! let client = Client::builder().connect(transport).await?;
//! println!("{} tools", client.list_tools().await?.len());
//! # Ok(())
//! # }
//! ```

mod credentials;
mod dpop;
mod error;
mod exchange;
mod flow;
mod handler;
mod layer;
mod metadata;
mod pkce;
mod store;
mod urls;
mod www_authenticate;

use std::fmt;
use std::sync::Arc;

pub use credentials::{AssertionProvider, AssertionRequest, ClientCredentials};
pub use dpop::{DpopMode, TokenType};
pub use error::OAuthError;
pub use exchange::IdJagExchange;
pub use handler::{AuthorizationHandler, HeadlessAuthorization};
pub use layer::{default_http_service, OAuth, OAuthLayer};
pub use store::{MemoryTokenStore, StoredToken, TokenStore};

use dpop::Dpop;
use flow::{Config, Grant, Inner};

use crate::HttpClient;

/// An OAuth 2.1 client for MCP servers: its configuration, registrations and tokens.
/// Cheap to clone; clones share everything. Build one with [`OAuthClient::builder`] and put
/// it in front of the HTTP service with [`OAuthLayer`].
#[derive(Clone)]
pub struct OAuthClient {
    inner: Arc<Inner>,
}

impl fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthClient")
            .field("grant", &self.inner.config.grant_name())
            .field("client_name", &self.inner.config.client_name)
            .finish_non_exhaustive()
    }
}

impl OAuthClient {
    /// A builder with the defaults: client name "Turret MCP client", redirect URI
    /// `http://127.0.0.1/callback`, native application, in-memory tokens, plain HTTP.
    pub fn builder() -> OAuthClientBuilder {
        OAuthClientBuilder::default()
    }

    /// The token store.
    pub fn token_store(&self) -> &Arc<dyn TokenStore> {
        &self.inner.store
    }
}

/// Configures an [`OAuthClient`]; one grant must be chosen.
#[must_use = "a builder does nothing until `build` is called"]
pub struct OAuthClientBuilder {
    grant: Option<Grant>,
    client_name: String,
    redirect_uri: String,
    client_metadata_url: Option<String>,
    pre_registered: Vec<ClientCredentials>,
    offline_access: bool,
    application_type: String,
    dpop: DpopMode,
    store: Arc<dyn TokenStore>,
    http: HttpClient,
}

impl Default for OAuthClientBuilder {
    fn default() -> Self {
        Self {
            grant: None,
            client_name: "Turret MCP client".into(),
            redirect_uri: "http://127.0.0.1/callback".into(),
            client_metadata_url: None,
            pre_registered: Vec::new(),
            offline_access: true,
            application_type: "native".into(),
            dpop: DpopMode::default(),
            store: Arc::new(MemoryTokenStore::new()),
            http: HttpClient::default(),
        }
    }
}

impl fmt::Debug for OAuthClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthClientBuilder")
            .field("client_name", &self.client_name)
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

impl OAuthClientBuilder {
    /// The authorization code grant (with PKCE), the user authorizing through `handler`.
    pub fn authorization_handler(mut self, handler: impl AuthorizationHandler) -> Self {
        self.grant = Some(Grant::AuthorizationCode(Arc::new(handler)));
        self
    }

    /// The `client_credentials` grant: a machine client with
    /// [pre-registered](Self::pre_registered) credentials and no user.
    pub fn client_credentials_grant(mut self) -> Self {
        self.grant = Some(Grant::ClientCredentials);
        self
    }

    /// The JWT-bearer grant (RFC 7523 §2.1), the assertion from `provider`.
    pub fn jwt_bearer_grant(mut self, provider: impl AssertionProvider) -> Self {
        self.grant = Some(Grant::JwtBearer(Arc::new(provider)));
        self
    }

    /// Credentials registered beforehand; they come first in the registration order.
    /// Several may be given, each tied to its [`issuer`](ClientCredentials::issuer).
    pub fn pre_registered(mut self, credentials: ClientCredentials) -> Self {
        self.pre_registered.push(credentials);
        self
    }

    /// The HTTPS URL of the client's metadata document: its client ID with authorization
    /// servers that support client ID metadata documents.
    pub fn client_metadata_url(mut self, url: impl Into<String>) -> Self {
        self.client_metadata_url = Some(url.into());
        self
    }

    /// The name registered dynamically.
    pub fn client_name(mut self, name: impl Into<String>) -> Self {
        self.client_name = name.into();
        self
    }

    /// Where the authorization server sends the user back.
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uri = uri.into();
        self
    }

    /// The `application_type` registered dynamically: `native` (the default) or `web`.
    pub fn application_type(mut self, kind: impl Into<String>) -> Self {
        self.application_type = kind.into();
        self
    }

    /// Whether to ask for `offline_access` (for a refresh token) when the authorization
    /// server lists it (default `true`).
    pub fn offline_access(mut self, enabled: bool) -> Self {
        self.offline_access = enabled;
        self
    }

    /// When to ask for DPoP-bound tokens (default [`DpopMode::WhenSupported`]).
    pub fn dpop(mut self, mode: DpopMode) -> Self {
        self.dpop = mode;
        self
    }

    /// Keeps the tokens in `store`.
    pub fn token_store(mut self, store: impl TokenStore) -> Self {
        self.store = Arc::new(store);
        self
    }

    /// Talks to authorization servers with `http` (TLS, proxies, your own layers).
    pub fn http_client(mut self, http: HttpClient) -> Self {
        self.http = http;
        self
    }

    /// The client; fails when no grant is chosen, the grant lacks what it needs, or no DPoP
    /// key could be generated.
    pub fn build(self) -> Result<OAuthClient, OAuthError> {
        let grant = self.grant.ok_or_else(|| {
            OAuthError::new(
                "no grant chosen: give an authorization handler, or choose client_credentials or JWT-bearer",
            )
        })?;
        if !matches!(grant, Grant::AuthorizationCode(_)) && self.pre_registered.is_empty() {
            return Err(OAuthError::new(
                "the client_credentials and JWT-bearer grants need pre-registered client credentials",
            ));
        }
        let config = Config {
            grant,
            client_name: self.client_name,
            redirect_uri: self.redirect_uri,
            client_metadata_url: self.client_metadata_url,
            pre_registered: self.pre_registered,
            offline_access: self.offline_access,
            application_type: self.application_type,
        };
        Ok(OAuthClient {
            inner: Arc::new(Inner::new(
                config,
                self.http,
                self.store,
                Dpop::new(self.dpop)?,
            )),
        })
    }
}
