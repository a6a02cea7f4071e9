//! GET (the standalone stream, and resumption with `Last-Event-ID`) and DELETE (ending a
//! session).

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use tokio::sync::mpsc;
use turret_core::types::ProtocolVersion;
use turret_core::{Identity, McpService};

use super::headers::{header, PROTOCOL_VERSION, SESSION_ID};
use super::post::Accept;
use super::replicated;
use super::session::HttpSession;
use super::sse::{keep_alive, Event};
use super::stream::sse_response;
use super::{plain, ResponseBody, Shared};

fn not_allowed(reason: &'static str) -> Response<ResponseBody> {
    let mut r = plain(StatusCode::METHOD_NOT_ALLOWED, reason);
    r.headers_mut()
        .insert(http::header::ALLOW, HeaderValue::from_static("POST"));
    r
}

/// The session a GET or DELETE names, or the response refusing it.
async fn session_of<S: McpService>(
    shared: &Shared<S>,
    req: &http::request::Parts,
) -> Result<Arc<HttpSession>, Box<Response<ResponseBody>>> {
    let modern = header(&req.headers, PROTOCOL_VERSION)
        .and_then(ProtocolVersion::parse)
        .is_some_and(ProtocolVersion::is_sessionless);
    // 2026-07-28 has no sessions and no GET stream; neither has an endpoint without sessions.
    if modern || !shared.config.sessions {
        return Err(Box::new(not_allowed("this endpoint takes POST only")));
    }
    let Some(id) = header(&req.headers, SESSION_ID) else {
        return Err(Box::new(not_allowed(
            "GET and DELETE need an Mcp-Session-Id",
        )));
    };
    replicated::find(shared, id, req.extensions.get::<Identity>())
        .await?
        .ok_or_else(|| {
            Box::new(plain(
                StatusCode::NOT_FOUND,
                "unknown or ended session: initialize again",
            ))
        })
}

pub(crate) async fn open<S: McpService, B>(
    shared: &Arc<Shared<S>>,
    req: Request<B>,
) -> Response<ResponseBody> {
    let (req, _body) = req.into_parts();
    let session = match session_of(shared, &req).await {
        Ok(s) => s,
        Err(r) => return *r,
    };
    if !Accept::of(&req.headers).sse {
        return plain(
            StatusCode::NOT_ACCEPTABLE,
            "Accept must allow text/event-stream",
        );
    }
    let (live, body) = mpsc::unbounded_channel::<Bytes>();
    if let Some(last) = header(&req.headers, "last-event-id") {
        return match resume(shared, &session, last, live).await {
            true => sse_response(body),
            false => plain(
                StatusCode::NOT_FOUND,
                "unknown Last-Event-ID: the stream is gone",
            ),
        };
    }
    if !shared.config.standalone_stream {
        return not_allowed("no standalone stream on this endpoint");
    }
    if shared.config.replicas.is_some() {
        replicated::follow_standalone(shared, &session, None, &live);
        return sse_response(body);
    }
    session.attach_standalone(live.clone());
    tokio::spawn(keep_open(
        shared.config.keep_alive,
        shared.shutdown.clone(),
        session,
        live,
    ));
    sse_response(body)
}

/// Keeps a standalone stream alive until the client, the session or the server ends it.
async fn keep_open(
    every: Option<std::time::Duration>,
    shutdown: tokio_util::sync::CancellationToken,
    session: Arc<HttpSession>,
    live: mpsc::UnboundedSender<Bytes>,
) {
    let every = every.unwrap_or(std::time::Duration::from_secs(3600));
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        tokio::select! {
            () = live.closed() => break,
            () = session.closed.cancelled() => break,
            () = shutdown.cancelled() => break,
            _ = ticker.tick() => {
                if live.send(keep_alive()).is_err() {
                    break;
                }
            }
        }
    }
}

/// Replays what a stream sent after `last` and, if its call is still running, makes `live`
/// its connection. `false` when the id is unknown.
async fn resume<S: McpService>(
    shared: &Shared<S>,
    session: &HttpSession,
    last: &str,
    live: mpsc::UnboundedSender<Bytes>,
) -> bool {
    let store = &shared.config.event_store;
    let Some(stream) = store.replay_after(last).await.map(|r| r.stream) else {
        return false;
    };
    // Only this session's streams: event ids of other sessions are not ours to replay.
    if !stream.starts_with(&*session.id) {
        return false;
    }
    if shared.config.replicas.is_some() && stream == replicated::standalone_name(&session.id) {
        replicated::follow_standalone(shared, session, Some(last), &live);
        return true;
    }
    let slot = session
        .streams
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&stream)
        .cloned();
    let replay = |events: Vec<(String, turret_core::types::JsonRpcMessage)>| {
        for (id, m) in events {
            let _ = live.send(Event::message(Some(id), m).to_bytes());
        }
    };
    match slot {
        Some(slot) => {
            // Under the slot's lock the producer cannot append between replay and attach.
            let mut s = slot.lock().await;
            let events = store
                .replay_after(last)
                .await
                .map(|r| r.events)
                .unwrap_or_default();
            replay(events);
            if !s.done {
                s.live = Some(live.clone());
            }
        }
        // Another replica's call, still running or not: follow it from the shared store.
        None if replicated::follow_call(shared, session, &stream, last, &live) => {}
        None => replay(
            store
                .replay_after(last)
                .await
                .map(|r| r.events)
                .unwrap_or_default(),
        ),
    }
    true
}

pub(crate) async fn delete<S: McpService, B>(
    shared: &Shared<S>,
    req: Request<B>,
) -> Response<ResponseBody> {
    let (req, _body) = req.into_parts();
    match session_of(shared, &req).await {
        Ok(session) => {
            shared.sessions.remove(&session.id);
            if let Some(replicas) = &shared.config.replicas {
                if let Err(e) = replicas.sessions.remove(&session.id).await {
                    tracing::warn!(error = %e, "could not end a session in the shared store");
                }
            }
            plain(StatusCode::NO_CONTENT, "")
        }
        Err(r) => *r,
    }
}
