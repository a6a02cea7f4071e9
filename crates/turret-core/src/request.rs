//! The request that travels through services, and the per-request context edges attach.

use std::sync::Arc;

use http::Extensions;
use tokio_util::sync::CancellationToken;
use turret_types::{
    ClientCapabilities, ClientRequest, Implementation, LoggingLevel, ProgressToken,
    ProtocolVersion, RequestId,
};

use crate::peer::Peer;
use crate::session::{RootsChanges, RootsSignal};

/// One client→server request as it travels through services: the typed message plus
/// extensions, like `http::Request`.
///
/// The edge parses the message once and inserts a [`RequestContext`]; layers and handlers
/// read it (and anything else other layers inserted, such as an authenticated identity)
/// from the extensions.
#[derive(Debug, Clone)]
pub struct Request {
    message: ClientRequest,
    extensions: Extensions,
}

impl Request {
    /// A request with no extensions (handlers then see a detached context: no peer, no
    /// session, the newest handshake revision).
    pub fn new(message: ClientRequest) -> Self {
        Self {
            message,
            extensions: Extensions::new(),
        }
    }

    /// Builds a request from its parts.
    pub fn from_parts(message: ClientRequest, extensions: Extensions) -> Self {
        Self {
            message,
            extensions,
        }
    }

    /// The method name.
    pub fn method(&self) -> &str {
        self.message.method()
    }

    /// The typed message.
    pub fn message(&self) -> &ClientRequest {
        &self.message
    }

    /// The typed message, mutably (a mount rewrites names here).
    pub fn message_mut(&mut self) -> &mut ClientRequest {
        &mut self.message
    }

    /// The extensions.
    pub fn extensions(&self) -> &Extensions {
        &self.extensions
    }

    /// The extensions, mutably.
    pub fn extensions_mut(&mut self) -> &mut Extensions {
        &mut self.extensions
    }

    /// The request's context, or a detached one when no edge inserted any.
    pub fn context(&self) -> RequestContext {
        self.extensions
            .get::<RequestContext>()
            .cloned()
            .unwrap_or_default()
    }

    /// Splits into message and extensions.
    pub fn into_parts(self) -> (ClientRequest, Extensions) {
        (self.message, self.extensions)
    }
}

impl From<ClientRequest> for Request {
    fn from(message: ClientRequest) -> Self {
        Self::new(message)
    }
}

/// Where the log level of a request comes from.
#[derive(Debug, Clone)]
enum LogLevel {
    /// Handshake era: the session's level, changed by `logging/setLevel`.
    Session(Arc<std::sync::atomic::AtomicU8>),
    /// 2026-07-28: the request's `_meta` level; `None` means no log messages at all.
    Request(Option<LoggingLevel>),
}

/// What the edge knows about one request: its id, revision, the client, the channel back to
/// it, cancellation and progress. Inserted into [`Request`] extensions.
#[derive(Debug, Clone)]
pub struct RequestContext {
    id: Option<RequestId>,
    version: ProtocolVersion,
    capabilities: Arc<ClientCapabilities>,
    client_info: Option<Arc<Implementation>>,
    progress_token: Option<ProgressToken>,
    log_level: LogLevel,
    cancellation: CancellationToken,
    peer: Peer,
    session_peer: Option<Peer>,
    session_id: Option<Arc<str>>,
    roots: Option<RootsSignal>,
}

impl Default for RequestContext {
    fn default() -> Self {
        Self::new(ProtocolVersion::LATEST_HANDSHAKE, Peer::detached())
    }
}

const LEVELS: [LoggingLevel; 8] = [
    LoggingLevel::Debug,
    LoggingLevel::Info,
    LoggingLevel::Notice,
    LoggingLevel::Warning,
    LoggingLevel::Error,
    LoggingLevel::Critical,
    LoggingLevel::Alert,
    LoggingLevel::Emergency,
];

/// A session-wide log level that `logging/setLevel` changes (handshake era).
#[derive(Debug, Clone, Default)]
pub struct SessionLogLevel(Arc<std::sync::atomic::AtomicU8>);

impl SessionLogLevel {
    /// A level that starts at `info` (the client has not asked for anything yet).
    pub fn new() -> Self {
        Self(Arc::new(std::sync::atomic::AtomicU8::new(
            LoggingLevel::Info as u8,
        )))
    }

    /// Sets the lowest level sent.
    pub fn set(&self, level: LoggingLevel) {
        self.0
            .store(level as u8, std::sync::atomic::Ordering::Relaxed);
    }

    /// The lowest level sent.
    pub fn get(&self) -> LoggingLevel {
        LEVELS[usize::from(self.0.load(std::sync::atomic::Ordering::Relaxed)).min(7)]
    }
}

impl RequestContext {
    /// A context for a request of `version` whose client is reached through `peer`.
    pub fn new(version: ProtocolVersion, peer: Peer) -> Self {
        Self {
            id: None,
            version,
            capabilities: Arc::default(),
            client_info: None,
            progress_token: None,
            log_level: LogLevel::Request(None),
            cancellation: CancellationToken::new(),
            peer,
            session_peer: None,
            session_id: None,
            roots: None,
        }
    }

    pub(crate) fn with_roots(mut self, roots: RootsSignal) -> Self {
        self.roots = Some(roots);
        self
    }

    /// What wakes when this request's client says its roots changed: a handshake-era
    /// session's requests have one, others `None` (2026-07-28 requests carry what they
    /// need, and in-process calls have no client).
    pub fn roots_changes(&self) -> Option<RootsChanges> {
        self.roots.as_ref().map(RootsSignal::subscribe)
    }

