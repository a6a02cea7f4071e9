//! The table of open backend connections, by what each serves, and its upkeep: a
//! connection whose frontend session ended, or that sat unused past the idle time, is
//! closed (and its process with it) within a sweep period, whatever else happens.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use turret_core::Peer;

use crate::link::Link;

/// What a backend connection serves.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    /// Everyone: sessionless requests, the shared policy, and requests whose answer does
    /// not depend on the session (`initialize`, `ping`).
    Shared,
    /// One frontend session (by session id, or by its peer where the transport has no id).
    Session(String),
    /// The lists of frontend sessions that have no connection of their own yet, by what
    /// their clients declared (a backend may list differently per capability).
    Listing(String),
}

/// An open connection, the frontend session it serves, and when it last served.
pub(crate) struct Entry {
    pub(crate) link: Link,
    pub(crate) peer: Peer,
    pub(crate) used: Instant,
}

/// A connection slot: connecting happens under its lock, so racing requests wait for one.
pub(crate) type Slot = Arc<tokio::sync::Mutex<Option<Entry>>>;

/// How many capability sets get a listing connection of their own; past it, sessions list
/// through a connection of their own (a client cannot make the gateway start a process per
/// variation of its capabilities).
pub(crate) const MAX_LISTINGS: usize = 8;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Default)]
pub(crate) struct Slots(Mutex<HashMap<Key, Slot>>);

impl Slots {
    /// The slot for `key`, made empty if there is none.
    pub(crate) fn slot(&self, key: &Key) -> Slot {
        lock(&self.0).entry(key.clone()).or_default().clone()
    }

    /// Whether `key` has a live connection (or one being made).
    pub(crate) fn has(&self, key: &Key) -> bool {
        let Some(slot) = lock(&self.0).get(key).cloned() else {
            return false;
        };
        slot.try_lock()
            .map(|g| g.as_ref().is_some_and(|e| e.link.is_alive()))
            .unwrap_or(true)
    }

    /// How many listing keys there are.
    pub(crate) fn listings(&self) -> usize {
        lock(&self.0)
            .keys()
            .filter(|k| matches!(k, Key::Listing(_)))
            .count()
    }

    /// Live connections whose key `matches`.
    pub(crate) fn count(&self, matches: impl Fn(&Key) -> bool) -> usize {
        let slots: Vec<Slot> = lock(&self.0)
            .iter()
            .filter(|(k, _)| matches(k))
            .map(|(_, s)| s.clone())
            .collect();
        slots
            .iter()
            .filter(|s| {
                s.try_lock()
                    .map(|g| g.as_ref().is_some_and(|e| e.link.is_alive()))
                    .unwrap_or(true)
            })
            .count()
    }

    /// Forgets `link` (it failed), so the next request reconnects.
    pub(crate) fn evict(&self, link: &Link) {
        for slot in lock(&self.0).values() {
            if let Ok(mut guard) = slot.try_lock() {
                if guard.as_ref().is_some_and(|e| e.link.same(link)) {
                    guard.take();
                }
            }
        }
    }

    /// Closes the connections of frontend sessions that have ended, and (with `idle`) every
    /// connection but the shared one unused for that long.
    pub(crate) fn sweep(&self, idle: Option<Duration>) {
        let now = Instant::now();
        lock(&self.0).retain(|key, slot| {
            let Ok(guard) = slot.try_lock() else {
                return true; // Connecting or in use right now.
            };
            let Some(entry) = guard.as_ref() else {
                return *key == Key::Shared;
            };
            let ended = matches!(key, Key::Session(_)) && entry.peer.is_closed();
            let unused = *key != Key::Shared
                && idle.is_some_and(|idle| now.duration_since(entry.used) >= idle);
            !(ended || unused || !entry.link.is_alive())
        });
    }
}

/// Sweeps `slots` until they are gone: often enough that `idle` is kept within a quarter of
/// itself, and ended sessions are noticed within a second.
pub(crate) async fn sweep_until_gone(slots: Weak<Slots>, idle: Option<Duration>) {
    let period = idle.map_or(Duration::from_secs(1), |idle| {
        (idle / 4).clamp(Duration::from_millis(50), Duration::from_secs(1))
    });
    loop {
        tokio::time::sleep(period).await;
        let Some(slots) = slots.upgrade() else {
            return;
        };
        slots.sweep(idle);
    }
}
