//! What one client session knows, and how a request is typed and placed in its era.

use std::sync::Arc;

use serde::Deserialize as _;
use turret_types::{
    ClientCapabilities, ClientRequest, Implementation, JsonRpcRequest, Meta, ProtocolVersion,
};

use super::RootsSignal;
use crate::error::McpError;
use crate::peer::Peer;
use crate::request::{Request, RequestContext, SessionLogLevel};

/// What `initialize` settled for a handshake-era connection.
#[derive(Debug, Clone)]
struct Handshake {
    version: ProtocolVersion,
    capabilities: Arc<ClientCapabilities>,
    client_info: Option<Arc<Implementation>>,
}

/// Methods of the handshake era only, and of 2026-07-28 only.
const HANDSHAKE_ONLY: &[&str] = &[
    "initialize",
    "ping",
    "logging/setLevel",
    "resources/subscribe",
    "resources/unsubscribe",
];
const SESSIONLESS_ONLY: &[&str] = &["server/discover", "subscriptions/listen"];

/// One client's session: what `initialize` settled (handshake era) and the log level
/// `logging/setLevel` chose. Requests carrying the 2026-07-28 version in `_meta` are served
/// statelessly whatever the session holds, so one session object serves both eras.
#[derive(Debug, Clone)]
pub struct SessionState {
    handshake: Option<Handshake>,
    log_level: SessionLogLevel,
    id: Option<Arc<str>>,
    session_peer: Option<Peer>,
    roots: RootsSignal,
}

impl Default for SessionState {
    fn default() -> Self {
        Self::new()
    }
}

impl SessionState {
    /// A fresh session, not yet initialized.
    pub fn new() -> Self {
        Self {
            handshake: None,
            log_level: SessionLogLevel::new(),
            id: None,
            session_peer: None,
            roots: RootsSignal::new(),
        }
    }

    /// A fresh session with a transport-level id (such as HTTP's `Mcp-Session-Id`).
    pub fn with_id(id: Arc<str>) -> Self {
        Self {
            id: Some(id),
            ..Self::new()
        }
    }

    /// A session that behaves as if `initialize` had settled `version` with a client of no
    /// declared capabilities: for transports that serve the handshake era without sessions.
    pub fn assume(version: ProtocolVersion) -> Self {
        let mut state = Self::new();
        state.handshake = Some(Handshake {
            version,
            capabilities: Arc::default(),
            client_info: None,
        });
        state
    }

    /// Sets the channel for messages not tied to one request (see
    /// [`RequestContext::with_session_peer`]).
    pub fn with_session_peer(mut self, peer: Peer) -> Self {
        self.session_peer = Some(peer);
        self
    }

    /// The negotiated handshake-era revision, once `initialize` was answered.
    pub fn version(&self) -> Option<ProtocolVersion> {
        self.handshake.as_ref().map(|h| h.version)
    }

    /// What the client offered in `initialize`, once it was answered.
    pub fn capabilities(&self) -> Option<&ClientCapabilities> {
        self.handshake.as_ref().map(|h| &*h.capabilities)
    }

    /// Who the client said it is in `initialize`, once it was answered.
    pub fn client_info(&self) -> Option<&Implementation> {
        self.handshake
            .as_ref()
            .and_then(|h| h.client_info.as_deref())
    }

    /// The client said its roots changed (`notifications/roots/list_changed`): wakes the
    /// [`RootsChanges`](super::RootsChanges) of this session's requests.
    pub fn roots_changed(&self) {
        self.roots.changed();
    }

    /// The session-wide log level `logging/setLevel` changes.
    pub fn log_level(&self) -> &SessionLogLevel {
        &self.log_level
    }

    /// Settles the session as an `initialize` answered elsewhere did: how a replica takes up
    /// a session another replica opened.
    pub fn restore(
        &mut self,
        version: ProtocolVersion,
        capabilities: ClientCapabilities,
        client_info: Option<Implementation>,
    ) {
        self.handshake = Some(Handshake {
            version,
            capabilities: Arc::new(capabilities),
            client_info: client_info.map(Arc::new),
        });
    }

