//! What can go wrong turning a spec into a server.

use std::fmt;

/// Why a spec could not become a server. Each message names the place in the spec and
/// what to change.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The text is neither JSON nor YAML.
    Syntax(String),
    /// The spec's file could not be read.
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// The document is not an OpenAPI 3.0/3.1 description (Swagger 2.0, a missing
    /// `openapi` field, an unknown major version).
    Version(String),
    /// A `$ref` to a URL (refused), or to another file in a spec parsed from text (load it
    /// from its file with [`Spec::load`](crate::Spec::load)).
    ExternalRef(String),
    /// A `$ref` that points nowhere, or at something of the wrong kind.
    BadRef {
        /// The reference as written.
        reference: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Something the generator needs is malformed (names the location).
    Invalid(String),
    /// A route map's path pattern is not a valid regular expression.
    Pattern(regex::Error),
    /// One of the above, at an operation of the spec (`GET /pets`).
    At {
        /// The operation.
        place: String,
        /// What is wrong there.
        error: Box<Error>,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Syntax(e) => write!(f, "the spec is neither valid JSON nor YAML: {e}"),
            Error::Read { path, error } => write!(f, "cannot read {}: {error}", path.display()),
            Error::Version(e) => f.write_str(e),
            Error::ExternalRef(r) if r.contains("://") || r.starts_with("//") => write!(
                f,
                "remote reference {r:?} is refused: Turret fetches nothing a spec points at; \
                 save the file beside the spec and refer to it by a relative path"
            ),
            Error::ExternalRef(r) => write!(
                f,
                "external reference {r:?}: load the spec from its file (`Spec::load`, \
                 `turret openapi FILE`) to read files beside it, or bundle it into one \
                 document (e.g. `redocly bundle`)"
            ),
            Error::BadRef { reference, reason } => {
                write!(f, "cannot resolve reference {reference:?}: {reason}")
            }
            Error::Invalid(e) => write!(f, "invalid spec: {e}"),
            Error::Pattern(e) => write!(f, "invalid route map path pattern: {e}"),
            Error::At { place, error } => write!(f, "{place}: {error}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Pattern(e) => Some(e),
            Error::Read { error, .. } => Some(error),
            Error::At { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// Errors of the HTTP service, boxed.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
