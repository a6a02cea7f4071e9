//! Where SSE events are kept so a client that lost its connection can resume with
//! `Last-Event-ID` (handshake era).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use turret_core::types::JsonRpcMessage;

/// Events a stream sent after a given event, for replay.
#[derive(Debug, Clone)]
pub struct Replay {
    /// The stream the event id belongs to.
    pub stream: String,
    /// Every later event of that stream, as (event id, message).
    pub events: Vec<(String, JsonRpcMessage)>,
}

/// Storage for resumable streams. Event ids name their stream, so a `Last-Event-ID` alone
/// finds what to replay. Implement it over a shared store for replicas behind a balancer.
pub trait EventStore: Send + Sync + 'static {
    /// Stores `message` as the next event of `stream` and returns the event's id.
    fn append<'a>(&'a self, stream: &'a str, message: &'a JsonRpcMessage) -> BoxFuture<'a, String>;

    /// The stream of `event_id` and its events after it; `None` for an id this store does
    /// not know (never issued, or already evicted).
    fn replay_after<'a>(&'a self, event_id: &'a str) -> BoxFuture<'a, Option<Replay>>;

    /// Forgets a stream (its request finished and the client has everything, or its session
    /// ended).
    fn remove_stream<'a>(&'a self, stream: &'a str) -> BoxFuture<'a, ()>;

    /// The events of `stream` after `after` (one of its event ids, or `None` for those
    /// appended from now on), each as it is appended, for as long as the caller listens: how
    /// a replica serves a stream that another replica produces. A store used by one process
    /// only may keep the default, which yields nothing (its streams' producers are local).
    fn follow(
        &self,
        stream: &str,
        after: Option<&str>,
    ) -> BoxStream<'static, (String, JsonRpcMessage)> {
        let _ = (stream, after);
        Box::pin(futures_util::stream::empty())
    }
}

/// A bounded in-memory [`EventStore`]: the newest `per_stream` events of the newest
/// `streams` streams.
#[derive(Debug)]
pub struct MemoryEventStore {
    inner: Arc<Inner>,
    per_stream: usize,
    streams: usize,
}

#[derive(Debug)]
struct Inner {
    streams: Mutex<Streams>,
    /// Bumped on every append, to wake followers.
    appended: tokio::sync::watch::Sender<u64>,
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, Streams> {
        self.streams.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[derive(Debug, Default)]
struct Streams {
    by_id: HashMap<String, Log>,
    order: VecDeque<String>,
}

#[derive(Debug, Default)]
struct Log {
    next: u64,
    events: VecDeque<(u64, JsonRpcMessage)>,
}

impl Default for MemoryEventStore {
    fn default() -> Self {
        Self::new(1024, 10_000)
    }
}

impl MemoryEventStore {
    /// A store keeping `per_stream` events of each of the newest `streams` streams.
    pub fn new(per_stream: usize, streams: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                streams: Mutex::default(),
                appended: tokio::sync::watch::Sender::new(0),
            }),
            per_stream: per_stream.max(1),
            streams: streams.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Streams> {
        self.inner.lock()
    }
}

/// Splits `{stream}_{seq}`; stream ids never contain `_`.
fn parse(event_id: &str) -> Option<(&str, u64)> {
    let (stream, seq) = event_id.rsplit_once('_')?;
    Some((stream, seq.parse().ok()?))
}

impl EventStore for MemoryEventStore {
    fn append<'a>(&'a self, stream: &'a str, message: &'a JsonRpcMessage) -> BoxFuture<'a, String> {
        let mut s = self.lock();
        if !s.by_id.contains_key(stream) {
            if s.order.len() >= self.streams {
                if let Some(old) = s.order.pop_front() {
                    s.by_id.remove(&old);
                }
            }
            s.order.push_back(stream.to_owned());
        }
        let log = s.by_id.entry(stream.to_owned()).or_default();
        log.next += 1;
        let seq = log.next;
        if log.events.len() >= self.per_stream {
            log.events.pop_front();
        }
        log.events.push_back((seq, message.clone()));
        drop(s);
        self.inner.appended.send_modify(|n| *n = n.wrapping_add(1));
        let id = format!("{stream}_{seq}");
        Box::pin(async move { id })
    }

    fn replay_after<'a>(&'a self, event_id: &'a str) -> BoxFuture<'a, Option<Replay>> {
        let replay = parse(event_id).and_then(|(stream, after)| {
            let s = self.lock();
            let log = s.by_id.get(stream)?;
            // The id must be one we issued, and nothing after it may have been evicted (id 0
            // is a stream's priming event, before its first message).
            let oldest = log.events.front().map_or(log.next + 1, |(seq, _)| *seq);
            if after > log.next || after + 1 < oldest {
                return None;
            }
            Some(Replay {
                stream: stream.to_owned(),
                events: log
                    .events
                    .iter()
                    .filter(|(seq, _)| *seq > after)
                    .map(|(seq, m)| (format!("{stream}_{seq}"), m.clone()))
                    .collect(),
            })
        });
        Box::pin(async move { replay })
    }

    fn remove_stream<'a>(&'a self, stream: &'a str) -> BoxFuture<'a, ()> {
        let mut s = self.lock();
        if s.by_id.remove(stream).is_some() {
            s.order.retain(|id| id != stream);
        }
        Box::pin(async {})
    }

    /// Several endpoints of one process sharing this store follow each other's streams
    /// ([`MemoryReplicas`](super::replicas::MemoryReplicas)).
    fn follow(
        &self,
        stream: &str,
        after: Option<&str>,
    ) -> BoxStream<'static, (String, JsonRpcMessage)> {
        let start = match after {
            Some(id) => parse(id).filter(|(s, _)| *s == stream).map(|(_, seq)| seq),
            None => Some(self.lock().by_id.get(stream).map_or(0, |log| log.next)),
        };
        let Some(last) = start else {
            return Box::pin(futures_util::stream::empty());
        };
        let state = Follower {
            inner: self.inner.clone(),
            appended: self.inner.appended.subscribe(),
            stream: stream.to_owned(),
            last,
            pending: VecDeque::new(),
        };
        Box::pin(futures_util::stream::unfold(state, Follower::next))
    }
}

