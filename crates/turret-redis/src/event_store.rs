//! [`EventStore`] on Redis: one Redis stream per SSE stream.
//!
//! An event id is `{stream}_{entry}`, `entry` being the Redis entry id (`{ms}-{seq}`); the
//! endpoint's priming id `{stream}_0` stands before every entry. Redis trims each stream to
//! about `max_events` entries as events are added (`XADD MAXLEN ~`), and drops it `event_ttl`
//! after its last event.

use std::fmt;
use std::sync::LazyLock;

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use redis::streams::{StreamId, StreamRangeReply};
use redis::{RedisResult, Script};
use turret_core::types::JsonRpcMessage;
use turret_transport::streamable_http::{EventStore, Replay};

use crate::follow::Follower;
use crate::store::{millis, RedisStore};

/// The entry field holding the message's JSON.
const MESSAGE: &str = "message";

/// What a replay needs, in one atomic step: nothing for no stream, else the newest id the
/// stream gave, its oldest kept entry's id (or ''), how many entries it was ever given and
/// keeps (they differ once it was trimmed), and its entries after `ARGV[1]`.
static REPLAY: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "if redis.call('EXISTS', KEYS[1]) == 0 then return false end \
         local info = redis.call('XINFO', 'STREAM', KEYS[1]) \
         local last, first, added, length = '0-0', '', 0, 0 \
         for i = 1, #info, 2 do \
             local k, v = info[i], info[i + 1] \
             if k == 'last-generated-id' then last = v \
             elseif k == 'first-entry' and v then first = v[1] \
             elseif k == 'entries-added' then added = v \
             elseif k == 'length' then length = v end \
         end \
         return {last, first, added, length, redis.call('XRANGE', KEYS[1], ARGV[1], '+')}",
    )
});

/// What [`REPLAY`] gives for a stream: newest id, oldest kept id, entries added, entries
/// kept, and the entries asked for.
type ReplayReply = (String, String, u64, u64, StreamRangeReply);

/// A Redis stream entry id, ordered as Redis orders them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct EntryId(u64, u64);

impl EntryId {
    /// Before every entry: the priming event's place.
    pub(crate) const START: Self = Self(0, 0);

    pub(crate) fn parse(text: &str) -> Option<Self> {
        if text == "0" {
            return Some(Self::START);
        }
        let (ms, seq) = text.split_once('-')?;
        Some(Self(ms.parse().ok()?, seq.parse().ok()?))
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.0, self.1)
    }
}

/// Splits `{stream}_{entry}`.
fn parse_event_id(event_id: &str) -> Option<(&str, EntryId)> {
    let (stream, entry) = event_id.rsplit_once('_')?;
    if stream.is_empty() {
        return None;
    }
    Some((stream, EntryId::parse(entry)?))
}

/// An entry as (event id, message); `None` (and a warning) for one that holds no message.
pub(crate) fn decode(stream: &str, entry: &StreamId) -> Option<(String, JsonRpcMessage)> {
    let message = entry
        .get::<Vec<u8>>(MESSAGE)
        .and_then(|bytes| JsonRpcMessage::parse(&bytes).ok());
    if message.is_none() {
        tracing::warn!(
            stream,
            entry = entry.id,
            "turret-redis: skipped an unreadable event"
        );
    }
    Some((format!("{stream}_{}", entry.id), message?))
}

/// Whether the kept events after `after` are all the stream's events after it.
struct Kept {
    /// The newest id the stream gave.
    last: EntryId,
    /// The oldest entry still kept, if any.
    first: Option<EntryId>,
    /// Whether trimming removed entries.
    trimmed: bool,
}

impl Kept {
    fn complete_after(&self, after: EntryId) -> bool {
        if after > self.last {
            return false; // never issued
        }
        if !self.trimmed {
            return true;
        }
        // Entries were trimmed from the front: only an id at or after the oldest kept one
        // surely has none of its successors among them.
        match self.first {
            Some(first) => after >= first,
            None => after == self.last,
        }
    }
}

