//! Every request a generated tool sends is one the spec allows, as Stoplight Prism (a mock
//! server validating each request against the spec) judges it.
//!
//! For each spec of `../shared/specs`, GitHub's, Stripe's and OpenAI's
//! (`target/openapi-specs`, from `.ci/run`): one Prism serves it, the tools are generated against Prism's URL and served
//! to an MCP client over an in-memory transport, and operations are picked from the spec
//! (all of a small spec; of a big one, the first few of each kind — path parameters,
//! query arrays exploded or not, `deepObject`, `form` objects, the other styles, headers,
//! cookies, JSON, form-urlencoded (nested too), multipart and binary bodies — then evenly
//! spread up to [`PER_SPEC`]). Each is called with arguments generated from its input
//! schema (`support/schema_values.rs`), concurrently. The test prints per spec the
//! operations called, accepted and rejected with Prism's reason, and fails on a
//! rejection.
//!
//! Big specs are served to Prism as the part that judges the picked operations (those
//! operations, what they reference, responses cut to their status): Prism 5.16 takes
//! minutes to load GitHub's whole spec and did not finish loading Stripe's in 5 minutes.
//!
//! A request Prism answers with a response the spec declares (a 400 the spec lists, a 500
//! because its own mock response failed its check, no response defined) passed Prism's
//! request validation, which runs first; only its request verdicts count. Prism 5.16.0's
//! own gaps, seen on these specs, are printed and not counted as rejections
//! ([`prism_gap`]):
//! * it validates `oneOf` without OpenAPI's `discriminator`, so where the variants accept
//!   the same objects (discriminators-3.0.yaml: 9 operations) every request is "must match
//!   exactly one schema in oneOf";
//! * it requires `readOnly` properties listed in `required` in requests, which OpenAPI
//!   exempts (scalar-galaxy's `createCelestialBody`: `Planet.id`);
//! * it reads an array of objects in a form body only as JSON text, not as `deepObject`
//!   fields `name[0][key]=…` as Stripe's API takes them (Stripe: `PostPaymentLinks`,
//!   `PostTaxCalculations`);
//! * it reads multipart parts as plain text: an object sent as a JSON part (OpenAPI's
//!   default content type for objects), or a single repeated part for an array, fail its
//!   type checks (parameters-style-3.1.json's multipart operations, OpenAI's
//!   `createTranscription`);
//! * it crashes (the process exits) on object-valued path parameters in every style and on
//!   `spaceDelimited`/`pipeDelimited` object query parameters (parameters-style-3.1.json:
//!   7 operations, "Prism could not judge"); the test starts it again and goes on.

#[path = "support/prism.rs"]
mod prism;
#[path = "support/schema_values.rs"]
mod schema_values;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::stream::{self, StreamExt as _};
use serde_json::Value;
use turret::client::Client;
use turret::openapi::{http_client, OpenApi, Spec};
use turret::transport::memory_pair;

use prism::{Credentials, Prism, PrismClient};

/// Operations called per big spec (at least 40 asked).
const PER_SPEC: usize = 60;
/// Calls in flight per spec.
const CONCURRENCY: usize = 8;

/// (label, path) of every spec the test serves.
fn specs() -> Vec<(String, PathBuf)> {
    let shared = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/specs"));
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(&shared)
        .unwrap()
        .filter_map(|e| {
            let path = e.ok()?.path();
            let name = path.file_name()?.to_str()?.to_owned();
            (name.ends_with(".json") || name.ends_with(".yaml")).then_some((name, path))
        })
        .collect();
    out.sort();
    let big = std::env::var_os("TURRET_OPENAPI_SPECS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/openapi-specs"));
    for name in ["api.github.com.json", "stripe.com.json", "openai.yaml"] {
        let path = big.join(name);
        if path.is_file() {
            out.push((name.to_owned(), path));
        } else {
            assert!(
                std::env::var_os("CI").is_none(),
                "{} is missing",
                path.display()
            );
            eprintln!("{} not found: run .ci/run's spec step", path.display());
        }
    }
    out
}

