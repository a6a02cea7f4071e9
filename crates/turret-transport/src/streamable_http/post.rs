//! POST: one JSON-RPC message in, a JSON or SSE answer out.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use tokio::sync::mpsc;
use tower::ServiceExt as _;
use turret_core::session::SessionState;
use turret_core::types::meta::PROTOCOL_VERSION_KEY;
use turret_core::types::{
    ClientNotification, ClientRequest, ClientResult, ErrorCode, JsonRpcError, JsonRpcMessage,
    JsonRpcNotification, JsonRpcRequest, JsonRpcResponse, ProtocolVersion, RequestId,
    ServerNotification, ServerRequest,
};
use turret_core::McpService;
use turret_core::{BoxError, Identity, McpError, Peer, PeerSink};

use crate::request_body::{self, BodyError};

use super::headers::{self, header, PROTOCOL_VERSION, SESSION_ID};
use super::replicated;
use super::session::{ask, HttpSession};
use super::sse::Event;
use super::stream::{
    is_final, json_response, sse_response, sse_single, Outbound, Pump, Slot, SseStream,
};
use super::{plain, ResponseBody, ResponseMode, Shared};

/// What the client's `Accept` allows.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Accept {
    pub(crate) json: bool,
    pub(crate) sse: bool,
}

impl Accept {
    pub(crate) fn of(headers: &HeaderMap) -> Self {
        let mut accept = Self {
            json: false,
            sse: false,
        };
        let values = headers.get_all(http::header::ACCEPT);
        if values.iter().next().is_none() {
            return Self {
                json: true,
                sse: true,
            };
        }
        for range in values
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
        {
            let media = range
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            match media.as_str() {
                "*/*" => (accept.json, accept.sse) = (true, true),
                "application/*" | "application/json" => accept.json = true,
                "text/*" | "text/event-stream" => accept.sse = true,
                _ => {}
            }
        }
        accept
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    header(headers, http::header::CONTENT_TYPE.as_str())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

/// How deeply `bytes` nests arrays and objects (strings are skipped).
fn depth(bytes: &[u8]) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

fn error(id: Option<RequestId>, e: McpError) -> JsonRpcMessage {
    JsonRpcMessage::Error(JsonRpcError {
        id,
        error: e.into_object(),
    })
}

/// The HTTP status of a JSON-RPC error answer: 2026-07-28 makes header, capability and
/// version problems 400 and unknown methods 404; everything else travels in a 200.
fn status_of(message: &JsonRpcMessage, modern: bool) -> StatusCode {
    let JsonRpcMessage::Error(e) = message else {
        return StatusCode::OK;
    };
    match e.error.code {
        ErrorCode::METHOD_NOT_FOUND if modern => StatusCode::NOT_FOUND,
        ErrorCode::HEADER_MISMATCH
        | ErrorCode::MISSING_REQUIRED_CLIENT_CAPABILITY
        | ErrorCode::UNSUPPORTED_PROTOCOL_VERSION
        | ErrorCode::PARSE_ERROR
        | ErrorCode::INVALID_REQUEST => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    }
}

/// Whether the message belongs to the sessionless era: its `_meta` names a version, or the
/// version header names one that is not of the handshake era.
fn is_modern(headers: &HeaderMap, message: &JsonRpcMessage) -> bool {
    let params = match message {
        JsonRpcMessage::Request(r) => r.params.as_ref(),
        JsonRpcMessage::Notification(n) => n.params.as_ref(),
        _ => None,
    };
    if params
        .and_then(|p| p.get("_meta"))
        .is_some_and(|m| m.get(PROTOCOL_VERSION_KEY).is_some())
    {
        return true;
    }
    let legacy = |v: &str| ProtocolVersion::parse(v).is_some_and(|v| !v.is_sessionless());
    header(headers, SESSION_ID).is_none()
        && header(headers, PROTOCOL_VERSION).is_some_and(|v| !legacy(v))
        && !matches!(message, JsonRpcMessage::Request(r) if r.method == "initialize")
}

pub(crate) async fn handle<S, B>(shared: Arc<Shared<S>>, req: Request<B>) -> Response<ResponseBody>
where
    S: McpService,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let (parts, body) = req.into_parts();
    if !is_json(&parts.headers) {
        return plain(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json",
        );
    }
    let accept = Accept::of(&parts.headers);
    if !accept.json && !accept.sse {
        return plain(
            StatusCode::NOT_ACCEPTABLE,
            "Accept must allow application/json or text/event-stream",
        );
    }
    let limit = shared.config.body_limit();
    let bytes = match request_body::read(&parts.headers, body, limit).await {
        Ok(bytes) => bytes,
        Err(BodyError::TooLarge) => {
            return json_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                &request_body::too_large(limit.max),
            )
        }
        Err(BodyError::Unreadable) => {
            return plain(StatusCode::BAD_REQUEST, "could not read the request body")
        }
    };
    if depth(&bytes) > shared.config.max_depth {
        // A parse error, as the JSON parser's own recursion limit gives on stdio: the body is
        // refused before it is parsed, so nothing in it (not even the id) has been read.
        let e = McpError::new(
            ErrorCode::PARSE_ERROR,
            format!("JSON nested deeper than {} levels", shared.config.max_depth),
        );
        return json_response(StatusCode::BAD_REQUEST, &error(None, e));
    }
    let message = match JsonRpcMessage::parse(&bytes) {
        Ok(m) => m,
        Err(bad) => {
            return json_response(StatusCode::BAD_REQUEST, &error(bad.id, bad.error.into()))
        }
    };
    if is_modern(&parts.headers, &message) {
        modern(shared, parts, message, accept).await
    } else {
        handshake(shared, parts, message, accept).await
    }
}

