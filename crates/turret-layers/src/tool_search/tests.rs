use serde_json::{json, Value};
use tower::{ServiceBuilder, ServiceExt as _};
use turret_core::types::{
    CallToolRequestParams, CallToolResult, ClientRequest, ErrorCode, PaginatedRequestParams,
    ServerResult,
};
use turret_core::{tool_fn, Identity, McpError, Request, Router};

use super::*;
use crate::FilterLayer;

fn router() -> Router {
    Router::new()
        .tool(
            "refund_charge",
            tool_fn(|| async { "refunded" })
                .description("Refunds a charge to the card it came from."),
        )
        .tool(
            "create_issue",
            tool_fn(|| async { "#1" })
                .description("Opens an issue in a repository.")
                .tags(["public"]),
        )
        .tool(
            "delete_repository",
            tool_fn(|| async { "gone" })
                .description("Deletes a repository for good.")
                .tags(["admin"]),
        )
}

fn call(name: &str, args: Value) -> Request {
    Request::new(ClientRequest::CallTool(CallToolRequestParams {
        name: name.into(),
        arguments: args.as_object().cloned(),
        ..Default::default()
    }))
}

async fn result<S>(service: S, req: Request) -> CallToolResult
where
    S: Service<Request, Response = ServerResult, Error = BoxError>,
{
    match service.oneshot(req).await.unwrap() {
        ServerResult::CallTool(r) => r,
        other => panic!("not a tool result: {other:?}"),
    }
}

