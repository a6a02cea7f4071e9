//! Rate limits and concurrency limits per caller.
//!
//! Each [`Caller`] (identity, else session, else connection) gets its own budget:
//! `requests` per `per`, with bursts of up to [`burst`](RateLimitLayer::burst) requests (the
//! generic cell rate algorithm: a steady rate, no window edges to game), and at most
//! [`max_concurrent`](RateLimitLayer::max_concurrent) requests in flight. A request over either
//! limit is answered at once with [`RATE_LIMITED`] (`-32010`), a message that says when to
//! retry, and `data: {"retryAfterMs": n}` for the rate limit or `data: {"maxConcurrent": n}`
//! for the concurrency limit. Nothing waits: unlike tower's `RateLimit`, a busy caller does
//! not hold up the others.
//!
//! The list requests the filter and the cache send on their own to learn definitions are not
//! counted, wherever the rate limit sits in the stack.
//!
//! ```
//! use std::time::Duration;
//!
//! use tower::{ServiceBuilder, ServiceExt as _};
//! use turret_core::types::{ClientRequest, PaginatedRequestParams};
//! use turret_core::{McpError, Request, Router};
//! use turret_layers::rate_limit::{RateLimitLayer, RATE_LIMITED};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let limit = RateLimitLayer::new(1, Duration::from_secs(60)).max_concurrent(4);
//! let service = ServiceBuilder::new().layer(limit).service(Router::new());
//! let list = || Request::new(ClientRequest::ListTools(PaginatedRequestParams::default()));
//! service.clone().oneshot(list()).await.unwrap();
//! let error = McpError::from_box_error(service.oneshot(list()).await.unwrap_err());
//! assert_eq!(error.code(), RATE_LIMITED);
//! assert!(error.data().unwrap()["retryAfterMs"].as_u64().unwrap() > 59_000);
//! # }
//! ```

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;
use serde_json::json;
use tokio::time::Instant;
use tower_layer::Layer;
use turret_core::types::{ErrorCode, ServerResult};
use turret_core::{BoxError, McpError, Request};

use crate::caller::Caller;

/// The error code of a request refused by a rate or concurrency limit (in JSON-RPC's
/// implementation-defined server error range).
pub const RATE_LIMITED: ErrorCode = ErrorCode(-32010);

/// Per-caller state is pruned of idle callers once this many are tracked.
const DEFAULT_MAX_CALLERS: usize = 10_000;

#[derive(Debug, Clone)]
struct Limits {
    /// Time between requests at the steady rate (`None`: no rate limit).
    interval: Option<Duration>,
    /// How far ahead of the steady rate a caller may run (a burst).
    tolerance: Duration,
    max_concurrent: Option<usize>,
    methods: Option<Arc<HashSet<String>>>,
    max_callers: usize,
}

#[derive(Debug)]
struct CallerState {
    /// Theoretical arrival time of the next request at the steady rate.
    tat: Instant,
    in_flight: usize,
}

#[derive(Debug)]
struct Shared {
    limits: Limits,
    callers: Mutex<HashMap<Caller, CallerState>>,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Caller, CallerState>> {
        self.callers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Admits a request from `caller` or says why not.
    fn admit(self: &Arc<Self>, caller: Caller) -> Result<Option<Permit>, McpError> {
        let now = Instant::now();
        let limits = &self.limits;
        let mut callers = self.lock();
        if callers.len() >= limits.max_callers {
            callers.retain(|_, s| s.tat > now || s.in_flight > 0);
        }
        let state = callers.entry(caller.clone()).or_insert(CallerState {
            tat: now,
            in_flight: 0,
        });
        if let Some(max) = limits.max_concurrent {
            if state.in_flight >= max {
                return Err(McpError::new(
                    RATE_LIMITED,
                    format!(
                        "too many requests in flight from this caller (at most {max}): retry when one finishes"
                    ),
                )
                .with_data(json!({ "maxConcurrent": max })));
            }
        }
        if let Some(interval) = limits.interval {
            let tat = state.tat.max(now);
            if tat > now + limits.tolerance {
                let wait = tat - limits.tolerance - now;
                let ms = u64::try_from(wait.as_micros().div_ceil(1000))
                    .unwrap_or(u64::MAX)
                    .max(1);
                return Err(McpError::new(
                    RATE_LIMITED,
                    format!("rate limit exceeded: retry in {ms} ms"),
                )
                .with_data(json!({ "retryAfterMs": ms })));
            }
            state.tat = tat + interval;
        }
        if limits.max_concurrent.is_none() {
            return Ok(None);
        }
        state.in_flight += 1;
        Ok(Some(Permit {
            shared: self.clone(),
            caller,
        }))
    }
}

/// A request in flight, counted against its caller's concurrency limit until dropped.
#[derive(Debug)]
struct Permit {
    shared: Arc<Shared>,
    caller: Caller,
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(state) = self.shared.lock().get_mut(&self.caller) {
            state.in_flight = state.in_flight.saturating_sub(1);
        }
    }
}

/// Layer that limits each caller's rate and concurrency (see the [module docs](self)).
#[derive(Debug, Clone)]
pub struct RateLimitLayer {
    limits: Limits,
    shared: Arc<std::sync::OnceLock<Arc<Shared>>>,
}

