//! Mounting over a real client session: names and URIs through three levels, merged
//! pagination, notifications from a grandchild, renames, collisions and name limits.

#[path = "support/client.rs"]
mod client;

use std::time::Duration;

use client::{text, tool_names};
use serde_json::json;
use tower::ServiceExt as _;
use turret::client::{Client, Era};
use turret::router::Mount;
use turret::transport::memory_pair;
use turret::types::{
    CallToolRequestParams, ClientRequest, Completion, CompletionReference, ErrorCode,
    ProtocolVersion, ResourceContents, ServerNotification,
};
use turret::{prompt_fn, resource_fn, serve, tool_fn, Args, Request, Router};

async fn connect(router: Router) -> Client {
    let (server, client) = memory_pair();
    tokio::spawn(serve(router, server));
    Client::builder().connect(client).await.expect("connect")
}

/// A handshake-era session: change notifications flow to it without a listen stream.
async fn connect_session(router: Router) -> Client {
    let (server, client) = memory_pair();
    tokio::spawn(serve(router, server));
    Client::builder()
        .era(Era::Handshake(ProtocolVersion::V2025_11_25))
        .connect(client)
        .await
        .expect("connect")
}

fn leaf() -> Router {
    Router::new()
        .tool("leaf", tool_fn(|| async { "from the leaf" }))
        .resource("leaf://readme", resource_fn(|| async { "leaf readme" }))
        .resource_template(
            "leaf://items/{id}",
            resource_fn(
                |Args(v): Args<serde_json::Map<String, serde_json::Value>>| async move {
                    format!("item {}", v["id"].as_str().unwrap_or("?"))
                },
            ),
        )
        .prompt("hint", prompt_fn(|| async { "a hint" }))
        .completions(|_| async {
            Completion {
                values: vec!["from-leaf".into()],
                ..Default::default()
            }
        })
}

/// parent ⊃ child ("c") ⊃ grandchild ("g"), plus the parent's own tool.
fn three_levels() -> (Router, Router) {
    let grandchild = leaf();
    let child = Router::new()
        .tool("mid", tool_fn(|| async { "from the middle" }))
        .mount("g", grandchild.clone());
    let parent = Router::new()
        .tool("top", tool_fn(|| async { "from the top" }))
        .mount("c", child);
    (parent, grandchild)
}

#[tokio::test]
async fn names_and_uris_resolve_through_three_levels() {
    let (parent, _) = three_levels();
    let client = connect(parent).await;
    assert_eq!(tool_names(&client).await, ["top", "c_mid", "c_g_leaf"]);
    let result = client.call_tool("c_g_leaf", json!({})).await.unwrap();
    assert_eq!(text(&result.content), "from the leaf");

    let resources = client.list_resources().await.unwrap();
    assert_eq!(resources[0].uri, "leaf://c/g/readme");
    let read = client.read_resource("leaf://c/g/readme").await.unwrap();
    let ResourceContents::Text(t) = &read.contents[0] else {
        panic!("text expected")
    };
    assert_eq!(
        (t.uri.as_str(), t.text.as_str()),
        ("leaf://c/g/readme", "leaf readme")
    );

    let templates = client.list_resource_templates().await.unwrap();
    assert_eq!(templates[0].uri_template, "leaf://c/g/items/{id}");
    let read = client.read_resource("leaf://c/g/items/7").await.unwrap();
    let ResourceContents::Text(t) = &read.contents[0] else {
        panic!("text expected")
    };
    assert_eq!(t.text, "item 7");

    let prompts = client.list_prompts().await.unwrap();
    assert_eq!(prompts[0].name, "c_g_hint");
    let prompt = client.get_prompt("c_g_hint", json!({})).await.unwrap();
    assert_eq!(prompt.messages.len(), 1);
    let completion = client
        .complete(
            CompletionReference::Prompt {
                name: "c_g_hint".into(),
            },
            "x",
            "",
        )
        .await
        .unwrap();
    assert_eq!(completion.values, ["from-leaf"]);
}

#[tokio::test]
async fn unknown_prefixed_names_are_invalid_params_naming_the_tool() {
    let (parent, _) = three_levels();
    let client = connect(parent).await;
    let e = client
        .call_tool("c_g_nothing", json!({}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::INVALID_PARAMS);
    assert!(
        e.message().contains("c_g_nothing") || e.message().contains("nothing"),
        "{}",
        e.message()
    );
    let e = client.call_tool("zz_leaf", json!({})).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::INVALID_PARAMS);
    assert!(e.message().contains("zz_leaf"));
}