impl RedisStore {
    async fn replay(&self, event_id: &str) -> Option<Replay> {
        let (stream, after) = parse_event_id(event_id)?;
        let start = if after == EntryId::START {
            "-".to_owned()
        } else {
            format!("({after}")
        };
        let reply: RedisResult<Option<ReplayReply>> = REPLAY
            .key(self.keys.events(stream))
            .arg(start)
            .invoke_async(&mut self.conn.clone())
            .await;
        let found = match reply {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(event_id, error = %e, "turret-redis: replay failed");
                return None;
            }
        };
        let Some((last, first, added, length, range)) = found else {
            // No events yet (or none left): only the priming id may resume, with nothing to
            // replay.
            return (after == EntryId::START).then(|| Replay {
                stream: stream.to_owned(),
                events: Vec::new(),
            });
        };
        let kept = Kept {
            last: EntryId::parse(&last)?,
            first: EntryId::parse(&first),
            trimmed: added > length,
        };
        if !kept.complete_after(after) {
            return None;
        }
        Some(Replay {
            stream: stream.to_owned(),
            events: range
                .ids
                .iter()
                .filter_map(|entry| decode(stream, entry))
                .collect(),
        })
    }
}

impl EventStore for RedisStore {
    fn append<'a>(&'a self, stream: &'a str, message: &'a JsonRpcMessage) -> BoxFuture<'a, String> {
        Box::pin(async move {
            let key = self.keys.events(stream);
            let added: RedisResult<(String,)> = redis::pipe()
                .atomic()
                .cmd("XADD")
                .arg(&key)
                .arg("MAXLEN")
                .arg("~")
                .arg(self.max_events)
                .arg("*")
                .arg(MESSAGE)
                .arg(message.to_vec())
                .cmd("PEXPIRE")
                .arg(&key)
                .arg(millis(self.event_ttl))
                .ignore()
                .query_async(&mut self.conn.clone())
                .await;
            match added {
                Ok((entry,)) => format!("{stream}_{entry}"),
                Err(e) => {
                    tracing::warn!(
                        stream,
                        error = %e,
                        "turret-redis: an event was not stored; resuming after it will fail"
                    );
                    // Not an entry id: a resumption from it is refused, never wrongly served.
                    format!("{stream}_unstored")
                }
            }
        })
    }

    fn replay_after<'a>(&'a self, event_id: &'a str) -> BoxFuture<'a, Option<Replay>> {
        Box::pin(self.replay(event_id))
    }

    fn remove_stream<'a>(&'a self, stream: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let removed: RedisResult<()> = redis::cmd("DEL")
                .arg(self.keys.events(stream))
                .query_async(&mut self.conn.clone())
                .await;
            if let Err(e) = removed {
                tracing::warn!(stream, error = %e, "turret-redis: removing a stream failed");
            }
        })
    }

    /// Reads with `XREAD BLOCK` on a connection of its own (so the store's shared connection
    /// never waits behind it), reconnecting with a short backoff after failures. `None`
    /// means after the stream's newest event when the returned stream is first polled. The
    /// stream ends when the store is dropped; an `after` that is not an event id of
    /// `stream` gives an empty stream. It does not check that events after `after` were kept:
    /// [`replay_after`](EventStore::replay_after) does.
    fn follow(
        &self,
        stream: &str,
        after: Option<&str>,
    ) -> BoxStream<'static, (String, JsonRpcMessage)> {
        let last = match after.map(parse_event_id) {
            None => None,
            Some(Some((of, entry))) if of == stream => Some(entry),
            Some(_) => {
                tracing::warn!(
                    stream,
                    after,
                    "turret-redis: follow after a foreign event id"
                );
                return Box::pin(futures_util::stream::empty());
            }
        };
        Follower::new(self, stream, last).into_stream()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_split_at_the_last_underscore() {
        assert_eq!(
            parse_event_id("abc_1700000000000-3"),
            Some(("abc", EntryId(1_700_000_000_000, 3)))
        );
        assert_eq!(parse_event_id("abc_0"), Some(("abc", EntryId::START)));
        for bad in [
            "abc",
            "_0",
            "abc_",
            "abc_1-",
            "abc_-1",
            "abc_x-1",
            "abc_unstored",
        ] {
            assert_eq!(parse_event_id(bad), None, "{bad}");
        }
        assert_eq!(EntryId(5, 0).to_string(), "5-0");
        assert!(EntryId(5, 1) > EntryId(4, 9));
    }

    #[test]
    fn a_trimmed_stream_resumes_only_from_a_kept_entry() {
        let kept = Kept {
            last: EntryId(9, 0),
            first: Some(EntryId(5, 0)),
            trimmed: true,
        };
        assert!(!kept.complete_after(EntryId::START));
        assert!(!kept.complete_after(EntryId(4, 0)));
        assert!(kept.complete_after(EntryId(5, 0)));
        assert!(kept.complete_after(EntryId(9, 0)));
        assert!(!kept.complete_after(EntryId(9, 1)));
        let whole = Kept {
            trimmed: false,
            ..kept
        };
        assert!(whole.complete_after(EntryId::START));
        assert!(!whole.complete_after(EntryId(10, 0)));
    }
}
