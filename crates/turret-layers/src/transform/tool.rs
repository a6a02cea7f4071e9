//! One tool's transformation: what clients see, and how a call maps back to the backend.

use std::fmt;
use std::sync::Arc;

use serde_json::{json, Value};
use turret_core::types::{CallToolResult, JsonObject, Tool};

/// What a client may send for an argument.
#[derive(Debug, Clone)]
enum ArgValue {
    /// Whatever the client sends (or nothing).
    Given,
    /// Hidden: the client cannot send it, the backend always gets this.
    Fixed(Value),
    /// Optional: the backend gets this when the client sends nothing.
    Default(Value),
}

#[derive(Debug, Clone)]
struct ArgTransform {
    /// The backend's name.
    name: String,
    rename: Option<String>,
    description: Option<String>,
    value: ArgValue,
}

impl ArgTransform {
    fn exposed(&self) -> &str {
        self.rename.as_deref().unwrap_or(&self.name)
    }
}

type Derive = Arc<dyn Fn(&CallToolResult) -> Option<Value> + Send + Sync>;

#[derive(Clone)]
struct DerivedOutput {
    name: String,
    schema: Value,
    derive: Derive,
}

impl fmt::Debug for DerivedOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DerivedOutput")
            .field("name", &self.name)
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

/// How one backend tool is shown to clients: another name, description or title; arguments
/// hidden behind a fixed value, given a default, renamed or described anew; outputs derived
/// from its result. Argument names given to these methods are the backend's.
///
/// The listed input schema says exactly what the layer accepts: a hidden argument is gone
/// from it, a defaulted one is optional with its `default`, a renamed one appears under its
/// new name. The output schema gains the derived outputs (an object schema is made for a
/// tool that had none).
///
/// ```
/// use serde_json::json;
/// use turret_layers::transform::ToolTransform;
///
/// let search = ToolTransform::new("search_v2")
///     .rename("search")
///     .description("Searches the docs.")
///     .rename_arg("q", "query")
///     .hide_arg("index", json!("docs"))
///     .default_arg("limit", json!(10))
///     .derive_output("hits", json!({"type": "integer"}), |result| {
///         Some(json!(result.content.iter().filter(|c| c.as_text().is_some()).count()))
///     });
/// ```
#[derive(Debug, Clone)]
pub struct ToolTransform {
    source: String,
    name: Option<String>,
    title: Option<String>,
    description: Option<String>,
    args: Vec<ArgTransform>,
    outputs: Vec<DerivedOutput>,
}

impl ToolTransform {
    /// A transformation of the backend tool `source` (that changes nothing yet).
    pub fn new(source: impl Into<String>) -> Self {
        Self {
            source: source.into(),
            name: None,
            title: None,
            description: None,
            args: Vec::new(),
            outputs: Vec::new(),
        }
    }

    /// Lists and calls the tool as `name`; the backend's name is no longer callable.
    pub fn rename(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Replaces the title.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Replaces the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    fn arg(&mut self, name: &str) -> &mut ArgTransform {
        if let Some(i) = self.args.iter().position(|a| a.name == name) {
            return &mut self.args[i];
        }
        self.args.push(ArgTransform {
            name: name.to_owned(),
            rename: None,
            description: None,
            value: ArgValue::Given,
        });
        self.args.last_mut().expect("just pushed")
    }

    /// Hides the argument `name`: it leaves the schema, and the backend always receives
    /// `value` (whatever a client sends under that name is dropped).
    pub fn hide_arg(mut self, name: &str, value: Value) -> Self {
        self.arg(name).value = ArgValue::Fixed(value);
        self
    }

    /// Makes the argument `name` optional: the schema shows `value` as its `default`, and the
    /// backend receives `value` when a client sends nothing.
    pub fn default_arg(mut self, name: &str, value: Value) -> Self {
        self.arg(name).value = ArgValue::Default(value);
        self
    }

    /// Shows the argument `name` as `new_name`.
    pub fn rename_arg(mut self, name: &str, new_name: impl Into<String>) -> Self {
        self.arg(name).rename = Some(new_name.into());
        self
    }

    /// Replaces the description of the argument `name`.
    pub fn describe_arg(mut self, name: &str, description: impl Into<String>) -> Self {
        self.arg(name).description = Some(description.into());
        self
    }

    /// Adds `name` to the structured output, computed from the backend's result by `derive`
    /// (`None` leaves it out), described by the JSON Schema `schema`. Results with `isError`
    /// are left alone.
    pub fn derive_output<F>(mut self, name: impl Into<String>, schema: Value, derive: F) -> Self
    where
        F: Fn(&CallToolResult) -> Option<Value> + Send + Sync + 'static,
    {
        self.outputs.push(DerivedOutput {
            name: name.into(),
            schema,
            derive: Arc::new(derive),
        });
        self
    }

    /// The backend's name of the tool.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The name clients list and call.
    pub fn exposed(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.source)
    }

