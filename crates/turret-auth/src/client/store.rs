//! Where tokens live between requests: the [`TokenStore`] trait and its in-memory default.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use futures_util::future::BoxFuture;

use super::TokenType;

/// An access token the client holds for one MCP server, with what is needed to refresh it.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredToken {
    /// The access token, sent as `Authorization: Bearer …`, or `DPoP …` with a proof.
    pub access_token: String,
    /// How the token is presented: a DPoP-bound token only works with this client's key.
    pub token_type: TokenType,
    /// The refresh token, if the authorization server issued one.
    pub refresh_token: Option<String>,
    /// When the access token expires, if the authorization server said (`expires_in`).
    pub expires_at: Option<SystemTime>,
    /// The scopes asked for (or granted, when the server said), used as the base of a
    /// step-up.
    pub scopes: Vec<String>,
    /// The issuer of the authorization server that issued the token: a refresh goes there
    /// and nowhere else.
    pub issuer: String,
}

impl StoredToken {
    /// Whether the access token has expired, or expires within `margin`.
    pub fn expires_within(&self, margin: Duration) -> bool {
        self.expires_at
            .is_some_and(|at| at <= SystemTime::now() + margin)
    }
}

// Tokens are secrets: Debug shows their presence only.
impl fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredToken")
            .field("access_token", &"…")
            .field("token_type", &self.token_type)
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "…"))
            .field("expires_at", &self.expires_at)
            .field("scopes", &self.scopes)
            .field("issuer", &self.issuer)
            .finish()
    }
}

/// Keeps the tokens of the MCP servers a client talks to, keyed by the server's canonical
/// URL. Implement it to persist tokens (a keychain, a file, a database); the default is
/// [`MemoryTokenStore`].
pub trait TokenStore: Send + Sync + 'static {
    /// The token held for `server`.
    fn load(&self, server: &str) -> BoxFuture<'_, Option<StoredToken>>;
    /// Keeps `token` for `server`, replacing any other.
    fn save(&self, server: &str, token: StoredToken) -> BoxFuture<'_, ()>;
    /// Forgets the token of `server` (it was refused and could not be refreshed).
    fn remove(&self, server: &str) -> BoxFuture<'_, ()>;
}

/// Tokens in memory, lost when the process ends. Clones share the tokens.
#[derive(Clone, Default)]
pub struct MemoryTokenStore {
    tokens: Arc<Mutex<HashMap<String, StoredToken>>>,
}

impl fmt::Debug for MemoryTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let servers: Vec<String> = self
            .tokens
            .lock()
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default();
        f.debug_struct("MemoryTokenStore")
            .field("servers", &servers)
            .finish()
    }
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, StoredToken>) -> T) -> T {
        // A panic elsewhere while holding the lock leaves a usable map.
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut tokens)
    }
}

impl TokenStore for MemoryTokenStore {
    fn load(&self, server: &str) -> BoxFuture<'_, Option<StoredToken>> {
        let token = self.with(|t| t.get(server).cloned());
        Box::pin(async move { token })
    }

    fn save(&self, server: &str, token: StoredToken) -> BoxFuture<'_, ()> {
        self.with(|t| t.insert(server.to_owned(), token));
        Box::pin(async {})
    }

    fn remove(&self, server: &str) -> BoxFuture<'_, ()> {
        self.with(|t| t.remove(server));
        Box::pin(async {})
    }
}
