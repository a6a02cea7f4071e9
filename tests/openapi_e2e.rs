//! Generated tools calling a real axum API: over a hyper client to 127.0.0.1:0, and the same
//! Router in-process. Path, query, header, cookie and body values arrive as the spec says.

#[path = "support/openapi_echo.rs"]
mod echo;

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use turret::openapi::{from_axum, http_client, Naming, OpenApi, RouteMap, Spec};
use turret::Router;

use echo::{app, call, call_ok, read, PETSTORE};

/// The API served on a loopback port; the base URL.
async fn serve() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app()).await });
    format!("http://{addr}")
}

async fn over_http(spec: &str) -> Router {
    let base = serve().await;
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    OpenApi::new(Spec::parse(spec).unwrap())
        .base_url(base)
        .into_router(http_client(client))
        .unwrap()
}

/// The petstore checks, run against both servers.
async fn petstore_checks(router: &Router) {
    // `../admin` stays inside its segment: the pet route gets it decoded, /admin is never hit.
    let pet = call_ok(router, "getPetById", json!({"petId": "../admin"})).await;
    assert_eq!(pet["route"], "pet");
    assert_eq!(pet["petId"], "../admin");
    assert_eq!(pet["rawPath"], "/pets/..%2Fadmin");
    let pet = call_ok(router, "getPetById", json!({"petId": "a b?c#d"})).await;
    assert_eq!(pet["rawPath"], "/pets/a%20b%3Fc%23d");
    assert_eq!(pet["petId"], "a b?c#d");

    let found = call_ok(
        router,
        "findPets",
        json!({"status": ["sold", "new pet"], "limit": 3, "X-Trace": "t1"}),
    )
    .await;
    assert_eq!(found["query"], "status=sold&status=new%20pet&limit=3");
    assert_eq!(found["headers"]["x-trace"], "t1");

    let added = call_ok(router, "addPet", json!({"name": "Rex", "tag": null})).await;
    assert_eq!(added["method"], "POST");
    assert_eq!(added["headers"]["content-type"], "application/json");
    let body: Value = serde_json::from_str(added["body"].as_str().unwrap()).unwrap();
    assert_eq!(body, json!({"name": "Rex", "tag": null}));

    let injected = call(router, "findPets", json!({"X-Trace": "a\r\nX-Evil: 1"})).await;
    assert_eq!(injected.is_error, Some(true));
    assert!(format!("{:?}", injected.content).contains("CR, LF"));

    let missing = call(router, "missing", json!({})).await;
    assert_eq!(missing.is_error, Some(true));
    let text = format!("{:?}", missing.content);
    assert!(text.contains("404"), "{text}");
    assert!(
        text.len() < 2_500,
        "the error excerpt is bounded: {} bytes",
        text.len()
    );
}

#[tokio::test]
async fn petstore_over_a_socket() {
    petstore_checks(&over_http(PETSTORE).await).await;
}

#[tokio::test]
async fn petstore_in_process() {
    petstore_checks(&from_axum(app(), Spec::parse(PETSTORE).unwrap()).unwrap()).await;
}

#[tokio::test]
async fn schemas_leave_out_security_and_read_only_fields() {
    let c = OpenApi::new(Spec::parse(PETSTORE).unwrap())
        .components()
        .unwrap();
    let tool = |n: &str| c.tools.iter().find(|t| t.name == n).unwrap().clone();
    let delete = tool("deletePet");
    assert!(
        delete.input_schema["properties"].get("api_key").is_none(),
        "a security header is no argument"
    );
    let add = tool("addPet");
    assert_eq!(add.input_schema["required"], json!(["name"]));
    assert!(
        add.input_schema["properties"].get("id").is_none(),
        "readOnly is dropped"
    );
    assert_eq!(
        add.input_schema["properties"]["tag"]["type"],
        json!(["string", "null"])
    );
    let find = tool("findPets");
    let out = find.output_schema.unwrap();
    assert_eq!(out["properties"]["result"]["items"]["$ref"], "#/$defs/Pet");
    assert!(
        out["$defs"]["Pet"]["properties"].get("id").is_some(),
        "outputs keep readOnly"
    );
}