    /// Types `r`, decides its era, and builds the [`Request`] with its [`RequestContext`]
    /// (`peer` is how the request's handler reaches the client). An `initialize` settles the
    /// session. Errors are the JSON-RPC errors to answer with: `-32602` for parameters of the
    /// wrong shape, `-32022` for an unsupported `_meta` version, `-32601` for a method of the
    /// other era, `-32600` for a request before `initialize`.
    pub fn prepare(&mut self, r: JsonRpcRequest, peer: &Peer) -> Result<Request, McpError> {
        // `_meta` is read from the raw params: it decides the era even for methods this
        // side does not model, and before parameters of the other era fail to parse.
        let meta: Meta = r
            .params
            .as_ref()
            .and_then(|p| p.get("_meta"))
            .and_then(|m| Meta::deserialize(m).ok())
            .unwrap_or_default();
        if meta.protocol_version().is_some() && HANDSHAKE_ONLY.contains(&r.method.as_str()) {
            return Err(McpError::method_not_found(&r.method));
        }
        let message = ClientRequest::from_parts(&r.method, r.params)
            .map_err(|e| McpError::invalid_params(e.to_string()))?;
        let base = |version| RequestContext::new(version, peer.clone()).with_id(r.id.clone());

        let handshake = &mut self.handshake;
        let log_level = &self.log_level;
        let roots = &self.roots;
        let session_id = self.id.clone();
        let context = if let Some(requested) = meta.protocol_version() {
            let version = ProtocolVersion::parse(requested)
                .filter(|v| v.is_sessionless())
                .ok_or_else(|| McpError::unsupported_version(requested))?;
            if HANDSHAKE_ONLY.contains(&message.method()) {
                return Err(McpError::method_not_found(message.method()));
            }
            base(version)
                .with_capabilities(Arc::new(meta.client_capabilities().unwrap_or_default()))
                .with_client_info(meta.client_info().map(Arc::new))
                .with_request_log_level(meta.log_level())
        } else if let ClientRequest::Initialize(p) = &message {
            let version = ProtocolVersion::negotiate_handshake(&p.protocol_version);
            let settled = Handshake {
                version,
                capabilities: Arc::new(p.capabilities.clone()),
                client_info: Some(Arc::new(p.client_info.clone())),
            };
            *handshake = Some(settled.clone());
            session_context(base(version), &settled, log_level, roots)
        } else if matches!(message, ClientRequest::Discover(_)) {
            // A probe without `_meta`: answer it as 2026-07-28 so the client learns what we speak.
            base(ProtocolVersion::LATEST)
        } else if let Some(settled) = handshake.as_ref() {
            if SESSIONLESS_ONLY.contains(&message.method()) {
                return Err(McpError::method_not_found(message.method()));
            }
            session_context(base(settled.version), settled, log_level, roots)
        } else if matches!(message, ClientRequest::Ping(_)) {
            base(ProtocolVersion::LATEST_HANDSHAKE)
        } else {
            return Err(McpError::invalid_request(format!(
            "{} before initialize: send initialize first, or put the 2026-07-28 protocol version in _meta",
            message.method()
        )));
        };
        let mut context = context
            .with_progress_token(meta.progress_token())
            .with_session_id(session_id);
        if let Some(peer) = &self.session_peer {
            context = context.with_session_peer(peer.clone());
        }
        let mut request = Request::new(message);
        request.extensions_mut().insert(context);
        Ok(request)
    }
}

fn session_context(
    base: RequestContext,
    settled: &Handshake,
    level: &SessionLogLevel,
    roots: &RootsSignal,
) -> RequestContext {
    base.with_capabilities(settled.capabilities.clone())
        .with_client_info(settled.client_info.clone())
        .with_session_log_level(level.clone())
        .with_roots(roots.clone())
}
