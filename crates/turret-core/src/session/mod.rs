//! Session drivers: one connection's worth of dispatch, concurrency, cancellation and
//! server↔client requests.

pub(crate) mod connection;
mod roots;
mod server;
mod state;

pub use roots::RootsChanges;
pub(crate) use roots::RootsSignal;
pub use server::serve;
pub use state::SessionState;

use std::collections::HashMap;

use turret_types::RequestId;

use crate::McpError;

/// The most requests one session or connection may have in flight at once: enough for any
/// real client, few enough that one client cannot pile up unbounded work. Further requests
/// are answered at once with [`McpError::too_many_requests`].
pub const MAX_IN_FLIGHT: usize = 256;

/// Records request `id` in a session's table of requests in flight, unless the id is taken
/// (`-32600`: a second request under a live id would take over the first one's entry, and
/// with it its cancellation and answer) or the table holds `limit` requests already
/// (`-32000`). Every transport's session driver admits requests through this.
pub fn admit<V>(
    in_flight: &mut HashMap<RequestId, V>,
    id: &RequestId,
    entry: V,
    limit: usize,
) -> Result<(), McpError> {
    if in_flight.contains_key(id) {
        return Err(McpError::duplicate_request_id(id));
    }
    if in_flight.len() >= limit {
        return Err(McpError::too_many_requests(limit));
    }
    in_flight.insert(id.clone(), entry);
    Ok(())
}