#[tokio::test]
async fn get_operations_as_resources_and_templates() {
    for naming in [Naming::Compatible, Naming::Improved] {
        let router = OpenApi::new(Spec::parse(PETSTORE).unwrap())
            .route_maps(RouteMap::get_as_resources())
            .naming(naming)
            .base_url("")
            .into_router(http_client(app()))
            .unwrap();
        let pet = read(&router, "resource://getPetById/7").await.unwrap();
        assert_eq!(serde_json::from_str::<Value>(&pet).unwrap()["petId"], "7");
        let err = read(&router, "resource://missing").await.unwrap_err();
        assert!(err.contains("404"), "{err}");
    }
    let c = OpenApi::new(Spec::parse(PETSTORE).unwrap())
        .route_maps(RouteMap::get_as_resources())
        .components()
        .unwrap();
    let names = |v: Vec<String>| v.join(",");
    assert_eq!(
        names(c.tools.into_iter().map(|t| t.name).collect()),
        "deletePet,addPet"
    );
    assert_eq!(
        names(c.resources.into_iter().map(|r| r.uri).collect()),
        "resource://findPets,resource://missing"
    );
    assert_eq!(
        c.resource_templates[0].uri_template,
        "resource://getPetById/{petId}"
    );
    let improved = OpenApi::new(Spec::parse(PETSTORE).unwrap())
        .route_maps(RouteMap::get_as_resources())
        .naming(Naming::Improved)
        .components()
        .unwrap();
    assert_eq!(
        improved.resource_templates[0].uri_template,
        "resource://getPetById/{petId}{?fields}"
    );
    let improved = OpenApi::new(Spec::parse(PETSTORE).unwrap())
        .route_maps(RouteMap::get_as_resources())
        .naming(Naming::Improved)
        .base_url("")
        .into_router(http_client(app()))
        .unwrap();
    // The improved mode keeps query parameters in templates.
    let pet = read(&improved, "resource://getPetById/7?fields=name")
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&pet).unwrap()["query"],
        "fields=name"
    );
}

/// Every operation of parameters-style-3.1.json with the same values: primitive `5`, array
/// `[3, 4, 5]`, object `{"role": "admin", "firstName": "Alex"}`.
#[tokio::test]
async fn every_parameter_style() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/specs/parameters-style-3.1.json"
    ))
    .unwrap();
    let router = from_axum(app(), Spec::parse(&text).unwrap()).unwrap();
    let args = json!({"primitive": "5", "array": [3, 4, 5], "object": {"role": "admin", "firstName": "Alex"}});
    let cases: &[(&str, &str, &str)] = &[
        ("paths_standard", "path", "/anything/path/5/3,4,5/firstName,Alex,role,admin"),
        ("paths_simple_nonExploded", "path", "/anything/path/simple/5/3,4,5/firstName,Alex,role,admin"),
        ("paths_simple_exploded", "path", "/anything/path/simple/5/3,4,5/firstName=Alex,role=admin"),
        ("paths_label_nonExploded", "path", "/anything/path/label/.5/.3,4,5/.firstName,Alex,role,admin"),
        ("paths_label_exploded", "path", "/anything/path/label/.5/.3.4.5/.firstName=Alex.role=admin"),
        ("paths_matrix_nonExploded", "path", "/anything/path/matrix/;primitive=5/;array=3,4,5/;object=firstName,Alex,role,admin"),
        ("paths_matrix_exploded", "path", "/anything/path/matrix/;primitive=5/;array=3;array=4;array=5/;firstName=Alex;role=admin"),
        ("query_standard", "query", "primitive=5&array=3&array=4&array=5&firstName=Alex&role=admin"),
        ("query_form_exploded", "query", "primitive=5&array=3&array=4&array=5&firstName=Alex&role=admin"),
        ("query_form_nonExploded", "query", "primitive=5&array=3,4,5&object=firstName,Alex,role,admin"),
        ("query_spaceDelimited_nonExploded", "query", "array=3%204%205&object=firstName%20Alex%20role%20admin"),
        ("query_pipeDelimited_nonExploded", "query", "array=3%7C4%7C5&object=firstName%7CAlex%7Crole%7Cadmin"),
        ("query_deepObject_nonExploded", "query", "object[firstName]=Alex&object[role]=admin"),
        ("cookies_standard", "cookie", "primitive=5; array=3; array=4; array=5; firstName=Alex; role=admin"),
        ("cookies_form_exploded", "cookie", "primitive=5; array=3; array=4; array=5; firstName=Alex; role=admin"),
        ("cookies_form_nonExploded", "cookie", "primitive=5; array=3,4,5; object=firstName,Alex,role,admin"),
        ("headers_standard", "headers", "5|3,4,5|firstName,Alex,role,admin"),
        ("headers_simple_nonExploded", "headers", "5|3,4,5|firstName,Alex,role,admin"),
        ("headers_simple_exploded", "headers", "5|3,4,5|firstName=Alex,role=admin"),
    ];
    for (tool, place, want) in cases {
        let seen = call_ok(&router, tool, args.clone()).await;
        let got = match *place {
            "path" => seen["path"].as_str().unwrap_or_default().to_owned(),
            "query" => seen["query"].as_str().unwrap_or_default().to_owned(),
            "cookie" => seen["headers"]["cookie"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            _ => ["primitive", "array", "object"]
                .map(|h| seen["headers"][h].as_str().unwrap_or_default().to_owned())
                .join("|"),
        };
        assert_eq!(&got, want, "{tool}");
    }
    let form = call_ok(&router, "formData_standard", args.clone()).await;
    let body = form["body"].as_str().unwrap();
    assert!(form["headers"]["content-type"]
        .as_str()
        .unwrap()
        .starts_with("multipart/form-data; boundary="));
    assert!(body.contains("name=\"primitive\"\r\n\r\n5\r\n"), "{body}");
    assert!(body.contains("name=\"array\"\r\n\r\n3\r\n"), "{body}");
}
