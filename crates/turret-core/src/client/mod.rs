//! The client side: a connection to a server, as a `tower::Service`.
