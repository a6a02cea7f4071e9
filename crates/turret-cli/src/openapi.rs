//! `turret openapi`: the MCP server generated from an OpenAPI spec, served or dumped.

use std::process::ExitCode;

use crate::cli::OpenapiArgs;
use crate::config::build::{generator, read_spec, remote_client};
use crate::serve::{run, Listen};

/// Runs `turret openapi`.
pub async fn openapi_command(args: OpenapiArgs) -> ExitCode {
    let spec = match read_spec(&args.spec).await {
        Ok(spec) => spec,
        Err(e) => return fail(e),
    };
    let generator = generator(spec, args.base_url.clone(), args.route_map, args.naming);
    if args.dump {
        return match generator.components() {
            Ok(c) => {
                let dump = serde_json::json!({
                    "tools": c.tools,
                    "resources": c.resources,
                    "resourceTemplates": c.resource_templates,
                });
                println!(
                    "{}",
                    serde_json::to_string_pretty(&dump).unwrap_or_default()
                );
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        };
    }
    let router = match remote_client(&Default::default())
        .and_then(|client| generator.into_router(client).map_err(|e| e.to_string()))
    {
        Ok(router) => router,
        Err(e) => return fail(e),
    };
    let fallback = Listen::http_default();
    let summary = vec![format!("generated from {}", args.spec)];
    match run(
        router,
        Listen::resolve(&args.listen, fallback),
        &summary,
        None,
        &crate::probes::Probes::default(),
    )
    .await
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

fn fail(error: impl std::fmt::Display) -> ExitCode {
    eprintln!("turret openapi: {error}");
    ExitCode::from(2)
}
