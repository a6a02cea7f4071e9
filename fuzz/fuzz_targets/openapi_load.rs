//! The OpenAPI loader and its `$ref` resolver: `Spec::parse` (JSON or YAML text) and the
//! generator behind `OpenApi::components` / `OpenApi::into_router`, which follows every local
//! `$ref` of parameters, request bodies, responses and schemas (cycles included).
//!
//! Properties, beyond "no panic" and no blow-up on reference cycles:
//! * generation is deterministic (twice, same components);
//! * tool names are unique and non-empty, every input schema is a JSON object schema
//!   (`"type": "object"`), and every tool survives a serde round trip;
//! * every generated resource template is a valid RFC 6570 template;
//! * `into_router` succeeds exactly when `components` does.
#![no_main]

use std::convert::Infallible;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use libfuzzer_sys::fuzz_target;
use turret_core::uri_template::UriTemplate;
use turret_openapi::{http_client, OpenApi, Spec};
use turret_types::Tool;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(spec) = Spec::parse(text) else {
        return;
    };
    let _ = (spec.version(), spec.title(), spec.server_url());
    let api = OpenApi::new(spec.clone());
    let components = api.components();
    let again = OpenApi::new(spec.clone()).components();
    match (&components, &again) {
        (Ok(a), Ok(b)) => assert_eq!(
            serde_json::to_value(a).unwrap(),
            serde_json::to_value(b).unwrap(),
            "generation is not deterministic"
        ),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        _ => panic!("generation is not deterministic: {components:?} / {again:?}"),
    }
    if let Ok(c) = &components {
        let mut names: Vec<&str> = c.tools.iter().map(|t| t.name.as_str()).collect();
        assert!(names.iter().all(|n| !n.is_empty()), "an empty tool name");
        names.sort_unstable();
        for pair in names.windows(2) {
            assert_ne!(pair[0], pair[1], "two tools named {:?}", pair[0]);
        }
        for tool in &c.tools {
            assert_eq!(
                tool.input_schema.get("type").and_then(|t| t.as_str()),
                Some("object"),
                "{}: input schema {:?}",
                tool.name,
                tool.input_schema
            );
            let value = serde_json::to_value(tool).expect("tool serializes");
            let back: Tool = serde_json::from_value(value).expect("tool deserializes");
            assert_eq!(&back, tool);
        }
        for template in &c.resource_templates {
            if let Err(e) = UriTemplate::parse(&template.uri_template) {
                panic!("{:?} is not a URI template: {e}", template.uri_template);
            }
        }
    }

    // The server: no request is sent while building it.
    let client = tower::service_fn(|_: Request<Full<Bytes>>| async {
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::new())))
    });
    let router = OpenApi::new(spec).into_router(http_client(client));
    assert_eq!(
        router.is_ok(),
        components.is_ok(),
        "into_router and components disagree: {:?}",
        router.err()
    );
});
