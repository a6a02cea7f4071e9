//! The stream behind
//! [`EventStore::follow`](turret_transport::streamable_http::EventStore::follow): blocking reads of one Redis stream on a
//! connection of its own, resumed after failures.

use std::collections::VecDeque;
use std::time::Duration;

use futures_util::stream::BoxStream;
use redis::aio::MultiplexedConnection;
use redis::streams::{StreamRangeReply, StreamReadReply};
use redis::{AsyncConnectionConfig, Client, RedisResult};
use tokio_util::sync::CancellationToken;
use turret_core::types::JsonRpcMessage;

use crate::event_store::{decode, EntryId};
use crate::store::{millis, next_backoff, RedisStore};

/// How long one blocking read of a follower waits: a dropped follower's connection closes
/// within this.
const BLOCK: Duration = Duration::from_secs(1);

/// At most this many entries per read of a follower.
const READ_COUNT: usize = 256;

/// The state of one stream that
/// [`follow`](turret_transport::streamable_http::EventStore::follow) returned.
pub(crate) struct Follower {
    client: Client,
    key: String,
    stream: String,
    /// The newest entry seen; `None` until the newest one at the start is known.
    last: Option<EntryId>,
    conn: Option<MultiplexedConnection>,
    ready: VecDeque<(String, JsonRpcMessage)>,
    backoff: Duration,
    shutdown: CancellationToken,
}

impl Follower {
    /// Follows `stream` of `store` after entry `last`, or after its newest entry at the first
    /// poll for `None`.
    pub(crate) fn new(store: &RedisStore, stream: &str, last: Option<EntryId>) -> Self {
        Self {
            client: store.client.clone(),
            key: store.keys.events(stream),
            stream: stream.to_owned(),
            last,
            conn: None,
            ready: VecDeque::new(),
            backoff: Duration::ZERO,
            shutdown: store.shutdown.clone(),
        }
    }

    /// The events, as the store's `follow` returns them.
    pub(crate) fn into_stream(self) -> BoxStream<'static, (String, JsonRpcMessage)> {
        Box::pin(futures_util::stream::unfold(self, Self::next))
    }

    async fn next(mut self) -> Option<((String, JsonRpcMessage), Self)> {
        let shutdown = self.shutdown.clone();
        loop {
            if let Some(event) = self.ready.pop_front() {
                return Some((event, self));
            }
            let read = tokio::select! {
                _ = shutdown.cancelled() => return None,
                read = self.read() => read,
            };
            match read {
                Ok(()) => self.backoff = Duration::ZERO,
                Err(e) => {
                    self.conn = None;
                    self.backoff = next_backoff(self.backoff);
                    tracing::warn!(
                        stream = self.stream,
                        error = %e,
                        retry_in = ?self.backoff,
                        "turret-redis: following a stream failed"
                    );
                    tokio::select! {
                        _ = shutdown.cancelled() => return None,
                        _ = tokio::time::sleep(self.backoff) => {}
                    }
                }
            }
        }
    }

    /// One blocking read, its events queued in `ready`.
    async fn read(&mut self) -> RedisResult<()> {
        // Taken out while in use: a failure drops it, and the next read connects anew.
        let mut conn = match self.conn.take() {
            Some(conn) => conn,
            None => {
                let config = AsyncConnectionConfig::new().set_response_timeout(Some(BLOCK * 3));
                self.client
                    .get_multiplexed_async_connection_with_config(&config)
                    .await?
            }
        };
        let last = match self.last {
            Some(last) => last,
            None => {
                let newest: StreamRangeReply = redis::cmd("XREVRANGE")
                    .arg(&self.key)
                    .arg("+")
                    .arg("-")
                    .arg("COUNT")
                    .arg(1)
                    .query_async(&mut conn)
                    .await?;
                let newest = newest
                    .ids
                    .first()
                    .and_then(|entry| EntryId::parse(&entry.id))
                    .unwrap_or(EntryId::START);
                *self.last.insert(newest)
            }
        };
        let reply: Option<StreamReadReply> = redis::cmd("XREAD")
            .arg("COUNT")
            .arg(READ_COUNT)
            .arg("BLOCK")
            .arg(millis(BLOCK))
            .arg("STREAMS")
            .arg(&self.key)
            .arg(last.to_string())
            .query_async(&mut conn)
            .await?;
        self.conn = Some(conn);
        for entry in reply.into_iter().flat_map(|r| r.keys).flat_map(|k| k.ids) {
            if let Some(id) = EntryId::parse(&entry.id) {
                self.last = Some(id);
            }
            if let Some(event) = decode(&self.stream, &entry) {
                self.ready.push_back(event);
            }
        }
        Ok(())
    }
}
