//! Nothing dropped silently: every operation is a component or a line of the generation
//! report (`OpenApi::report`, `turret openapi SPEC --report`) saying why not, and what was
//! renamed or simplified; `readOnly`/`writeOnly` stay out of request/response schemas.
//! References to files beside the spec resolve when it is loaded from its file (bounded, not
//! outside its directory, no network). Bad input gets a clear error naming the place and
//! exit 2 from the CLI, never a panic.

#[path = "support/fixture.rs"]
mod fixture;

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::{json, Value};
use turret::openapi::{OpenApi, Outcome, Spec};

const SPEC: &str = r##"
openapi: 3.1.0
info: {title: Report}
paths:
  /items:
    get:
      operationId: items
      parameters:
        - {name: id, in: query, schema: {type: string}}
        - {name: id, in: header, schema: {type: string}}
    post:
      operationId: items
      requestBody:
        required: true
        content:
          application/json: {schema: {$ref: '#/components/schemas/Item'}}
          application/xml: {schema: {$ref: '#/components/schemas/Item'}}
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Item'}}}}
  /broken:
    get:
      operationId: broken
      parameters: [{name: q, in: query, schema: {$ref: '#/components/schemas/Nowhere'}}]
  /upload:
    put:
      operationId: upload
      requestBody: {content: {application/octet-stream: {schema: {type: string, format: binary}}}}
components:
  schemas:
    Item:
      type: object
      required: [id, name, secret]
      properties:
        id: {type: string, readOnly: true}
        name: {type: string}
        secret: {type: string, writeOnly: true}
"##;

#[test]
fn the_report_accounts_for_every_operation() {
    let generator = OpenApi::new(Spec::parse(SPEC).unwrap());
    let report = generator.report().unwrap();
    let outcomes: Vec<&Outcome> = report.operations.iter().map(|o| &o.outcome).collect();
    assert_eq!(outcomes.len(), 4, "{report:#?}");
    assert_eq!(outcomes[0], &Outcome::Tool("items".into()));
    assert_eq!(outcomes[1], &Outcome::Tool("items_2".into()));
    assert!(
        matches!(outcomes[2], Outcome::Skipped(why) if why.contains("#/components/schemas/Nowhere")),
        "{outcomes:?}"
    );
    assert_eq!(outcomes[3], &Outcome::Tool("upload".into()));
    let notes = |i: usize| report.operations[i].notes.join("\n");
    assert!(notes(0).contains(r#""id__query""#), "{}", notes(0));
    assert!(notes(0).contains(r#""id__header""#), "{}", notes(0));
    assert!(notes(1).contains("renamed \"items_2\""), "{}", notes(1));
    assert!(notes(1).contains("application/xml"), "{}", notes(1));
    assert!(
        notes(1).contains("readOnly body properties left out: id"),
        "{}",
        notes(1)
    );
    assert!(
        notes(3).contains("application/octet-stream"),
        "{}",
        notes(3)
    );

    // The other operations still generate; the broken one is not among them.
    let tools = generator.components().unwrap().tools;
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["items", "items_2", "upload"]);
    // readOnly out of the request, writeOnly out of the response.
    let post = &tools[1];
    assert_eq!(post.input_schema["required"], json!(["name", "secret"]));
    let output = post.output_schema.as_ref().unwrap();
    let item = &output["properties"];
    let item = if item.get("name").is_some() {
        item.clone()
    } else {
        output["$defs"]["Item"]["properties"].clone()
    };
    assert!(
        item.get("id").is_some() && item.get("secret").is_none(),
        "{output:?}"
    );
}

#[test]
fn rounded_numbers_are_reported() {
    let spec = r#"{"openapi":"3.1.0","paths":{"/n":{"get":{"operationId":"n","parameters":[
        {"name":"n","in":"query","schema":{"type":"integer","minimum":-9223372036854776000}}]}}}}"#;
    let report = OpenApi::new(Spec::parse(spec).unwrap()).report().unwrap();
    let notes = report.notes.join("\n");
    assert!(
        notes.contains("-9223372036854776000")
            && notes.contains("/paths/~1n/get/parameters/0/schema/minimum"),
        "{notes}"
    );
}

