//! [`Relay`]: how replicas reach each other.

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use turret_core::types::{ErrorObject, RequestId};

use super::StoreError;

/// A client's answer to a request a replica sent it (sampling, elicitation, roots), as it
/// travels from the replica the answer was POSTed to, to the replica that asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// The session the request belongs to.
    pub session: String,
    /// The id of the replica's request.
    pub id: RequestId,
    /// The client's result, or its error.
    pub outcome: Result<Value, ErrorObject>,
}

/// The channel between replicas: each replica has a name, hears the answers meant for it,
/// and can tell whether another replica is alive.
pub trait Relay: Send + Sync + 'static {
    /// This replica's name: short, unique among the replicas, of ASCII letters and digits.
    fn node(&self) -> &str;

    /// Carries `answer` to replica `node`.
    fn forward<'a>(
        &'a self,
        node: &'a str,
        answer: &'a Answer,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// The answers other replicas forward to this one. The endpoint calls it once and keeps
    /// it for its life.
    fn answers(&self) -> BoxStream<'static, Answer>;

    /// Whether replica `node` is alive (it has shown a sign of life recently).
    fn is_live<'a>(&'a self, node: &'a str) -> BoxFuture<'a, bool>;
}
