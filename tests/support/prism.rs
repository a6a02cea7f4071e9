//! Stoplight Prism (`@stoplight/prism-cli`, installed by `.ci/run` into `target/prism`), the
//! mock server that validates every request against the spec it serves, run as a child
//! process on a free loopback port, and an HTTP service to reach it that sends the
//! credentials the spec's security schemes ask for and turns Prism's verdict into the
//! response status.
//!
//! Prism answers an invalid request with its own problem document (422, 401, 404…, with
//! `--errors`) or, where the spec declares a 400/422 response, with that response and the
//! violations in an `sl-violations` header. [`PrismClient`] turns its verdict into what a
//! tool call sees: a rejection is a 422 whose body is `{"prism": "rejected", "reasons":
//! […]}`; a valid request answered with an error the spec declares (or a Prism failure
//! that comes after validation) is a 200 `{"prism": "passed"}`; anything else is a 502
//! `{"prism": "failed"}`.
//!
//! Include with `#[path = "support/prism.rs"] mod prism;`.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};

/// The pinned version `.ci/run` installs.
pub const VERSION: &str = "5.16.0";

/// Prism's command: `$TURRET_PRISM`, or `target/prism/node_modules/.bin/prism`. `None`
/// (the test says why and passes) when it is not installed outside CI; in CI a missing
/// Prism fails the test.
pub fn binary() -> Option<PathBuf> {
    let path = std::env::var_os("TURRET_PRISM")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/prism/node_modules/.bin/prism")
        });
    if path.is_file() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing: .ci/run's `prism` step installs @stoplight/prism-cli@{VERSION}",
        path.display()
    );
    eprintln!("{} not found: run .ci/run's prism step", path.display());
    None
}

/// A running `prism mock`, stopped when dropped. Its log is `target/prism-logs/LABEL.log`.
pub struct Prism {
    child: Child,
    binary: PathBuf,
    spec: PathBuf,
    port: u16,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    log: PathBuf,
    /// How many times it crashed and was started again.
    pub restarts: usize,
}

impl Prism {
    /// Starts Prism on `spec` and waits until it accepts connections (large specs take
    /// Prism tens of seconds to load).
    pub async fn start(
        binary: &Path,
        spec: &Path,
        label: &str,
        port: u16,
    ) -> Result<Prism, String> {
        let logs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/prism-logs");
        std::fs::create_dir_all(&logs).map_err(|e| e.to_string())?;
        let log = logs.join(format!("{label}.log"));
        let mut prism = Prism {
            child: spawn(binary, spec, port, &log, false)?,
            binary: binary.to_owned(),
            spec: spec.to_owned(),
            port,
            url: format!("http://127.0.0.1:{port}"),
            log,
            restarts: 0,
        };
        prism.listening().await?;
        Ok(prism)
    }

    async fn listening(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + STARTUP;
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("prism exited ({status}): {}", self.log_tail()));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "prism did not listen in {} s: {}",
                    STARTUP.as_secs(),
                    self.log_tail()
                ));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Whether the process has exited (Prism dies on some requests it cannot parse), given
    /// a moment to do so after the connection broke.
    pub async fn crashed(&mut self) -> bool {
        for _ in 0..20 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    /// Starts it again on the same port, its log appended to.
    pub async fn restart(&mut self) -> Result<(), String> {
        self.child = spawn(&self.binary, &self.spec, self.port, &self.log, true)?;
        self.restarts += 1;
        self.listening().await
    }

    /// The last lines of the log.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(12)..].join("\n")
    }
}

/// A free loopback port (bound, read and released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a loopback port")
        .port()
}

/// The part of `doc` that judges requests to `operations` (`(method, path)`): those
/// operations with their parameters and request bodies, every definition they reach by
/// `$ref`, the security schemes, and responses reduced to their status and description.
/// Prism 5.16 loads GitHub's whole spec in minutes and does not finish Stripe's in 15
/// (it resolves every reference up front), so big specs are served this way.
pub fn subset(doc: &Value, operations: &[(String, String)]) -> Value {
    let mut out = json!({
        "openapi": doc["openapi"],
        "info": doc["info"],
        "paths": {},
        "components": {"securitySchemes": doc.pointer("/components/securitySchemes").cloned().unwrap_or(json!({}))},
    });
    if let Some(security) = doc.get("security") {
        out["security"] = security.clone();
    }
    for (method, path) in operations {
        let item = &doc["paths"][path];
        let mut op = item[method].clone();
        if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
            for response in responses.values_mut() {
                *response = json!({"description": "reduced"});
            }
        }
        let entry = &mut out["paths"][path];
        if let Some(shared) = item.get("parameters") {
            entry["parameters"] = shared.clone();
        }
        entry[method] = op;
    }
    let mut pending: Vec<String> = Vec::new();
    refs(&out["paths"], &mut pending);
    let mut done = std::collections::HashSet::new();
    while let Some(reference) = pending.pop() {
        if !done.insert(reference.clone()) {
            continue;
        }
        let Some(pointer) = reference.strip_prefix('#') else {
            continue;
        };
        let Some(target) = doc.pointer(pointer) else {
            continue;
        };
        refs(target, &mut pending);
        let mut slot = Some(&mut out);
        for token in pointer.split('/').skip(1) {
            let token = token.replace("~1", "/").replace("~0", "~");
            // Only objects are built on the way (a reference into an array is left out).
            slot = slot
                .filter(|s| !s.is_array())
                .map(|s| &mut s[token.as_str()]);
        }
        if let Some(slot) = slot {
            *slot = target.clone();
        }
    }
    out
}

