//! One request forwarded: the frontend's message adapted to the backend's era, sent as an
//! [`Exchange`](turret_core::client::Exchange), and everything the backend sends about it
//! relayed to the frontend request that caused it.

use futures_util::stream::FuturesUnordered;
use futures_util::StreamExt as _;
use turret_core::client::{ExchangeEvent, IncomingRequest};
use turret_core::{Client, Context, McpError, RequestContext};
use turret_types::meta::{
    CLIENT_CAPABILITIES_KEY, CLIENT_INFO_KEY, LOG_LEVEL_KEY, PROTOCOL_VERSION_KEY,
};
use turret_types::{ClientRequest, LoggingLevel, Meta, ServerNotification, ServerResult};

/// The `_meta` keys only the sessionless era (2026-07-28) carries.
const SESSIONLESS_KEYS: [&str; 4] = [
    PROTOCOL_VERSION_KEY,
    CLIENT_CAPABILITIES_KEY,
    CLIENT_INFO_KEY,
    LOG_LEVEL_KEY,
];

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

/// Rewrites the frontend's `_meta` for the backend's era: a handshake-era backend gets none
/// of the sessionless keys; a sessionless backend gets the frontend client's capabilities,
/// identity and log level (the proxy's client adds the protocol version).
pub(crate) fn adapt_meta(message: &mut ClientRequest, ctx: &RequestContext, backend: &Client) {
    let Some(slot) = message.meta_mut() else {
        return;
    };
    if !backend.protocol_version().is_sessionless() {
        if let Some(meta) = slot {
            for key in SESSIONLESS_KEYS {
                meta.0.remove(key);
            }
        }
        return;
    }
    let meta = slot.get_or_insert_with(Meta::new);
    if meta.get(CLIENT_CAPABILITIES_KEY).is_none() {
        if let Ok(caps) = serde_json::to_value(ctx.capabilities()) {
            meta.insert(CLIENT_CAPABILITIES_KEY, caps);
        }
    }
    if let (None, Some(info)) = (meta.get(CLIENT_INFO_KEY), ctx.client_info()) {
        if let Ok(info) = serde_json::to_value(info) {
            meta.insert(CLIENT_INFO_KEY, info);
        }
    }
    if meta.get(LOG_LEVEL_KEY).is_none() {
        if let Some(level) = LEVELS.iter().find(|l| ctx.log_enabled(**l)) {
            if let Ok(level) = serde_json::to_value(level) {
                meta.insert(LOG_LEVEL_KEY, level);
            }
        }
    }
}

/// Sends `message` to the backend and relays the exchange until its result: notifications to
/// the frontend request's peer, server requests through `frontend` (which, on 2026-07-28,
/// turns them into an `input_required` result to the frontend client).
pub(crate) async fn exchange(
    client: &Client,
    message: ClientRequest,
    frontend: &Context,
) -> Result<ServerResult, McpError> {
    let mut exchange = client.exchange(message);
    let mut asks = FuturesUnordered::new();
    loop {
        tokio::select! {
            // An answer that arrived wins over the connection closing right after it.
            biased;
            event = exchange.next() => match event {
                Some(ExchangeEvent::Done(result)) => return result,
                Some(ExchangeEvent::Notification(n)) => relay_notification(frontend, n).await,
                Some(ExchangeEvent::Request(r)) => asks.push(ask(frontend.clone(), r)),
                None => return Err(McpError::internal("the backend exchange ended without a result")),
            },
            // Polled here, inside the request's own future: a question the frontend must
            // answer on 2026-07-28 parks it, and the edge's input_required layer sees that.
            Some(()) = asks.next(), if !asks.is_empty() => {}
            // The backend may die while the frontend is still answering its question.
            () = client.closed() => {
                return Err(McpError::internal("the connection to the backend is closed"))
            }
        }
    }
}

async fn ask(frontend: Context, incoming: IncomingRequest) {
    let (request, key, responder) = incoming.into_parts();
    let answer = match key {
        Some(key) => frontend.ask_as(&key, request).await,
        None => frontend.ask(request).await,
    };
    responder.respond(answer);
}

async fn relay_notification(frontend: &Context, notification: ServerNotification) {
    if let ServerNotification::LoggingMessage(p) = &notification {
        if !frontend.request().log_enabled(p.level) {
            return;
        }
    }
    frontend.notify(notification).await;
}
