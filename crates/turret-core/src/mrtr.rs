//! Multi round-trip requests on 2026-07-28: a handler that asks the client for input is
//! answered with an `input_required` result, and runs again when the client retries with the
//! answers.
//!
//! [`InputRequiredLayer`] wraps any service. For a 2026-07-28 `tools/call`, `resources/read`
//! or `prompts/get` it inserts an [`InputCollector`] into the request, which
//! [`Context`](crate::Context) uses to answer questions from the retry's `inputResponses`.
//! A question without an answer is recorded and parks the handler; the layer's future then
//! drops the handler and answers `input_required` with every recorded question and a sealed
//! `requestState` that carries the answers gathered so far.
//!
//! `requestState` is attacker-controlled input: it is sealed with HMAC-SHA256 under a key the
//! [`StateSealer`] holds, bound to the method, target and arguments of the request, and
//! expires. Replicas behind a load balancer share one key ([`StateSealer::with_key`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use pin_project_lite::pin_project;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tower_layer::Layer;
use tower_service::Service;
use turret_types::{
    ClientCapabilities, ClientRequest, ClientResult, InputRequests, InputRequiredResult,
    InputResponses, ServerRequest, ServerResult,
};

use crate::error::{BoxError, McpError};
use crate::request::Request;

/// The capability a server→client request needs, when the client lacks it.
pub(crate) fn missing_capability(
    request: &ServerRequest,
    caps: &ClientCapabilities,
) -> Option<&'static str> {
    match request {
        ServerRequest::CreateMessage(_) if caps.sampling.is_none() => Some("sampling"),
        ServerRequest::Elicit(_) if caps.elicitation.is_none() => Some("elicitation"),
        ServerRequest::ListRoots(_) if caps.roots.is_none() => Some("roots"),
        _ => None,
    }
}

#[derive(Debug, Default)]
struct Pending {
    requests: InputRequests,
    failure: Option<McpError>,
}

#[derive(Debug)]
struct Collector {
    answers: InputResponses,
    next: AtomicUsize,
    pending: Mutex<Pending>,
}

/// Answers a handler's questions from the client's `inputResponses`, and records the ones
/// still unanswered. Inserted into request extensions by [`InputRequiredLayer`].
#[derive(Debug, Clone)]
pub struct InputCollector(Arc<Collector>);

impl InputCollector {
    fn new(answers: InputResponses) -> Self {
        Self(Arc::new(Collector {
            answers,
            next: AtomicUsize::new(0),
            pending: Mutex::new(Pending::default()),
        }))
    }

    /// Answers `request` from the retry, or records it and never resolves (the layer then
    /// answers `input_required`). Without a `key`, keys follow the order of questions, which a
    /// re-run repeats.
    pub(crate) async fn ask(
        &self,
        key: Option<&str>,
        request: ServerRequest,
        caps: &ClientCapabilities,
    ) -> Result<ClientResult, McpError> {
        let key = match key {
            Some(key) => key.to_owned(),
            None => {
                let n = self.0.next.fetch_add(1, Ordering::Relaxed);
                format!("{}-{n}", request.method().replace('/', "-"))
            }
        };
        if let Some(answer) = self.0.answers.get(&key) {
            return ClientResult::from_value(request.method(), answer.clone())
                .map_err(|e| McpError::invalid_params(format!("inputResponses[{key}]: {e}")));
        }
        {
            let mut pending = self.0.pending.lock().unwrap_or_else(|e| e.into_inner());
            match missing_capability(&request, caps) {
                Some(cap) => {
                    pending
                        .failure
                        .get_or_insert(McpError::missing_capability(cap));
                }
                None => {
                    pending.requests.insert(key, request.into());
                }
            }
        }
        std::future::pending().await
    }

    fn take_pending(&self) -> Option<Result<InputRequests, McpError>> {
        let mut pending = self.0.pending.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = pending.failure.take() {
            return Some(Err(e));
        }
        if pending.requests.is_empty() {
            None
        } else {
            Some(Ok(std::mem::take(&mut pending.requests)))
        }
    }
}

