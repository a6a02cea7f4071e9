//! From operations to component definitions and the plans that execute them.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;
use turret_core::router::TAGS_META_KEY;
use turret_core::uri_template::UriTemplate;
use turret_types::{JsonObject, Meta, Resource, ResourceTemplate, Tool};

use crate::document::Spec;
use crate::error::Error;
use crate::execute::plan::Plan;
use crate::naming::{self, Naming, UniqueNames};
use crate::operation::{operations, Location, Operation};
use crate::report::{OperationReport, Outcome, Report};
use crate::route_map::{decide, RouteMap, RouteOverride, Target};
use crate::schema::defs::Definitions;
use crate::schema::shape::{shaped, SchemaShape};
use crate::schema::{input, output};

/// What a spec generates, as clients list it (`--dump` prints this).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Components {
    /// The tools.
    pub tools: Vec<Tool>,
    /// The fixed resources.
    pub resources: Vec<Resource>,
    /// The resource templates.
    pub resource_templates: Vec<ResourceTemplate>,
}

/// One generated component and its plan.
pub(crate) enum Generated {
    Tool(Tool, Plan),
    Resource(Resource, Plan),
    Template(ResourceTemplate, UriTemplate, Plan),
}

pub(crate) struct Options<'a> {
    pub(crate) maps: &'a [RouteMap],
    pub(crate) over: Option<&'a RouteOverride>,
    pub(crate) naming: Naming,
    pub(crate) output_budget: Option<usize>,
    pub(crate) shape: SchemaShape,
}

fn tags_meta(op: &Operation<'_>) -> Option<Meta> {
    if op.tags.is_empty() {
        return None;
    }
    let mut meta = Meta::new();
    meta.insert(TAGS_META_KEY, op.tags.clone());
    Some(meta)
}

/// A template variable name for a parameter (RFC 6570 allows letters, digits, `_`, `.`).
fn variable(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// One copy of each distinct schema. Operations of large APIs return the same shapes again
/// and again (GitHub's 1,223 tools have 463 distinct output schemas), and a schema held as
/// JSON values weighs far more than its text, so tools share equal schemas. Schemas are
/// told apart by their JSON text: writing and hashing bytes is several times cheaper than
/// hashing and comparing the trees.
#[derive(Default)]
struct Schemas(HashMap<Vec<u8>, Arc<JsonObject>>);

impl Schemas {
    fn share(&mut self, schema: JsonObject) -> Arc<JsonObject> {
        let text = serde_json::to_vec(&schema).unwrap_or_default();
        self.0
            .entry(text)
            .or_insert_with(|| Arc::new(schema))
            .clone()
    }
}

/// Every component of `spec`, in document order, and the report of every operation.
///
/// An operation that cannot be generated is reported and left out, except for a reference
/// to another document (a URL, another file): that fails the whole spec, naming the place.
pub(crate) fn generate(
    spec: &Spec,
    options: &Options<'_>,
) -> Result<(Vec<Generated>, Report), Error> {
    let mut state = State {
        defs: Definitions::new(spec),
        tools: UniqueNames::default(),
        resources: UniqueNames::default(),
        templates: UniqueNames::default(),
        schemas: Schemas::default(),
    };
    let mut out = Vec::new();
    let mut report = Report::default();
    for op in operations(spec) {
        let op = match op {
            Ok(op) => op,
            Err(e) => {
                let place = format!("{} {}", e.method.to_uppercase(), e.path);
                report.operations.push(OperationReport {
                    method: e.method,
                    path: e.path.to_owned(),
                    operation_id: e.operation_id.map(str::to_owned),
                    outcome: Outcome::Skipped(fatal(e.reason, place)?),
                    notes: Vec::new(),
                });
                continue;
            }
        };
        let mut entry = OperationReport {
            method: op.method.to_string(),
            path: op.path.to_owned(),
            operation_id: op.operation_id.map(str::to_owned),
            outcome: Outcome::Excluded,
            notes: Vec::new(),
        };
        match component(&op, options, &mut state, &mut entry) {
            Ok(Some(generated)) => out.push(generated),
            Ok(None) => {}
            Err(e) => {
                let place = format!("{} {}", op.method, op.path);
                entry.outcome = Outcome::Skipped(fatal(e, place)?);
            }
        }
        report.operations.push(entry);
    }
    Ok((out, report))
}

/// `error` as a report's reason, or, for a reference to another document, the error of the
/// whole build at `place`.
fn fatal(error: Error, place: String) -> Result<String, Error> {
    match error {
        Error::ExternalRef(_) => Err(Error::At {
            place,
            error: Box::new(error),
        }),
        other => Ok(other.to_string()),
    }
}

/// What the components generated so far share: definitions, names taken, schemas.
struct State<'a> {
    defs: Definitions<'a>,
    tools: UniqueNames,
    resources: UniqueNames,
    templates: UniqueNames,
    schemas: Schemas,
}

/// A name from `names`, noted in `entry` when `base` was taken.
fn unique(names: &mut UniqueNames, base: String, entry: &mut OperationReport) -> String {
    let name = names.take(base.clone());
    if name != base {
        entry
            .notes
            .push(format!("renamed {name:?}: {base:?} is another operation's"));
    }
    name
}

