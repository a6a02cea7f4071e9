//! Every spec in `../shared/specs` builds, one component per operation, under both presets
//! and both namings; in compatible naming, tool names and required arguments equal
//! FastMCP 4.2.3's on the same specs (the harness venv's `python`).

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;
use turret::openapi::{Naming, OpenApi, RouteMap, SchemaShape, Spec};

const SPECS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/specs");
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn specs() -> Vec<(String, String)> {
    let mut out: Vec<_> = std::fs::read_dir(SPECS)
        .unwrap()
        .filter_map(|e| {
            let path = e.ok()?.path();
            let name = path.file_name()?.to_str()?.to_owned();
            (name.ends_with(".json") || name.ends_with(".yaml"))
                .then(|| (name, std::fs::read_to_string(&path).unwrap()))
        })
        .collect();
    out.sort();
    assert!(out.len() >= 7, "the shared specs are missing: {out:?}");
    out
}

/// (all operations, GET operations), counted from the raw document.
fn operations(text: &str) -> (usize, usize) {
    let doc: Value = if text.trim_start().starts_with('{') {
        serde_json::from_str(text).unwrap()
    } else {
        serde_norway::from_str(text).unwrap()
    };
    let paths = doc["paths"].as_object().unwrap();
    let count = |methods: &[&str]| {
        paths
            .values()
            .map(|item| methods.iter().filter(|m| item.get(**m).is_some()).count())
            .sum()
    };
    (count(&METHODS), count(&["get"]))
}

#[test]
fn every_spec_builds_one_component_per_operation() {
    for (name, text) in specs() {
        let (all, gets) = operations(&text);
        assert!(all > 0, "{name}");
        for naming in [Naming::Compatible, Naming::Improved] {
            let base = || OpenApi::new(Spec::parse(&text).unwrap()).naming(naming);
            let tools = base()
                .components()
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(tools.tools.len(), all, "{name} {naming:?}");
            let mut names: Vec<_> = tools.tools.iter().map(|t| t.name.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), all, "{name}: names are unique");
            let split = base()
                .route_maps(RouteMap::get_as_resources())
                .components()
                .unwrap();
            assert_eq!(
                split.resources.len() + split.resource_templates.len(),
                gets,
                "{name} {naming:?}"
            );
            assert_eq!(split.tools.len(), all - gets, "{name} {naming:?}");
        }
    }
}

/// Python run in the harness venv: FastMCP's tool names and sorted required arguments per
/// spec, or `{"error": …}` where FastMCP refuses the spec.
const FASTMCP_DUMP: &str = r#"
import asyncio, json, logging, sys
logging.disable(logging.CRITICAL)
import httpx2, yaml
from fastmcp import FastMCP
out = {}
for path in sys.argv[1:]:
    text = open(path).read()
    spec = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    try:
        mcp = FastMCP.from_openapi(openapi_spec=spec, client=httpx2.AsyncClient(base_url="http://127.0.0.1:9"))
        tools = asyncio.run(mcp.list_tools())
        out[path] = [[t.name, sorted(t.parameters.get("required", []))] for t in tools]
    except Exception as e:
        out[path] = {"error": str(e)[:300]}
print(json.dumps(out))
"#;

/// Tools whose required arguments differ from FastMCP's on purpose: a required body that is
/// one of several shapes (`oneOf`) is one required `body` argument in Turret, its variants
/// kept; FastMCP flattens the variants' properties, all optional, so nothing is required.
const DIFFERENT_BY_DESIGN: [(&str, &str); 2] = [
    (
        "discriminators-3.0.yaml",
        "Handling_for_potentially_undefined_formData",
    ),
    ("scalar-galaxy-3.1.yaml", "createCelestialBody"),
];

