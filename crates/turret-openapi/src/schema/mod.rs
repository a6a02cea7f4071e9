//! OpenAPI schemas into the JSON Schemas tools advertise.

pub(crate) mod convert;
pub(crate) mod defs;
pub(crate) mod input;
pub(crate) mod output;
pub(crate) mod shape;
