//! Session drivers: one connection's worth of dispatch, concurrency, cancellation and
//! server↔client requests.

pub(crate) mod connection;
mod server;
mod state;

pub use server::serve;

/// The most requests one session or connection may have in flight at once: enough for any
/// real client, few enough that one client cannot pile up unbounded work. Further requests
/// are answered at once with [`McpError::too_many_requests`](crate::McpError::too_many_requests).
pub const MAX_IN_FLIGHT: usize = 256;
pub use state::SessionState;
