//! The generation report: what became of each operation, and what was simplified on the
//! way, so nothing is dropped silently.

use serde::Serialize;

/// What a spec generated, operation by operation ([`OpenApi::report`](crate::OpenApi::report),
/// `turret openapi SPEC --report`).
///
/// ```
/// use turret_openapi::{OpenApi, Outcome, Spec};
///
/// let spec = Spec::parse(r##"{"openapi": "3.1.0", "paths": {
///     "/a": {"get": {"operationId": "a"}, "post": {"operationId": "a"}},
///     "/b": {"get": {"operationId": "b", "requestBody": {"content": {"application/json": {
///         "schema": {"$ref": "#/components/schemas/Missing"}}}}}}}}"##)?;
/// let report = OpenApi::new(spec).report()?;
/// assert_eq!(report.operations[1].outcome, Outcome::Tool("a_2".into()));
/// assert!(report.operations[1].notes[0].contains("renamed"));
/// assert!(matches!(&report.operations[2].outcome, Outcome::Skipped(why) if why.contains("Missing")));
/// # Ok::<(), turret_openapi::Error>(())
/// ```
#[derive(Debug, Clone, Default, Serialize)]
#[non_exhaustive]
pub struct Report {
    /// Every operation of the spec, in document order.
    pub operations: Vec<OperationReport>,
    /// What concerns the whole spec (numbers rounded for the tools' schemas).
    pub notes: Vec<String>,
}

/// One operation's fate.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct OperationReport {
    /// `GET`, `POST`… (`*` when the whole path item could not be read).
    pub method: String,
    /// The path template, as written.
    pub path: String,
    /// `operationId`, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_id: Option<String>,
    /// What it became.
    pub outcome: Outcome,
    /// What was simplified or renamed, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// What an operation became. As JSON: `{"kind": "tool", "name": …}` (also `resource`,
/// `resourceTemplate`), `{"kind": "excluded"}`, `{"kind": "skipped", "reason": …}`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// A tool of this name.
    Tool(String),
    /// A resource of this name.
    Resource(String),
    /// A resource template of this name.
    ResourceTemplate(String),
    /// Left out by a route map.
    Excluded,
    /// Left out because it could not be generated: the reason.
    Skipped(String),
}

impl Serialize for Outcome {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let (kind, field) = match self {
            Outcome::Tool(name) => ("tool", Some(("name", name))),
            Outcome::Resource(name) => ("resource", Some(("name", name))),
            Outcome::ResourceTemplate(name) => ("resourceTemplate", Some(("name", name))),
            Outcome::Excluded => ("excluded", None),
            Outcome::Skipped(reason) => ("skipped", Some(("reason", reason))),
        };
        let mut map = s.serialize_map(Some(1 + usize::from(field.is_some())))?;
        map.serialize_entry("kind", kind)?;
        if let Some((key, value)) = field {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl Report {
    /// The operations left out because they could not be generated.
    pub fn skipped(&self) -> impl Iterator<Item = &OperationReport> {
        self.operations
            .iter()
            .filter(|o| matches!(o.outcome, Outcome::Skipped(_)))
    }
}
