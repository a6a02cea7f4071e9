//! `turret serve`: the built-in demo under third-party clients, a gateway config with a
//! stdio, an HTTP and an OpenAPI backend, and config files that must be refused with a
//! message saying where and why.

#[path = "support/client.rs"]
mod client;
#[path = "support/fixture.rs"]
mod fixture;
#[path = "support/peers.rs"]
mod peers;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::json;
use turret::client::Client;
use turret::transport::http_client::StreamableHttpClient;

fn turret() -> PathBuf {
    fixture::binary("turret-cli", "turret")
}

/// `turret serve [CONFIG] --http 127.0.0.1:0`, until dropped.
fn serve(config: Option<&Path>) -> fixture::HttpFixture {
    let mut command = Command::new(turret());
    command.arg("serve");
    if let Some(config) = config {
        command.arg(config);
    }
    command.args(["--http", "127.0.0.1:0"]);
    fixture::HttpFixture::spawn(&mut command, "turret: serving ")
}

const DEMO_PROBE: peers::Probe<'static> = peers::Probe {
    tool: "todos_list_todos",
    resource: "demo://about",
    prompt: "tour",
};

#[test]
fn python_clients_use_the_demo_in_every_mode() {
    let demo = serve(None);
    for mode in ["legacy", "2026-07-28", "auto"] {
        peers::pyclient_check(&demo.url, mode, &DEMO_PROBE);
    }
}

