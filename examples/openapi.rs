//! An MCP server generated from an OpenAPI spec, over stdio.
//!
//! ```text
//! cargo run --example openapi -- SPEC [--base-url URL] [--improved] [--resources] [--dump]
//! ```
//!
//! `--dump` prints the generated components as JSON
//! (`{"tools":[…],"resources":[…],"resourceTemplates":[…]}`) and exits. Otherwise the
//! server calls the API at `--base-url` (default: the spec's first server) over plain HTTP
//! with a hyper client; put credentials on that client with a tower-http layer.

use std::process::ExitCode;

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use turret::openapi::{http_client, Naming, OpenApi, RouteMap, Spec};

struct Options {
    spec: String,
    base_url: Option<String>,
    dump: bool,
    improved: bool,
    resources: bool,
}

fn options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut out = Options {
        spec: String::new(),
        base_url: None,
        dump: false,
        improved: false,
        resources: false,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--base-url" => out.base_url = Some(args.next().ok_or("--base-url needs a URL")?),
            "--dump" => out.dump = true,
            "--improved" => out.improved = true,
            "--resources" => out.resources = true,
            _ if out.spec.is_empty() && !arg.starts_with("--") => out.spec = arg,
            other => return Err(format!("unexpected argument {other:?}")),
        }
    }
    if out.spec.is_empty() {
        return Err(
            "usage: openapi SPEC [--base-url URL] [--improved] [--resources] [--dump]".into(),
        );
    }
    Ok(out)
}

async fn run(o: Options) -> Result<(), String> {
    // From its file, so references to files beside it resolve.
    let spec = Spec::load(&o.spec).map_err(|e| format!("{}: {e}", o.spec))?;
    let mut openapi = OpenApi::new(spec).naming(if o.improved {
        Naming::Improved
    } else {
        Naming::Compatible
    });
    if o.resources {
        openapi = openapi.route_maps(RouteMap::get_as_resources());
    }
    if let Some(url) = o.base_url {
        openapi = openapi.base_url(url);
    }
    if o.dump {
        let components = openapi.components().map_err(|e| e.to_string())?;
        println!(
            "{}",
            serde_json::to_string_pretty(&components).map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let router = openapi
        .into_router(http_client(client))
        .map_err(|e| e.to_string())?;
    turret::transport::serve_stdio(router)
        .await
        .map_err(|e| e.to_string())
}

#[tokio::main]
async fn main() -> ExitCode {
    let result = match options() {
        Ok(o) => run(o).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("openapi: {e}");
            ExitCode::FAILURE
        }
    }
}
