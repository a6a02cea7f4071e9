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
use crate::route_map::{decide, RouteMap, RouteOverride, Target};
use crate::schema::defs::Definitions;
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

/// Every component of `spec`, in document order.
pub(crate) fn generate(spec: &Spec, options: &Options<'_>) -> Result<Vec<Generated>, Error> {
    let naming = options.naming;
    let mut defs = Definitions::new(spec);
    let (mut tools, mut resources, mut templates) = (
        UniqueNames::default(),
        UniqueNames::default(),
        UniqueNames::default(),
    );
    let mut schemas = Schemas::default();
    let mut out = Vec::new();
    for op in operations(spec)? {
        let target = decide(options.maps, options.over, &op);
        if target == Target::Exclude {
            continue;
        }
        let base = naming::base_name(&op, naming);
        let at = || format!("{} {}", op.method, op.path);
        let input = input::input(&op, &mut defs, naming)
            .map_err(|e| Error::Invalid(format!("{}: {e}", at())))?;
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
                let output = output::output(op.response, &mut defs, options.output_budget)
                    .map_err(|e| Error::Invalid(format!("{}: {e}", at())))?;
                plan.wrap_result = output.as_ref().is_some_and(|o| o.1);
                let tool = Tool {
                    name: tools.take(base),
                    title,
                    description: Some(naming::description(&op, || {
                        format!("Executes {} {}", op.method, op.path)
                    })),
                    input_schema: schemas.share(input.schema),
                    output_schema: output.map(|o| schemas.share(o.0)),
                    meta: tags_meta(&op),
                    ..Tool::default()
                };
                out.push(Generated::Tool(tool, plan));
            }
            Target::Resource => {
                let name = resources.take(base);
                let resource = Resource {
                    uri: format!("resource://{name}"),
                    name,
                    title,
                    description: Some(naming::description(&op, || {
                        format!("Represents {}", op.path)
                    })),
                    mime_type: Some("application/json".into()),
                    meta: tags_meta(&op),
                    ..Resource::default()
                };
                out.push(Generated::Resource(resource, plan));
            }
            Target::ResourceTemplate => {
                let name = templates.take(base);
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
                    .map_err(|e| Error::Invalid(format!("{}: template {uri:?}: {e}", at())))?;
                let template = ResourceTemplate {
                    uri_template: uri,
                    name,
                    title,
                    description: Some(naming::description(&op, || {
                        format!("Template for {}", op.path)
                    })),
                    mime_type: Some("application/json".into()),
                    meta: tags_meta(&op),
                    ..ResourceTemplate::default()
                };
                out.push(Generated::Template(template, parsed, plan));
            }
        }
    }
    Ok(out)
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
