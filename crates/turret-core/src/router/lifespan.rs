//! Lifespans: async start-up and shut-down work that runs once per router, and once for each
//! mounted child, together with the parent's.
//!
//! A parent tells its children through the same service calls it routes to them: a request
//! carrying the crate-private [`LifespanSignal`] extension (which no client can send).
//! Children that are not routers ignore it.

use std::future::Future;
use std::sync::{Arc, Mutex};

use futures_util::future::{join_all, BoxFuture};
use tower::ServiceExt as _;
use turret_types::{ClientRequest, CustomMessage};

use super::mount::MountPoint;
use crate::error::{BoxError, McpError};
use crate::request::Request;

/// The method name lifespan signals travel under (never dispatched to handlers).
const SIGNAL_METHOD: &str = "turret/lifespan";

/// Which way a lifespan signal goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LifespanSignal {
    Start,
    Stop,
}

/// Whether `req` is a parent router's lifespan signal to a mounted child (start-up or
/// shut-down), not a client's request. Services other than routers that are mounted (a
/// proxy, say) answer it with an empty result instead of forwarding it.
pub fn is_lifespan_signal(req: &Request) -> bool {
    req.extensions().get::<LifespanSignal>().is_some()
}

impl LifespanSignal {
    /// The request that carries this signal to a child.
    pub(crate) fn request(self) -> Request {
        let mut req = Request::new(ClientRequest::Other(CustomMessage {
            method: SIGNAL_METHOD.into(),
            params: None,
        }));
        req.extensions_mut().insert(self);
        req
    }
}

type Hook = Arc<dyn Fn() -> BoxFuture<'static, Result<(), BoxError>> + Send + Sync>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Idle,
    Started,
    Stopped,
}

/// A router's hooks and where it is in its life.
pub(crate) struct Lifespan {
    startup: Mutex<Vec<Hook>>,
    shutdown: Mutex<Vec<Hook>>,
    phase: tokio::sync::Mutex<Phase>,
    started: std::sync::atomic::AtomicBool,
}

impl Default for Lifespan {
    fn default() -> Self {
        Self {
            startup: Mutex::default(),
            shutdown: Mutex::default(),
            phase: tokio::sync::Mutex::new(Phase::Idle),
            started: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

fn hook<F, Fut>(f: F) -> Hook
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
{
    Arc::new(move || Box::pin(f()))
}

impl Lifespan {
    pub(crate) fn on_startup<F, Fut>(&self, f: F)
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        self.startup
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(hook(f));
    }

    pub(crate) fn on_shutdown<F, Fut>(&self, f: F)
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        self.shutdown
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(hook(f));
    }

    /// Whether start-up already ran (one atomic load: checked on every request).
    pub(crate) fn is_started(&self) -> bool {
        self.started.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Runs the start-up hooks once, then starts `children` (each once; others start when
    /// first used).
    pub(crate) async fn start(&self, children: &[Arc<MountPoint>]) -> Result<(), McpError> {
        let mut phase = self.phase.lock().await;
        if *phase != Phase::Idle {
            return Ok(());
        }
        let hooks = self
            .startup
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for h in hooks {
            h().await.map_err(|e| {
                tracing::error!(error = %e, "start-up failed");
                McpError::internal("the server failed to start")
            })?;
        }
        *phase = Phase::Started;
        self.started
            .store(true, std::sync::atomic::Ordering::Release);
        drop(phase);
        join_all(children.iter().map(|p| start_child(p))).await;
        Ok(())
    }

    /// Stops the children, then runs the shut-down hooks, once (only after a start).
    pub(crate) async fn stop(&self, children: &[Arc<MountPoint>]) {
        let mut phase = self.phase.lock().await;
        if *phase != Phase::Started {
            return;
        }
        let started = children.iter().filter(|p| p.started.initialized());
        join_all(started.map(|p| p.service.clone().oneshot(LifespanSignal::Stop.request()))).await;
        let hooks = self
            .shutdown
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for h in hooks {
            if let Err(e) = h().await {
                tracing::error!(error = %e, "shut-down hook failed");
            }
        }
        *phase = Phase::Stopped;
    }
}

/// Starts a mounted child once: before its first use, or with its parent's explicit
/// start-up. A child that is not a router answers the signal with an error, which is
/// expected and ignored.
pub(crate) async fn start_child(point: &MountPoint) {
    point
        .started
        .get_or_init(|| async {
            let _ = point
                .service
                .clone()
                .oneshot(LifespanSignal::Start.request())
                .await;
        })
        .await;
}
