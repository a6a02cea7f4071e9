//! `from_axum`: an axum app and its OpenAPI description, called in-process (no socket).

use turret_core::Router;

use crate::client::http_client;
use crate::document::Spec;
use crate::error::Error;
use crate::OpenApi;

/// A server whose tools call `app` directly, FastAPI-style; `spec` describes it (from
/// `utoipa` or `aide`). Requests carry relative URIs (`/data/1`), so the spec's servers
/// are ignored. For route maps or naming, use [`OpenApi`] with
/// `http_client(app)` and `.base_url("")`.
pub fn from_axum(app: axum::Router, spec: Spec) -> Result<Router, Error> {
    OpenApi::new(spec)
        .base_url("")
        .into_router(http_client(app))
}
