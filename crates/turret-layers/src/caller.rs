//! Who a request comes from, for state kept per caller (cache keys, rate limits).

use std::fmt;
use std::sync::Arc;

use turret_core::{Identity, Request, RequestContext};

/// The caller of a request, as the layers that keep per-caller state see it.
///
/// In order of preference: the authenticated [`Identity`]'s subject (an auth layer inserted
/// it); else the transport session (`Mcp-Session-Id` over HTTP); else the connection, for a
/// handshake-era client on a connection of its own (stdio, in-memory); else nobody in
/// particular ([`Caller::Anonymous`]: sessionless 2026-07-28 requests without an identity,
/// in-process calls), whom every such request shares.
///
/// ```
/// use turret_core::types::{ClientRequest, EmptyParams};
/// use turret_core::{Identity, Request};
/// use turret_layers::Caller;
///
/// let mut req = Request::new(ClientRequest::Ping(EmptyParams::default()));
/// assert_eq!(Caller::of(&req), Caller::Anonymous);
/// req.extensions_mut().insert(Identity::new("alice"));
/// assert_eq!(Caller::of(&req), Caller::Identity("alice".into()));
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Caller {
    /// An authenticated subject.
    Identity(Arc<str>),
    /// A transport session id.
    Session(Arc<str>),
    /// A connection, by its peer id.
    Connection(u64),
    /// No identity, session or connection to tell callers apart.
    Anonymous,
}

impl Caller {
    /// The caller of `req`.
    pub fn of(req: &Request) -> Self {
        if let Some(identity) = req.extensions().get::<Identity>() {
            return Self::Identity(identity.subject().into());
        }
        let Some(ctx) = req.extensions().get::<RequestContext>() else {
            return Self::Anonymous;
        };
        if let Some(session) = ctx.session_id() {
            return Self::Session(session.into());
        }
        // On 2026-07-28 a request's peer is its own response stream, not a connection.
        let peer = ctx.session_peer().id();
        if !ctx.version().is_sessionless() && peer != 0 {
            return Self::Connection(peer);
        }
        Self::Anonymous
    }
}

impl fmt::Display for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Identity(s) => write!(f, "identity:{s}"),
            Self::Session(s) => write!(f, "session:{s}"),
            Self::Connection(id) => write!(f, "connection:{id}"),
            Self::Anonymous => f.write_str("anonymous"),
        }
    }
}
