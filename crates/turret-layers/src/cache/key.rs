//! What a cached answer is stored under, and which requests have one.

use std::hash::{BuildHasher, Hash, Hasher};

use turret_core::router::Change;
use turret_core::types::{ClientRequest, JsonObject};
use turret_core::{Request, RequestContext};

use crate::caller::Caller;

/// Which kind of request an entry answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    ListTools,
    ListPrompts,
    ListResources,
    ListTemplates,
    Read,
    Call,
}

impl Kind {
    /// The kind of `message`, if it is a request that may be cached; `None` for everything
    /// else and for 2026-07-28 retries that carry input responses or request state.
    pub(crate) fn of(message: &ClientRequest) -> Option<Self> {
        Some(match message {
            ClientRequest::ListTools(_) => Self::ListTools,
            ClientRequest::ListPrompts(_) => Self::ListPrompts,
            ClientRequest::ListResources(_) => Self::ListResources,
            ClientRequest::ListResourceTemplates(_) => Self::ListTemplates,
            ClientRequest::ReadResource(p)
                if p.input_responses.is_none() && p.request_state.is_none() =>
            {
                Self::Read
            }
            ClientRequest::CallTool(p)
                if p.input_responses.is_none() && p.request_state.is_none() =>
            {
                Self::Call
            }
            _ => return None,
        })
    }

    /// Whether `change` (`None`: an unknown one) may make an entry of this kind stale for
    /// `target`. A list change also drops what was read or called from that list: the thing
    /// behind a name may have been replaced.
    pub(crate) fn stale_after(self, target: Option<&str>, change: Option<&Change>) -> bool {
        match change {
            None => true,
            Some(Change::ToolsChanged) => matches!(self, Self::ListTools | Self::Call),
            Some(Change::PromptsChanged) => matches!(self, Self::ListPrompts),
            Some(Change::ResourcesChanged) => {
                matches!(self, Self::ListResources | Self::ListTemplates | Self::Read)
            }
            Some(Change::ResourceUpdated(uri)) => self == Self::Read && target == Some(&**uri),
            Some(_) => true,
        }
    }
}

/// A cache key: method, target (tool name or resource URI), parameters without `_meta`
/// (progress tokens, per-request capabilities and log levels do not change the answer),
/// protocol revision and caller. `Str` and `Obj` are owned in a stored [`Key`] and borrowed
/// from the request in a [`Lookup`], so a lookup copies nothing.
///
/// The parameters are kept as JSON values, not serialized: hashing and comparing a value is
/// cheaper than writing it out, and a hit never has to build anything.
#[derive(Debug, Clone)]
pub(crate) struct KeyOf<Str, Obj> {
    /// Of all the other fields, computed once by [`Lookup::new`].
    hash: u64,
    pub(crate) kind: Kind,
    pub(crate) target: Option<Str>,
    version: &'static str,
    pub(crate) caller: Caller,
    cursor: Option<Str>,
    arguments: Option<Obj>,
    extra: Obj,
}

/// A key as stored.
pub(crate) type Key = KeyOf<Box<str>, JsonObject>;

/// A key borrowed from a request, to look it up.
pub(crate) type Lookup<'a> = KeyOf<&'a str, &'a JsonObject>;

impl<'a> Lookup<'a> {
    /// The key of `req` (`None` if [`Kind::of`] has none), hashed with `hasher`.
    pub(crate) fn new(req: &'a Request, hasher: &impl BuildHasher) -> Option<Self> {
        let kind = Kind::of(req.message())?;
        let (target, cursor, arguments, extra) = match req.message() {
            ClientRequest::ListTools(p)
            | ClientRequest::ListPrompts(p)
            | ClientRequest::ListResources(p)
            | ClientRequest::ListResourceTemplates(p) => {
                (None, p.cursor.as_deref(), None, &p.extra)
            }
            ClientRequest::ReadResource(p) => (Some(p.uri.as_str()), None, None, &p.extra),
            ClientRequest::CallTool(p) => {
                (Some(p.name.as_str()), None, p.arguments.as_ref(), &p.extra)
            }
            _ => return None,
        };
        let version = req
            .extensions()
            .get::<RequestContext>()
            .map_or("", |c| c.version().as_str());
        let caller = Caller::of(req);
        let hash = hasher.hash_one((kind, target, version, &caller, cursor, arguments, extra));
        Some(Self {
            hash,
            kind,
            target,
            version,
            caller,
            cursor,
            arguments,
            extra,
        })
    }

    /// The key to store, copied out of the request.
    pub(crate) fn to_key(&self) -> Key {
        Key {
            hash: self.hash,
            kind: self.kind,
            target: self.target.map(Into::into),
            version: self.version,
            caller: self.caller.clone(),
            cursor: self.cursor.map(Into::into),
            arguments: self.arguments.cloned(),
            extra: self.extra.clone(),
        }
    }
}

impl Key {
    /// About how many bytes the key takes as JSON (the parameters and the target), for the
    /// byte bound.
    pub(crate) fn json_len(&self) -> usize {
        json_len(&(&self.cursor, &self.arguments, &self.extra))
            + self.target.as_deref().map_or(0, str::len)
    }
}

/// The hash was computed from every field (and equal keys hash equally), so it stands for
/// them all.
impl<S, O> Hash for KeyOf<S, O> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        other.equivalent_to(self)
    }
}

impl Eq for Key {}

impl<S: AsRef<str>, O: std::borrow::Borrow<JsonObject>> KeyOf<S, O> {
    fn equivalent_to(&self, key: &Key) -> bool {
        fn s<S: AsRef<str>>(s: &Option<S>) -> Option<&str> {
            s.as_ref().map(AsRef::as_ref)
        }
        self.hash == key.hash
            && self.kind == key.kind
            && s(&self.target) == key.target.as_deref()
            && self.version == key.version
            && self.caller == key.caller
            && s(&self.cursor) == key.cursor.as_deref()
            && self.arguments.as_ref().map(O::borrow) == key.arguments.as_ref()
            && self.extra.borrow() == &key.extra
    }
}

impl quick_cache::Equivalent<Key> for Lookup<'_> {
    fn equivalent(&self, key: &Key) -> bool {
        self.equivalent_to(key)
    }
}

/// The size of `value` as JSON, without building it.
pub(crate) fn json_len<T: serde::Serialize>(value: &T) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}