    /// Sets the JSON-RPC request id.
    pub fn with_id(mut self, id: RequestId) -> Self {
        self.id = Some(id);
        self
    }

    /// Sets the client's capabilities.
    pub fn with_capabilities(mut self, capabilities: Arc<ClientCapabilities>) -> Self {
        self.capabilities = capabilities;
        self
    }

    /// Sets the client's identity.
    pub fn with_client_info(mut self, info: Option<Arc<Implementation>>) -> Self {
        self.client_info = info;
        self
    }

    /// Sets the progress token from the request's `_meta`.
    pub fn with_progress_token(mut self, token: Option<ProgressToken>) -> Self {
        self.progress_token = token;
        self
    }

    /// Log messages follow the session's level (handshake era).
    pub fn with_session_log_level(mut self, level: SessionLogLevel) -> Self {
        self.log_level = LogLevel::Session(level.0);
        self
    }

    /// Log messages follow this request's own level (2026-07-28; `None`: send none).
    pub fn with_request_log_level(mut self, level: Option<LoggingLevel>) -> Self {
        self.log_level = LogLevel::Request(level);
        self
    }

    /// Sets the cancellation token the edge trips on `notifications/cancelled`.
    pub fn with_cancellation(mut self, token: CancellationToken) -> Self {
        self.cancellation = token;
        self
    }

    /// Sets the channel for messages that outlive this request (list changes, resource
    /// updates), where it differs from the request's own: over HTTP, a request's peer is its
    /// response stream, the session's is the standalone GET stream.
    pub fn with_session_peer(mut self, peer: Peer) -> Self {
        self.session_peer = Some(peer);
        self
    }

    /// Sets the session id (handshake era over HTTP).
    pub fn with_session_id(mut self, id: Option<Arc<str>>) -> Self {
        self.session_id = id;
        self
    }

    /// The JSON-RPC request id (`None` for in-process calls).
    pub fn id(&self) -> Option<&RequestId> {
        self.id.as_ref()
    }

    /// The protocol revision this request is served in.
    pub fn version(&self) -> ProtocolVersion {
        self.version
    }

    /// The client's capabilities (per session, or per request on 2026-07-28).
    pub fn capabilities(&self) -> &ClientCapabilities {
        &self.capabilities
    }

    /// The client's self-reported identity.
    pub fn client_info(&self) -> Option<&Implementation> {
        self.client_info.as_deref()
    }

    /// The progress token, when the client asked for progress.
    pub fn progress_token(&self) -> Option<&ProgressToken> {
        self.progress_token.as_ref()
    }

    /// Whether a log message at `level` should be sent for this request.
    pub fn log_enabled(&self, level: LoggingLevel) -> bool {
        match &self.log_level {
            LogLevel::Session(min) => level as u8 >= min.load(std::sync::atomic::Ordering::Relaxed),
            LogLevel::Request(min) => min.is_some_and(|min| level >= min),
        }
    }

    /// Changes the session's log level (`logging/setLevel`); ignored on 2026-07-28, where the
    /// level travels with each request.
    pub fn set_session_log_level(&self, level: LoggingLevel) {
        if let LogLevel::Session(min) = &self.log_level {
            min.store(level as u8, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// The cancellation token: tripped when the client cancels or goes away.
    pub fn cancellation(&self) -> &CancellationToken {
        &self.cancellation
    }

    /// The channel back to the client.
    pub fn peer(&self) -> &Peer {
        &self.peer
    }

    /// The channel for messages not tied to this request (the request's own peer unless the
    /// edge set another).
    pub fn session_peer(&self) -> &Peer {
        self.session_peer.as_ref().unwrap_or(&self.peer)
    }

    /// The session id, where the transport has sessions.
    pub fn session_id(&self) -> Option<&str> {
        self.session_id.as_deref()
    }
}

/// An MCP server as a service: what edges serve and routers mount. Implemented for every
/// `tower::Service<Request>` answering [`ServerResult`](turret_types::ServerResult)s whose
/// error converts into a [`BoxError`](crate::BoxError) and whose future can be spawned, so
/// stock tower layers around a [`Router`](crate::Router) still qualify.
pub trait McpService:
    tower_service::Service<
        Request,
        Response = turret_types::ServerResult,
        Error: Into<crate::BoxError>,
        Future: Send + 'static,
    > + Clone
    + Send
    + Sync
    + 'static
{
}

impl<T> McpService for T where
    T: tower_service::Service<
            Request,
            Response = turret_types::ServerResult,
            Error: Into<crate::BoxError>,
            Future: Send + 'static,
        > + Clone
        + Send
        + Sync
        + 'static
{
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_levels_follow_the_era() {
        let level = SessionLogLevel::new();
        let ctx = RequestContext::default().with_session_log_level(level.clone());
        assert!(!ctx.log_enabled(LoggingLevel::Debug));
        level.set(LoggingLevel::Debug);
        assert!(ctx.log_enabled(LoggingLevel::Debug));
        let modern = RequestContext::new(ProtocolVersion::V2026_07_28, Peer::detached());
        assert!(!modern.log_enabled(LoggingLevel::Emergency));
        let modern = modern.with_request_log_level(Some(LoggingLevel::Warning));
        assert!(modern.log_enabled(LoggingLevel::Error) && !modern.log_enabled(LoggingLevel::Info));
    }
}