#[test]
fn the_inspector_lists_and_calls_every_pattern_of_the_demo() {
    let demo = serve(None);
    let names = peers::tool_names(&peers::inspector(&demo.url, &["--method", "tools/list"]));
    for expected in [
        "add",
        "echo",
        "weather_forecast",
        "todos_create_todo",
        "todos_get_todo",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    let call = |tool: &str, args: &[&str]| {
        let mut argv = vec!["--method", "tools/call", "--tool-name", tool];
        if !args.is_empty() {
            argv.push("--tool-arg");
            argv.extend(args);
        }
        peers::inspector(&demo.url, &argv)
    };
    assert_eq!(call("add", &["a=2", "b=3"])["content"][0]["text"], "5");
    assert_eq!(
        call("weather_forecast", &["city=Lima"])["content"][0]["text"],
        "Lima: 21°C, overcast"
    );
    let created = call("todos_create_todo", &["title=write tests"]);
    assert_eq!(
        created["structuredContent"]["title"], "write tests",
        "{created}"
    );
    let fetched = call("todos_get_todo", &["id=2"]);
    assert_eq!(
        fetched["structuredContent"]["title"], "write tests",
        "{fetched}"
    );
}

/// A config file in a fresh directory.
fn config_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("turret-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("gateway.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gateway_serves_stdio_http_and_openapi_backends_under_their_names() {
    let remote = fixture::HttpFixture::start();
    let spec = fixture::shared_dir().join("specs/petstore-3.1.yaml");
    let config = config_file(
        "three",
        &format!(
            r#"
name = "three-backends"

[backends.local]
command = {fixture:?}

[backends.remote]
url = "{url}"

[backends.pets]
openapi = {spec:?}
base_url = "http://127.0.0.1:9"

[layers]
timeout_ms = 20000
"#,
            fixture = fixture::fixture_server().display().to_string(),
            url = remote.url,
            spec = spec.display().to_string(),
        ),
    );
    let gateway = serve(Some(&config));
    let transport = StreamableHttpClient::new(&gateway.url).connect().unwrap();
    let client = Client::builder().connect(transport).await.unwrap();
    assert_eq!(client.server_info().name, "three-backends");
    let names = client::tool_names(&client).await;
    for namespace in ["local_", "remote_", "pets_"] {
        assert!(
            names.iter().any(|n| n.starts_with(namespace)),
            "a {namespace}* tool in {names:?}"
        );
    }
    for tool in ["local_test_simple_text", "remote_test_simple_text"] {
        let result = client.call_tool(tool, json!({})).await.unwrap();
        assert_eq!(
            client::text(&result.content),
            "This is a simple text response for testing."
        );
    }
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_top_level_mcp_servers_file_puts_each_server_under_its_own_name() {
    let fixture = fixture::fixture_server().display().to_string();
    let config = config_file(
        "mcp-servers",
        "mcp_servers = \"mcp.json\"\n\n[layers]\ntimeout_ms = 20000\n",
    );
    let servers = json!({"mcpServers": {
        "alpha": {"command": fixture},
        "beta": {"command": fixture},
    }});
    std::fs::write(config.with_file_name("mcp.json"), servers.to_string()).unwrap();
    let gateway = serve(Some(&config));
    let transport = StreamableHttpClient::new(&gateway.url).connect().unwrap();
    let client = Client::builder().connect(transport).await.unwrap();
    let names = client::tool_names(&client).await;
    assert!(
        names.contains(&"alpha_test_simple_text".to_owned()),
        "{names:?}"
    );
    assert!(
        names.contains(&"beta_test_simple_text".to_owned()),
        "{names:?}"
    );
    let result = client
        .call_tool("beta_test_simple_text", json!({}))
        .await
        .unwrap();
    assert_eq!(
        client::text(&result.content),
        "This is a simple text response for testing."
    );
    client.close().await.unwrap();

    // A server of the file named as one of [backends] would be two backends in one place.
    let clash = config_file(
        "mcp-servers-clash",
        "mcp_servers = \"mcp.json\"\n\n[backends.alpha]\ncommand = \"x\"\n",
    );
    std::fs::write(clash.with_file_name("mcp.json"), servers.to_string()).unwrap();
    let (ok, stderr) = check(&clash);
    assert!(!ok, "a clash was accepted");
    assert!(
        stderr.contains(":1:") && stderr.contains("\"alpha\"") && stderr.contains("rename one"),
        "{stderr}"
    );
}

/// A GET or an `initialize` POST to `url`, with `token` as a bearer token if given: the
/// status, the `WWW-Authenticate` header and the body.
async fn http(url: &str, post: bool, token: Option<&str>) -> (u16, String, String) {
    use http_body_util::{BodyExt as _, Full};
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<bytes::Bytes>>();
    let mut req = http::Request::builder().uri(url);
    if let Some(token) = token {
        req = req.header("authorization", format!("Bearer {token}"));
    }
    let body = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "cli-test", "version": "0"}}});
    let req = if post {
        req.method("POST")
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(Full::from(body.to_string()))
    } else {
        req.body(Full::default())
    };
    let reply = client.request(req.unwrap()).await.unwrap();
    let status = reply.status().as_u16();
    let challenge = reply
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = reply.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        challenge,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// `[listen] max_body_bytes` is the limit the endpoint holds bodies to (kept when `--http`
/// moves the address), and the 413 names it.
#[tokio::test(flavor = "multi_thread")]
async fn listen_max_body_bytes_sets_the_limit_the_413_names() {
    let config = config_file(
        "max-body",
        &format!(
            "[listen]\nmax_body_bytes = 100\n\n[backends.local]\ncommand = {:?}\n",
            fixture::fixture_server().display().to_string()
        ),
    );
    let gateway = serve(Some(&config));
    // The initialize `http` sends is about 150 bytes.
    let (status, _, body) = http(&gateway.url, true, None).await;
    assert_eq!(status, 413, "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["error"]["code"], -32600, "{body}");
    assert_eq!(body["error"]["data"]["maxBytes"], 100, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("at most 100 bytes")),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_auth_section_puts_the_gateway_behind_bearer_tokens() {
    let config = config_file(
        "auth",
        &format!(
            "[backends.local]\ncommand = {:?}\n\n[auth]\ntokens = {{ \"dev-secret\" = \"alice\" }}\n",
            fixture::fixture_server().display().to_string()
        ),
    );
    let gateway = serve(Some(&config));
    let (status, challenge, _) = http(&gateway.url, true, None).await;
    assert_eq!(status, 401);
    let origin = gateway.url.trim_end_matches("/mcp");
    let metadata_url = format!("{origin}/.well-known/oauth-protected-resource/mcp");
    assert!(
        challenge.contains(&format!("resource_metadata=\"{metadata_url}\"")),
        "{challenge}"
    );
    let (status, _, metadata) = http(&metadata_url, false, None).await;
    assert_eq!(status, 200);
    let metadata: serde_json::Value = serde_json::from_str(&metadata).unwrap();
    assert_eq!(metadata["resource"], gateway.url.as_str());
    let (status, challenge, _) = http(&gateway.url, true, Some("guess")).await;
    assert_eq!(status, 401);
    assert!(challenge.contains("invalid_token"), "{challenge}");
    let transport = StreamableHttpClient::new(&gateway.url)
        .header("authorization", "Bearer dev-secret")
        .connect()
        .unwrap();
    let client = Client::builder().connect(transport).await.unwrap();
    let tools = client.list_tools().await.unwrap();
    assert!(
        tools.iter().any(|t| t.name == "local_test_simple_text"),
        "{:?}",
        tools.iter().map(|t| &t.name).collect::<Vec<_>>()
    );
    client.close().await.unwrap();
}

/// `/healthz` and `/readyz` answer without a token; `/readyz` turns 503 when a required
/// backend goes down and 200 again when it is back, and does not wait for a backend that
/// is not required.
#[tokio::test(flavor = "multi_thread")]
async fn readyz_follows_the_required_backends() {
    let remote = fixture::HttpFixture::start();
    let port = remote
        .url
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches("/mcp")
        .to_owned();
    let config = config_file(
        "probes",
        &format!(
            "[backends.remote]\nurl = \"{}\"\n\n[backends.ghost]\ncommand = \"/nonexistent/turret-ghost\"\nrequired = false\n\n[auth]\ntokens = {{ \"dev-secret\" = \"alice\" }}\n",
            remote.url
        ),
    );
    let gateway = serve(Some(&config));
    let origin = gateway.url.trim_end_matches("/mcp").to_owned();
    let (status, _, body) = http(&format!("{origin}/healthz"), false, None).await;
    assert_eq!((status, body.as_str()), (200, "ok\n"));

    let readyz = || http_get_json(format!("{origin}/readyz"));
    let (status, body) = readyz().await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ready"], true);
    let state = |body: &serde_json::Value, name: &str| {
        body["backends"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["name"] == name)
            .map(|b| {
                (
                    b["state"].as_str().unwrap_or("").to_owned(),
                    b["required"].clone(),
                )
            })
            .unwrap()
    };
    assert_eq!(state(&body, "remote"), ("up".into(), json!(true)));
    assert_eq!(state(&body, "ghost").1, json!(false));

    drop(remote);
    let (status, body) = until_status(&readyz, 503).await;
    assert_eq!(status, 503, "still ready after the backend died: {body}");
    assert_eq!(state(&body, "remote").0, "down", "{body}");

    let _back = fixture::HttpFixture::spawn(
        Command::new(fixture::fixture_server()).args(["--http", &format!("127.0.0.1:{port}")]),
        "fixture_server: ",
    );
    let (status, body) = until_status(&readyz, 200).await;
    assert_eq!(
        status, 200,
        "not ready again after the backend came back: {body}"
    );
}

async fn http_get_json(url: String) -> (u16, serde_json::Value) {
    let (status, _, body) = http(&url, false, None).await;
    let body = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{url}: {e}: {body}"));
    (status, body)
}

/// Asks `probe` every 200 ms, for up to 40 s, until it answers `want`; its last answer.
async fn until_status<F, Fut>(probe: &F, want: u16) -> (u16, serde_json::Value)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = (u16, serde_json::Value)>,
{
    let mut last = probe().await;
    for _ in 0..200 {
        if last.0 == want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        last = probe().await;
    }
    last
}

#[tokio::test(flavor = "multi_thread")]
async fn layers_tool_search_lists_the_meta_tools_and_searches_what_the_filter_shows() {
    let config = config_file(
        "tool-search",
        &format!(
            r#"
[backends.local]
command = {fixture:?}

[layers]
tool_search = {{ pin = ["local_test_simple_text"], limit = 3, threshold = 0.2 }}
filter = {{ exclude_names = ["local_test_error_handling"] }}
"#,
            fixture = fixture::fixture_server().display().to_string(),
        ),
    );
    let gateway = serve(Some(&config));
    let transport = StreamableHttpClient::new(&gateway.url).connect().unwrap();
    let client = Client::builder().connect(transport).await.unwrap();
    assert_eq!(
        client::tool_names(&client).await,
        ["search_tools", "call_tool", "local_test_simple_text"]
    );
    let search = |query: &'static str| {
        let client = &client;
        async move {
            let found = client
                .call_tool("search_tools", json!({ "query": query }))
                .await
                .unwrap();
            let tools = found.structured_content.unwrap()["tools"].clone();
            tools
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["name"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let images = search("return image content").await;
    assert_eq!(
        images.first().map(String::as_str),
        Some("local_test_image_content")
    );
    assert!(images.len() <= 3, "limit 3: {images:?}");
    let errors = search("test error handling").await;
    assert!(
        !errors.iter().any(|n| n == "local_test_error_handling"),
        "the filtered tool was found: {errors:?}"
    );
    let called = client
        .call_tool("call_tool", json!({"name": "local_test_simple_text"}))
        .await
        .unwrap();
    assert_ne!(called.is_error, Some(true), "{:?}", called.content);
    let refused = client
        .call_tool("call_tool", json!({"name": "local_test_error_handling"}))
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("unknown tool"), "{refused}");
    client.close().await.unwrap();
}

/// `turret config check FILE`: exit status and stderr.
fn check(path: &Path) -> (bool, String) {
    let output = Command::new(turret())
        .args(["config", "check"])
        .arg(path)
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn bad_configs_are_refused_with_where_and_why() {
    let cases = [
        (
            "unknown-key",
            "[backends.a]\ncommand = \"x\"\ncomand = \"y\"\n",
            ":3:1: unknown field `comand`",
        ),
        (
            "no-kind",
            "\n[backends.a]\nargs = [\"x\"]\n",
            ":2:1: backend \"a\": needs one of \"command\"",
        ),
        (
            "bad-url",
            "[backends.a]\nurl = \"ftp://example\"\n",
            "must be an http:// or https:// URL",
        ),
        (
            "missing-spec",
            "[backends.a]\nopenapi = \"nowhere.yaml\"\n",
            "nowhere.yaml does not exist",
        ),
        ("bad-toml", "name = \"x\"\n[backends\n", ":2:"),
        (
            "half-auth",
            "[backends.a]\ncommand = \"x\"\n\n[auth]\nissuer = \"http://127.0.0.1:9000\"\n",
            ":4:1: [auth] needs both issuer and jwks_url",
        ),
        (
            "bad-policy",
            "[backends.a]\ncommand = \"x\"\nsession_policy = \"sometimes\"\n",
            "unknown session_policy \"sometimes\"",
        ),
        (
            "stateless-and-redis",
            "[listen]\nredis = \"redis://127.0.0.1:6379\"\nstateless = true\n\n[backends.a]\ncommand = \"x\"\n",
            "stateless and redis exclude each other",
        ),
        (
            "search-limit",
            "[backends.a]\ncommand = \"x\"\n\n[layers]\ntool_search = { limit = 0 }\n",
            ":5:1: [layers] tool_search limit 0 must be from 1 to 50",
        ),
        (
            "search-threshold",
            "[backends.a]\ncommand = \"x\"\n\n[layers]\ntool_search = { threshold = 2.0 }\n",
            "tool_search threshold 2 must be from 0 to 1",
        ),
        (
            "zero-body",
            "[listen]\nmax_body_bytes = 0\n\n[backends.a]\ncommand = \"x\"\n",
            "max_body_bytes must be at least 1",
        ),
    ];
    for (name, text, expected) in cases {
        let path = config_file(name, text);
        let (ok, stderr) = check(&path);
        assert!(!ok, "{name} was accepted");
        assert!(
            stderr.contains(&path.display().to_string()) && stderr.contains(expected),
            "{name}: {stderr}"
        );
    }
    let good = config_file("good", "[backends.a]\ncommand = \"x\"\n");
    let (ok, stderr) = check(&good);
    assert!(ok, "{stderr}");
}

fn signal(pid: u32, name: &str) {
    let sent = Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success(), "kill -{name} {pid}");
}

/// `SIGHUP` swaps in the edited config; a session opened before keeps working and sees the
/// new backend. `SIGTERM` then stops the server cleanly.
#[tokio::test(flavor = "multi_thread")]
async fn sighup_reloads_the_config_without_dropping_sessions_and_sigterm_stops() {
    let fixture = fixture::fixture_server().display().to_string();
    let config = config_file(
        "reload",
        &format!("[backends.first]\ncommand = {fixture:?}\n"),
    );
    let mut gateway = serve(Some(&config));
    let transport = StreamableHttpClient::new(&gateway.url).connect().unwrap();
    let client = Client::builder()
        .era(turret::client::Era::Handshake(
            turret::types::ProtocolVersion::LATEST_HANDSHAKE,
        ))
        .connect(transport)
        .await
        .unwrap();
    let before = client::tool_names(&client).await;
    assert!(before.iter().any(|n| n.starts_with("first_")), "{before:?}");
    assert!(!before.iter().any(|n| n.starts_with("second_")));

    std::fs::write(
        &config,
        format!(
            "[backends.first]\ncommand = {fixture:?}\n\n[backends.second]\ncommand = {fixture:?}\n"
        ),
    )
    .unwrap();
    let mut changes = client.notifications();
    signal(gateway.pid(), "HUP");
    // The old gateway tells its sessions every list may have changed.
    tokio::time::timeout(std::time::Duration::from_secs(20), async {
        while changes.recv().await.unwrap().method() != "notifications/tools/list_changed" {}
    })
    .await
    .expect("a tools/list_changed after the reload");
    let after = client::tool_names(&client).await;
    assert!(after.iter().any(|n| n.starts_with("second_")), "{after:?}");
    let result = client
        .call_tool("second_test_simple_text", json!({}))
        .await
        .unwrap();
    assert_eq!(
        client::text(&result.content),
        "This is a simple text response for testing."
    );

    signal(gateway.pid(), "TERM");
    let status = gateway
        .wait_exit(std::time::Duration::from_secs(20))
        .expect("the gateway exits on SIGTERM");
    assert!(status.success(), "{status}");
}

#[test]
fn openapi_dump_prints_the_generated_components() {
    let spec = fixture::shared_dir().join("specs/petstore-3.1.yaml");
    let output = Command::new(turret())
        .arg("openapi")
        .arg(&spec)
        .args(["--dump", "--route-map", "get-resources"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let dump: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let tools = dump["tools"].as_array().unwrap();
    assert!(!tools.is_empty(), "{dump}");
    assert!(tools.iter().all(|t| t["inputSchema"]["type"] == "object"));
    let reads = dump["resources"].as_array().unwrap().len()
        + dump["resourceTemplates"].as_array().unwrap().len();
    assert!(
        reads > 0,
        "GET operations become resources or templates: {dump}"
    );

    let missing = Command::new(turret())
        .args(["openapi", "/nonexistent/spec.yaml", "--dump"])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read /nonexistent/spec.yaml"));
}

#[test]
fn a_replica_that_cannot_reach_redis_exits_with_the_reason() {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    let output = fixture::run_with_timeout(
        Command::new(turret()).args([
            "serve",
            "--http",
            "127.0.0.1:0",
            "--redis",
            "redis://127.0.0.1:1",
        ]),
        Duration::from_secs(20),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("connecting to Redis failed"), "{stderr}");
    assert!(!stderr.contains("turret: serving"), "{stderr}");
}
