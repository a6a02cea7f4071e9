//! A server behind Turret's layers and tower's: a trace span per request (pretty or JSON logs
//! on stderr), a rate and concurrency limit per caller, admin tools hidden by tag, reads and
//! read-only tools cached until the data changes, and tower's own timeout.
//!
//! ```text
//! cargo run --example layers                          # stdio
//! cargo run --example layers -- --http 127.0.0.1:3000 # streamable HTTP at /mcp
//! cargo run --example layers -- --json                # JSON logs
//! ```
//!
//! Over HTTP, tower-http layers wrap the endpoint too: request ids, an access-log span,
//! CORS and compression.
//!
//! Try it: `search` twice with the same query (the second answer comes from the cache: its
//! call number does not move), `publish` some news and read `news://latest` again (the update
//! invalidated it), call `slow` with 5 seconds (the 2-second timeout answers), call `reindex`
//! (hidden: "unknown tool"), or call anything 30 times in a second (rate limited, with a
//! retry hint).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use http::{HeaderValue, Request};
use schemars::JsonSchema;
use serde::Deserialize;
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::cors::CorsLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use turret::layers::{CacheLayer, FilterLayer, RateLimitLayer, TraceLayer};
use turret::transport::streamable_http::{serve, StreamableHttpService};
use turret::types::ToolAnnotations;
use turret::{resource_fn, tool_fn, Args, Notifier, Router, State};

#[derive(Default)]
struct App {
    news: Mutex<String>,
    searches: AtomicUsize,
    notifier: OnceLock<Notifier>,
}

type Shared = Arc<App>;

/// What to search for.
#[derive(Deserialize, JsonSchema)]
struct Search {
    /// Words to look for.
    query: String,
}

async fn search(State(app): State<Shared>, Args(Search { query }): Args<Search>) -> String {
    let n = app.searches.fetch_add(1, Ordering::SeqCst) + 1;
    format!("results for {query:?} (search #{n})")
}

/// The news to publish.
#[derive(Deserialize, JsonSchema)]
struct Publish {
    /// The headline.
    text: String,
}

async fn publish(State(app): State<Shared>, Args(Publish { text }): Args<Publish>) -> String {
    *app.news.lock().unwrap() = text;
    if let Some(notifier) = app.notifier.get() {
        notifier.resource_updated("news://latest").await;
    }
    "published".to_owned()
}

async fn latest(State(app): State<Shared>) -> String {
    app.news.lock().unwrap().clone()
}

/// How long to work.
#[derive(Deserialize, JsonSchema)]
struct Slow {
    /// Seconds.
    seconds: f64,
}

async fn slow(Args(Slow { seconds }): Args<Slow>) -> String {
    tokio::time::sleep(Duration::from_secs_f64(seconds.clamp(0.0, 60.0))).await;
    format!("worked {seconds} s")
}

async fn reindex() -> &'static str {
    "reindexed"
}

fn router() -> Router<Shared> {
    let app = Shared::default();
    *app.news.lock().unwrap() = "nothing yet".into();
    let read_only = ToolAnnotations {
        read_only_hint: Some(true),
        ..Default::default()
    };
    let router = Router::with_state(app.clone())
        .name("layers-example")
        .tool(
            "search",
            tool_fn(search)
                .description("Searches (read-only: answers are cached)")
                .annotations(read_only)
                .tags(["public"]),
        )
        .tool(
            "publish",
            tool_fn(publish)
                .description("Publishes news to news://latest")
                .tags(["public"]),
        )
        .tool(
            "slow",
            tool_fn(slow)
                .description("Works for a while (the server times out after 2 s)")
                .tags(["public"]),
        )
        .tool(
            "reindex",
            tool_fn(reindex)
                .description("Rebuilds the index")
                .tags(["admin"]),
        )
        .resource(
            "news://latest",
            resource_fn(latest).mime_type("text/plain").tags(["public"]),
        );
    let _ = app.notifier.set(router.notifier());
    router
}

/// `x-request-id` values: a process-wide counter.
#[derive(Clone, Default)]
struct Counter(Arc<AtomicU64>);

impl MakeRequestId for Counter {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let id = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        Some(RequestId::new(HeaderValue::from(id)))
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let http = args.iter().position(|a| a == "--http").map(|i| {
        args.get(i + 1)
            .cloned()
            .unwrap_or_else(|| "127.0.0.1:3000".into())
    });

    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,turret_layers=debug".into()),
        );
    if json {
        logs.json().init();
    } else {
        logs.pretty().init();
    }

    let router = router();
    let notifier = router.notifier();
    let service = ServiceBuilder::new()
        .layer(TraceLayer::new())
        .layer(RateLimitLayer::new(20, Duration::from_secs(1)).max_concurrent(4))
        .layer(
            FilterLayer::new()
                .exclude_tags(["admin"])
                .refresh_on(notifier.subscribe()),
        )
        .layer(
            CacheLayer::new()
                .ttl(Duration::from_secs(30))
                .max_entries(1_000)
                .max_bytes(16 << 20)
                .invalidate_on(notifier.subscribe()),
        )
        .timeout(Duration::from_secs(2))
        .service(router);

    let Some(addr) = http else {
        return turret::transport::serve_stdio(service).await;
    };
    let mcp = StreamableHttpService::new(service);
    let app = ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(Counter::default()))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(CorsLayer::permissive())
        .layer(CompressionLayer::new())
        .service(mcp.clone());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("MCP at http://{}/mcp", listener.local_addr()?);
    serve(listener, app, async move {
        let _ = tokio::signal::ctrl_c().await;
        mcp.shutdown();
    })
    .await
}