/// Every `$ref` under `value`.
fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(o) => {
            if let Some(Value::String(r)) = o.get("$ref") {
                out.push(r.clone());
            }
            o.values().for_each(|v| refs(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// How long Prism may take to load a spec.
const STARTUP: Duration = Duration::from_secs(300);

fn spawn(binary: &Path, spec: &Path, port: u16, log: &Path, append: bool) -> Result<Child, String> {
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(append)
        .write(true)
        .truncate(!append)
        .open(log)
        .map_err(|e| e.to_string())?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    Command::new(binary)
        .args(["mock", &spec.to_string_lossy(), "-p", &port.to_string()])
        .args(["-h", "127.0.0.1", "--errors"])
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", binary.display()))
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the spec's security schemes ask every request to carry.
#[derive(Debug, Default)]
pub struct Credentials {
    headers: Vec<(HeaderName, HeaderValue)>,
    query: Vec<(String, String)>,
}

impl Credentials {
    /// Credentials for every scheme of `doc` (the raw spec): a key for each `apiKey`
    /// header, query or cookie, a bearer token for HTTP bearer, OAuth 2 and OpenID
    /// Connect, or basic credentials where only HTTP basic exists.
    pub fn for_spec(doc: &Value) -> Credentials {
        let mut out = Credentials::default();
        let Some(schemes) = doc
            .pointer("/components/securitySchemes")
            .and_then(Value::as_object)
        else {
            return out;
        };
        let mut cookies = Vec::new();
        let (mut bearer, mut basic) = (false, false);
        for scheme in schemes.values() {
            let kind = scheme["type"].as_str().unwrap_or_default();
            let scheme_name = scheme["scheme"]
                .as_str()
                .unwrap_or_default()
                .to_ascii_lowercase();
            match (kind, scheme["in"].as_str(), scheme["name"].as_str()) {
                ("apiKey", Some("header"), Some(name)) => {
                    if let Ok(name) = HeaderName::from_bytes(name.as_bytes()) {
                        out.headers
                            .push((name, HeaderValue::from_static("test-key")));
                    }
                }
                ("apiKey", Some("query"), Some(name)) => {
                    out.query.push((name.into(), "test-key".into()))
                }
                ("apiKey", Some("cookie"), Some(name)) => cookies.push(format!("{name}=test-key")),
                ("http", _, _) if scheme_name == "basic" => basic = true,
                ("http" | "oauth2" | "openIdConnect", _, _) => bearer = true,
                _ => {}
            }
        }
        let authorization = if bearer {
            Some("Bearer test-token")
        } else if basic {
            Some("Basic dXNlcjpwYXNz")
        } else {
            None
        };
        if let Some(value) = authorization {
            out.headers
                .push((http::header::AUTHORIZATION, HeaderValue::from_static(value)));
        }
        if !cookies.is_empty() {
            if let Ok(value) = HeaderValue::from_str(&cookies.join("; ")) {
                out.headers.push((http::header::COOKIE, value));
            }
        }
        out
    }
}

/// The HTTP service generated tools call: a hyper client to Prism that adds the
/// credentials and reports `sl-violations` as a 422.
#[derive(Clone)]
pub struct PrismClient {
    client: Client<HttpConnector, Full<Bytes>>,
    credentials: Arc<Credentials>,
}

impl PrismClient {
    pub fn new(credentials: Credentials) -> Self {
        Self {
            client: Client::builder(TokioExecutor::new()).build_http(),
            credentials: Arc::new(credentials),
        }
    }

    async fn send(
        self,
        mut request: Request<Full<Bytes>>,
    ) -> Result<Response<Full<Bytes>>, turret::BoxError> {
        for (name, value) in &self.credentials.headers {
            if name == http::header::COOKIE {
                // Cookie parameters of the operation come first; the key joins them.
                let joined = match request.headers().get(name).and_then(|v| v.to_str().ok()) {
                    Some(mine) => HeaderValue::from_str(&format!("{mine}; {}", value.to_str()?))?,
                    None => value.clone(),
                };
                request.headers_mut().insert(name, joined);
            } else {
                request.headers_mut().insert(name, value.clone());
            }
        }
        if !self.credentials.query.is_empty() {
            let uri = request.uri().to_string();
            let pairs: Vec<String> = self
                .credentials
                .query
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            let sep = if uri.contains('?') { '&' } else { '?' };
            *request.uri_mut() = format!("{uri}{sep}{}", pairs.join("&")).parse()?;
        }
        let response = self.client.request(request).await?;
        let (mut parts, body) = response.into_parts();
        let body = body.collect().await?.to_bytes();
        let verdict = verdict(parts.status, &parts.headers, &body);
        let (status, report) = match verdict {
            Verdict::Passed if parts.status.is_success() => {
                return Ok(Response::from_parts(parts, Full::new(body)))
            }
            // A declared error response to a valid request: the request passed.
            Verdict::Passed => (
                StatusCode::OK,
                json!({"prism": "passed", "status": parts.status.as_u16()}),
            ),
            Verdict::Rejected(reasons) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"prism": "rejected", "status": parts.status.as_u16(), "reasons": reasons}),
            ),
            Verdict::Failed(reasons) => (
                StatusCode::BAD_GATEWAY,
                json!({"prism": "failed", "status": parts.status.as_u16(), "reasons": reasons}),
            ),
        };
        parts.status = status;
        parts.headers.remove(http::header::CONTENT_LENGTH);
        parts.headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        Ok(Response::from_parts(
            parts,
            Full::new(Bytes::from(report.to_string())),
        ))
    }
}

/// Prism's judgement of one request.
enum Verdict {
    Passed,
    /// The request broke the spec (Prism's reasons).
    Rejected(Value),
    /// Prism could not answer a valid request (its own response failed its checks, or it
    /// has none to give).
    Failed(Value),
}

/// Prism's problem types that judge the request.
const REQUEST_PROBLEMS: [&str; 6] = [
    "UNPROCESSABLE_ENTITY",
    "UNAUTHORIZED",
    "NO_PATH_MATCHED_ERROR",
    "NO_METHOD_MATCHED_ERROR",
    "INVALID_CONTENT_TYPE",
    "NOT_ACCEPTABLE",
];

/// Prism's problem types that come after the request passed validation.
const PASSED_PROBLEMS: [&str; 2] = ["NO_RESPONSE_RESPONSE_DEFINED", "VIOLATIONS"];

fn verdict(status: StatusCode, headers: &http::HeaderMap, body: &[u8]) -> Verdict {
    // Violations beside a response the spec declares.
    let header: Vec<Value> = headers
        .get("sl-violations")
        .and_then(|v| serde_json::from_slice::<Value>(v.as_bytes()).ok())
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .into_iter()
        .filter(|v| v["severity"] == "Error" && v["location"][0] == "request")
        .collect();
    if !header.is_empty() {
        return Verdict::Rejected(Value::Array(header));
    }
    let problem: Value = serde_json::from_slice(body).unwrap_or_default();
    let Some(kind) = problem["type"]
        .as_str()
        .and_then(|t| t.strip_prefix("https://stoplight.io/prism/errors#"))
    else {
        return Verdict::Passed;
    };
    let reasons = if problem["validation"].is_array() {
        problem["validation"].clone()
    } else {
        json!([{"type": kind, "detail": problem["detail"]}])
    };
    let on_request = problem["validation"]
        .as_array()
        .is_some_and(|v| v.iter().any(|v| v["location"][0] == "request"));
    // Prism validates the request first: a spec without a response for it, or a mock
    // response that fails Prism's own check, come after the request passed.
    if REQUEST_PROBLEMS.contains(&kind) || on_request {
        Verdict::Rejected(reasons)
    } else if PASSED_PROBLEMS.contains(&kind) || !status.is_server_error() {
        Verdict::Passed
    } else {
        Verdict::Failed(reasons)
    }
}

impl tower::Service<Request<Full<Bytes>>> for PrismClient {
    type Response = Response<Full<Bytes>>;
    type Error = turret::BoxError;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>,
    >;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Full<Bytes>>) -> Self::Future {
        Box::pin(self.clone().send(request))
    }
}