fn accepted() -> Response<ResponseBody> {
    plain(StatusCode::ACCEPTED, "")
}

/// 2026-07-28: validate the metadata, then serve statelessly.
async fn modern<S>(
    shared: Arc<Shared<S>>,
    parts: Parts,
    message: JsonRpcMessage,
    accept: Accept,
) -> Response<ResponseBody>
where
    S: McpService,
{
    match message {
        JsonRpcMessage::Request(r) => {
            if let Err(e) = headers::validate(&parts.headers, &r) {
                let status = if e.code() == ErrorCode::METHOD_NOT_FOUND {
                    StatusCode::NOT_FOUND
                } else {
                    StatusCode::BAD_REQUEST
                };
                return json_response(status, &error(Some(r.id), e));
            }
            run(shared, r, parts, accept, Era::Modern).await
        }
        // 2026-07-28 defines no client notifications over HTTP; accept and drop them.
        JsonRpcMessage::Notification(_) => accepted(),
        JsonRpcMessage::Response(_) | JsonRpcMessage::Error(_) => plain(
            StatusCode::BAD_REQUEST,
            "2026-07-28 clients answer input requests by retrying, not with responses",
        ),
    }
}

/// Where a request's session comes from.
enum Era {
    Modern,
    Session(Arc<HttpSession>),
    Stateless(ProtocolVersion),
}

