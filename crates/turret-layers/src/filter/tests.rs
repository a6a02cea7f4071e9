use std::time::Duration;

use tower::{ServiceBuilder, ServiceExt as _};
use turret_core::types::{
    CallToolRequestParams, CompleteRequestParams, CompletionArgument, ErrorCode,
    GetPromptRequestParams, PaginatedRequestParams, ReadResourceRequestParams,
};
use turret_core::{prompt_fn, resource_fn, tool_fn, Router};

use super::*;

fn router() -> Router {
    Router::new()
        .tool("search", tool_fn(|| async { "found" }).tags(["public"]))
        .tool("reindex", tool_fn(|| async { "done" }).tags(["admin"]))
        .tool("debug_dump", tool_fn(|| async { "dump" }).tags(["public"]))
        .tool("untagged", tool_fn(|| async { "?" }))
        .resource(
            "docs://readme",
            resource_fn(|| async { "hi" }).tags(["public"]),
        )
        .resource(
            "secret://keys",
            resource_fn(|| async { "k" }).tags(["admin"]),
        )
        .resource_template(
            "secret://users/{id}",
            resource_fn(|| async { "u" }).tags(["admin"]),
        )
        .prompt("greet", prompt_fn(|| async { "hello" }).tags(["public"]))
        .prompt("audit", prompt_fn(|| async { "audit" }).tags(["admin"]))
}

async fn tool_names<S>(service: S) -> Vec<String>
where
    S: Service<Request, Response = ServerResult, Error = BoxError>,
{
    let list = ClientRequest::ListTools(PaginatedRequestParams::default());
    match service.oneshot(Request::new(list)).await.unwrap() {
        ServerResult::ListTools(r) => r.tools.into_iter().map(|t| t.name).collect(),
        other => panic!("{other:?}"),
    }
}

fn call(name: &str) -> Request {
    Request::new(ClientRequest::CallTool(CallToolRequestParams {
        name: name.into(),
        ..Default::default()
    }))
}

fn code(error: BoxError) -> ErrorCode {
    McpError::from_box_error(error).code()
}

#[tokio::test]
async fn hidden_tools_are_unlisted_and_uncallable() {
    let layer = FilterLayer::new()
        .exclude_tags(["admin"])
        .exclude_names(["debug_*"]);
    let service = ServiceBuilder::new().layer(layer).service(router());
    assert_eq!(tool_names(service.clone()).await, ["search", "untagged"]);
    service.clone().oneshot(call("search")).await.unwrap();
    service.clone().oneshot(call("untagged")).await.unwrap();
    for hidden in ["reindex", "debug_dump"] {
        let error = service.clone().oneshot(call(hidden)).await.unwrap_err();
        let error = McpError::from_box_error(error);
        assert_eq!(error.code(), ErrorCode::INVALID_PARAMS);
        assert_eq!(error.message(), format!("unknown tool: {hidden}"));
    }
}

#[tokio::test]
async fn include_rules_need_a_match() {
    let layer = FilterLayer::new().include_tags(["public"]);
    let service = ServiceBuilder::new().layer(layer).service(router());
    assert_eq!(tool_names(service.clone()).await, ["search", "debug_dump"]);
    let error = service.clone().oneshot(call("untagged")).await.unwrap_err();
    assert_eq!(code(error), ErrorCode::INVALID_PARAMS);

    let layer = FilterLayer::new().include_names(["s*", "untagged"]);
    let service = ServiceBuilder::new().layer(layer).service(router());
    assert_eq!(tool_names(service).await, ["search", "untagged"]);
}

#[tokio::test]
async fn prompts_resources_and_completions_are_filtered_too() {
    let layer = FilterLayer::new().exclude_tags(["admin"]);
    let service = ServiceBuilder::new().layer(layer).service(router());
    let list = |m: &str| Request::new(ClientRequest::from_parts(m, None).unwrap());
    let Ok(ServerResult::ListPrompts(p)) = service.clone().oneshot(list("prompts/list")).await
    else {
        panic!()
    };
    assert_eq!(p.prompts.len(), 1);
    let Ok(ServerResult::ListResources(r)) = service.clone().oneshot(list("resources/list")).await
    else {
        panic!()
    };
    assert_eq!(r.resources.len(), 1);
    let Ok(ServerResult::ListResourceTemplates(t)) = service
        .clone()
        .oneshot(list("resources/templates/list"))
        .await
    else {
        panic!()
    };
    assert!(t.resource_templates.is_empty());

    let get = |name: &str| {
        Request::new(ClientRequest::GetPrompt(GetPromptRequestParams {
            name: name.into(),
            ..Default::default()
        }))
    };
    service.clone().oneshot(get("greet")).await.unwrap();
    let error = service.clone().oneshot(get("audit")).await.unwrap_err();
    assert_eq!(code(error), ErrorCode::INVALID_PARAMS);

    let read = |uri: &str| {
        Request::new(ClientRequest::ReadResource(ReadResourceRequestParams {
            uri: uri.into(),
            ..Default::default()
        }))
    };
    service
        .clone()
        .oneshot(read("docs://readme"))
        .await
        .unwrap();
    for hidden in ["secret://keys", "secret://users/7"] {
        let error = service.clone().oneshot(read(hidden)).await.unwrap_err();
        assert_eq!(code(error), ErrorCode::RESOURCE_NOT_FOUND, "{hidden}");
    }

    let complete = ClientRequest::Complete(CompleteRequestParams {
        reference: CompletionReference::Prompt {
            name: "audit".into(),
        },
        argument: CompletionArgument {
            name: "x".into(),
            value: "".into(),
        },
        context: None,
        meta: None,
        extra: Default::default(),
    });
    let error = service.oneshot(Request::new(complete)).await.unwrap_err();
    assert_eq!(code(error), ErrorCode::INVALID_PARAMS);
}

#[tokio::test]
async fn tools_added_later_are_judged_by_their_tags() {
    let router = router();
    let layer = FilterLayer::new()
        .exclude_tags(["admin"])
        .definitions_ttl(Duration::from_secs(3600))
        .refresh_on(router.notifier().subscribe());
    let service = ServiceBuilder::new().layer(layer).service(router.clone());
    service.clone().oneshot(call("search")).await.unwrap();
    // Replaced by an admin tool: the change makes the filter look again.
    router.add_tool("search", tool_fn(|| async { "found" }).tags(["admin"]));
    tokio::task::yield_now().await;
    let error = service.clone().oneshot(call("search")).await.unwrap_err();
    assert_eq!(code(error), ErrorCode::INVALID_PARAMS);
}
