//! `@modelcontextprotocol/server-filesystem` behind a gateway applies the client's roots.
//!
//! That server asks `roots/list` right after `initialized`, outside any request, and
//! replaces the directories it was started with by the client's roots; it asks again on
//! `notifications/roots/list_changed`. Through the gateway, both must reach the client of
//! the session, in every fresh session (the answer must not depend on which request happens
//! to be running when the server asks).
//!
//! Needs the third-party servers (`.ci/real-servers`) and the harness's node.

#[path = "support/client.rs"]
mod client;
#[path = "support/fixture.rs"]
mod fixture;
#[path = "support/real_servers.rs"]
mod real_servers;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use turret::client::{Client, Era};
use turret::proxy::{Backend, Proxy};
use turret::transport::http_client::StreamableHttpClient;
use turret::transport::memory_pair;
use turret::transport::streamable_http::{self, StreamableHttpService};
use turret::types::{ListRootsResult, ProtocolVersion, Root};
use turret::{Router, Transport};

/// Fresh sessions checked: the issue saw the roots applied in 1 of 5.
const SESSIONS: usize = 20;

/// A directory of its own under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("turret-fs-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // The server reports directories with symlinks resolved.
        Self(dir.canonicalize().unwrap())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn file_uri(dir: &Path) -> String {
    format!("file://{}", dir.display())
}

/// A gateway mounting the server (started with `argv_dir`) as `fs`.
fn gateway(argv_dir: &Path) -> Router {
    let backend = Backend::command(real_servers::npm("mcp-server-filesystem"))
        .arg(argv_dir.display().to_string())
        .env("PATH", fixture::harness_path_env().to_string_lossy());
    Router::new().mount("fs", Proxy::new("filesystem", backend))
}

/// A client of a gateway (in process) whose roots are whatever `roots` holds when asked.
async fn session(argv_dir: &Path, roots: Arc<Mutex<PathBuf>>) -> Client {
    let (server, client) = memory_pair();
    tokio::spawn(turret::serve(gateway(argv_dir), server));
    client_with_roots(roots, client).await
}

/// The same over streamable HTTP (a session of the HTTP edge).
async fn http_session(argv_dir: &Path, roots: Arc<Mutex<PathBuf>>) -> Client {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    let service = StreamableHttpService::new(gateway(argv_dir));
    tokio::spawn(streamable_http::serve(
        listener,
        service,
        std::future::pending(),
    ));
    let transport = StreamableHttpClient::new(&url).connect().unwrap();
    client_with_roots(roots, transport).await
}

async fn client_with_roots(roots: Arc<Mutex<PathBuf>>, transport: Transport) -> Client {
    Client::builder()
        .era(Era::Handshake(ProtocolVersion::LATEST_HANDSHAKE))
        .on_roots(move || {
            let dir = roots.lock().unwrap().clone();
            async move {
                Ok(ListRootsResult {
                    roots: vec![Root {
                        uri: file_uri(&dir),
                        name: None,
                        meta: None,
                    }],
                    meta: None,
                    extra: Default::default(),
                })
            }
        })
        .connect(transport)
        .await
        .unwrap()
}

async fn allowed(client: &Client) -> String {
    let result = client
        .call_tool("fs_list_allowed_directories", json!({}))
        .await
        .unwrap();
    client::text(&result.content)
}

/// Asks the server for its directories until they are exactly `dir` (it applies roots
/// asynchronously), for up to 10 s; gives the last answer either way.
async fn settles_on(client: &Client, dir: &Path) -> Result<(), String> {
    let want = dir.display().to_string();
    let mut last = String::new();
    for _ in 0..100 {
        last = allowed(client).await;
        let listed: Vec<&str> = last.lines().skip(1).map(str::trim).collect();
        if listed == [want.as_str()] {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(last)
}

#[tokio::test]
async fn the_clients_roots_apply_in_every_fresh_session() {
    let argv_dir = TempDir::new("argv");
    let root = TempDir::new("root");
    let mut failures = Vec::new();
    for i in 0..SESSIONS {
        let client = session(&argv_dir.0, Arc::new(Mutex::new(root.0.clone()))).await;
        if let Err(last) = settles_on(&client, &root.0).await {
            failures.push(format!("session {i}: {last}"));
        }
        client.close().await.unwrap();
    }
    assert!(
        failures.is_empty(),
        "roots not applied in {} of {SESSIONS} sessions: {failures:#?}",
        failures.len()
    );
}

#[tokio::test]
async fn a_roots_change_reaches_the_server() {
    roots_change_reaches_the_server(false).await;
}

#[tokio::test]
async fn a_roots_change_reaches_the_server_over_http() {
    roots_change_reaches_the_server(true).await;
}

async fn roots_change_reaches_the_server(http: bool) {
    let argv_dir = TempDir::new(if http { "argv3" } else { "argv2" });
    let first = TempDir::new(if http { "first-http" } else { "first" });
    let second = TempDir::new(if http { "second-http" } else { "second" });
    let roots = Arc::new(Mutex::new(first.0.clone()));
    let client = if http {
        http_session(&argv_dir.0, roots.clone()).await
    } else {
        session(&argv_dir.0, roots.clone()).await
    };
    settles_on(&client, &first.0).await.unwrap();

    *roots.lock().unwrap() = second.0.clone();
    client.notify_roots_list_changed().await.unwrap();
    settles_on(&client, &second.0)
        .await
        .unwrap_or_else(|last| panic!("the server kept {last:?} after the roots changed"));
}
