//! [`RedisStore`], its builder, and the heartbeat that keeps its replica alive.

use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Client;
use tokio_util::sync::CancellationToken;
use turret_transport::streamable_http::replicas::StoreError;

use crate::keys::Keys;

/// The shared state of a replicated endpoint, on Redis: sessions, stream events, and the relay
/// between replicas. See the [crate docs](crate) for the key layout.
///
/// Make one per process with [`connect`](Self::connect) or [`builder`](Self::builder) and
/// give it to the endpoint with `StreamableHttpConfig::replicated`. While it lives, a
/// background task keeps this replica's [node](turret_transport::streamable_http::replicas::Relay::node)
/// marked alive; dropping the store stops the task and clears the mark.
pub struct RedisStore {
    pub(crate) client: Client,
    pub(crate) conn: ConnectionManager,
    pub(crate) keys: Keys,
    pub(crate) node: String,
    pub(crate) max_events: usize,
    pub(crate) event_ttl: Duration,
    /// Cancelled when the store is dropped: ends the heartbeat, and the follow and answer
    /// streams handed out.
    pub(crate) shutdown: CancellationToken,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password: not shown.
        f.debug_struct("RedisStore")
            .field("keys", &self.keys)
            .field("node", &self.node)
            .field("max_events", &self.max_events)
            .field("event_ttl", &self.event_ttl)
            .finish_non_exhaustive()
    }
}

impl Drop for RedisStore {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl RedisStore {
    /// Connects to the Redis at `url` (`redis://[:password@]host[:port][/db]`, or
    /// `rediss://` with TLS support compiled into `redis`) with the default settings.
    pub async fn connect(url: impl Into<String>) -> Result<Arc<Self>, StoreError> {
        Self::builder(url).connect().await
    }

    /// A builder for a store on the Redis at `url`, to change the defaults.
    pub fn builder(url: impl Into<String>) -> RedisStoreBuilder {
        RedisStoreBuilder {
            url: url.into(),
            prefix: "turret".to_owned(),
            max_events: 1024,
            event_ttl: Duration::from_secs(3600),
            heartbeat: Duration::from_secs(1),
            node_ttl: Duration::from_secs(3),
        }
    }
}

/// Settings of a [`RedisStore`]; made by [`RedisStore::builder`], ends with
/// [`connect`](Self::connect).
#[derive(Clone)]
pub struct RedisStoreBuilder {
    url: String,
    prefix: String,
    max_events: usize,
    event_ttl: Duration,
    heartbeat: Duration,
    node_ttl: Duration,
}

impl std::fmt::Debug for RedisStoreBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStoreBuilder")
            .field("prefix", &self.prefix)
            .field("max_events", &self.max_events)
            .field("event_ttl", &self.event_ttl)
            .field("heartbeat", &self.heartbeat)
            .field("node_ttl", &self.node_ttl)
            .finish_non_exhaustive()
    }
}

impl RedisStoreBuilder {
    /// What every key starts with (default `turret`), so several applications can share one
    /// Redis. Replicas of one endpoint must use the same.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// About how many events each stream keeps for resumption (default 1024; Redis trims in
    /// whole blocks, so a stream may keep somewhat more). A client resuming from an event
    /// older than those kept is refused rather than given a replay with a gap.
    pub fn max_events(mut self, events: usize) -> Self {
        self.max_events = events.max(1);
        self
    }

    /// How long a stream's events stay after its last one (default 1 hour).
    pub fn event_ttl(mut self, ttl: Duration) -> Self {
        self.event_ttl = ttl;
        self
    }

    /// How often this replica renews its sign of life (default every second).
    pub fn heartbeat(mut self, every: Duration) -> Self {
        self.heartbeat = every;
        self
    }

    /// How long a sign of life lasts (default 3 seconds): a replica that stopped renewing it
    /// counts as dead this long after its last heartbeat. Must exceed the
    /// [heartbeat](Self::heartbeat) interval.
    pub fn node_ttl(mut self, ttl: Duration) -> Self {
        self.node_ttl = ttl;
        self
    }

