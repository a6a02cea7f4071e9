//! Where verification keys come from: a fixed set, or a JWKS URL fetched on demand, cached,
//! and refetched when a token names a key the cache lacks, at most once per interval.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;
use turret_core::BoxError;

use super::keys::KeySet;
use crate::HttpClient;

/// The largest JWKS document read.
const MAX_JWKS_BYTES: usize = 256 * 1024;

/// How keys are fetched and kept.
#[derive(Debug, Clone)]
pub(crate) struct FetchPolicy {
    /// Never fetch more often than this, whatever tokens arrive.
    pub(crate) min_refresh_interval: Duration,
    /// Refetch keys this old on the next use (a key the AS withdrew stops being accepted).
    pub(crate) max_age: Duration,
    /// Give up on one fetch after this long.
    pub(crate) timeout: Duration,
    /// Keep at most this many keys of a set.
    pub(crate) max_keys: usize,
}

/// The keys at hand and when they were fetched (`None`: never successfully).
#[derive(Clone, Default)]
struct Snapshot {
    keys: Arc<KeySet>,
    loaded_at: Option<Instant>,
}

/// A JWKS fetched from a URL.
pub(crate) struct RemoteJwks {
    url: http::Uri,
    client: HttpClient,
    policy: FetchPolicy,
    /// Read on every token; written after a fetch.
    current: RwLock<Snapshot>,
    /// When a fetch was last tried. Held while fetching, so that concurrent requests naming
    /// an unknown kid cause one fetch, not one each.
    tried_at: Mutex<Option<Instant>>,
}

/// The keys to verify one token with, or why there are none.
pub(crate) enum Lookup {
    Keys(Arc<KeySet>),
    /// No keys could be had at all: the AS's JWKS endpoint is unreachable.
    Unavailable(BoxError),
}

impl RemoteJwks {
    pub(crate) fn new(url: http::Uri, client: HttpClient, policy: FetchPolicy) -> Self {
        Self {
            url,
            client,
            policy,
            current: RwLock::default(),
            tried_at: Mutex::new(None),
        }
    }

    fn snapshot(&self) -> Snapshot {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Whether `snapshot` can answer for `kid` without a fetch.
    fn answers(&self, snapshot: &Snapshot, kid: Option<&str>) -> bool {
        let fresh = snapshot
            .loaded_at
            .is_some_and(|at| at.elapsed() < self.policy.max_age);
        fresh && kid.is_none_or(|kid| snapshot.keys.has_kid(kid))
    }

    /// The keys to check a token naming `kid` with. Fetches the JWKS the first time, when the
    /// keys are older than `max_age`, or when `kid` is unknown, unless a fetch was tried less
    /// than `min_refresh_interval` ago: then the keys at hand are used, so that tokens with
    /// made-up kids cannot make this server hammer the authorization server.
    pub(crate) async fn keys_for(&self, kid: Option<&str>) -> Lookup {
        let snapshot = self.snapshot();
        if self.answers(&snapshot, kid) {
            return Lookup::Keys(snapshot.keys);
        }
        let mut tried_at = self.tried_at.lock().await;
        // Another request may have fetched while this one waited for the lock.
        let snapshot = self.snapshot();
        if self.answers(&snapshot, kid) {
            return Lookup::Keys(snapshot.keys);
        }
        let may_fetch = tried_at.is_none_or(|at| at.elapsed() >= self.policy.min_refresh_interval);
        if !may_fetch {
            return match snapshot.loaded_at {
                Some(_) => Lookup::Keys(snapshot.keys),
                None => Lookup::Unavailable("the JWKS could not be fetched recently".into()),
            };
        }
        *tried_at = Some(Instant::now());
        match self.fetch().await {
            Ok(keys) => {
                tracing::debug!(keys = keys.len(), url = %self.url, "JWKS fetched");
                let fresh = Snapshot {
                    keys: Arc::new(keys),
                    loaded_at: Some(Instant::now()),
                };
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = fresh.clone();
                Lookup::Keys(fresh.keys)
            }
            Err(e) => {
                tracing::warn!(error = %e, url = %self.url, "fetching the JWKS failed");
                // Keys fetched before stay in use: an AS that is briefly down should not lock
                // everyone out.
                match snapshot.loaded_at {
                    Some(_) => Lookup::Keys(snapshot.keys),
                    None => Lookup::Unavailable(e),
                }
            }
        }
    }

    async fn fetch(&self) -> Result<KeySet, BoxError> {
        let fetched = tokio::time::timeout(
            self.policy.timeout,
            self.client.get_json(&self.url, MAX_JWKS_BYTES),
        )
        .await;
        // Explicit conversions: `?` between boxed errors trips the `Send` inference of the
        // verifier's future.
        match fetched {
            Err(_) => Err(BoxError::from(format!("GET {} timed out", self.url))),
            Ok(Err(e)) => Err(e),
            Ok(Ok(body)) => KeySet::from_jwks(&body, self.policy.max_keys).map_err(BoxError::from),
        }
    }
}
