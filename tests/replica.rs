//! Replicas behind a load balancer: two fixture servers sharing sessions and stream events
//! in a real Redis, behind a real nginx that balances round-robin without stickiness. Every
//! request goes through nginx; its `X-Upstream` header tells which replica answered, so each
//! test can show that a step landed on the other replica. (The official suite through the
//! same set-up: `http_conformance.rs`.)

#[path = "support/fixture.rs"]
mod fixture;
#[path = "support/http.rs"]
mod http_support;
#[path = "support/replicas.rs"]
mod replicas;

use std::collections::HashSet;
use std::process::Command;
use std::time::{Duration, Instant};

use http::StatusCode;
use http_support::{notification, rpc, tool_call, Reply, Session, Sse, TestServer};
use replicas::Cluster;
use serde_json::{json, Value};

const LATEST: &str = "2025-11-25";

fn fixture_replicas(redis: bool) -> Cluster {
    Cluster::start(2, redis, "fixture_server: ", |url| {
        let mut command = Command::new(fixture::fixture_server());
        command.args(["--http", "127.0.0.1:0"]);
        match url {
            Some(url) => command.args(["--redis", url]),
            None => command.arg("--stateless"),
        };
        command
    })
}

fn upstream(reply: &Reply) -> String {
    reply
        .header("x-upstream")
        .expect("nginx names the replica in X-Upstream")
        .to_owned()
}

/// Reads messages until the answer to `id`; returns it and the messages before it.
async fn answer(sse: &mut Sse, id: &Value) -> (Value, Vec<Value>) {
    let mut before = Vec::new();
    while let Some((_, m)) = sse.next_message().await {
        if m.get("method").is_none() && m["id"] == *id {
            return (m, before);
        }
        before.push(m);
    }
    panic!("the stream ended without the answer to {id}; before it: {before:?}");
}

