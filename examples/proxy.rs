//! Transport bridging: a proxy of one MCP server, served over another transport.
//!
//! ```sh
//! # a stdio server, served over streamable HTTP at http://ADDR/mcp
//! cargo run --example proxy -- --http 127.0.0.1:3000 -- cargo run --example fixture_server
//! # an HTTP server, served over stdio
//! cargo run --example proxy -- --stdio http://127.0.0.1:3000/mcp
//! ```
//!
//! The proxy forwards every request, relays the backend's requests and notifications to the
//! client that caused them, and keeps one backend session per frontend session.

use std::process::ExitCode;

use turret::proxy::{Backend, Proxy};
use turret::transport::streamable_http::{serve, StreamableHttpService};

const USAGE: &str = "usage: proxy --http ADDR -- COMMAND [ARGS…]   |   proxy --stdio URL";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let served = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["--stdio", url] => {
            let proxy = Proxy::new("backend", Backend::url(url));
            turret::transport::serve_stdio(proxy).await
        }
        ["--http", addr, "--", program, ..] => {
            let backend = Backend::command(program).args(&args[4..]);
            serve_http(Proxy::new("backend", backend), addr).await
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("proxy: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Streamable HTTP at `/mcp` until Ctrl-C; prints the bound address (useful with port 0).
async fn serve_http(proxy: Proxy, addr: &str) -> std::io::Result<()> {
    let mcp = StreamableHttpService::new(proxy);
    let app = axum::Router::new().route_service("/mcp", mcp.clone());
    let listener = tokio::net::TcpListener::bind(addr).await?;
    eprintln!("proxy: http://{}/mcp", listener.local_addr()?);
    serve(listener, app, async move {
        let _ = tokio::signal::ctrl_c().await;
        mcp.shutdown();
    })
    .await
}