/// Seals and opens `requestState`.
#[derive(Clone)]
pub struct StateSealer {
    key: Arc<[u8; 32]>,
    ttl: Duration,
}

impl std::fmt::Debug for StateSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateSealer")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl Default for StateSealer {
    /// A random key for this process (replicas need [`StateSealer::with_key`]) and a
    /// 10-minute lifetime.
    fn default() -> Self {
        let mut key = [0u8; 32];
        // Without OS randomness the state could be forged; failing loudly is the safe choice.
        getrandom::fill(&mut key).expect("the OS random number generator is unavailable");
        Self::with_key(key)
    }
}

#[derive(Serialize, Deserialize)]
struct SealedState {
    /// Answers gathered in earlier rounds.
    a: InputResponses,
    /// Digest of method, target and arguments.
    b: String,
    /// Expiry, seconds since the epoch.
    e: u64,
}

type HmacSha256 = Hmac<Sha256>;

impl StateSealer {
    /// A sealer with a shared key (at least 32 random bytes; replicas use the same one).
    pub fn with_key(key: [u8; 32]) -> Self {
        Self {
            key: Arc::new(key),
            ttl: Duration::from_secs(600),
        }
    }

    /// How long a `requestState` stays valid.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    fn mac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(&self.key[..]).expect("HMAC takes keys of any length")
    }

    fn seal(&self, answers: &InputResponses, binding: &str) -> String {
        let state = SealedState {
            a: answers.clone(),
            b: binding.to_owned(),
            e: now_secs() + self.ttl.as_secs(),
        };
        let payload = serde_json::to_vec(&state).unwrap_or_default();
        let mut mac = self.mac();
        mac.update(&payload);
        let tag = mac.finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    fn open(&self, sealed: &str, binding: &str) -> Result<InputResponses, McpError> {
        let bad = || {
            McpError::invalid_params(
                "invalid requestState: echo the value of the last input_required result unchanged",
            )
        };
        let (payload, tag) = sealed.split_once('.').ok_or_else(bad)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| bad())?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| bad())?;
        let mut mac = self.mac();
        mac.update(&payload);
        mac.verify_slice(&tag).map_err(|_| bad())?;
        let state: SealedState = serde_json::from_slice(&payload).map_err(|_| bad())?;
        if state.b != binding {
            return Err(McpError::invalid_params(
                "invalid requestState: it belongs to a different request",
            ));
        }
        if state.e < now_secs() {
            return Err(McpError::invalid_params(
                "requestState expired: send the original request again without it",
            ));
        }
        Ok(state.a)
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// What binds a state to its request: method, target and a digest of the arguments.
fn binding(message: &ClientRequest) -> Option<String> {
    let (target, args) = match message {
        ClientRequest::CallTool(p) => (
            format!("tools/call {}", p.name),
            serde_json::to_vec(&p.arguments).unwrap_or_default(),
        ),
        ClientRequest::ReadResource(p) => (format!("resources/read {}", p.uri), Vec::new()),
        ClientRequest::GetPrompt(p) => (
            format!("prompts/get {}", p.name),
            serde_json::to_vec(&p.arguments).unwrap_or_default(),
        ),
        _ => return None,
    };
    let digest = Sha256::digest(&args);
    Some(format!("{target} {}", URL_SAFE_NO_PAD.encode(digest)))
}

/// Takes the retry's answers and state out of the parameters (handlers never see them).
fn take_input(message: &mut ClientRequest) -> (Option<InputResponses>, Option<String>) {
    match message {
        ClientRequest::CallTool(p) => (p.input_responses.take(), p.request_state.take()),
        ClientRequest::ReadResource(p) => (p.input_responses.take(), p.request_state.take()),
        ClientRequest::GetPrompt(p) => (p.input_responses.take(), p.request_state.take()),
        _ => (None, None),
    }
}

