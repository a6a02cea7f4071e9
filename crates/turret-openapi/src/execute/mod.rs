//! Calling the API: arguments into an HTTP request, the response into a result.

pub(crate) mod plan;
pub(crate) mod request;
pub(crate) mod response;
pub(crate) mod serialize;
pub(crate) mod service;