    /// Connects, picks this replica's node name, and starts its heartbeat (on the current
    /// tokio runtime).
    pub async fn connect(self) -> Result<Arc<RedisStore>, StoreError> {
        if self.heartbeat.is_zero() || self.node_ttl <= self.heartbeat {
            return Err(StoreError::new(format!(
                "the node ttl ({:?}) must exceed the heartbeat interval ({:?})",
                self.node_ttl, self.heartbeat
            )));
        }
        if self.event_ttl.is_zero() {
            return Err(StoreError::new("the event ttl must not be zero"));
        }
        let client = Client::open(self.url.as_str())
            .map_err(|e| StoreError::new(format!("invalid Redis URL: {e}")))?;
        let config = ConnectionManagerConfig::new()
            .set_number_of_retries(3)
            .set_max_delay(Duration::from_secs(2));
        let mut conn = client
            .get_connection_manager_with_config(config)
            .await
            .map_err(|e| StoreError::new(format!("connecting to Redis failed: {e}")))?;
        let keys = Keys::new(&self.prefix);
        let node = claim_node(&mut conn, &keys, self.node_ttl).await?;
        let shutdown = CancellationToken::new();
        tokio::spawn(heartbeat(
            conn.clone(),
            keys.node(&node),
            self.heartbeat,
            self.node_ttl,
            shutdown.clone(),
        ));
        Ok(Arc::new(RedisStore {
            client,
            conn,
            keys,
            node,
            max_events: self.max_events,
            event_ttl: self.event_ttl,
            shutdown,
        }))
    }
}

/// A fresh node name, marked alive: 8 lowercase hex digits, drawn again in the unlikely case
/// a live replica has it.
async fn claim_node(
    conn: &mut ConnectionManager,
    keys: &Keys,
    ttl: Duration,
) -> Result<String, StoreError> {
    for _ in 0..8 {
        let mut bytes = [0u8; 4];
        getrandom::fill(&mut bytes)
            .map_err(|e| StoreError::new(format!("no randomness for a node name: {e}")))?;
        let node = format!("{:08x}", u32::from_be_bytes(bytes));
        let claimed: Option<String> = redis::cmd("SET")
            .arg(keys.node(&node))
            .arg(1)
            .arg("PX")
            .arg(millis(ttl))
            .arg("NX")
            .query_async(conn)
            .await
            .map_err(|e| error("registering this replica", e))?;
        if claimed.is_some() {
            return Ok(node);
        }
    }
    Err(StoreError::new("no free node name after 8 draws"))
}

/// Renews `key` every `every` until `shutdown`, then deletes it.
async fn heartbeat(
    mut conn: ConnectionManager,
    key: String,
    every: Duration,
    ttl: Duration,
    shutdown: CancellationToken,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await; // the first tick is immediate, and connect just set the key
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tick.tick() => {}
        }
        let renewed: redis::RedisResult<()> = redis::cmd("SET")
            .arg(&key)
            .arg(1)
            .arg("PX")
            .arg(millis(ttl))
            .query_async(&mut conn)
            .await;
        if let Err(e) = renewed {
            tracing::warn!(key, error = %e, "turret-redis: heartbeat failed");
        }
    }
    // Gone at once rather than when the ttl runs out; a crash leaves it to the ttl.
    let _: redis::RedisResult<()> = redis::cmd("DEL").arg(&key).query_async(&mut conn).await;
}

/// A Redis failure as a [`StoreError`] saying what was being done.
pub(crate) fn error(doing: &str, e: redis::RedisError) -> StoreError {
    StoreError::new(format!("{doing} on Redis failed: {e}"))
}

/// A duration in whole milliseconds, at least 1 (Redis refuses 0 as an expiry).
pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// The pause before the next attempt after a failure: doubling from 100 ms up to 2 s.
pub(crate) fn next_backoff(current: Duration) -> Duration {
    (current * 2).clamp(Duration::from_millis(100), Duration::from_secs(2))
}
