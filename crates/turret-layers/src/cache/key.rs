//! What a cached answer is stored under, and which requests have one.

use std::sync::Arc;

use turret_core::router::Change;
use turret_core::types::ClientRequest;
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

/// The key of one cached answer: method, target, parameters without `_meta`, protocol
/// revision and caller.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    pub(crate) kind: Kind,
    /// The tool name or resource URI.
    pub(crate) target: Option<Arc<str>>,
    pub(crate) version: &'static str,
    pub(crate) caller: Caller,
    /// The parameters as JSON, `_meta` left out (progress tokens, per-request capabilities
    /// and log levels do not change the answer).
    pub(crate) params: Box<[u8]>,
}

/// The key of `req`, if it is a request of a kind that may be cached; `None` for everything
/// else and for 2026-07-28 retries that carry input responses or request state.
pub(crate) fn key(req: &Request) -> Option<Key> {
    let (kind, target, params) = match req.message() {
        ClientRequest::ListTools(p) => (Kind::ListTools, None, json(&(&p.cursor, &p.extra))),
        ClientRequest::ListPrompts(p) => (Kind::ListPrompts, None, json(&(&p.cursor, &p.extra))),
        ClientRequest::ListResources(p) => {
            (Kind::ListResources, None, json(&(&p.cursor, &p.extra)))
        }
        ClientRequest::ListResourceTemplates(p) => {
            (Kind::ListTemplates, None, json(&(&p.cursor, &p.extra)))
        }
        ClientRequest::ReadResource(p) => {
            if p.input_responses.is_some() || p.request_state.is_some() {
                return None;
            }
            (Kind::Read, Some(p.uri.as_str().into()), json(&p.extra))
        }
        ClientRequest::CallTool(p) => {
            if p.input_responses.is_some() || p.request_state.is_some() {
                return None;
            }
            (
                Kind::Call,
                Some(p.name.as_str().into()),
                json(&(&p.arguments, &p.extra)),
            )
        }
        _ => return None,
    };
    let version = req
        .extensions()
        .get::<RequestContext>()
        .map_or("", |c| c.version().as_str());
    Some(Key {
        kind,
        target,
        version,
        caller: Caller::of(req),
        params,
    })
}

fn json<T: serde::Serialize>(value: &T) -> Box<[u8]> {
    serde_json::to_vec(value)
        .unwrap_or_default()
        .into_boxed_slice()
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
