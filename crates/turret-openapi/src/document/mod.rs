//! Reading a spec: JSON or YAML text into an ordered tree, the OpenAPI version check, and
//! local `$ref` resolution.

mod bundle;
pub(crate) mod node;
pub(crate) mod number;
pub(crate) mod pointer;
#[cfg(feature = "yaml")]
mod yaml;

use node::Node;

use crate::error::Error;

/// How many `$ref` hops a non-schema object may take before it is called a cycle.
const MAX_REF_HOPS: usize = 32;

/// Which OpenAPI line the spec follows: it decides how `nullable`, `exclusiveMinimum` and
/// `example` are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Version {
    /// OpenAPI 3.0.x (schemas are an extended subset of JSON Schema draft 5).
    V3_0,
    /// OpenAPI 3.1.x and later 3.x (schemas are JSON Schema 2020-12).
    V3_1,
}

/// A parsed OpenAPI description.
///
/// ```
/// use turret_openapi::Spec;
///
/// let spec = Spec::parse("openapi: 3.1.0\ninfo: {title: t}\npaths: {}\n").unwrap();
/// assert_eq!(spec.version(), turret_openapi::Version::V3_1);
/// assert!(Spec::parse(r#"{"swagger": "2.0"}"#).unwrap_err().to_string().contains("Swagger 2.0"));
/// ```
#[derive(Debug, Clone)]
pub struct Spec {
    pub(crate) root: Node,
    version: Version,
}

#[cfg(feature = "yaml")]
fn from_yaml(text: &str) -> Result<Node, Error> {
    yaml::parse(text)
}

/// JSON text into the tree, every number kept as written (see [`number`]).
fn from_json_text(text: &str) -> Result<Node, Error> {
    let syntax = |e: serde_json::Error| Error::Syntax(e.to_string());
    // Under `arbitrary_precision` serde_json itself hands over every number as written.
    let inexact = if number::exact_json_numbers() {
        Vec::new()
    } else {
        number::inexact(text)
    };
    if inexact.is_empty() {
        return serde_json::from_str(text).map_err(syntax);
    }
    let mut root = serde_json::from_str(&number::mark(text, &inexact)?).map_err(syntax)?;
    number::restore(&mut root);
    Ok(root)
}

#[cfg(not(feature = "yaml"))]
fn from_yaml(_: &str) -> Result<Node, Error> {
    Err(Error::Syntax(
        "YAML needs turret-openapi's `yaml` feature (or give the spec as JSON)".into(),
    ))
}

/// Which OpenAPI line `root` follows, or why it is no OpenAPI 3 description.
fn version_of(root: &Node) -> Result<Version, Error> {
    if root.as_object().is_none() {
        return Err(Error::Version("the spec is not an object".into()));
    }
    if let Some(v) = root.get("swagger") {
        let v = v.as_str().unwrap_or("?");
        return Err(Error::Version(format!(
            "this is a Swagger {v} document; convert it to OpenAPI 3 first \
             (e.g. `npx swagger2openapi spec.json`)"
        )));
    }
    let version = match root.str("openapi") {
        Some(v) if v.starts_with("3.0") => Version::V3_0,
        Some(v) if v.starts_with("3.") => Version::V3_1,
        Some(v) => {
            return Err(Error::Version(format!(
                "unsupported OpenAPI version {v:?}: 3.0.x and 3.1.x are supported"
            )))
        }
        None => {
            return Err(Error::Version(
                "no `openapi` field: not an OpenAPI 3 description".into(),
            ))
        }
    };
    Ok(version)
}

/// JSON or YAML text (JSON when it starts with `{`) into the tree.
pub(crate) fn parse_text(text: &str) -> Result<Node, Error> {
    if text.trim_start().starts_with('{') {
        from_json_text(text)
    } else {
        from_yaml(text)
    }
}

impl Spec {
    /// Parses JSON or YAML text (JSON when it starts with `{`). References to other files
    /// need the file's place: use [`Spec::load`].
    pub fn parse(text: &str) -> Result<Self, Error> {
        Self::from_node(parse_text(text)?)
    }

