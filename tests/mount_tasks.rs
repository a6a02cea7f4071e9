//! The tasks extension through mounts and proxies: a child's task ids come out namespaced,
//! `tasks/get`, `tasks/result` and `tasks/cancel` reach the child that owns the task with
//! its own id, `tasks/list` merges every child's tasks, and the router declares the tasks
//! support its children declare.

use serde_json::{json, Value};
use tower::ServiceExt as _;
use turret::proxy::{Backend, Proxy};
use turret::transport::memory_pair;
use turret::types::{CallToolRequestParams, ClientRequest, CustomMessage, ErrorCode, ServerResult};
use turret::{serve, BoxError, Client, McpError, McpService, Request, Router};

fn task(id: &str, status: &str, message: String) -> Value {
    json!({
        "taskId": id, "status": status, "statusMessage": message, "ttl": 60000,
        "createdAt": "2026-12-04T00:00:00Z", "lastUpdatedAt": "2026-12-04T00:00:00Z",
    })
}

/// A server that runs every task-augmented `tools/call` as task `t1`, and reports in each
/// answer which id it was asked about, so the test sees what reached it.
fn answer(name: &str, message: &ClientRequest) -> Result<ServerResult, McpError> {
    let raw = |method: &str, value: Value| ServerResult::from_value(method, value).unwrap();
    Ok(match message {
        ClientRequest::Initialize(_) => raw(
            "initialize",
            json!({
                "protocolVersion": "2025-11-25",
                "serverInfo": {"name": name, "version": "1"},
                "capabilities": {
                    "tools": {},
                    "tasks": {"list": {}, "cancel": {}, "requests": {"tools": {"call": {}}}},
                },
            }),
        ),
        ClientRequest::ListTools(_) => raw(
            "tools/list",
            json!({"tools": [{"name": "work", "inputSchema": {"type": "object"},
                "execution": {"taskSupport": "optional"}}]}),
        ),
        ClientRequest::CallTool(p) if p.extra.contains_key("task") => ServerResult::Other(
            json!({"task": task("t1", "working", format!("{name} started t1"))}),
        ),
        ClientRequest::Other(m) => {
            let id = m.params.as_ref().and_then(|p| p["taskId"].as_str());
            let id = id.unwrap_or_default();
            ServerResult::Other(match m.method.as_str() {
                "tasks/get" => task(id, "completed", format!("{name} saw {id}")),
                "tasks/cancel" => task(id, "cancelled", format!("{name} cancelled {id}")),
                "tasks/result" => json!({
                    "content": [{"type": "text", "text": format!("{name} result of {id}")}],
                    "_meta": {"io.modelcontextprotocol/related-task": {"taskId": id}},
                }),
                "tasks/list" => json!({"tasks": [
                    task("t1", "completed", String::new()),
                    task("t2", "working", String::new()),
                ]}),
                other => return Err(McpError::method_not_found(other)),
            })
        }
        _ => ServerResult::Empty(Default::default()),
    })
}

fn child(name: &'static str) -> impl McpService {
    tower::service_fn(move |req: Request| async move {
        answer(name, req.message()).map_err(BoxError::from)
    })
}

/// The same child behind a Turret proxy, over an in-memory session.
fn proxied(name: &'static str) -> Proxy {
    Proxy::new(
        name,
        Backend::transport(move || {
            let (server, client) = memory_pair();
            tokio::spawn(serve(child(name), server));
            async move { Ok(client) }
        }),
    )
}

async fn connect(router: Router) -> Client {
    let (server, client) = memory_pair();
    tokio::spawn(serve(router, server));
    Client::builder().connect(client).await.expect("connect")
}

async fn tasks(client: &Client, method: &str, params: Value) -> Result<Value, McpError> {
    let request = ClientRequest::Other(CustomMessage {
        method: method.into(),
        params: Some(params),
    });
    match client.request(request).await? {
        ServerResult::Other(value) => Ok(value),
        other => panic!("{method} answered {other:?}"),
    }
}

async fn check(router: Router) {
    let client = connect(router).await;
    let declared = &client.server_capabilities().extra["tasks"];
    assert_eq!(
        declared["requests"]["tools"]["call"],
        json!({}),
        "{declared}"
    );

    let call = ClientRequest::CallTool(CallToolRequestParams {
        name: "a_work".into(),
        extra: json!({"task": {"ttl": 60000}})
            .as_object()
            .cloned()
            .unwrap(),
        ..Default::default()
    });
    let created = client.request(call).await.expect("a task-augmented call");
    let ServerResult::Other(created) = created else {
        panic!("not a CreateTaskResult: {created:?}");
    };
    assert_eq!(created["task"]["taskId"], "a_t1");
    assert_eq!(created["task"]["statusMessage"], "a started t1");

    for (exposed, owner) in [("a_t1", "a saw t1"), ("b_t1", "b saw t1")] {
        let got = tasks(&client, "tasks/get", json!({"taskId": exposed}))
            .await
            .unwrap();
        assert_eq!(got["taskId"], exposed);
        assert_eq!(got["statusMessage"], owner);
    }
    let payload = tasks(&client, "tasks/result", json!({"taskId": "a_t1"}))
        .await
        .unwrap();
    assert_eq!(payload["content"][0]["text"], "a result of t1");
    assert_eq!(
        payload["_meta"]["io.modelcontextprotocol/related-task"]["taskId"],
        "a_t1"
    );
    let cancelled = tasks(&client, "tasks/cancel", json!({"taskId": "b_t2"}))
        .await
        .unwrap();
    assert_eq!(
        (&cancelled["taskId"], &cancelled["status"]),
        (&json!("b_t2"), &json!("cancelled"))
    );
    assert_eq!(cancelled["statusMessage"], "b cancelled t2");

    let listed = tasks(&client, "tasks/list", json!({})).await.unwrap();
    let ids: Vec<&str> = listed["tasks"]
        .as_array()
        .expect("a tasks array")
        .iter()
        .map(|t| t["taskId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a_t1", "a_t2", "b_t1", "b_t2"]);

    let unknown = tasks(&client, "tasks/get", json!({"taskId": "c_t1"})).await;
    assert_eq!(unknown.unwrap_err().code(), ErrorCode::INVALID_PARAMS);
}

#[tokio::test]
async fn mounted_children_tasks_are_namespaced_routed_and_merged() {
    check(Router::new().mount("a", child("a")).mount("b", child("b"))).await;
}

#[tokio::test]
async fn tasks_pass_through_proxies_mounted_side_by_side() {
    check(
        Router::new()
            .mount("a", proxied("a"))
            .mount("b", proxied("b")),
    )
    .await;
}

#[tokio::test]
async fn a_router_without_mounts_has_no_tasks() {
    let router = Router::new().tool("x", turret::tool_fn(|| async { "x" }));
    let request = Request::new(ClientRequest::Other(CustomMessage {
        method: "tasks/list".into(),
        params: None,
    }));
    let error: McpError = router.oneshot(request).await.unwrap_err();
    assert_eq!(error.code(), ErrorCode::METHOD_NOT_FOUND);
}