#[test]
fn a_required_one_of_body_is_one_required_argument() {
    let (name, tool) = DIFFERENT_BY_DESIGN[0];
    let text = std::fs::read_to_string(format!("{SPECS}/{name}")).unwrap();
    let tools = OpenApi::new(Spec::parse(&text).unwrap())
        .components()
        .unwrap()
        .tools;
    let tool = tools.iter().find(|t| t.name == tool).unwrap();
    assert_eq!(tool.input_schema["required"], serde_json::json!(["body"]));
    let body = &tool.input_schema["properties"]["body"];
    let variants = body["oneOf"].as_array().expect("the oneOf survives");
    assert_eq!(variants.len(), 2);
    // The discriminator, as each branch's constant tag.
    assert_eq!(
        variants[1]["allOf"][1]["properties"]["event_type"],
        serde_json::json!({"const": "application_denied"})
    );
}

#[test]
fn names_and_required_arguments_match_fastmcp() {
    let specs = specs();
    let paths: Vec<String> = specs.iter().map(|(n, _)| format!("{SPECS}/{n}")).collect();
    let output = Command::new("python")
        .arg("-c")
        .arg(FASTMCP_DUMP)
        .args(&paths)
        .output()
        .expect("python from the harness venv (`. ../shared/harness/env.sh`)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let fastmcp: BTreeMap<String, Value> = serde_json::from_slice(&output.stdout).unwrap();
    let mut compared = 0;
    for ((name, text), path) in specs.iter().zip(&paths) {
        let theirs = &fastmcp[path];
        if theirs.get("error").is_some() {
            // FastMCP refuses some valid specs (train-travel: a 3.1 `$ref` beside
            // `unevaluatedProperties`); Turret must still build them.
            assert!(
                OpenApi::new(Spec::parse(text).unwrap())
                    .components()
                    .is_ok(),
                "{name}"
            );
            continue;
        }
        let ours: Vec<Value> = OpenApi::new(Spec::parse(text).unwrap())
            .components()
            .unwrap()
            .tools
            .iter()
            .map(|t| {
                let mut required: Vec<String> = t.input_schema["required"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r.as_str().unwrap().to_owned())
                    .collect();
                required.sort();
                if DIFFERENT_BY_DESIGN.contains(&(name.as_str(), t.name.as_str())) {
                    // Compared as FastMCP has it; the test below checks Turret's own.
                    required.retain(|r| r != "body");
                }
                serde_json::json!([t.name, required])
            })
            .collect();
        assert_eq!(&Value::Array(ours), theirs, "{name}");
        compared += 1;
    }
    assert!(compared >= 6, "only {compared} specs compared");
}

/// Every `$ref` under `value`.
fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(o) => {
            if let Some(Value::String(r)) = o.get("$ref") {
                out.push(r);
            }
            o.values().for_each(|v| refs(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// The specs of `../shared/specs` and, when fetched, GitHub's, Stripe's and OpenAI's.
fn all_specs() -> Vec<(String, String)> {
    let mut out = specs();
    let big = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/openapi-specs");
    for name in ["api.github.com.json", "stripe.com.json", "openai.yaml"] {
        if let Ok(text) = std::fs::read_to_string(big.join(name)) {
            out.push((name.to_owned(), text));
        }
    }
    out
}

#[test]
fn schema_shapes_defs_at_the_root_or_self_contained() {
    for (name, text) in all_specs() {
        for shape in [SchemaShape::Defs, SchemaShape::Inline] {
            let tools = OpenApi::new(Spec::parse(&text).unwrap())
                .schema_shape(shape)
                .components()
                .unwrap()
                .tools;
            for tool in &tools {
                let schemas = [Some(&tool.input_schema), tool.output_schema.as_ref()];
                for schema in schemas.into_iter().flatten() {
                    let schema = Value::Object((**schema).clone());
                    let mut found = Vec::new();
                    refs(&schema, &mut found);
                    match shape {
                        SchemaShape::Inline => {
                            assert!(found.is_empty(), "{name} {}: {found:?}", tool.name);
                            assert!(schema.get("$defs").is_none());
                        }
                        _ => {
                            for r in found {
                                let target = r.strip_prefix('#').and_then(|p| schema.pointer(p));
                                assert!(
                                    r.starts_with("#/$defs/") && target.is_some(),
                                    "{name} {}: {r}",
                                    tool.name
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}