/// The handshake era: sessions, notifications and the client's answers.
async fn handshake<S>(
    shared: Arc<Shared<S>>,
    parts: Parts,
    message: JsonRpcMessage,
    accept: Accept,
) -> Response<ResponseBody>
where
    S: McpService,
{
    let header_version = match header(&parts.headers, PROTOCOL_VERSION) {
        None => None,
        Some(v) => match ProtocolVersion::parse(v).filter(|v| !v.is_sessionless()) {
            Some(v) => Some(v),
            None => return plain(StatusCode::BAD_REQUEST, "unsupported MCP-Protocol-Version"),
        },
    };
    let config = &shared.config;
    let initialize = matches!(&message, JsonRpcMessage::Request(r) if r.method == "initialize");
    let era = if initialize && config.sessions {
        Era::Session(shared.sessions.create(
            config.session_idle,
            parts.extensions.get::<Identity>(),
            shared.replica_link(),
        ))
    } else if !config.sessions {
        // Without sessions a client's version can only come from its header.
        Era::Stateless(header_version.unwrap_or(ProtocolVersion::V2025_03_26))
    } else {
        match header(&parts.headers, SESSION_ID) {
            None => {
                return plain(
                    StatusCode::BAD_REQUEST,
                    "missing Mcp-Session-Id: send initialize first",
                )
            }
            Some(id) => {
                match replicated::find(&shared, id, parts.extensions.get::<Identity>()).await {
                    Ok(Some(s)) => Era::Session(s),
                    Ok(None) => {
                        return plain(
                            StatusCode::NOT_FOUND,
                            "unknown or ended session: initialize again",
                        )
                    }
                    Err(refused) => return *refused,
                }
            }
        }
    };
    match message {
        JsonRpcMessage::Request(r) if initialize && !config.sessions => {
            run(
                shared,
                r,
                parts,
                accept,
                Era::Stateless(ProtocolVersion::LATEST_HANDSHAKE),
            )
            .await
        }
        JsonRpcMessage::Request(r) => {
            let session = match &era {
                Era::Session(s) => Some(s.clone()),
                _ => None,
            };
            if let Some(s) = &session {
                if let Err(refused) = replicated::remember_change(&shared, s, &r).await {
                    return *refused;
                }
            }
            let response = run(shared.clone(), r, parts, accept, era).await;
            match session {
                Some(s) if initialize => match replicated::remember_initialize(&shared, &s).await {
                    Ok(()) => response,
                    Err(refused) => *refused,
                },
                _ => response,
            }
        }
        JsonRpcMessage::Notification(n) => {
            if let Era::Session(session) = &era {
                session_notification(session, n);
            }
            accepted()
        }
        JsonRpcMessage::Response(r) => {
            if let Era::Session(session) = &era {
                replicated::deliver_answer(&shared, session, r.id, Ok(r.result)).await;
            }
            accepted()
        }
        JsonRpcMessage::Error(e) => {
            if let (Era::Session(session), Some(id)) = (&era, e.id) {
                replicated::deliver_answer(&shared, session, id, Err(e.error)).await;
            }
            accepted()
        }
    }
}

/// What a session's client tells it: a request it gave up on, or that its roots changed.
fn session_notification(session: &HttpSession, n: JsonRpcNotification) {
    let notification = ClientNotification::from_parts(&n.method, n.params);
    if let Ok(ClientNotification::RootsListChanged(_)) = notification {
        session
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .roots_changed();
    }
    if let Ok(ClientNotification::Cancelled(c)) = notification {
        let token = c.request_id.and_then(|id| {
            session
                .in_flight
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&id)
        });
        if let Some(token) = token {
            token.cancel();
        }
    }
}

/// A request's line back to its client: its own response stream, and (with a session) the
/// session's table of outstanding server→client requests.
struct CallPeer {
    tx: mpsc::Sender<Outbound>,
    session: Option<Arc<HttpSession>>,
}

impl PeerSink for CallPeer {
    fn notify(&self, notification: ServerNotification) -> BoxFuture<'static, ()> {
        let tx = self.tx.clone();
        Box::pin(async move {
            let message = JsonRpcMessage::Notification(JsonRpcNotification {
                method: notification.method().to_owned(),
                params: notification.params_value(),
            });
            let _ = tx.send(Outbound::Message(message)).await;
        })
    }

    fn request(
        &self,
        request: ServerRequest,
    ) -> BoxFuture<'static, Result<ClientResult, McpError>> {
        let (tx, session) = (self.tx.clone(), self.session.clone());
        Box::pin(async move {
            let session = session.ok_or_else(|| {
                McpError::internal(
                    "asking the client needs a session (this endpoint runs without sessions)",
                )
            })?;
            ask(&session.outstanding, request, |m| async move {
                tx.send(Outbound::Message(m)).await.is_ok()
            })
            .await
        })
    }

    fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