async fn call_text(lb: &TestServer, session: &Session, id: i64, tool: &str) -> (String, String) {
    let reply = lb
        .session_post(session, &tool_call(id, tool, json!({})))
        .send()
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let replica = upstream(&reply);
    let body = if reply.content_type() == Some("text/event-stream") {
        answer(&mut reply.sse(), &json!(id)).await.0
    } else {
        reply.json().await
    };
    let text = body["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("no text in {body}"))
        .to_owned();
    (replica, text)
}

#[tokio::test(flavor = "multi_thread")]
async fn replica_takes_up_a_session_the_other_opened() {
    let cluster = fixture_replicas(true);
    let lb = TestServer::remote(&cluster.nginx.url);
    let session = lb.initialize(LATEST, json!({})).await;

    // Calls alternate between the replicas; each one serves the session.
    let mut served = HashSet::new();
    for id in 1..=4 {
        let (replica, text) = call_text(&lb, &session, id, "test_simple_text").await;
        assert_eq!(text, "This is a simple text response for testing.");
        served.insert(replica);
    }
    assert_eq!(served.len(), 2, "both replicas served: {served:?}");

    // A log level set on one replica holds on the other: at `error`, the logging tool's
    // debug, info and warning messages are filtered out on both.
    let set = lb
        .session_post(
            &session,
            &rpc(5, "logging/setLevel", json!({"level": "error"})),
        )
        .send()
        .await;
    assert_eq!(set.status, StatusCode::OK);
    let mut checked = HashSet::new();
    for id in 6..=7 {
        let reply = lb
            .session_post(&session, &tool_call(id, "test_logging_tool", json!({})))
            .send()
            .await;
        checked.insert(upstream(&reply));
        let (result, before) = answer(&mut reply.sse(), &json!(id)).await;
        assert_eq!(
            result["result"]["content"][0]["text"],
            "Logging tool executed"
        );
        let levels: Vec<&Value> = before.iter().map(|m| &m["params"]["level"]).collect();
        assert_eq!(levels, [&json!("error")], "{before:?}");
    }
    assert_eq!(checked.len(), 2, "{checked:?}");

    // Ended on one replica, the session is gone on both.
    let deleted = lb.delete().in_session(&session).send().await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    for id in 8..=9 {
        let gone = lb
            .session_post(&session, &tool_call(id, "test_simple_text", json!({})))
            .send()
            .await;
        assert_eq!(gone.status, StatusCode::NOT_FOUND, "{gone:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn replica_resumes_a_stream_the_other_replica_produced() {
    let cluster = fixture_replicas(true);
    let lb = TestServer::remote(&cluster.nginx.url);
    let session = lb.initialize(LATEST, json!({})).await;

    // The tool closes its SSE connection after the priming event, then answers.
    let reply = lb
        .session_post(&session, &tool_call(1, "test_reconnection", json!({})))
        .send()
        .await;
    let producer = upstream(&reply);
    let events = reply.sse().rest().await;
    let last = events
        .iter()
        .rev()
        .find_map(|e| e.id.clone())
        .expect("a priming event with an id");

    // Resume until nginx sends the GET to the other replica (round-robin: the next one).
    let mut resumed = None;
    for _ in 0..4 {
        let reply = lb
            .get()
            .in_session(&session)
            .header("last-event-id", &last)
            .send()
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        if upstream(&reply) != producer {
            resumed = Some(reply);
            break;
        }
    }
    let reply = resumed.expect("no GET reached the other replica");
    let (result, _) = answer(&mut reply.sse(), &json!(1)).await;
    assert_eq!(
        result["result"]["content"][0]["text"],
        "Reconnection test completed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn replica_relays_an_elicitation_answer_to_the_replica_that_asked() {
    let cluster = fixture_replicas(true);
    let lb = TestServer::remote(&cluster.nginx.url);
    let session = lb.initialize(LATEST, json!({"elicitation": {}})).await;

    for round in 0..2 {
        let id = 10 + round;
        let reply = lb
            .session_post(
                &session,
                &tool_call(id, "test_elicitation", json!({"message": "Who are you?"})),
            )
            .send()
            .await;
        let asker = upstream(&reply);
        let mut sse = reply.sse();
        let (_, request) = sse.next_message().await.expect("the elicitation request");
        assert_eq!(request["method"], "elicitation/create", "{request}");
        let answer_body = json!({
            "jsonrpc": "2.0",
            "id": request["id"],
            "result": {"action": "accept", "content": {"username": format!("ada{round}"), "email": "ada@example.com"}},
        });
        let posted = lb.session_post(&session, &answer_body).send().await;
        assert_eq!(posted.status, StatusCode::ACCEPTED, "{posted:?}");
        assert_ne!(
            upstream(&posted),
            asker,
            "the answer went to the other replica"
        );
        let (result, _) = answer(&mut sse, &json!(id)).await;
        let text = result["result"]["content"][0]["text"]
            .as_str()
            .unwrap_or_default();
        assert!(text.contains(&format!("ada{round}")), "{result}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn replica_killed_mid_stream_the_client_goes_on_with_the_other() {
    let mut cluster = fixture_replicas(true);
    let lb = TestServer::remote(&cluster.nginx.url);
    let session = lb.initialize(LATEST, json!({"elicitation": {}})).await;

    // A call that reports progress, then waits for the user: mid-stream when we kill.
    let reply = lb
        .session_post(
            &session,
            &tool_call(1, "test_streaming_elicitation", json!({})),
        )
        .send()
        .await;
    let victim = cluster.index_of(&upstream(&reply));
    let mut sse = reply.sse();
    let mut last = None;
    loop {
        let (id, m) = sse.next_message().await.expect("the call's stream");
        last = id.or(last);
        if m["method"] == "elicitation/create" {
            break;
        }
    }
    let last = last.expect("events with ids");
    cluster.kill(victim);
    let started = Instant::now();

    // The client resumes; nginx finds the dead replica refusing and goes to the other. The
    // call died with its replica: the client is told so, instead of waiting forever.
    let resumed = lb
        .get()
        .in_session(&session)
        .header("last-event-id", &last)
        .send()
        .await;
    assert_eq!(resumed.status, StatusCode::OK, "{resumed:?}");
    assert_ne!(cluster.index_of(&upstream(&resumed)), victim);
    let (error, _) = answer(&mut resumed.sse(), &json!(1)).await;
    assert_eq!(error["error"]["code"], -32603, "{error}");
    let message = error["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("replica"), "{message}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );

    // The session goes on, on the surviving replica.
    for id in 2..=4 {
        let (_, text) = call_text(&lb, &session, id, "test_simple_text").await;
        assert_eq!(text, "This is a simple text response for testing.");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn replica_set_without_shared_state_serves_stateless_clients() {
    let cluster = fixture_replicas(false);
    let lb = TestServer::remote(&cluster.nginx.url);
    let init = lb
        .post(&rpc(
            0,
            "initialize",
            http_support::initialize_params(LATEST, json!({}), ("t", "0")),
        ))
        .send()
        .await;
    assert_eq!(init.status, StatusCode::OK);
    assert!(
        init.header("mcp-session-id").is_none(),
        "stateless: no session"
    );
    let body = init.json().await;
    let version = body["result"]["protocolVersion"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut served = HashSet::new();
    for id in 1..=4 {
        let reply = lb
            .post(&tool_call(id, "test_simple_text", json!({})))
            .header("mcp-protocol-version", &version)
            .send()
            .await;
        assert_eq!(reply.status, StatusCode::OK);
        served.insert(upstream(&reply));
        let body = reply.json().await;
        assert_eq!(
            body["result"]["content"][0]["text"],
            "This is a simple text response for testing."
        );
    }
    assert_eq!(served.len(), 2, "{served:?}");
    let initialized = lb
        .post(&notification("notifications/initialized", json!({})))
        .send()
        .await;
    assert_eq!(initialized.status, StatusCode::ACCEPTED);
    // Nothing to stream without a session.
    let get = lb.get().send().await;
    assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test(flavor = "multi_thread")]
async fn replica_gateways_forward_a_backend_elicitation_from_either_replica() {
    // Two `turret serve` gateways, each proxying its own fixture server over stdio. A
    // frontend session opened on one replica gets a backend session on the other when its
    // calls land there; the backend's elicitation reaches the client through that replica,
    // and the answer, POSTed to the first, is relayed back.
    let dir = std::env::temp_dir().join(format!("turret-replica-gw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("gateway.toml");
    std::fs::write(
        &config,
        format!("[backends.fx]\ncommand = {:?}\n", fixture::fixture_server()),
    )
    .unwrap();
    let turret = fixture::binary("turret-cli", "turret");
    let cluster = Cluster::start(2, true, "turret: serving ", |url| {
        let mut command = Command::new(&turret);
        command.arg("serve").arg(&config).args([
            "--http",
            "127.0.0.1:0",
            "--redis",
            url.expect("redis"),
        ]);
        command
    });
    let lb = TestServer::remote(&cluster.nginx.url);
    let session = lb.initialize(LATEST, json!({"elicitation": {}})).await;

    let mut askers = HashSet::new();
    for round in 0..2 {
        let id = 20 + round;
        let call = tool_call(id, "fx_test_elicitation", json!({"message": "Name?"}));
        let reply = lb.session_post(&session, &call).send().await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        let asker = upstream(&reply);
        let mut sse = reply.sse();
        let (_, request) = sse.next_message().await.expect("the backend's elicitation");
        assert_eq!(request["method"], "elicitation/create", "{request}");
        let posted = lb
            .session_post(
                &session,
                &json!({
                    "jsonrpc": "2.0",
                    "id": request["id"],
                    "result": {"action": "accept", "content": {"username": format!("grace{round}"), "email": "g@example.com"}},
                }),
            )
            .send()
            .await;
        assert_eq!(posted.status, StatusCode::ACCEPTED);
        assert_ne!(upstream(&posted), asker);
        let (result, _) = answer(&mut sse, &json!(id)).await;
        let text = result["result"]["content"][0]["text"]
            .as_str()
            .unwrap_or_default();
        assert!(text.contains(&format!("grace{round}")), "{result}");
        askers.insert(asker);
        // One more request, so that round-robin sends the next call to the other replica.
        let ping = lb
            .session_post(&session, &rpc(30 + round, "ping", json!({})))
            .send()
            .await;
        assert_eq!(ping.status, StatusCode::OK);
    }
    assert_eq!(askers.len(), 2, "both replicas proxied a call: {askers:?}");
    drop(cluster);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn replica_set_answers_503_while_redis_is_down_and_recovers() {
    let mut cluster = fixture_replicas(true);
    let lb = TestServer::remote(&cluster.nginx.url);
    let session = lb.initialize(LATEST, json!({})).await;
    let redis_port = cluster.redis.as_ref().unwrap().port();

    // Redis gone: every replica says so at once (503, retry later), never hangs or leaks why.
    drop(cluster.redis.take());
    for id in 1..=2 {
        let started = Instant::now();
        let reply = lb
            .session_post(&session, &tool_call(id, "test_simple_text", json!({})))
            .send()
            .await;
        assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{reply:?}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        let text = reply.text().await;
        assert!(text.contains("retry"), "{text}");
        assert!(!text.contains("redis://"), "{text}");
    }

    // Redis back (empty: it kept nothing): the replicas reconnect by themselves; the old
    // session is gone (404, the client initializes again) and a new one works on both.
    cluster.redis = Some(replicas::Redis::start_on(redis_port));
    let deadline = Instant::now() + Duration::from_secs(15);
    let gone = loop {
        let reply = lb
            .session_post(&session, &tool_call(3, "test_simple_text", json!({})))
            .send()
            .await;
        if reply.status != StatusCode::SERVICE_UNAVAILABLE || Instant::now() > deadline {
            break reply.status;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(gone, StatusCode::NOT_FOUND);
    let session = lb.initialize(LATEST, json!({})).await;
    let mut served = HashSet::new();
    for id in 4..=5 {
        let (replica, _) = call_text(&lb, &session, id, "test_simple_text").await;
        served.insert(replica);
    }
    assert_eq!(served.len(), 2, "{served:?}");
}
