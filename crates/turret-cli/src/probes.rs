//! Health and readiness probes beside the MCP endpoint, outside its auth, for an
//! orchestrator: `GET /healthz` answers 200 while the process serves; `GET /readyz` answers
//! 200 when every required backend is up and 503 otherwise, with each backend's state and
//! reason as JSON either way.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::http::StatusCode;
use axum::routing::get;
use axum::Json;
use serde::Serialize;
use turret_proxy::{BackendState, BackendStatus, Proxy};

/// How long `/readyz` waits for a required backend's answer.
const CHECK_LIMIT: Duration = Duration::from_secs(3);

/// The backends the probes report on: replaced as a whole when the config reloads.
#[derive(Clone, Default)]
pub struct Probes(Arc<RwLock<Vec<Watched>>>);

/// A backend and whether readiness waits for it.
#[derive(Clone)]
pub(crate) struct Watched {
    pub(crate) proxy: Proxy,
    pub(crate) required: bool,
}

impl std::fmt::Debug for Probes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Probes")
            .field("backends", &self.watched().len())
            .finish()
    }
}

/// One backend in `/readyz`'s answer.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Backend {
    #[serde(flatten)]
    status: BackendStatus,
    required: bool,
}

/// `/readyz`'s answer.
#[derive(Serialize)]
struct Readiness {
    ready: bool,
    backends: Vec<Backend>,
}

impl Probes {
    pub(crate) fn new(backends: Vec<Watched>) -> Self {
        Self(Arc::new(RwLock::new(backends)))
    }

    /// Reports on `other`'s backends from now on (a reloaded config's).
    pub(crate) fn replace(&self, other: &Probes) {
        let backends = other.watched();
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = backends;
    }

    fn watched(&self) -> Vec<Watched> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The probes' routes.
    pub(crate) fn routes(&self) -> axum::Router {
        let probes = self.clone();
        axum::Router::new()
            .route("/healthz", get(|| async { "ok\n" }))
            .route(
                "/readyz",
                get(move || {
                    let probes = probes.clone();
                    async move { probes.readiness().await }
                }),
            )
    }

    async fn readiness(&self) -> (StatusCode, Json<Readiness>) {
        let mut backends = Vec::new();
        for Watched { proxy, required } in self.watched() {
            if required {
                // Whether it answers now: a dead HTTP backend is otherwise noticed only by
                // the next request, and one never used would never be known.
                let _ = proxy.check(CHECK_LIMIT).await;
            }
            backends.push(Backend {
                status: proxy.status(),
                required,
            });
        }
        let ready = backends
            .iter()
            .all(|b| !b.required || b.status.state == BackendState::Up);
        let code = if ready {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        (code, Json(Readiness { ready, backends }))
    }
}
