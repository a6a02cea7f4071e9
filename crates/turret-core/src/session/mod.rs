//! Session drivers: one connection's worth of dispatch, concurrency, cancellation and
//! server↔client requests.

pub(crate) mod connection;
mod server;

pub use server::serve;