    /// Reads the spec at `path`, and the files beside it that its references name
    /// (`./schemas/pet.yaml#/Pet`, `common.json`): under the spec's directory only, at most
    /// 64 of them, never a URL (refused, naming the reference).
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("turret-openapi-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(dir.join("schemas")).unwrap();
    /// # std::fs::write(dir.join("schemas/pet.yaml"), "Pet: {type: object, properties: {name: {type: string}}}\n").unwrap();
    /// # std::fs::write(dir.join("spec.yaml"), "openapi: 3.1.0\npaths:\n  /pets:\n    post:\n      operationId: add\n      requestBody: {content: {application/json: {schema: {$ref: './schemas/pet.yaml#/Pet'}}}}\n").unwrap();
    /// let spec = turret_openapi::Spec::load(dir.join("spec.yaml"))?;
    /// let tools = turret_openapi::OpenApi::new(spec).components()?.tools;
    /// assert!(tools[0].input_schema["properties"].get("name").is_some());
    /// # Ok::<(), turret_openapi::Error>(())
    /// ```
    pub fn load(path: impl AsRef<std::path::Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        Self::load_within(path, dir)
    }

    /// [`Spec::load`], with references allowed to read any file under `dir` (which holds
    /// the spec, or is above it).
    pub fn load_within(
        path: impl AsRef<std::path::Path>,
        dir: impl AsRef<std::path::Path>,
    ) -> Result<Self, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|error| Error::Read {
            path: path.to_owned(),
            error,
        })?;
        let mut root = parse_text(&text)?;
        // The version check first: a file that is not a spec is said to be so.
        let version = version_of(&root)?;
        bundle::bundle(&mut root, path, dir.as_ref())?;
        Ok(Self { root, version })
    }

    /// Reads a description already held as JSON (from `utoipa`, `aide`…). Keys come in the
    /// map's order: serialize to text and use [`Spec::parse`] to keep the document's own.
    pub fn from_json(value: &serde_json::Value) -> Result<Self, Error> {
        let root = serde::Deserialize::deserialize(value)
            .map_err(|e: serde_json::Error| Error::Syntax(e.to_string()))?;
        Self::from_node(root)
    }

    fn from_node(root: Node) -> Result<Self, Error> {
        let version = version_of(&root)?;
        Ok(Self { root, version })
    }

    /// The OpenAPI version line.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The API's title (`info.title`), if any.
    pub fn title(&self) -> Option<&str> {
        self.root.get("info").and_then(|i| i.str("title"))
    }

    /// The first server URL, its `{variables}` replaced by their defaults.
    pub fn server_url(&self) -> Option<String> {
        let server = self.root.get("servers")?.as_array()?.first()?;
        let mut url = server.str("url")?.to_owned();
        if let Some(vars) = server.get("variables").and_then(Node::as_object) {
            for (name, var) in vars {
                let default = var.str("default").unwrap_or_default();
                url = url.replace(&format!("{{{name}}}"), default);
            }
        }
        Some(url)
    }

    /// A note for each number of the document that a `serde_json::Value` holds only as the
    /// nearest double (none when serde_json's `arbitrary_precision` is on).
    pub(crate) fn rounded_numbers(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !number::exact_json_numbers() {
            decimals(&self.root, &mut String::new(), &mut out);
        }
        out
    }

    /// Follows `$ref`s from `node` to the object they name (parameters, request bodies,
    /// responses, path items); a chain longer than a few dozen hops is a cycle.
    pub(crate) fn deref<'a>(&'a self, mut node: &'a Node) -> Result<&'a Node, Error> {
        for _ in 0..MAX_REF_HOPS {
            match node.str("$ref") {
                Some(r) => node = pointer::resolve(&self.root, r)?,
                None => return Ok(node),
            }
        }
        Err(Error::BadRef {
            reference: node.str("$ref").unwrap_or_default().to_owned(),
            reason: "the chain of references is a cycle".into(),
        })
    }
}