/// Layer that serves multi round-trip requests on 2026-07-28 (see the [module docs](self)).
#[derive(Debug, Clone, Default)]
pub struct InputRequiredLayer {
    sealer: StateSealer,
}

impl InputRequiredLayer {
    /// A layer with a random per-process key.
    pub fn new() -> Self {
        Self::default()
    }

    /// A layer sealing state with `sealer`.
    pub fn with_sealer(sealer: StateSealer) -> Self {
        Self { sealer }
    }
}

impl<S> Layer<S> for InputRequiredLayer {
    type Service = InputRequired<S>;

    fn layer(&self, inner: S) -> Self::Service {
        InputRequired {
            inner,
            sealer: self.sealer.clone(),
        }
    }
}

/// Service of [`InputRequiredLayer`].
#[derive(Debug, Clone)]
pub struct InputRequired<S> {
    inner: S,
    sealer: StateSealer,
}

impl<S> InputRequired<S> {
    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// Consumes the layer, returning the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S> Service<Request> for InputRequired<S>
where
    S: Service<Request, Response = ServerResult>,
    S::Error: Into<BoxError>,
{
    type Response = ServerResult;
    type Error = BoxError;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        let modern = req.context().version().is_sessionless();
        let Some(bound) = modern.then(|| binding(req.message())).flatten() else {
            return ResponseFuture::passthrough(self.inner.call(req));
        };
        let (responses, state) = take_input(req.message_mut());
        let mut answers = match state.map(|s| self.sealer.open(&s, &bound)).transpose() {
            Ok(a) => a.unwrap_or_default(),
            Err(e) => return ResponseFuture::failed(e),
        };
        answers.extend(responses.unwrap_or_default());
        let collector = InputCollector::new(answers);
        req.extensions_mut().insert(collector.clone());
        let round = Round {
            collector,
            sealer: self.sealer.clone(),
            binding: bound,
        };
        ResponseFuture::call(self.inner.call(req), Some(round))
    }
}

#[derive(Debug)]
struct Round {
    collector: InputCollector,
    sealer: StateSealer,
    binding: String,
}

impl Round {
    /// What a parked handler becomes: its questions, or the error a question raised.
    fn outcome(&self) -> Option<Result<ServerResult, BoxError>> {
        Some(match self.collector.take_pending()? {
            Err(e) => Err(e.into()),
            Ok(requests) => Ok(ServerResult::InputRequired(InputRequiredResult {
                input_requests: Some(requests),
                request_state: Some(self.sealer.seal(&self.collector.0.answers, &self.binding)),
                ..Default::default()
            })),
        })
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F> {
        Call { #[pin] inner: F, round: Option<Round> },
        Failed { error: Option<McpError> },
    }
}

pin_project! {
    /// Future of [`InputRequired`].
    pub struct ResponseFuture<F> {
        #[pin]
        kind: Kind<F>,
    }
}

impl<F> ResponseFuture<F> {
    fn passthrough(inner: F) -> Self {
        Self::call(inner, None)
    }

    fn call(inner: F, round: Option<Round>) -> Self {
        Self {
            kind: Kind::Call { inner, round },
        }
    }

    fn failed(error: McpError) -> Self {
        Self {
            kind: Kind::Failed { error: Some(error) },
        }
    }
}

impl<F, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<ServerResult, E>>,
    E: Into<BoxError>,
{
    type Output = Result<ServerResult, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Failed { error } => Poll::Ready(Err(error
                .take()
                .unwrap_or_else(|| McpError::internal("polled after completion"))
                .into())),
            KindProj::Call { inner, round } => match inner.poll(cx) {
                Poll::Ready(r) => Poll::Ready(r.map_err(Into::into)),
                Poll::Pending => round
                    .as_ref()
                    .and_then(Round::outcome)
                    .map_or(Poll::Pending, Poll::Ready),
            },
        }
    }
}
