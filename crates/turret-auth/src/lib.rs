//! OAuth 2.1 resource server for Turret's MCP endpoints.
//!
//! An MCP server behind HTTP is an OAuth *resource server*: clients get an access token from
//! an authorization server and present it as `Authorization: Bearer …` on every request.
//! This crate checks those tokens and tells clients where to get them:
//!
//! - [`AuthLayer`]: a tower layer over `http::Request` (around a
//!   `StreamableHttpService` or an axum `Router`). It verifies the bearer token, checks
//!   the scopes the whole endpoint needs, answers 401/403/503 with the `WWW-Authenticate`
//!   challenges MCP clients follow, serves the [`ProtectedResourceMetadata`] at its
//!   well-known URLs, and inserts the caller's [`Identity`](turret_core::Identity) into the
//!   HTTP request's extensions.
//! - [`JwtVerifier`]: checks JWT access tokens locally against the authorization server's
//!   JWKS (signature, `iss`, `aud` per RFC 8707, `exp`/`nbf`, allowed algorithms); the JWKS
//!   is cached and refetched on an unknown `kid`, at most once per interval.
//! - [`TokenVerifier`]: the trait to implement for anything else (RFC 7662 introspection…);
//!   [`StaticTokens`] is a fixed list for development.
//! - [`client`]: the other side, for MCP clients: [`client::OAuthLayer`] gets tokens from
//!   authorization servers (discovery, PKCE, registration, refresh, step-up) and puts them
//!   on the requests of Turret's HTTP client transport.
//! - [`ToolScopesLayer`]: an MCP-level layer that makes single tools need scopes. The
//!   streamable HTTP edge carries the identity into the MCP request, where Turret's layers
//!   (rate limit, cache key, trace) and `Extension<Identity>` see it, and binds each
//!   handshake-era session to the subject that opened it.
//!
//! ```no_run
//! use tower::Layer as _;
//! use turret_auth::{AuthLayer, JwtVerifier, ProtectedResourceMetadata};
//! use turret_core::{tool_fn, Extension, Identity, Router};
//! use turret_transport::streamable_http::{serve, StreamableHttpService};
//!
//! async fn whoami(Extension(who): Extension<Identity>) -> String {
//!     who.subject().to_owned()
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let resource = "http://127.0.0.1:8080/mcp";
//! let metadata = ProtectedResourceMetadata::new(resource)
//!     .authorization_server("http://127.0.0.1:9000")
//!     .scopes_supported(["mcp"]);
//! let verifier = JwtVerifier::builder()
//!     .issuer("http://127.0.0.1:9000")
//!     .audience(resource)
//!     .jwks_url("http://127.0.0.1:9000/jwks")
//!     .build()?;
//!
//! let tools = Router::new().tool("whoami", tool_fn(whoami));
//! let app = axum::Router::new().nest_service("/mcp", StreamableHttpService::new(tools));
//! let app = AuthLayer::new(verifier, metadata).required_scopes(["mcp"]).layer(app);
//!
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! serve(listener, app, std::future::pending()).await?;
//! # Ok(())
//! # }
//! ```
//!
//! # Feature flags
//!
//! Both sides are on by default; with `default-features = false` pick one.
//!
//! | feature | what it adds |
//! |---|---|
//! | `server` | the resource server: [`AuthLayer`], [`JwtVerifier`], [`ProtectedResourceMetadata`], [`ToolScopesLayer`] |
//! | `client` | [`client`]: tokens for Turret's HTTP client (discovery, PKCE, registration, refresh, DPoP) |
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "server")]
mod bearer;
#[cfg(feature = "server")]
mod challenge;
#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "server")]
mod error;
#[cfg(any(feature = "server", feature = "client"))]
mod http_client;
#[cfg(feature = "server")]
mod jwt;
#[cfg(feature = "server")]
mod layer;
#[cfg(feature = "server")]
mod metadata;
#[cfg(feature = "server")]
mod tool_scopes;
#[cfg(feature = "server")]
mod verifier;

#[cfg(feature = "server")]
pub use error::AuthError;
#[cfg(any(feature = "server", feature = "client"))]
pub use http_client::HttpClient;
#[cfg(any(feature = "server", feature = "client"))]
pub use jsonwebtoken::Algorithm;
#[cfg(feature = "server")]
pub use jwt::{JwtConfigError, JwtVerifier, JwtVerifierBuilder};
#[cfg(feature = "server")]
pub use layer::{Auth, AuthLayer, ResponseBody, ResponseFuture};
#[cfg(feature = "server")]
pub use metadata::{MetadataService, ProtectedResourceMetadata};
#[cfg(feature = "server")]
pub use tool_scopes::{ToolScopes, ToolScopesLayer};
#[cfg(feature = "server")]
pub use verifier::{StaticTokens, TokenVerifier};