#[tokio::test]
async fn pages_across_three_children_with_a_page_size_of_two() {
    let child = |n: u32| {
        Router::new()
            .tool(format!("t{n}a"), tool_fn(|| async { "" }))
            .tool(format!("t{n}b"), tool_fn(|| async { "" }))
    };
    let parent = Router::new()
        .page_size(2)
        .tool("own", tool_fn(|| async { "" }))
        .mount("x", child(1))
        .mount("y", child(2))
        .mount("z", child(3));
    // Page by page by hand: every page holds two, the cursor carries on across children.
    let mut names = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let request = ClientRequest::ListTools(turret::types::PaginatedRequestParams {
            cursor,
            ..Default::default()
        });
        let result = parent.clone().oneshot(Request::new(request)).await.unwrap();
        let turret::types::ServerResult::ListTools(list) = result else {
            panic!()
        };
        assert!(list.tools.len() <= 2);
        pages += 1;
        names.extend(list.tools.into_iter().map(|t| t.name));
        match list.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 4);
    assert_eq!(
        names,
        ["own", "x_t1a", "x_t1b", "y_t2a", "y_t2b", "z_t3a", "z_t3b"]
    );
    // And the client follows the same cursors to the same list.
    let client = connect(parent).await;
    assert_eq!(tool_names(&client).await, names);
}

#[tokio::test]
async fn a_grandchilds_list_change_reaches_the_client() {
    let (parent, grandchild) = three_levels();
    let client = connect_session(parent).await;
    let mut notifications = client.notifications();
    grandchild.add_tool("late", tool_fn(|| async { "late" }));
    let changed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Ok(ServerNotification::ToolListChanged(_)) = notifications.recv().await {
                return;
            }
        }
    })
    .await;
    assert!(changed.is_ok(), "no tools/list_changed reached the client");
    assert!(tool_names(&client).await.contains(&"c_g_late".to_owned()));
    let result = client.call_tool("c_g_late", json!({})).await.unwrap();
    assert_eq!(text(&result.content), "late");
}

#[tokio::test]
async fn a_grandchilds_resource_update_reaches_a_subscribed_client() {
    let (parent, grandchild) = three_levels();
    let client = connect_session(parent).await;
    let mut notifications = client.notifications();
    client
        .request(ClientRequest::Subscribe(turret::types::ResourceUriParams {
            uri: "leaf://c/g/readme".into(),
            ..Default::default()
        }))
        .await
        .unwrap();
    grandchild
        .notifier()
        .resource_updated("leaf://readme")
        .await;
    let uri = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Ok(ServerNotification::ResourceUpdated(p)) = notifications.recv().await {
                return p.uri;
            }
        }
    })
    .await
    .expect("no resources/updated reached the client");
    assert_eq!(uri, "leaf://c/g/readme");
}

#[tokio::test]
async fn renamed_tools_keep_their_metadata() {
    let child = Router::new().tool(
        "original",
        tool_fn(|| async { "renamed works" })
            .title("A title")
            .description("Described")
            .annotations(turret::types::ToolAnnotations {
                read_only_hint: Some(true),
                ..Default::default()
            }),
    );
    let parent =
        Router::new().mount_with("ns", child, Mount::new().rename_tool("original", "better"));
    let client = connect(parent).await;
    let tools = client.list_tools().await.unwrap();
    assert_eq!(tools[0].name, "better");
    assert_eq!(tools[0].title.as_deref(), Some("A title"));
    assert_eq!(tools[0].description.as_deref(), Some("Described"));
    assert_eq!(
        tools[0].annotations.as_ref().unwrap().read_only_hint,
        Some(true)
    );
    let result = client.call_tool("better", json!({})).await.unwrap();
    assert_eq!(text(&result.content), "renamed works");
}

#[tokio::test]
#[should_panic(expected = "already mounted")]
async fn mounting_a_namespace_twice_is_refused() {
    let _ = Router::new().mount("a", leaf()).mount("a", leaf());
}

#[tokio::test]
async fn over_long_names_are_an_error_or_shortened_and_routed_back() {
    let long = "t".repeat(60);
    let child = || Router::new().tool(long.clone(), tool_fn(|| async { "long one" }));
    let strict = Router::new().mount_with("namespace", child(), Mount::new().max_name_len(64));
    let client = connect(strict).await;
    let e = client.list_tools().await.unwrap_err();
    assert!(
        e.message().contains("over the limit of 64"),
        "{}",
        e.message()
    );

    let short = Router::new().mount_with(
        "namespace",
        child(),
        Mount::new().max_name_len(64).shorten_names(),
    );
    let client = connect(short).await;
    let tools = client.list_tools().await.unwrap();
    assert_eq!(tools[0].name.len(), 64);
    let result = client
        .call_tool(tools[0].name.clone(), json!({}))
        .await
        .unwrap();
    assert_eq!(text(&result.content), "long one");
}