/// Runs one request and answers it as the configuration and `Accept` allow.
async fn run<S>(
    shared: Arc<Shared<S>>,
    r: JsonRpcRequest,
    parts: Parts,
    accept: Accept,
    era: Era,
) -> Response<ResponseBody>
where
    S: McpService,
{
    let id = r.id.clone();
    let modern = matches!(era, Era::Modern);
    let session = match &era {
        Era::Session(s) => Some(s.clone()),
        _ => None,
    };
    let (tx, rx) = mpsc::channel::<Outbound>(64);
    let peer = Peer::new(CallPeer {
        tx: tx.clone(),
        session: session.clone(),
    });
    let prepared = match &era {
        Era::Modern => SessionState::new().prepare(r, &peer),
        Era::Session(s) => s
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .prepare(r, &peer),
        Era::Stateless(v) => SessionState::assume(*v).prepare(r, &peer),
    };
    let mut request = match prepared {
        Ok(request) => request,
        Err(e) => {
            let m = error(Some(id), e);
            return json_response(status_of(&m, modern), &m);
        }
    };
    let initialize = matches!(request.message(), ClientRequest::Initialize(_));
    // A listen stream never answers on its own: shutdown ends it.
    let long_lived = matches!(request.message(), ClientRequest::SubscriptionsListen(_));
    let shutdown = shared.shutdown.clone();
    request.extensions_mut().insert(SseStream::new(tx.clone()));
    if modern {
        request
            .extensions_mut()
            .insert(headers::param_headers(&parts.headers));
    }
    // An identity an outer auth layer established is the MCP request's too, for handlers
    // (`Extension<Identity>`) and Turret's layers (rate limits, cache keys, traces).
    if let Some(identity) = parts.extensions.get::<Identity>() {
        request.extensions_mut().insert(identity.clone());
    }
    request.extensions_mut().insert(parts);
    let context = request.context();
    let token = context.cancellation().clone();
    let version = context.version();
    if let Some(s) = &session {
        let limit = shared.config.max_in_flight;
        let mut in_flight = s.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        let admitted = turret_core::session::admit(&mut in_flight, &id, token.clone(), limit);
        drop(in_flight);
        if let Err(e) = admitted {
            let status = if e.code() == ErrorCode::TOO_MANY_REQUESTS {
                StatusCode::TOO_MANY_REQUESTS
            } else {
                StatusCode::BAD_REQUEST
            };
            return json_response(status, &error(Some(id), e));
        }
    }
    let service = shared.service.clone();
    let (task_id, task_session, task_token) = (id.clone(), session.clone(), token.clone());
    tokio::spawn(async move {
        let outcome = tokio::select! {
            r = service.oneshot(request) => Some(r),
            () = task_token.cancelled() => None,
            () = shutdown.cancelled(), if long_lived => {
                task_token.cancel();
                None
            }
        };
        if let Some(s) = &task_session {
            s.in_flight
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&task_id);
        }
        let Some(outcome) = outcome.filter(|_| !task_token.is_cancelled()) else {
            return;
        };
        let message = match outcome {
            Ok(mut result) => {
                result.adapt_to(version);
                JsonRpcMessage::Response(JsonRpcResponse {
                    id: task_id,
                    result: result.to_value(),
                })
            }
            Err(e) => error(Some(task_id), McpError::from_box_error(e)),
        };
        let _ = tx.send(Outbound::Message(message)).await;
    });
    // Only the call may hold senders now: when it ends without an answer (cancelled), the
    // receiver must see the channel close.
    drop((peer, context));
    let mut response = respond(
        &shared,
        rx,
        id,
        accept,
        modern,
        session.clone(),
        token,
        version,
    )
    .await;
    if let (true, Some(s)) = (initialize, &session) {
        if let Ok(v) = HeaderValue::from_str(&s.id) {
            response.headers_mut().insert(SESSION_ID, v);
        }
    }
    response
}