impl RateLimitLayer {
    /// At most `requests` per `per` for each caller, in bursts of up to `requests`.
    ///
    /// # Panics
    /// If `requests` is 0 or `per` is zero.
    pub fn new(requests: u32, per: Duration) -> Self {
        assert!(
            requests > 0 && !per.is_zero(),
            "a rate limit needs requests > 0 per non-zero time"
        );
        let interval = per / requests;
        Self::with_limits(Limits {
            interval: Some(interval),
            tolerance: interval * (requests - 1),
            max_concurrent: None,
            methods: None,
            max_callers: DEFAULT_MAX_CALLERS,
        })
    }

    /// No rate limit, at most `max` requests in flight for each caller.
    pub fn concurrency(max: usize) -> Self {
        Self::with_limits(Limits {
            interval: None,
            tolerance: Duration::ZERO,
            max_concurrent: Some(max.max(1)),
            methods: None,
            max_callers: DEFAULT_MAX_CALLERS,
        })
    }

    fn with_limits(limits: Limits) -> Self {
        Self {
            limits,
            shared: Arc::default(),
        }
    }

    fn with(mut self, f: impl FnOnce(&mut Limits)) -> Self {
        f(&mut self.limits);
        self.shared = Arc::default();
        self
    }

    /// Allows bursts of up to `burst` requests above the steady rate (default: the number
    /// of requests per period).
    pub fn burst(self, burst: u32) -> Self {
        self.with(|l| {
            if let Some(interval) = l.interval {
                l.tolerance = interval * burst.saturating_sub(1);
            }
        })
    }

    /// At most `max` requests in flight for each caller.
    pub fn max_concurrent(self, max: usize) -> Self {
        self.with(|l| l.max_concurrent = Some(max.max(1)))
    }

    /// Counts only requests of these methods (default: every request).
    pub fn methods<I>(self, methods: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        let methods = methods.into_iter().map(Into::into).collect();
        self.with(|l| l.methods = Some(Arc::new(methods)))
    }

    /// Forgets idle callers once this many are tracked (default 10,000).
    pub fn max_callers(self, max: usize) -> Self {
        self.with(|l| l.max_callers = max.max(1))
    }

    fn shared(&self) -> Arc<Shared> {
        self.shared
            .get_or_init(|| {
                Arc::new(Shared {
                    limits: self.limits.clone(),
                    callers: Mutex::default(),
                })
            })
            .clone()
    }
}

impl<S> Layer<S> for RateLimitLayer {
    type Service = RateLimit<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RateLimit {
            inner,
            shared: self.shared(),
        }
    }
}

/// Service of [`RateLimitLayer`]. Services made by one layer (and its clones) share the
/// callers' budgets.
#[derive(Debug, Clone)]
pub struct RateLimit<S> {
    inner: S,
    shared: Arc<Shared>,
}

inner_accessors!(RateLimit);

mcp_service! {
    impl Service<Request> for RateLimit<S>
    where {}
    type Future = ResponseFuture<S::Future>;

    fn call(&mut self, req: Request) -> Self::Future {
        let counted = !crate::catalog::is_internal(&req)
            && self
                .shared
                .limits
                .methods
                .as_ref()
                .is_none_or(|m| m.contains(req.method()));
        let permit = if counted {
            match self.shared.admit(Caller::of(&req)) {
                Ok(permit) => permit,
                Err(error) => {
                    tracing::debug!(method = req.method(), error = %error, "rate limited");
                    return ResponseFuture::limited(error);
                }
            }
        } else {
            None
        };
        ResponseFuture::called(self.inner.call(req), permit)
    }
}

pin_project! {
    /// Response future of [`RateLimit`].
    pub struct ResponseFuture<F> {
        #[pin]
        state: State<F>,
        // The caller's concurrency slot, held until the request is done.
        permit: Option<Permit>,
    }
}

pin_project! {
    #[project = StateProjection]
    enum State<F> {
        Limited { error: Option<McpError> },
        Called { #[pin] inner: F },
    }
}

impl<F> ResponseFuture<F> {
    fn limited(error: McpError) -> Self {
        Self {
            state: State::Limited { error: Some(error) },
            permit: None,
        }
    }

    fn called(inner: F, permit: Option<Permit>) -> Self {
        Self {
            state: State::Called { inner },
            permit,
        }
    }
}

impl<F> std::fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("limited", &matches!(self.state, State::Limited { .. }))
            .finish_non_exhaustive()
    }
}

impl<F, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<ServerResult, E>>,
    E: Into<BoxError>,
{
    type Output = Result<ServerResult, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        match this.state.project() {
            StateProjection::Limited { error } => Poll::Ready(Err(error
                .take()
                .unwrap_or_else(|| McpError::internal("polled after completion"))
                .into())),
            StateProjection::Called { inner } => {
                let output = std::task::ready!(inner.poll(cx));
                // The request is done: free the caller's slot now, not when dropped.
                this.permit.take();
                Poll::Ready(output.map_err(Into::into))
            }
        }
    }
}

#[cfg(test)]
mod tests;