#[tokio::test]
async fn calls_reach_only_the_chosen_child() {
    // A child that is never ready must not stall calls to another child.
    let stuck = tower::service_fn(|_: Request| {
        std::future::pending::<Result<turret::types::ServerResult, turret::BoxError>>()
    });
    let parent = Router::new().mount("ok", leaf()).mount("stuck", stuck);
    let call = Request::new(ClientRequest::CallTool(CallToolRequestParams {
        name: "ok_leaf".into(),
        ..Default::default()
    }));
    let result = tokio::time::timeout(Duration::from_secs(2), parent.oneshot(call))
        .await
        .expect("the call waited on another child")
        .unwrap();
    assert_eq!(result.to_value()["content"][0]["text"], "from the leaf");
}

#[tokio::test]
async fn a_mounted_childs_lifespan_runs_once_with_the_parents() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let counters = Arc::new([
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    ]);
    let (up, down, parent_up) = (counters.clone(), counters.clone(), counters.clone());
    let child = leaf()
        .on_startup(move || {
            let up = up.clone();
            async move {
                up[0].fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        })
        .on_shutdown(move || {
            let down = down.clone();
            async move {
                down[1].fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        });
    let parent = Router::new()
        .on_startup(move || {
            let parent_up = parent_up.clone();
            async move {
                parent_up[2].fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        })
        .mount("child", child);
    parent.startup().await.unwrap();
    parent.startup().await.unwrap();
    let client = connect(parent.clone()).await;
    for _ in 0..3 {
        client.call_tool("child_leaf", json!({})).await.unwrap();
    }
    assert_eq!(tool_names(&client).await, ["child_leaf"]);
    parent.shutdown().await;
    parent.shutdown().await;
    let counts: Vec<usize> = counters.iter().map(|c| c.load(Ordering::SeqCst)).collect();
    assert_eq!(
        counts,
        [1, 1, 1],
        "child started, child stopped, parent started"
    );
}

#[tokio::test]
async fn a_child_starts_on_first_use_when_the_parent_was_not_started_explicitly() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let started = Arc::new(AtomicUsize::new(0));
    let seen = started.clone();
    let child = leaf().on_startup(move || {
        let seen = seen.clone();
        async move {
            seen.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    });
    let client = connect(Router::new().mount("child", child)).await;
    client.call_tool("child_leaf", json!({})).await.unwrap();
    client.call_tool("child_leaf", json!({})).await.unwrap();
    assert_eq!(started.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_child_mounted_as_a_proxy_serves_through_its_own_session() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let (started, stopped) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (up, down) = (started.clone(), stopped.clone());
    let grandchild = leaf();
    let child = Router::new()
        .mount("g", grandchild.clone())
        .on_startup(move || {
            let up = up.clone();
            async move {
                up.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        })
        .on_shutdown(move || {
            let down = down.clone();
            async move {
                down.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        });
    let parent = Router::new().mount_with("p", child, Mount::new().as_proxy());
    let client = connect_session(parent.clone()).await;
    let mut notifications = client.notifications();
    assert_eq!(tool_names(&client).await, ["p_g_leaf"]);
    let result = client.call_tool("p_g_leaf", json!({})).await.unwrap();
    assert_eq!(text(&result.content), "from the leaf");
    let read = client.read_resource("leaf://p/g/readme").await.unwrap();
    assert_eq!(read.contents.len(), 1);
    grandchild.add_tool("late", tool_fn(|| async { "late" }));
    let changed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Ok(ServerNotification::ToolListChanged(_)) = notifications.recv().await {
                return;
            }
        }
    })
    .await;
    assert!(
        changed.is_ok(),
        "no tools/list_changed through the proxied child"
    );
    parent.shutdown().await;
    assert_eq!(
        (
            started.load(Ordering::SeqCst),
            stopped.load(Ordering::SeqCst)
        ),
        (1, 1)
    );
}

#[tokio::test]
async fn an_import_is_a_copy_taken_at_build_time() {
    let source = leaf();
    let parent = Router::new().import("copy", &source, Mount::new());
    source.add_tool("after", tool_fn(|| async { "too late" }));
    let client = connect(parent).await;
    assert_eq!(tool_names(&client).await, ["copy_leaf"]);
    let result = client.call_tool("copy_leaf", json!({})).await.unwrap();
    assert_eq!(text(&result.content), "from the leaf");
    let read = client.read_resource("leaf://copy/items/9").await.unwrap();
    let ResourceContents::Text(t) = &read.contents[0] else {
        panic!("text expected")
    };
    assert_eq!(
        (t.uri.as_str(), t.text.as_str()),
        ("leaf://copy/items/9", "item 9")
    );
    assert_eq!(client.list_prompts().await.unwrap()[0].name, "copy_hint");
}

#[tokio::test]
#[should_panic(expected = "over the limit of 64")]
async fn importing_an_over_long_name_fails_at_build_time() {
    let source = Router::new().tool("t".repeat(70), tool_fn(|| async { "" }));
    let _ = Router::new().import("ns", &source, Mount::new().max_name_len(64));
}