/// Notes for the decimals under `node`, at JSON pointer `at`.
fn decimals(node: &Node, at: &mut String, out: &mut Vec<String>) {
    let len = at.len();
    match node {
        Node::Decimal(d) => out.push(format!(
            "the number {d} at {at} is the nearest double, {}, in tool schemas",
            number::nearest(d)
        )),
        Node::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                at.push_str(&format!("/{i}"));
                decimals(item, at, out);
                at.truncate(len);
            }
        }
        Node::Object(members) => {
            for (key, value) in members.iter() {
                at.push('/');
                at.push_str(&key.replace('~', "~0").replace('/', "~1"));
                decimals(value, at, out);
                at.truncate(len);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_leniency() {
        assert_eq!(
            Spec::parse(r#"{"openapi":"3.0.3"}"#).unwrap().version(),
            Version::V3_0
        );
        // No info.version (FastMCP rejects this): accepted.
        assert!(Spec::parse("openapi: 3.1.1\ninfo: {title: x}\n").is_ok());
        let e = Spec::parse(r#"{"openapi":"4.0.0"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("4.0.0"), "{e}");
        assert!(Spec::parse("{}")
            .unwrap_err()
            .to_string()
            .contains("openapi"));
        assert!(matches!(Spec::parse("{not json"), Err(Error::Syntax(_))));
        assert!(matches!(Spec::parse("[1, 2]"), Err(Error::Version(_))));
    }

    #[test]
    fn deref_follows_chains_and_stops_cycles() {
        let spec = Spec::parse(
            r##"{"openapi":"3.1.0","components":{"parameters":{
                "a":{"$ref":"#/components/parameters/b"},"b":{"name":"q","in":"query"},
                "c":{"$ref":"#/components/parameters/d"},"d":{"$ref":"#/components/parameters/c"}}}}"##,
        )
        .unwrap();
        let a = pointer::resolve(&spec.root, "#/components/parameters/a").unwrap();
        assert_eq!(spec.deref(a).unwrap().str("name"), Some("q"));
        let c = pointer::resolve(&spec.root, "#/components/parameters/c").unwrap();
        assert!(spec.deref(c).unwrap_err().to_string().contains("cycle"));
    }

    #[test]
    fn numbers_are_kept_as_written() {
        let json = r#"{"openapi":"3.1.0","x":[-9223372036854776000,1e400,18446744073709551616,0.10000000000000000000001,1.5,"1e400"]}"#;
        let mut specs = vec![Spec::parse(json).unwrap()];
        if cfg!(feature = "yaml") {
            let yaml = "openapi: 3.1.0\nx: [-9223372036854776000, 1e400, 18446744073709551616, 1.5, '1e400']\n";
            specs.push(Spec::parse(yaml).unwrap());
        }
        for spec in specs {
            let x = spec.root.get("x").and_then(Node::as_array).unwrap();
            // The same value as `want` (`1e400` and `1e+400` are one number).
            let is = |n: &Node, kind: &str, want: &str| match n {
                Node::Decimal(d) => kind == "decimal" && number::same_value(d, want),
                Node::String(s) => kind == "string" && &**s == want,
                _ => false,
            };
            assert!(is(&x[0], "decimal", "-9223372036854776000"), "{:?}", x[0]);
            assert!(is(&x[1], "decimal", "1e400"), "{:?}", x[1]);
            assert!(is(&x[2], "decimal", "18446744073709551616"), "{:?}", x[2]);
            assert!(is(x.last().unwrap(), "string", "1e400"));
            // Copied into a schema: exact under `arbitrary_precision`, else the nearest
            // double, the largest one beyond the double range.
            let exact = ["-9223372036854776000", "1e400", "18446744073709551616"];
            let doubles = [-9223372036854775808.0, f64::MAX, 18446744073709551616.0];
            for ((node, exact), double) in x.iter().zip(exact).zip(doubles) {
                let copied = node.to_json();
                if number::exact_json_numbers() {
                    assert!(number::same_value(&copied.to_string(), exact), "{copied}");
                } else {
                    assert_eq!(copied.as_f64(), Some(double));
                }
            }
        }
    }

    #[test]
    fn server_url_fills_variables() {
        let spec = Spec::parse(
            r#"{"openapi":"3.0.0","servers":[{"url":"https://{env}.x.io/v1","variables":{"env":{"default":"api"}}}]}"#,
        )
        .unwrap();
        assert_eq!(spec.server_url().as_deref(), Some("https://api.x.io/v1"));
    }
}