fn raw(path: &Path) -> (String, Value) {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = if text.trim_start().starts_with('{') {
        serde_json::from_str(&text).unwrap()
    } else {
        serde_norway::from_str(&text).unwrap_or_else(|_| yaml_by_python(path))
    };
    (text, doc)
}

/// YAML that serde_norway's trees refuse (OpenAI's `-9223372036854776000`, beyond 64 bits:
/// the very failure the generator no longer has), read by the harness's Python (PyYAML) as
/// JSON; a `Value` keeps such a number as the nearest double, which is all the picking
/// needs.
fn yaml_by_python(path: &Path) -> Value {
    let out = std::process::Command::new("python")
        .args(["-c", "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout, default=str)"])
        .arg(path)
        .output()
        .expect("python from the harness venv (`. ../shared/harness/env.sh`)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `value` with a local `$ref` followed (a few hops).
fn deref<'a>(doc: &'a Value, mut value: &'a Value) -> &'a Value {
    for _ in 0..8 {
        match value.get("$ref").and_then(Value::as_str) {
            Some(r) => match r.strip_prefix('#').and_then(|p| doc.pointer(p)) {
                Some(target) => value = target,
                None => break,
            },
            None => break,
        }
    }
    value
}

/// What an operation exercises, read from the raw spec.
fn features(doc: &Value, method: &str, path: &str) -> BTreeSet<&'static str> {
    let mut out = BTreeSet::new();
    let item = deref(doc, &doc["paths"][path]);
    let op = &item[method];
    let params = [&op["parameters"], &item["parameters"]]
        .into_iter()
        .filter_map(Value::as_array)
        .flatten();
    for p in params {
        let p = deref(doc, p);
        let schema = deref(doc, &p["schema"]);
        let ty = schema["type"].as_str().unwrap_or_default();
        let explode = p["explode"].as_bool();
        match (p["in"].as_str().unwrap_or_default(), p["style"].as_str()) {
            ("path", Some("label")) => out.insert("path label"),
            ("path", Some("matrix")) => out.insert("path matrix"),
            ("path", _) => out.insert("path parameter"),
            ("query", Some("deepObject")) => out.insert("query deepObject"),
            ("query", Some("spaceDelimited")) => out.insert("query spaceDelimited"),
            ("query", Some("pipeDelimited")) => out.insert("query pipeDelimited"),
            ("query", _) if ty == "array" && explode == Some(false) => {
                out.insert("query array, explode false")
            }
            ("query", _) if ty == "array" => out.insert("query array, exploded"),
            ("query", _) if ty == "object" && explode == Some(false) => {
                out.insert("query form object, explode false")
            }
            ("query", _) if ty == "object" => out.insert("query form object, exploded"),
            ("query", _) => out.insert("query scalar"),
            ("header", _) => out.insert("header"),
            ("cookie", _) => out.insert("cookie"),
            _ => false,
        };
    }
    let body = deref(doc, &op["requestBody"]);
    if let Some((media, content)) = body["content"].as_object().and_then(|c| c.iter().next()) {
        let media = media.to_ascii_lowercase();
        let schema = deref(doc, &content["schema"]);
        let nested = schema["properties"].as_object().is_some_and(|props| {
            props.values().any(|s| {
                let s = deref(doc, s);
                s["type"] == "object" || s["type"] == "array" || s.get("anyOf").is_some()
            })
        });
        out.insert(match media.as_str() {
            m if m.contains("json") => "JSON body",
            "application/x-www-form-urlencoded" if nested => "form body, nested",
            "application/x-www-form-urlencoded" => "form body",
            "multipart/form-data" => "multipart body",
            _ => "binary body",
        });
    }
    out
}

/// The operations to call: all of a small spec; of a big one the first few of each kind,
/// then evenly spread ones up to [`PER_SPEC`].
fn select(kinds: &[BTreeSet<&'static str>]) -> Vec<usize> {
    if kinds.len() <= PER_SPEC {
        return (0..kinds.len()).collect();
    }
    let mut chosen = BTreeSet::new();
    let all: BTreeSet<&str> = kinds.iter().flatten().copied().collect();
    for kind in all {
        let having = (0..kinds.len()).filter(|&i| kinds[i].contains(kind));
        chosen.extend(having.take(3));
    }
    let stride = kinds.len() / PER_SPEC + 1;
    let mut i = 0;
    while chosen.len() < PER_SPEC && i < kinds.len() {
        chosen.insert(i);
        i += stride;
    }
    chosen.into_iter().collect()
}

/// How one call ended.
#[derive(Debug)]
enum Verdict {
    Accepted,
    Rejected(String),
    /// Prism could not answer a valid request, or crashed on it: its gap.
    PrismFailed(String),
    /// No valid arguments could be generated (the generator's limit).
    NoArguments,
}

/// A rejection Prism makes of a valid request, and why it is Prism's (see the module
/// docs): `doc` is the raw spec, `at` the operation's `(method, path)`.
fn prism_gap(doc: &Value, at: (&str, &str), reason: &str) -> Option<&'static str> {
    let body = &doc["paths"][at.1][at.0]["requestBody"];
    let multipart = deref(doc, body)["content"]
        .as_object()
        .and_then(|c| c.keys().next())
        .is_some_and(|m| m.starts_with("multipart/"));
    let required = reason
        .split("must have required property '")
        .skip(1)
        .filter_map(|rest| rest.split('\'').next());
    if required
        .into_iter()
        .any(|name| read_only(doc, body, name, 0))
    {
        return Some("Prism requires readOnly properties listed in `required` in requests, which OpenAPI exempts (Turret leaves them out)");
    }
    if multipart
        && (reason.contains("Reserved characters used in request body")
            || reason.contains("must be array")
            || reason.contains("must be object"))
    {
        return Some("Prism reads multipart parts as plain text: an object sent as a JSON part (OpenAPI's default) is not an object to it, a single repeated part not an array, and JSON's characters count as reserved");
    }
    if reason.contains(r#""code":"oneOf""#)
        && mentions(
            doc,
            &doc["paths"][at.1][at.0]["requestBody"],
            "discriminator",
            0,
        )
    {
        return Some("Prism validates oneOf without the OpenAPI discriminator, and these variants accept the same objects");
    }
    if reason.contains("Cannot deserialize JSON object array in form data request body") {
        return Some("Prism reads an array of objects in a form body only as JSON text, not as deepObject `name[0][key]` fields");
    }
    None
}

/// Whether a property `name` under `value` (or what it references) is `readOnly`.
fn read_only(doc: &Value, value: &Value, name: &str, depth: usize) -> bool {
    if depth > 12 {
        return false;
    }
    match deref(doc, value) {
        Value::Object(o) => {
            let own = o
                .get("properties")
                .and_then(|p| p.get(name))
                .is_some_and(|p| deref(doc, p)["readOnly"] == true);
            own || o.values().any(|v| read_only(doc, v, name, depth + 1))
        }
        Value::Array(a) => a.iter().any(|v| read_only(doc, v, name, depth + 1)),
        _ => false,
    }
}

/// Whether `key` appears in `value` or what it references (a few levels deep).
fn mentions(doc: &Value, value: &Value, key: &str, depth: usize) -> bool {
    if depth > 12 {
        return false;
    }
    match deref(doc, value) {
        Value::Object(o) => {
            o.contains_key(key) || o.values().any(|v| mentions(doc, v, key, depth + 1))
        }
        Value::Array(a) => a.iter().any(|v| mentions(doc, v, key, depth + 1)),
        _ => false,
    }
}

struct Outcome {
    label: String,
    doc: Value,
    operations: usize,
    calls: Vec<(String, String, BTreeSet<&'static str>, Verdict)>,
}

async fn run_spec(binary: PathBuf, label: String, path: PathBuf) -> Result<Outcome, String> {
    let (text, doc) = raw(&path);
    let port = prism::free_port();
    let url = format!("http://127.0.0.1:{port}");
    let seen: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let record = seen.clone();
    let router = OpenApi::new(Spec::parse(&text).map_err(|e| e.to_string())?)
        .base_url(url)
        .route_override(move |op, target| {
            let method = op.method.as_str().to_ascii_lowercase();
            record.lock().unwrap().push((method, op.path.to_owned()));
            target
        })
        .into_router(http_client(PrismClient::new(Credentials::for_spec(&doc))))
        .map_err(|e| e.to_string())?;
    let (server_end, client_end) = memory_pair();
    tokio::spawn(turret::serve(router, server_end));
    let client = Client::builder()
        .connect(client_end)
        .await
        .map_err(|e| e.to_string())?;
    let tools = client.list_tools().await.map_err(|e| e.to_string())?;
    let ops = seen.lock().unwrap().clone();
    assert_eq!(tools.len(), ops.len(), "{label}: one tool per operation");
    let kinds: Vec<BTreeSet<&str>> = ops.iter().map(|(m, p)| features(&doc, m, p)).collect();
    let picked = select(&kinds);
    // Big specs: Prism serves the part that judges the picked operations.
    let served = if ops.len() > PER_SPEC {
        let chosen: Vec<(String, String)> = picked.iter().map(|&i| ops[i].clone()).collect();
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/prism-specs");
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let file = dir.join(format!("{label}.subset.json"));
        let part = prism::subset(&doc, &chosen).to_string();
        std::fs::write(&file, part).map_err(|e| e.to_string())?;
        file
    } else {
        path.clone()
    };
    let server = Prism::start(&binary, &served, &label, port).await?;
    let server = tokio::sync::Mutex::new(server);
    // Small specs one call at a time, so a call that crashes Prism is known.
    let concurrency = if ops.len() > PER_SPEC { CONCURRENCY } else { 1 };
    let calls = stream::iter(picked.into_iter().map(|i| {
        let (tool, client, server) = (&tools[i], &client, &server);
        let (method, path) = &ops[i];
        let kinds = kinds[i].clone();
        async move {
            let schema = Value::Object((*tool.input_schema).clone());
            let mut verdict = match schema_values::instance(&schema, &schema) {
                None => Verdict::NoArguments,
                Some(args) => call(client, &tool.name, args).await,
            };
            let broke =
                matches!(&verdict, Verdict::Rejected(r) if r.starts_with("calling the API failed"));
            if broke {
                let mut prism = server.lock().await;
                if prism.crashed().await {
                    let log = prism.log_tail();
                    verdict = match prism.restart().await {
                        Ok(()) => Verdict::PrismFailed(format!("Prism crashed: {log}")),
                        Err(e) => {
                            Verdict::Rejected(format!("Prism crashed and did not restart: {e}"))
                        }
                    };
                }
            }
            (
                tool.name.clone(),
                format!("{} {path}", method.to_uppercase()),
                kinds,
                verdict,
            )
        }
    }))
    .buffer_unordered(concurrency)
    .collect::<Vec<_>>()
    .await;
    Ok(Outcome {
        label,
        doc,
        operations: ops.len(),
        calls,
    })
}

async fn call(client: &Client, tool: &str, args: Value) -> Verdict {
    let shown = |s: &str| s.chars().take(700).collect::<String>();
    match tokio::time::timeout(
        Duration::from_secs(60),
        client.call_tool(tool, args.clone()),
    )
    .await
    {
        Err(_) => Verdict::Rejected("no answer in 60 s".into()),
        Ok(Err(e)) => Verdict::Rejected(format!("MCP error: {e}")),
        Ok(Ok(result)) if result.is_error != Some(true) => Verdict::Accepted,
        Ok(Ok(result)) => {
            let text: String = result.content.iter().filter_map(|c| c.as_text()).collect();
            let reason = format!("{} (arguments {})", shown(&text), shown(&args.to_string()));
            if text.starts_with("HTTP 502") && text.contains(r#""prism":"failed""#) {
                Verdict::PrismFailed(reason)
            } else {
                Verdict::Rejected(reason)
            }
        }
    }
}

/// `"GET /a"` → `("get", "/a")`.
fn split(at: &str) -> (&str, &str) {
    let (method, path) = at.split_once(' ').unwrap_or_default();
    (
        METHOD_NAMES
            .iter()
            .find(|m| m.eq_ignore_ascii_case(method))
            .copied()
            .unwrap_or(""),
        path,
    )
}

const METHOD_NAMES: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn prism_accepts_every_request_the_tools_send() {
    let Some(binary) = prism::binary() else {
        return;
    };
    let runs = specs()
        .into_iter()
        .map(|(label, path)| tokio::spawn(run_spec(binary.clone(), label, path)));
    let mut failures = Vec::new();
    let mut covered: BTreeMap<&str, usize> = BTreeMap::new();
    let (mut called, mut accepted_in_all) = (0, 0);
    for run in runs {
        let outcome = match run.await.unwrap() {
            Ok(o) => o,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        let count = |f: fn(&Verdict) -> bool| outcome.calls.iter().filter(|c| f(&c.3)).count();
        let accepted = count(|v| matches!(v, Verdict::Accepted));
        let failed = count(|v| matches!(v, Verdict::PrismFailed(_)));
        let skipped = count(|v| matches!(v, Verdict::NoArguments));
        let gaps = outcome
            .calls
            .iter()
            .filter(|c| match &c.3 {
                Verdict::Rejected(r) => prism_gap(&outcome.doc, split(&c.1), r).is_some(),
                _ => false,
            })
            .count();
        let rejected = count(|v| matches!(v, Verdict::Rejected(_))) - gaps;
        called += outcome.calls.len();
        accepted_in_all += accepted;
        println!(
            "prism {}: {} operations, {} called, {accepted} accepted, {rejected} rejected, \
             {gaps} rejected by a known Prism gap, {failed} Prism could not judge (it crashed), \
             {skipped} without generated arguments",
            outcome.label,
            outcome.operations,
            outcome.calls.len()
        );
        if outcome.operations > PER_SPEC {
            assert!(
                outcome.calls.len() >= 40,
                "{}: {} called",
                outcome.label,
                outcome.calls.len()
            );
        }
        for (tool, at, kinds, verdict) in &outcome.calls {
            let kinds: Vec<&str> = kinds.iter().copied().collect();
            match verdict {
                Verdict::Accepted => {
                    for k in &kinds {
                        *covered.entry(k).or_default() += 1;
                    }
                }
                Verdict::Rejected(reason) => match prism_gap(&outcome.doc, split(at), reason) {
                    Some(why) => println!("  prism gap {tool} ({at}) {kinds:?}: {why}: {reason}"),
                    None => {
                        println!("  REJECTED {tool} ({at}) {kinds:?}: {reason}");
                        failures.push(format!("{}: {tool} rejected", outcome.label));
                    }
                },
                Verdict::PrismFailed(reason) => {
                    println!("  prism failed {tool} ({at}) {kinds:?}: {reason}")
                }
                Verdict::NoArguments => println!("  no arguments for {tool} ({at}) {kinds:?}"),
            }
        }
    }
    println!("accepted calls per kind: {covered:?}");
    println!("in all: {called} calls, {accepted_in_all} accepted");
    // Prism's gaps and crashes must stay the exception, or the test proves little.
    assert!(
        accepted_in_all * 10 >= called * 8,
        "{accepted_in_all} of {called} accepted"
    );
    for kind in [
        "path parameter",
        "query array, exploded",
        "query array, explode false",
        "query deepObject",
        "query form object, exploded",
        "header",
        "JSON body",
        "form body, nested",
        "multipart body",
        "binary body",
    ] {
        if !covered.contains_key(kind) {
            failures.push(format!("no accepted call sends a {kind}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
