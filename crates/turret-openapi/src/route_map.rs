//! Route maps: which operations become tools, resources, templates, or nothing.

use std::sync::Arc;

use http::Method;
use regex::Regex;

use crate::error::Error;
use crate::operation::Operation;

/// What an operation becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Target {
    /// A tool (arguments from the input schema).
    Tool,
    /// A resource with a fixed URI (`resource://name`).
    Resource,
    /// A resource template (`resource://name/{a}/{b}`).
    ResourceTemplate,
    /// Nothing: the operation is left out.
    Exclude,
}

/// One rule: operations matching the method(s), the path pattern and all the tags get the
/// target.
///
/// ```
/// use turret_openapi::{RouteMap, Target};
///
/// let maps = vec![
///     RouteMap::new(Target::Exclude).pattern(r"^/admin/").unwrap(),
///     RouteMap::new(Target::ResourceTemplate).methods([http::Method::GET]).pattern(r"\{").unwrap(),
///     RouteMap::new(Target::Tool),
/// ];
/// ```
#[derive(Debug, Clone)]
pub struct RouteMap {
    methods: Option<Vec<Method>>,
    pattern: Option<Regex>,
    tags: Vec<String>,
    target: Target,
}

impl RouteMap {
    /// A rule that matches every operation.
    pub fn new(target: Target) -> Self {
        Self {
            methods: None,
            pattern: None,
            tags: Vec::new(),
            target,
        }
    }

    /// Only these methods (default: any).
    pub fn methods(mut self, methods: impl IntoIterator<Item = Method>) -> Self {
        self.methods = Some(methods.into_iter().collect());
        self
    }

    /// Only paths where this regular expression matches (anywhere, like `re.search`).
    pub fn pattern(mut self, pattern: &str) -> Result<Self, Error> {
        self.pattern = Some(Regex::new(pattern).map_err(Error::Pattern)?);
        Ok(self)
    }

    /// Only operations carrying all these tags.
    pub fn tags<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tags: I) -> Self {
        self.tags.extend(tags.into_iter().map(Into::into));
        self
    }

    /// What matching operations become.
    pub fn target(&self) -> Target {
        self.target
    }

    pub(crate) fn matches(&self, op: &Operation<'_>) -> bool {
        self.methods.as_ref().is_none_or(|m| m.contains(&op.method))
            && self.pattern.as_ref().is_none_or(|p| p.is_match(op.path))
            && self.tags.iter().all(|t| op.tags.contains(&t.as_str()))
    }

    /// Everything a tool: FastMCP's current default.
    pub fn all_tools() -> Vec<RouteMap> {
        vec![RouteMap::new(Target::Tool)]
    }

    /// `GET` with path parameters → resource template, other `GET` → resource, the rest →
    /// tools: the older default.
    pub fn get_as_resources() -> Vec<RouteMap> {
        let get = || RouteMap::new(Target::ResourceTemplate).methods([Method::GET]);
        vec![
            RouteMap {
                pattern: Some(Regex::new(r"\{[^}]+\}").expect("a valid literal pattern")),
                ..get()
            },
            RouteMap {
                target: Target::Resource,
                ..get()
            },
            RouteMap::new(Target::Tool),
        ]
    }
}

/// A last word on each operation, after the route maps: gets the operation and the maps'
/// choice, returns the target.
pub type RouteOverride = Arc<dyn Fn(&Operation<'_>, Target) -> Target + Send + Sync>;

/// The first matching map's target (a tool when none matches), then the override.
pub(crate) fn decide(
    maps: &[RouteMap],
    over: Option<&RouteOverride>,
    op: &Operation<'_>,
) -> Target {
    let target = maps
        .iter()
        .find(|m| m.matches(op))
        .map_or(Target::Tool, RouteMap::target);
    over.map_or(target, |f| f(op, target))
}
