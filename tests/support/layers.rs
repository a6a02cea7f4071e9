//! What the `layers_*` tests share: serving a service over `memory_pair()` to a client, and a
//! minimal proxy (a client, forwarding every request to the server it is connected to).
//!
//! Include with `#[path = "support/layers.rs"] mod layers_support;`.
// Each test binary that includes this file uses only some of it; the rest would warn.
#![allow(dead_code, unreachable_pub)]

use tower::{Service, ServiceExt as _};
use turret::client::{Client, Era};
use turret::transport::memory_pair;
use turret::types::ServerResult;
use turret::{serve, BoxError, McpError, Request};

/// Serves `service` on one end of a memory pair and connects a handshake-era client to the
/// other.
pub async fn connect<S>(service: S) -> Client
where
    S: Service<Request, Response = ServerResult> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    connect_in(
        service,
        Era::Handshake(turret::types::ProtocolVersion::V2025_06_18),
    )
    .await
}

/// [`connect`] in `era`.
pub async fn connect_in<S>(service: S, era: Era) -> Client
where
    S: Service<Request, Response = ServerResult> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    let (server_end, client_end) = memory_pair();
    tokio::spawn(serve(service, server_end));
    Client::builder()
        .era(era)
        .connect(client_end)
        .await
        .expect("connect")
}

/// A proxy to whatever `client` is connected to: each request's message is forwarded. (No
/// proxy crate yet: this is the minimal forwarding service.)
pub fn proxy(
    client: Client,
) -> impl Service<Request, Response = ServerResult, Error = McpError, Future = impl Send>
       + Clone
       + Send
       + Sync
       + 'static {
    client.map_request(|req: Request| req.into_parts().0)
}