    /// Rewrites a listed definition.
    pub(crate) fn apply_to_definition(&self, tool: &mut Tool) {
        tool.name = self.exposed().to_owned();
        if let Some(title) = &self.title {
            tool.title = Some(title.clone());
        }
        if let Some(description) = &self.description {
            tool.description = Some(description.clone());
        }
        if !self.args.is_empty() {
            let mut schema = JsonObject::clone(&tool.input_schema);
            self.apply_to_input_schema(&mut schema);
            tool.input_schema = Arc::new(schema);
        }
        if !self.outputs.is_empty() {
            let mut schema = tool.output_schema.as_deref().cloned().unwrap_or_else(|| {
                let mut s = JsonObject::new();
                s.insert("type".into(), json!("object"));
                s
            });
            let properties = schema
                .entry("properties")
                .or_insert_with(|| json!({}))
                .as_object_mut();
            if let Some(properties) = properties {
                for o in &self.outputs {
                    properties.insert(o.name.clone(), o.schema.clone());
                }
            }
            tool.output_schema = Some(Arc::new(schema));
        }
    }

    fn apply_to_input_schema(&self, schema: &mut JsonObject) {
        let mut required: Vec<String> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let properties = schema
            .entry("properties")
            .or_insert_with(|| json!({}))
            .as_object_mut();
        let Some(properties) = properties else {
            return;
        };
        for arg in &self.args {
            let mut property = properties.remove(&arg.name);
            match &arg.value {
                ArgValue::Given => {}
                ArgValue::Fixed(_) => {
                    required.retain(|r| *r != arg.name);
                    continue;
                }
                ArgValue::Default(v) => {
                    required.retain(|r| *r != arg.name);
                    if let Value::Object(p) = property.get_or_insert_with(|| json!({})) {
                        p.insert("default".into(), v.clone());
                    }
                }
            }
            if let (Some(description), Some(Value::Object(p))) = (&arg.description, &mut property) {
                p.insert("description".into(), json!(description));
            }
            for r in required.iter_mut().filter(|r| **r == arg.name) {
                *r = arg.exposed().to_owned();
            }
            if let Some(property) = property {
                properties.insert(arg.exposed().to_owned(), property);
            }
        }
        if required.is_empty() {
            schema.remove("required");
        } else {
            schema.insert("required".into(), json!(required));
        }
    }

    /// The backend's arguments for the arguments a client sent.
    pub(crate) fn apply_to_arguments(&self, arguments: Option<JsonObject>) -> Option<JsonObject> {
        if self.args.is_empty() {
            return arguments;
        }
        let mut given = arguments.unwrap_or_default();
        let mut out = JsonObject::new();
        for arg in &self.args {
            let sent = given.remove(arg.exposed());
            if arg.rename.is_some() {
                // Not in the schema under that name.
                given.remove(&arg.name);
            }
            let value = match &arg.value {
                ArgValue::Given => sent,
                ArgValue::Fixed(v) => Some(v.clone()),
                ArgValue::Default(v) => sent.or_else(|| Some(v.clone())),
            };
            if let Some(value) = value {
                out.insert(arg.name.clone(), value);
            }
        }
        for (k, v) in given {
            out.entry(k).or_insert(v);
        }
        Some(out)
    }

    /// Adds the derived outputs to a backend result.
    pub(crate) fn apply_to_result(&self, result: &mut CallToolResult) {
        if self.outputs.is_empty() || result.is_error == Some(true) {
            return;
        }
        let derived: Vec<(String, Value)> = self
            .outputs
            .iter()
            .filter_map(|o| Some((o.name.clone(), (o.derive)(result)?)))
            .collect();
        let structured = result.structured_content.get_or_insert_with(|| json!({}));
        if let Some(structured) = structured.as_object_mut() {
            structured.extend(derived);
        }
    }
}
