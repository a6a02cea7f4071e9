//! Session drivers: one connection's worth of dispatch, concurrency, cancellation and
//! server↔client requests.

pub(crate) mod connection;
mod server;
mod state;

pub use server::serve;
pub use state::SessionState;
