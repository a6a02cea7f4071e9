//! Enterprise-managed authorization (SEP-990): an identity assertion authorization grant
//! (ID-JAG) from the enterprise identity provider, by token exchange (RFC 8693), used as the
//! assertion of the JWT-bearer grant at the MCP server's authorization server.

use std::fmt;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::{header, HeaderValue, Method, Request};
use http_body_util::Full;
use serde::Deserialize;

use super::credentials::{AssertionProvider, AssertionRequest};
use super::flow::{form_body, oauth_error_from};
use super::OAuthError;
use crate::HttpClient;

const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ID_TOKEN: &str = "urn:ietf:params:oauth:token-type:id_token";
const ID_JAG: &str = "urn:ietf:params:oauth:token-type:id-jag";

/// Gets an ID-JAG for each authorization request by exchanging the user's ID token at the
/// identity provider's token endpoint; give it to
/// [`OAuthClientBuilder::jwt_bearer_grant`](super::OAuthClientBuilder::jwt_bearer_grant).
#[derive(Clone)]
pub struct IdJagExchange {
    token_endpoint: String,
    id_token: String,
    client_id: String,
    client_secret: Option<String>,
    http: HttpClient,
}

impl fmt::Debug for IdJagExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdJagExchange")
            .field("token_endpoint", &self.token_endpoint)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl IdJagExchange {
    /// Exchanges `id_token` at the identity provider's `token_endpoint` as the IdP client
    /// `client_id`.
    pub fn new(
        token_endpoint: impl Into<String>,
        id_token: impl Into<String>,
        client_id: impl Into<String>,
    ) -> Self {
        Self {
            token_endpoint: token_endpoint.into(),
            id_token: id_token.into(),
            client_id: client_id.into(),
            client_secret: None,
            http: HttpClient::default(),
        }
    }

    /// The IdP client's secret, sent in the exchange's body.
    pub fn client_secret(mut self, secret: impl Into<String>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// Talks to the identity provider with `http`.
    pub fn http_client(mut self, http: HttpClient) -> Self {
        self.http = http;
        self
    }
}

impl AssertionProvider for IdJagExchange {
    fn assertion(
        &self,
        request: AssertionRequest,
    ) -> BoxFuture<'static, Result<String, OAuthError>> {
        let this = self.clone();
        Box::pin(async move {
            let mut form = vec![
                ("grant_type", TOKEN_EXCHANGE.to_owned()),
                ("requested_token_type", ID_JAG.to_owned()),
                ("subject_token", this.id_token.clone()),
                ("subject_token_type", ID_TOKEN.to_owned()),
                // The ID-JAG is for the MCP server's authorization server, for this resource.
                ("audience", request.issuer.clone()),
                ("resource", request.resource.clone()),
                ("client_id", this.client_id.clone()),
            ];
            if let Some(secret) = &this.client_secret {
                form.push(("client_secret", secret.clone()));
            }
            if !request.scopes.is_empty() {
                form.push(("scope", request.scopes.join(" ")));
            }
            let endpoint = &this.token_endpoint;
            let mut http_request = Request::new(Full::new(Bytes::from(form_body(&form))));
            *http_request.method_mut() = Method::POST;
            *http_request.uri_mut() = endpoint.parse().map_err(|e| {
                OAuthError::new(format!(
                    "the IdP token endpoint {endpoint:?} is not a URL: {e}"
                ))
            })?;
            http_request.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            );
            let response = this
                .http
                .send(http_request, 256 * 1024)
                .await
                .map_err(|e| OAuthError::new(format!("the token exchange failed: {e}")))?;
            if !response.status().is_success() {
                return Err(oauth_error_from(
                    &format!("the token exchange at {endpoint}"),
                    response.status(),
                    response.body(),
                ));
            }
            #[derive(Deserialize)]
            struct Answer {
                access_token: String,
                issued_token_type: Option<String>,
            }
            let answer: Answer = serde_json::from_slice(response.body()).map_err(|e| {
                OAuthError::new(format!(
                    "the token exchange at {endpoint} answered no token: {e}"
                ))
            })?;
            if answer
                .issued_token_type
                .as_deref()
                .is_some_and(|t| t != ID_JAG)
            {
                return Err(OAuthError::new(format!(
                    "the token exchange at {endpoint} issued a {:?}, not an ID-JAG",
                    answer.issued_token_type.unwrap_or_default()
                )));
            }
            Ok(answer.access_token)
        })
    }
}