/// The component of one operation (`None` when a route map excludes it), its outcome and
/// notes written into `entry`.
fn component(
    op: &Operation<'_>,
    options: &Options<'_>,
    state: &mut State<'_>,
    entry: &mut OperationReport,
) -> Result<Option<Generated>, Error> {
    let naming = options.naming;
    let target = decide(options.maps, options.over, op);
    if target == Target::Exclude {
        return Ok(None);
    }
    let base = naming::base_name(op, naming);
    let input = input::input(op, &mut state.defs, naming)?;
    entry.notes.extend(input.notes);
    let mut plan = Plan {
        method: op.method.clone(),
        // Some specs tell operations apart with a fragment (`/cookies#exploded`): it is
        // never sent.
        path: op.path.split('#').next().unwrap_or_default().to_owned(),
        params: input.params,
        body: input.body,
        wrap_result: false,
    };
    let title = match naming {
        Naming::Improved => op.summary.map(str::to_owned),
        Naming::Compatible => None,
    };
    match target {
        Target::Tool | Target::Exclude => {
            let output = output::output(op.response, &mut state.defs, options.output_budget)?;
            plan.wrap_result = output.as_ref().is_some_and(|o| o.1);
            let tool = Tool {
                name: unique(&mut state.tools, base, entry),
                title,
                description: Some(naming::description(op, || {
                    format!("Executes {} {}", op.method, op.path)
                })),
                input_schema: state.schemas.share(shaped(input.schema, options.shape)),
                output_schema: output.map(|o| state.schemas.share(shaped(o.0, options.shape))),
                meta: tags_meta(op),
                ..Tool::default()
            };
            entry.outcome = Outcome::Tool(tool.name.clone());
            Ok(Some(Generated::Tool(tool, plan)))
        }
        Target::Resource => {
            let name = unique(&mut state.resources, base, entry);
            let resource = Resource {
                uri: format!("resource://{name}"),
                name,
                title,
                description: Some(naming::description(op, || {
                    format!("Represents {}", op.path)
                })),
                mime_type: Some("application/json".into()),
                meta: tags_meta(op),
                ..Resource::default()
            };
            entry.outcome = Outcome::Resource(resource.name.clone());
            Ok(Some(Generated::Resource(resource, plan)))
        }
        Target::ResourceTemplate => {
            let name = unique(&mut state.templates, base, entry);
            // Template variables are the arguments' names, made URI-template safe.
            for p in &mut plan.params {
                p.arg = variable(&p.arg);
            }
            let mut path_vars: Vec<&str> = plan
                .params
                .iter()
                .filter(|p| p.location == Location::Path)
                .map(|p| p.arg.as_str())
                .collect();
            let mut uri = format!("resource://{name}");
            if naming == Naming::Compatible {
                path_vars.sort_unstable();
            }
            for v in &path_vars {
                uri.push_str(&format!("/{{{v}}}"));
            }
            let query: Vec<&str> = plan
                .params
                .iter()
                .filter(|p| p.location == Location::Query)
                .map(|p| p.arg.as_str())
                .collect();
            if naming == Naming::Improved && !query.is_empty() {
                uri.push_str(&format!("{{?{}}}", query.join(",")));
            }
            let parsed = UriTemplate::parse(&uri)
                .map_err(|e| Error::Invalid(format!("template {uri:?}: {e}")))?;
            let template = ResourceTemplate {
                uri_template: uri,
                name,
                title,
                description: Some(naming::description(op, || {
                    format!("Template for {}", op.path)
                })),
                mime_type: Some("application/json".into()),
                meta: tags_meta(op),
                ..ResourceTemplate::default()
            };
            entry.outcome = Outcome::ResourceTemplate(template.name.clone());
            Ok(Some(Generated::Template(template, parsed, plan)))
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{OpenApi, Spec};

    #[test]
    fn tools_with_equal_schemas_share_one_copy() {
        let spec = Spec::parse(
            r#"
openapi: 3.1.0
info: {title: t}
paths:
  /a:
    get:
      operationId: a
      responses: {'200': {content: {application/json: {schema: {$ref: '#/components/schemas/Item'}}}}}
  /b:
    get:
      operationId: b
      responses: {'200': {content: {application/json: {schema: {$ref: '#/components/schemas/Item'}}}}}
  /c:
    get:
      operationId: c
      parameters: [{name: q, in: query, schema: {type: string}}]
      responses: {'200': {content: {application/json: {schema: {type: integer}}}}}
components:
  schemas:
    Item: {type: object, properties: {id: {type: integer}}}
"#,
        )
        .unwrap();
        let tools = OpenApi::new(spec).components().unwrap().tools;
        let output = |i: usize| tools[i].output_schema.clone().unwrap();
        assert!(std::sync::Arc::ptr_eq(&output(0), &output(1)));
        assert!(!std::sync::Arc::ptr_eq(&output(0), &output(2)));
        assert_ne!(output(0), output(2));
        assert!(std::sync::Arc::ptr_eq(
            &tools[0].input_schema,
            &tools[1].input_schema
        ));
        assert!(!std::sync::Arc::ptr_eq(
            &tools[0].input_schema,
            &tools[2].input_schema
        ));
    }
}