/// Where a [`MemoryEventStore::follow`] stands.
struct Follower {
    inner: Arc<Inner>,
    appended: tokio::sync::watch::Receiver<u64>,
    stream: String,
    last: u64,
    pending: VecDeque<(u64, JsonRpcMessage)>,
}

impl Follower {
    async fn next(mut self) -> Option<((String, JsonRpcMessage), Self)> {
        loop {
            if let Some((seq, message)) = self.pending.pop_front() {
                self.last = seq;
                let id = format!("{}_{seq}", self.stream);
                return Some(((id, message), self));
            }
            // Marked seen before reading, so an append in between still wakes us.
            self.appended.borrow_and_update();
            self.pending = self
                .inner
                .lock()
                .by_id
                .get(&self.stream)
                .map(|log| {
                    let last = self.last;
                    log.events
                        .iter()
                        .filter(|(seq, _)| *seq > last)
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            if self.pending.is_empty() && self.appended.changed().await.is_err() {
                return None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use turret_core::types::JsonRpcNotification;

    fn msg(n: u64) -> JsonRpcMessage {
        JsonRpcMessage::Notification(JsonRpcNotification {
            method: format!("m{n}"),
            params: None,
        })
    }

    #[tokio::test]
    async fn replays_exactly_the_events_after_the_id() {
        let store = MemoryEventStore::new(3, 2);
        let mut ids = Vec::new();
        for n in 1..=4 {
            ids.push(store.append("a", &msg(n)).await);
        }
        // The first event was evicted: resuming from before it cannot be exact.
        assert!(store.replay_after("a_0").await.is_none());
        let r = store.replay_after(&ids[0]).await.unwrap();
        assert_eq!(r.events.len(), 3);
        let r = store.replay_after(&ids[1]).await.unwrap();
        assert_eq!(
            r.events
                .iter()
                .map(|(id, _)| id.as_str())
                .collect::<Vec<_>>(),
            [&ids[2], &ids[3]]
        );
        assert!(store.replay_after(&ids[3]).await.unwrap().events.is_empty());
        assert!(store.replay_after("a_99").await.is_none());
        assert!(store.replay_after("garbage").await.is_none());
        // The oldest stream goes when a third arrives.
        store.append("b", &msg(1)).await;
        store.append("c", &msg(1)).await;
        assert!(store.replay_after(&ids[3]).await.is_none());
    }

    #[tokio::test]
    async fn a_follower_gets_later_events_as_they_come() {
        use futures_util::StreamExt as _;
        let store = MemoryEventStore::default();
        let first = store.append("a", &msg(1)).await;
        let mut from_first = store.follow("a", Some(&first));
        let mut from_now = store.follow("a", None);
        assert!(store.follow("a", Some("b_1")).next().await.is_none());
        let second = store.append("a", &msg(2)).await;
        store.append("other", &msg(9)).await;
        let third = store.append("a", &msg(3)).await;
        for follower in [&mut from_first, &mut from_now] {
            let got = [
                follower.next().await.unwrap(),
                follower.next().await.unwrap(),
            ];
            assert_eq!([&got[0].0, &got[1].0], [&second, &third]);
        }
    }
}
