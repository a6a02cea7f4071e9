//! [`Relay`] on Redis: a pub/sub channel per replica, and a key per replica that its
//! heartbeat keeps alive.

use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use futures_util::StreamExt as _;
use redis::aio::{PubSubSink, PubSubStream};
use redis::{Client, RedisResult};
use tokio_util::sync::CancellationToken;
use turret_transport::streamable_http::replicas::{Answer, Relay, StoreError};

use crate::store::{error, next_backoff, RedisStore};

/// How long a subscription may stay silent before a PING checks that it still works (a
/// connection can die without either side closing it).
const CHECK_AFTER: Duration = Duration::from_secs(10);

/// How long connecting and subscribing may take.
const SUBSCRIBE_TIMEOUT: Duration = Duration::from_secs(5);

/// How long that PING may take.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

impl Relay for RedisStore {
    fn node(&self) -> &str {
        &self.node
    }

    /// Publishes the answer on the replica's channel; an error if no one listens there (the
    /// replica is gone, or its subscription is being renewed).
    fn forward<'a>(
        &'a self,
        node: &'a str,
        answer: &'a Answer,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let payload = serde_json::to_vec(answer)
                .map_err(|e| StoreError::new(format!("an answer has no JSON form: {e}")))?;
            let receivers: u64 = redis::cmd("PUBLISH")
                .arg(self.keys.answers(node))
                .arg(payload)
                .query_async(&mut self.conn.clone())
                .await
                .map_err(|e| error("forwarding an answer", e))?;
            if receivers == 0 {
                return Err(StoreError::new(format!(
                    "no replica {node} listens for answers (it stopped, or is reconnecting)"
                )));
            }
            Ok(())
        })
    }

    /// Subscribes when first polled, and subscribes again (after a short pause) whenever
    /// the connection is lost; answers published meanwhile are lost, which
    /// [`forward`](Relay::forward) reports to its caller. Payloads that are not answers are
    /// skipped. Ends when the store is dropped.
    fn answers(&self) -> BoxStream<'static, Answer> {
        let listener = Listener {
            client: self.client.clone(),
            channel: self.keys.answers(&self.node),
            subscription: None,
            backoff: Duration::ZERO,
            shutdown: self.shutdown.clone(),
        };
        Box::pin(futures_util::stream::unfold(listener, Listener::next))
    }

    /// `EXISTS` on the replica's key. When Redis cannot say, the replica counts as alive:
    /// nothing shows it died.
    fn is_live<'a>(&'a self, node: &'a str) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            let exists: RedisResult<bool> = redis::cmd("EXISTS")
                .arg(self.keys.node(node))
                .query_async(&mut self.conn.clone())
                .await;
            exists.unwrap_or_else(|e| {
                tracing::warn!(node, error = %e, "turret-redis: liveness check failed");
                true
            })
        })
    }
}

/// The state of the [`answers`](Relay::answers) stream.
struct Listener {
    client: Client,
    channel: String,
    subscription: Option<(PubSubSink, PubSubStream)>,
    backoff: Duration,
    shutdown: CancellationToken,
}

impl Listener {
    async fn next(mut self) -> Option<(Answer, Self)> {
        let shutdown = self.shutdown.clone();
        loop {
            let (mut sink, mut messages) = match self.subscription.take() {
                Some(subscription) => subscription,
                None => {
                    let subscribed = tokio::select! {
                        _ = shutdown.cancelled() => return None,
                        subscribed = subscribe(&self.client, &self.channel) => subscribed,
                    };
                    match subscribed {
                        Ok(subscription) => subscription,
                        Err(e) => {
                            self.pause(&format!("subscribing failed: {e}")).await?;
                            continue;
                        }
                    }
                }
            };
            let message = tokio::select! {
                _ = shutdown.cancelled() => return None,
                message = messages.next() => message,
                _ = tokio::time::sleep(CHECK_AFTER) => {
                    let pong = tokio::time::timeout(CHECK_TIMEOUT, sink.ping::<redis::Value>()).await;
                    if matches!(pong, Ok(Ok(_))) {
                        self.subscription = Some((sink, messages));
                    } else {
                        self.pause("the subscription stopped answering").await?;
                    }
                    continue;
                }
            };
            let Some(message) = message else {
                self.pause("the subscription's connection closed").await?;
                continue;
            };
            self.subscription = Some((sink, messages));
            self.backoff = Duration::ZERO;
            match serde_json::from_slice::<Answer>(message.get_payload_bytes()) {
                Ok(answer) => return Some((answer, self)),
                Err(e) => tracing::warn!(
                    channel = self.channel,
                    error = %e,
                    "turret-redis: skipped a message that is not an answer"
                ),
            }
        }
    }

    /// Waits before subscribing again; `None` if the store was dropped meanwhile.
    async fn pause(&mut self, why: &str) -> Option<()> {
        self.backoff = next_backoff(self.backoff);
        tracing::warn!(
            channel = self.channel,
            retry_in = ?self.backoff,
            "turret-redis: listening for answers: {why}"
        );
        tokio::select! {
            _ = self.shutdown.cancelled() => None,
            _ = tokio::time::sleep(self.backoff) => Some(()),
        }
    }
}

/// A subscription to `channel` on a connection of its own.
async fn subscribe(client: &Client, channel: &str) -> Result<(PubSubSink, PubSubStream), String> {
    let subscribing = async {
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(channel).await?;
        RedisResult::Ok(pubsub.split())
    };
    match tokio::time::timeout(SUBSCRIBE_TIMEOUT, subscribing).await {
        Ok(subscribed) => subscribed.map_err(|e| e.to_string()),
        Err(_) => Err(format!("no answer within {SUBSCRIBE_TIMEOUT:?}")),
    }
}
