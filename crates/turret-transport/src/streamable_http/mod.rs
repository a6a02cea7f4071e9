//! The streamable HTTP server: an MCP endpoint as a `tower::Service<http::Request<B>>`.