/// Decides JSON or SSE and builds the response.
#[allow(clippy::too_many_arguments)]
async fn respond<S>(
    shared: &Arc<Shared<S>>,
    mut rx: mpsc::Receiver<Outbound>,
    id: RequestId,
    accept: Accept,
    modern: bool,
    session: Option<Arc<HttpSession>>,
    token: tokio_util::sync::CancellationToken,
    version: ProtocolVersion,
) -> Response<ResponseBody> {
    let config = &shared.config;
    // 2026-07-28: a client that goes away while we wait has cancelled its request.
    let guard = modern.then(|| token.clone().drop_guard());
    let json_only = config.response == ResponseMode::Json || !accept.sse;
    let json_ok = accept.json && config.response != ResponseMode::Sse;
    let mut first = None;
    let mut close_now = false;
    // Wait for the first message: when it is the answer itself, the whole response is one
    // body (JSON, or a single SSE event) with no stream to keep open.
    loop {
        match rx.recv().await {
            Some(Outbound::Message(m)) if is_final(&m, &id) => {
                return if json_ok || !accept.sse {
                    json_response(status_of(&m, modern), &m)
                } else {
                    sse_single(&m)
                };
            }
            Some(Outbound::Message(m)) if !json_only => {
                first = Some(m);
                break;
            }
            Some(Outbound::CloseConnection) if !json_only => {
                close_now = true;
                break;
            }
            // JSON only: notifications cannot travel; drop them.
            Some(_) => continue,
            // Cancelled: no answer will come; an empty stream says so.
            None => return sse_response(mpsc::unbounded_channel().1),
        }
    }
    if let Some(guard) = guard {
        // From here the stream's producer watches the connection.
        guard.disarm();
    }
    let (live, body) = mpsc::unbounded_channel::<Bytes>();
    let pump = Pump {
        keep_alive: config.keep_alive,
    };
    match session {
        Some(session) => {
            let stream = session.next_stream_id(&id);
            if version >= ProtocolVersion::V2025_11_25 {
                // Priming: an id to resume from even before the first message.
                let priming = Event {
                    id: Some(format!("{stream}_0")),
                    retry: config.sse_retry,
                    message: None,
                };
                let _ = live.send(priming.to_bytes());
            }
            // A handler that closed the connection before saying anything gets just the
            // priming event: the client resumes from it.
            let slot = Arc::new(tokio::sync::Mutex::new(Slot {
                live: (!close_now).then_some(live),
                done: false,
            }));
            session
                .streams
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(stream.clone(), slot.clone());
            let store = config.event_store.clone();
            tokio::spawn(async move {
                pump.resumable(rx, first, slot, store, stream.clone(), id)
                    .await;
                session
                    .streams
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&stream);
            });
        }
        None => {
            // Without a session nothing can be resumed: a closed stream cancels the call.
            let cancel = if modern {
                token
            } else {
                tokio_util::sync::CancellationToken::new()
            };
            tokio::spawn(pump.direct(rx, first, live, id, cancel));
        }
    }
    sse_response(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_nesting_outside_strings() {
        assert_eq!(depth(br#"{"a":[1,{"b":"[[[["}]}"#), 3);
        assert_eq!(depth(br#""\"{""#), 0);
    }

    #[test]
    fn reads_accept_ranges() {
        let mut h = HeaderMap::new();
        h.insert(
            http::header::ACCEPT,
            "application/json, text/event-stream;q=0.9".parse().unwrap(),
        );
        let a = Accept::of(&h);
        assert!(a.json && a.sse);
        h.insert(http::header::ACCEPT, "text/html".parse().unwrap());
        let a = Accept::of(&h);
        assert!(!a.json && !a.sse);
    }
}
