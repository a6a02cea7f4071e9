//! An axum test API (a petstore subset plus an echo of everything else), its spec, and
//! helpers to call generated tools and read generated resources.
#![allow(unreachable_pub)]

use axum::extract::{Path, Request as AxumRequest};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router as AxumRouter};
use http_body_util::BodyExt as _;
use serde_json::{json, Value};
use tower::ServiceExt as _;
use turret::types::{CallToolResult, ClientRequest, ReadResourceRequestParams, ServerResult};
use turret::{Request, Router};

/// The petstore subset the API implements (OpenAPI 3.0, YAML).
pub const PETSTORE: &str = r##"
openapi: 3.0.3
info: {title: Pets}
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: api_key}
  schemas:
    Pet:
      type: object
      required: [name]
      properties:
        id: {type: integer, readOnly: true}
        name: {type: string}
        tag: {type: string, nullable: true}
paths:
  /pets/{petId}:
    get:
      operationId: getPetById
      parameters:
        - {name: petId, in: path, required: true, schema: {type: string}}
        - {name: fields, in: query, schema: {type: string}}
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}}
    delete:
      operationId: deletePet
      parameters:
        - {name: petId, in: path, required: true, schema: {type: string}}
        - {name: api_key, in: header, schema: {type: string}}
      responses: {'204': {description: gone}}
  /pets:
    get:
      operationId: findPets
      parameters:
        - {name: status, in: query, schema: {type: array, items: {type: string}}}
        - {name: limit, in: query, schema: {type: integer}}
        - {name: X-Trace, in: header, schema: {type: string}}
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: array, items: {$ref: '#/components/schemas/Pet'}}}}}
    post:
      operationId: addPet
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}
      responses: {'200': {description: ok}}
  /missing:
    get: {operationId: missing, responses: {'200': {description: never}}}
"##;

/// What the API saw: method, raw path and query, some headers, the body as text.
async fn echo(req: AxumRequest) -> Json<Value> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let header = |n: &str| {
        parts
            .headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let headers: serde_json::Map<String, Value> = [
        "cookie",
        "primitive",
        "array",
        "object",
        "x-trace",
        "api_key",
        "content-type",
    ]
    .into_iter()
    .filter_map(|n| Some((n.to_owned(), Value::String(header(n)?))))
    .collect();
    Json(json!({
        "method": parts.method.as_str(),
        "path": parts.uri.path(),
        "query": parts.uri.query(),
        "headers": headers,
        "body": String::from_utf8_lossy(&body),
    }))
}

/// The API: `/pets/{petId}` answers with the decoded id and the raw path, `/admin` must never
/// be reached, `/missing` is a 404 with a long body, everything else echoes.
pub fn app() -> AxumRouter {
    AxumRouter::new()
        .route(
            "/pets/{petId}",
            get(|Path(id): Path<String>, req: AxumRequest| async move {
                let uri = req.uri();
                Json(json!({"route": "pet", "petId": id, "rawPath": uri.path(), "query": uri.query()}))
            })
            .delete(echo),
        )
        .route("/admin", get(|| async { Json(json!({"route": "admin"})) }))
        .route("/missing", get(|| async { (StatusCode::NOT_FOUND, "x".repeat(10_000)) }))
        .fallback(echo)
}

/// Calls tool `name` on `router`.
pub async fn call(router: &Router, name: &str, args: Value) -> CallToolResult {
    let req = Request::new(ClientRequest::CallTool(
        turret::types::CallToolRequestParams {
            name: name.to_owned(),
            arguments: args.as_object().cloned(),
            ..Default::default()
        },
    ));
    match router.clone().oneshot(req).await {
        Ok(ServerResult::CallTool(r)) => r,
        other => panic!("tools/call {name}: {other:?}"),
    }
}

/// The structured content of a successful call (unwrapping `{"result": …}`).
pub async fn call_ok(router: &Router, name: &str, args: Value) -> Value {
    let r = call(router, name, args).await;
    assert_ne!(r.is_error, Some(true), "{name}: {:?}", r.content);
    let v = r
        .structured_content
        .unwrap_or_else(|| panic!("{name}: no structured content"));
    match v.get("result") {
        Some(inner) if v.as_object().is_some_and(|o| o.len() == 1) => inner.clone(),
        _ => v,
    }
}

/// Reads `uri` on `router`: the text of its first contents.
pub async fn read(router: &Router, uri: &str) -> Result<String, String> {
    let req = Request::new(ClientRequest::ReadResource(ReadResourceRequestParams {
        uri: uri.to_owned(),
        ..Default::default()
    }));
    match router.clone().oneshot(req).await {
        Ok(ServerResult::ReadResource(r)) => match r.contents.first() {
            Some(turret::types::ResourceContents::Text(t)) => Ok(t.text.clone()),
            other => Err(format!("{other:?}")),
        },
        Ok(other) => Err(format!("{other:?}")),
        Err(e) => Err(e.to_string()),
    }
}
