//! The streamable HTTP client transport (both protocol eras) and the legacy HTTP+SSE client.