/// A directory of its own under `target/`, with `files` written in it.
fn dir_with(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/openapi-report-tests")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    for (file, text) in files {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn turret(args: &[&str]) -> Output {
    Command::new(fixture::binary("turret-cli", "turret"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_cli_prints_the_report_and_warns_of_left_out_operations() {
    let dir = dir_with("report", &[("spec.yaml", SPEC)]);
    let spec = dir.join("spec.yaml");
    let out = turret(&["openapi", spec.to_str().unwrap(), "--report"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["operations"][1]["outcome"],
        json!({"kind": "tool", "name": "items_2"})
    );
    assert_eq!(report["operations"][2]["outcome"]["kind"], "skipped");
    let reason = report["operations"][2]["outcome"]["reason"]
        .as_str()
        .unwrap();
    assert!(reason.contains("#/components/schemas/Nowhere"), "{reason}");

    let out = turret(&["openapi", spec.to_str().unwrap(), "--dump"]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("1 of 4 operations left out (`--report` says why)"),
        "{stderr}"
    );
}

#[test]
fn references_to_files_beside_the_spec_resolve() {
    let dir = dir_with(
        "files",
        &[
            (
                "spec.yaml",
                "openapi: 3.1.0\ninfo: {title: x}\npaths:\n  /pets:\n    post:\n      operationId: add\n      parameters: [{$ref: 'common.json#/limit'}]\n      requestBody: {required: true, content: {application/json: {schema: {$ref: './schemas/pet.yaml#/Pet'}}}}\n",
            ),
            ("common.json", r#"{"limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 50}}}"#),
            (
                "schemas/pet.yaml",
                "Pet:\n  type: object\n  required: [name]\n  properties:\n    name: {type: string}\n    owner: {$ref: 'people/owner.yaml'}\n    friend: {$ref: '#/Pet'}\n",
            ),
            (
                "schemas/people/owner.yaml",
                "type: object\nproperties:\n  email: {type: string, format: email}\n  pets: {type: array, items: {$ref: '../pet.yaml#/Pet'}}\n",
            ),
        ],
    );
    let spec = Spec::load(dir.join("spec.yaml")).unwrap();
    let tools = OpenApi::new(spec).components().unwrap().tools;
    let schema = &tools[0].input_schema;
    assert_eq!(schema["properties"]["limit"]["maximum"], 50);
    assert_eq!(schema["required"], json!(["name"]));
    assert_eq!(
        schema["properties"]["owner"]["properties"]["email"]["format"],
        "email"
    );
    // A cycle inside the file, and one through two files, are cut as local ones would be.
    assert_eq!(schema["properties"]["friend"]["type"], "object");
    let pets = &schema["properties"]["owner"]["properties"]["pets"]["items"];
    assert_eq!(pets["properties"]["name"]["type"], "string", "{pets}");

    // Parsed from text, the same spec says where to go.
    let text = std::fs::read_to_string(dir.join("spec.yaml")).unwrap();
    let e = OpenApi::new(Spec::parse(&text).unwrap())
        .components()
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("common.json#/limit") && e.contains("Spec::load"),
        "{e}"
    );

    // And the CLI reads the files too.
    let out = turret(&["openapi", dir.join("spec.yaml").to_str().unwrap(), "--dump"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_spec_reads_at_most_64_files() {
    let mut files: Vec<(String, String)> = (0..70)
        .map(|i| {
            (
                format!("f{i}.yaml"),
                format!(
                    "X: {{type: object, properties: {{next: {{$ref: 'f{}.yaml#/X'}}}}}}\n",
                    i + 1
                ),
            )
        })
        .collect();
    files.push((
        "spec.yaml".into(),
        "openapi: 3.1.0\npaths:\n  /a:\n    post:\n      requestBody: {content: {application/json: {schema: {$ref: 'f0.yaml#/X'}}}}\n".into(),
    ));
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let dir = dir_with("many-files", &files);
    let e = Spec::load(dir.join("spec.yaml")).unwrap_err().to_string();
    assert!(
        e.contains("at most 64 files") && e.contains("f64.yaml"),
        "{e}"
    );
}

#[test]
fn bad_specs_exit_2_with_an_error_naming_the_place() {
    let op = |schema: &str| {
        format!(
            "openapi: 3.1.0\ninfo: {{title: x}}\npaths:\n  /pets:\n    post:\n      operationId: add\n      requestBody: {{content: {{application/json: {{schema: {{$ref: '{schema}'}}}}}}}}\n"
        )
    };
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        (
            "not-openapi",
            "title: a shopping list\nitems: [milk]\n".into(),
            vec!["no `openapi` field"],
        ),
        (
            "swagger",
            r#"{"swagger": "2.0", "paths": {}}"#.into(),
            vec!["Swagger 2.0"],
        ),
        (
            "yaml-syntax",
            "openapi: 3.1.0\npaths:\n  /a: [unclosed\n".into(),
            vec!["YAML", "line"],
        ),
        (
            "url-ref",
            op("https://example.com/pet.yaml#/Pet"),
            vec![
                "#/paths/~1pets/post/requestBody",
                "https://example.com/pet.yaml#/Pet",
            ],
        ),
        (
            "missing-file",
            op("./schemas/cat.yaml#/Cat"),
            vec!["./schemas/cat.yaml#/Cat", "cannot read"],
        ),
        (
            "escaping-ref",
            op("../outside.yaml#/Pet"),
            vec!["../outside.yaml#/Pet", "outside"],
        ),
        (
            "file-cycle",
            op("./schemas/a.yaml#/A"),
            vec!["cycle", "a.yaml", "b.yaml"],
        ),
        (
            "remote-in-file",
            op("./schemas/remote.yaml#/R"),
            vec![
                "schemas/remote.yaml#/R",
                "https://example.com/r.yaml#/R",
                "remote",
            ],
        ),
    ];
    for (name, text, wanted) in cases {
        let dir = dir_with(
            name,
            &[
                ("spec.yaml", &text),
                ("schemas/pet.yaml", "Pet: {type: object}\n"),
                ("schemas/a.yaml", "A: {$ref: 'b.yaml#/B'}\n"),
                ("schemas/b.yaml", "B: {$ref: './a.yaml#/A'}\n"),
                (
                    "schemas/remote.yaml",
                    "R: {$ref: 'https://example.com/r.yaml#/R'}\n",
                ),
            ],
        );
        // A file beside the spec's directory, for the reference that escapes it.
        let outside = dir.parent().unwrap().join("outside.yaml");
        std::fs::write(outside, "Pet: {type: object}\n").unwrap();
        let out = turret(&["openapi", dir.join("spec.yaml").to_str().unwrap(), "--dump"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        for w in wanted {
            assert!(stderr.contains(w), "{name}: {stderr:?} lacks {w:?}");
        }
    }
}