fn names(r: &CallToolResult) -> Vec<String> {
    r.structured_content.as_ref().unwrap()["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

fn text(r: &CallToolResult) -> String {
    serde_json::to_value(&r.content).unwrap()[0]["text"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_list_is_the_meta_tools_and_the_pins() {
    let service = ServiceBuilder::new()
        .layer(ToolSearchLayer::new().pin(["create_issue", "not_there"]))
        .service(router());
    let list = Request::new(ClientRequest::ListTools(PaginatedRequestParams::default()));
    let ServerResult::ListTools(list) = service.oneshot(list).await.unwrap() else {
        panic!("a list")
    };
    let names: Vec<_> = list.tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["search_tools", "call_tool", "create_issue"]);
}

#[tokio::test]
async fn search_finds_and_call_tool_forwards() {
    let service = ServiceBuilder::new()
        .layer(ToolSearchLayer::new().names("find", "run"))
        .service(router());
    let found = result(
        service.clone(),
        call("find", json!({"query": "remove a repo"})),
    )
    .await;
    assert_eq!(names(&found)[0], "delete_repository", "{found:?}");
    let tool = &found.structured_content.as_ref().unwrap()["tools"][0];
    assert!(tool["inputSchema"].is_object() && tool["score"].as_f64().unwrap() > 0.3);
    assert!(text(&found).contains("delete_repository"));

    let ran = result(
        service.clone(),
        call("run", json!({"name": "refund_charge"})),
    )
    .await;
    assert_eq!(text(&ran), "refunded");
    // The real tool answers by its own name too.
    let direct = result(service, call("create_issue", json!({}))).await;
    assert_eq!(text(&direct), "#1");
}

#[tokio::test]
async fn nothing_fits_is_an_empty_list_that_says_so() {
    let service = ServiceBuilder::new()
        .layer(ToolSearchLayer::new())
        .service(router());
    let r = result(
        service,
        call("search_tools", json!({"query": "book a flight"})),
    )
    .await;
    assert!(names(&r).is_empty());
    assert_ne!(r.is_error, Some(true));
    assert!(text(&r).starts_with("No tool fits"), "{}", text(&r));
}

#[tokio::test]
async fn bad_arguments_are_tool_errors() {
    let service = ServiceBuilder::new()
        .layer(ToolSearchLayer::new())
        .service(router());
    let long = "refund ".repeat(100_000 / 7);
    let cases = [
        ("search_tools", json!({}), "`query` is required"),
        ("search_tools", json!({"query": "  "}), "`query` is empty"),
        (
            "search_tools",
            json!({"query": 3}),
            "`query` must be a string",
        ),
        ("search_tools", json!({"query": long}), "at most 4096"),
        (
            "search_tools",
            json!({"query": "refund", "limit": 0}),
            "from 1 to 50",
        ),
        (
            "search_tools",
            json!({"query": "refund", "limit": 10_000}),
            "from 1 to 50",
        ),
        (
            "search_tools",
            json!({"query": "refund", "limit": "5"}),
            "from 1 to 50",
        ),
        ("call_tool", json!({}), "`name` is required"),
        ("call_tool", json!({"name": ""}), "`name` is empty"),
        (
            "call_tool",
            json!({"name": "x", "arguments": []}),
            "must be an object",
        ),
        ("call_tool", json!({"name": "call_tool"}), "is a meta-tool"),
    ];
    for (tool, args, message) in cases {
        let r = result(service.clone(), call(tool, args.clone())).await;
        assert_eq!(r.is_error, Some(true), "{args}");
        assert!(text(&r).contains(message), "{args}: {}", text(&r));
    }
    let unknown = service
        .oneshot(call("call_tool", json!({"name": "nope"})))
        .await
        .unwrap_err();
    assert_eq!(
        McpError::from_box_error(unknown).code(),
        ErrorCode::INVALID_PARAMS
    );
}

#[tokio::test]
async fn a_hidden_tool_is_never_found_nor_called() {
    let router = router();
    let filter = FilterLayer::new().exclude_tags(["admin"]);
    let service = ServiceBuilder::new()
        .layer(ToolSearchLayer::new().pin(["delete_repository"]))
        .layer(filter)
        .service(router);
    let r = result(
        service.clone(),
        call("search_tools", json!({"query": "delete a repository"})),
    )
    .await;
    assert!(
        !names(&r).contains(&"delete_repository".to_owned()),
        "{r:?}"
    );
    let error = service
        .oneshot(call("call_tool", json!({"name": "delete_repository"})))
        .await
        .unwrap_err();
    let error = McpError::from_box_error(error);
    assert_eq!(error.code(), ErrorCode::INVALID_PARAMS);
    assert!(error.to_string().contains("unknown tool"), "{error}");
}

#[tokio::test]
async fn callers_who_see_the_same_tools_share_an_index() {
    let service = ServiceBuilder::new()
        .layer(ToolSearchLayer::new())
        .service(router());
    let mut indexes = Vec::new();
    for who in ["alice", "bob"] {
        let mut req = call("search_tools", json!({"query": "refund"}));
        req.extensions_mut().insert(Identity::new(who));
        let caller = Caller::of(&req);
        let index = service
            .shared
            .views
            .index(service.get_ref().clone(), req.extensions(), caller)
            .await
            .unwrap();
        indexes.push(index);
    }
    assert!(Arc::ptr_eq(&indexes[0], &indexes[1]));
}

#[tokio::test]
async fn a_tool_list_change_rebuilds_the_index() {
    use std::sync::Mutex;
    use turret_core::types::{ListToolsResult, Tool};

    let listed = Arc::new(Mutex::new(vec!["alpha_report"]));
    let inner = {
        let listed = listed.clone();
        tower::service_fn(move |_req: Request| {
            let tools = listed
                .lock()
                .unwrap()
                .iter()
                .map(|n| Tool {
                    name: (*n).to_owned(),
                    description: Some(format!("Builds the {n}.")),
                    ..Tool::default()
                })
                .collect();
            async move {
                Ok::<_, BoxError>(ServerResult::ListTools(ListToolsResult {
                    tools,
                    ..Default::default()
                }))
            }
        })
    };
    let (changes, receiver) = tokio::sync::broadcast::channel(8);
    let service = ServiceBuilder::new()
        .layer(ToolSearchLayer::new().threshold(0.0).refresh_on(receiver))
        .service(inner);
    let search = || {
        as_caller(
            "alice",
            call("search_tools", json!({"query": "beta report"})),
        )
    };
    let before = result(service.clone(), search()).await;
    assert_eq!(names(&before), ["alpha_report"]);
    listed.lock().unwrap().push("beta_report");
    // Without a change a caller's view is kept (for its TTL); a request that names no
    // caller lists anew.
    let kept = result(service.clone(), search()).await;
    assert_eq!(names(&kept), ["alpha_report"]);
    let anonymous = call("search_tools", json!({"query": "beta report"}));
    assert_eq!(
        names(&result(service.clone(), anonymous).await)[0],
        "beta_report"
    );
    changes.send(Change::ToolsChanged).unwrap();
    let after = result(service, search()).await;
    assert_eq!(names(&after)[0], "beta_report");
}

/// Admins see everything; anyone else sees what a filter leaves: a per-caller view inside
/// the search, as an auth-aware layer would make.
fn by_caller(
) -> impl Service<Request, Response = ServerResult, Error = BoxError, Future = impl Send>
       + Clone
       + Send
       + 'static {
    let everything = router();
    let filtered = ServiceBuilder::new()
        .layer(FilterLayer::new().exclude_tags(["admin"]))
        .service(router());
    tower::service_fn(move |req: Request| {
        let admin = req
            .extensions()
            .get::<Identity>()
            .is_some_and(|i| i.subject() == "admin");
        let (everything, filtered) = (everything.clone(), filtered.clone());
        async move {
            if admin {
                everything.oneshot(req).await.map_err(Into::into)
            } else {
                filtered.oneshot(req).await
            }
        }
    })
}

fn as_caller(who: &str, mut req: Request) -> Request {
    req.extensions_mut().insert(Identity::new(who));
    req
}

#[tokio::test]
async fn each_caller_searches_what_it_can_list() {
    let service = ServiceBuilder::new()
        .layer(ToolSearchLayer::new())
        .service(by_caller());
    let search = |who| {
        as_caller(
            who,
            call("search_tools", json!({"query": "delete a repository"})),
        )
    };
    let admin = result(service.clone(), search("admin")).await;
    assert_eq!(names(&admin)[0], "delete_repository");
    for guest in ["alice", "bob"] {
        let r = result(service.clone(), search(guest)).await;
        assert!(
            !names(&r).contains(&"delete_repository".to_owned()),
            "{guest}: {r:?}"
        );
        let refused = service
            .clone()
            .oneshot(as_caller(
                guest,
                call("call_tool", json!({"name": "delete_repository"})),
            ))
            .await
            .unwrap_err();
        assert_eq!(
            McpError::from_box_error(refused).code(),
            ErrorCode::INVALID_PARAMS
        );
    }
    let ran = result(
        service.clone(),
        as_caller(
            "admin",
            call("call_tool", json!({"name": "delete_repository"})),
        ),
    )
    .await;
    assert_eq!(text(&ran), "gone");
    // Two guests share one index, the admin has another.
    let index = |who: &str| {
        let req = as_caller(who, call("search_tools", json!({"query": "x"})));
        let service = service.clone();
        async move {
            service
                .shared
                .views
                .index(
                    service.get_ref().clone(),
                    req.extensions(),
                    Caller::of(&req),
                )
                .await
                .unwrap()
        }
    };
    let (alice, bob, admin) = (
        index("alice").await,
        index("bob").await,
        index("admin").await,
    );
    assert!(Arc::ptr_eq(&alice, &bob));
    assert!(!Arc::ptr_eq(&alice, &admin));
    assert_eq!((alice.len(), admin.len()), (2, 3));
}
