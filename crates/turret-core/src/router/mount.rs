//! Mounting: other MCP services under a namespace, routed by prefix.
//!
//! A mounted child is any service over [`Request`](crate::Request): a local [`Router`](super::Router),
//! a client to a remote server, a generated server. Names and URIs are rewritten on the way
//! in (the child sees its own names) and on the way out (the client sees prefixed ones).

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use turret_types::{
    ClientResult, ContentBlock, EmbeddedResource, ResourceContents, ServerNotification,
    ServerRequest, ServerResult,
};

use super::endpoint::BoxedService;
use super::notify::Notifier;
use crate::error::McpError;
use crate::peer::PeerSink;

/// How a mounted child's resource URIs are namespaced.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourcePrefix {
    /// `scheme://{ns}/path` (the default, as current FastMCP does).
    Path,
    /// `{ns}{separator}{uri}`, e.g. `weather+data://forecast` (the older FastMCP form).
    Prefix(String),
}

/// Options of a mount (see [`Router::mount_with`](super::Router::mount_with)).
///
/// ```
/// use turret_core::router::Mount;
///
/// let options = Mount::new().tool_separator("-").resource_separator(":");
/// ```
#[derive(Debug, Clone)]
pub struct Mount {
    pub(crate) separator: String,
    pub(crate) resources: ResourcePrefix,
    pub(crate) tool_names: HashMap<String, String>,
    pub(crate) max_name_len: usize,
    pub(crate) shorten: bool,
    pub(crate) as_proxy: bool,
}

impl Default for Mount {
    fn default() -> Self {
        Self {
            separator: "_".into(),
            resources: ResourcePrefix::Path,
            tool_names: HashMap::new(),
            max_name_len: MAX_NAME_LEN,
            shorten: false,
            as_proxy: false,
        }
    }
}

/// The longest tool name the protocol allows.
pub const MAX_NAME_LEN: usize = 128;

impl Mount {
    /// `{ns}_{name}` for tools and prompts, `scheme://{ns}/path` for resources.
    pub fn new() -> Self {
        Self::default()
    }

    /// The separator between namespace and tool or prompt name (default `_`).
    ///
    /// # Panics
    /// If `separator` is empty.
    pub fn tool_separator(mut self, separator: impl Into<String>) -> Self {
        self.separator = separator.into();
        assert!(
            !self.separator.is_empty(),
            "a mount's tool separator cannot be empty"
        );
        self
    }

    /// Namespaces resource URIs as `{ns}{separator}{uri}` instead of `scheme://{ns}/path`.
    ///
    /// # Panics
    /// If `separator` is empty.
    pub fn resource_separator(mut self, separator: impl Into<String>) -> Self {
        let separator = separator.into();
        assert!(
            !separator.is_empty(),
            "a mount's resource separator cannot be empty"
        );
        self.resources = ResourcePrefix::Prefix(separator);
        self
    }

    /// Exposes the child's tool `original` as `exposed` (no namespace added).
    pub fn rename_tool(mut self, original: impl Into<String>, exposed: impl Into<String>) -> Self {
        self.tool_names.insert(original.into(), exposed.into());
        self
    }

    /// Checks prefixed names against a client's limit (the protocol allows 128; many
    /// clients allow 64). Longer names are an error unless [`shorten_names`](Self::shorten_names).
    pub fn max_name_len(mut self, len: usize) -> Self {
        self.max_name_len = len.min(MAX_NAME_LEN);
        self
    }

    /// Runs the child behind an in-process client session instead of calling it directly:
    /// it gets the full lifecycle of a served server (its own `initialize`, session state,
    /// log level), at the cost of a message hop per call. Lifespans run in both modes, so
    /// this is never needed for them.
    pub fn as_proxy(mut self) -> Self {
        self.as_proxy = true;
        self
    }

    /// Shortens names over the limit deterministically: cut, then `_` and 8 hex digits of a
    /// hash of the full name. Calls to the short name are routed back.
    pub fn shorten_names(mut self) -> Self {
        self.shorten = true;
        self
    }
}

/// How one namespace renames: the names and URIs a client sees for a child's, and back.
pub(crate) struct Names {
    pub(crate) namespace: String,
    pub(crate) options: Mount,
    /// Exposed name → child name, for renamed tools.
    renamed: HashMap<String, String>,
    /// Shortened exposed name → child name, learnt while listing.
    shortened: std::sync::Mutex<HashMap<String, String>>,
}

/// One mounted child.
pub(crate) struct MountPoint {
    names: Names,
    pub(crate) service: BoxedService,
    pub(crate) linked: tokio::sync::OnceCell<crate::peer::Peer>,
    pub(crate) started: tokio::sync::OnceCell<()>,
    /// What the child answered to the router's `initialize` (read for its tasks support).
    pub(crate) capabilities: std::sync::OnceLock<turret_types::ServerCapabilities>,
}

impl std::ops::Deref for MountPoint {
    type Target = Names;

    fn deref(&self) -> &Names {
        &self.names
    }
}

impl std::fmt::Debug for MountPoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MountPoint")
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

/// FNV-1a: a small, stable hash for shortened names (not for security).
fn fnv(s: &str) -> u32 {
    s.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

impl MountPoint {
    /// # Panics
    /// When names are shortened but the namespace alone leaves no room under the limit.
    pub(crate) fn new(namespace: String, options: Mount, service: BoxedService) -> Self {
        let service = if options.as_proxy {
            tower::util::BoxCloneSyncService::new(super::in_process::InProcessSession::new(service))
        } else {
            service
        };
        Self {
            names: Names::new(namespace, options),
            service,
            linked: tokio::sync::OnceCell::new(),
            started: tokio::sync::OnceCell::new(),
            capabilities: std::sync::OnceLock::new(),
        }
    }
}

impl Names {
    /// # Panics
    /// When names are shortened but the namespace alone leaves no room under the limit.
    pub(crate) fn new(namespace: String, options: Mount) -> Self {
        assert!(
            !options.shorten
                || namespace.len() + options.separator.len() + 10 <= options.max_name_len,
            "namespace {namespace:?} is too long to shorten names under {} characters",
            options.max_name_len
        );
        let renamed = options
            .tool_names
            .iter()
            .map(|(original, exposed)| (exposed.clone(), original.clone()))
            .collect();
        Self {
            namespace,
            options,
            renamed,
            shortened: Default::default(),
        }
    }

    /// The name a client sees for the child's tool or prompt `name`.
    pub(crate) fn expose_name(&self, name: &str, renames: bool) -> Result<String, McpError> {
        if let Some(exposed) = renames.then(|| self.options.tool_names.get(name)).flatten() {
            return Ok(exposed.clone());
        }
        let full = format!("{}{}{}", self.namespace, self.options.separator, name);
        let limit = self.options.max_name_len;
        if full.len() <= limit {
            return Ok(full);
        }
        if !self.options.shorten {
            return Err(McpError::internal(format!(
                "mounted name {full:?} is {} characters, over the limit of {limit}: \
                 use a shorter namespace, rename the tool, or Mount::shorten_names()",
                full.len()
            )));
        }
        let suffix = format!("_{:08x}", fnv(&full));
        let mut cut = limit - suffix.len();
        while !full.is_char_boundary(cut) {
            cut -= 1;
        }
        let short = format!("{}{suffix}", &full[..cut]);
        self.shortened
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(short.clone(), name.to_owned());
        Ok(short)
    }

    /// The child's own name for an exposed tool or prompt name, if it is this mount's.
    fn child_name(&self, exposed: &str, renames: bool) -> Option<String> {
        if renames {
            if let Some(original) = self.renamed.get(exposed) {
                return Some(original.clone());
            }
        }
        if let Some(original) = self
            .shortened
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(exposed)
        {
            return Some(original.clone());
        }
        exposed
            .strip_prefix(self.namespace.as_str())?
            .strip_prefix(self.options.separator.as_str())
            .filter(|rest| !rest.is_empty())
            .map(str::to_owned)
    }

    /// The URI a client sees for the child's `uri` (also for URI templates).
    pub(crate) fn expose_uri(&self, uri: &str) -> String {
        match &self.options.resources {
            ResourcePrefix::Prefix(sep) => format!("{}{sep}{uri}", self.namespace),
            ResourcePrefix::Path => match uri.split_once("://") {
                Some((scheme, rest)) => format!("{scheme}://{}/{rest}", self.namespace),
                None => format!("{}/{uri}", self.namespace),
            },
        }
    }

    /// The child's own URI for an exposed one, if it is this mount's.
    pub(crate) fn child_uri(&self, exposed: &str) -> Option<String> {
        match &self.options.resources {
            // `{ns}{sep}scheme://…` puts the namespace into the URI's scheme, which clients
            // may lower-case (schemes are case-insensitive): match it that way.
            ResourcePrefix::Prefix(sep) => {
                let head = exposed.get(..self.namespace.len())?;
                if !head.eq_ignore_ascii_case(&self.namespace) {
                    return None;
                }
                exposed[self.namespace.len()..]
                    .strip_prefix(sep.as_str())
                    .map(str::to_owned)
            }
            // The namespace is the URI's host here, which clients may lower-case too.
            ResourcePrefix::Path => {
                let (scheme, rest) = exposed.split_once("://")?;
                let head = rest.get(..self.namespace.len())?;
                if !head.eq_ignore_ascii_case(&self.namespace) {
                    return None;
                }
                let rest = rest[self.namespace.len()..].strip_prefix('/')?;
                Some(format!("{scheme}://{rest}"))
            }
        }
    }

    /// Rewrites every URI the child sent in a result: resource links and embedded
    /// resources in tool results (also a task's result) and prompt messages, and the
    /// contents of a read.
    pub(crate) fn expose_result(&self, result: &mut ServerResult) {
        match result {
            ServerResult::CallTool(r) => self.expose_content(&mut r.content),
            ServerResult::GetPrompt(r) => r
                .messages
                .iter_mut()
                .for_each(|m| self.expose_content(std::slice::from_mut(&mut m.content))),
            ServerResult::ReadResource(r) => self.expose_contents(&mut r.contents),
            _ => {}
        }
    }

    fn expose_content(&self, content: &mut [ContentBlock]) {
        for block in content {
            match block {
                ContentBlock::ResourceLink(r) => r.uri = self.expose_uri(&r.uri),
                ContentBlock::Resource(EmbeddedResource { resource, .. }) => {
                    self.expose_contents(std::slice::from_mut(resource))
                }
                _ => {}
            }
        }
    }

    fn expose_contents(&self, contents: &mut [ResourceContents]) {
        for c in contents {
            match c {
                ResourceContents::Text(t) => t.uri = self.expose_uri(&t.uri),
                ResourceContents::Blob(b) => b.uri = self.expose_uri(&b.uri),
            }
        }
    }
}

/// Every mount of a router, with the indexes that route a name or URI in a few hash
/// lookups whatever the number of children.
#[derive(Default, Clone)]
pub(crate) struct Mounts {
    pub(crate) points: Vec<Arc<MountPoint>>,
    by_namespace: HashMap<String, usize>,
    /// The same, lower-cased, for URIs whose scheme carries the namespace.
    by_namespace_lower: HashMap<String, usize>,
    /// Every separator some mount uses, tool or resource.
    separators: Vec<String>,
    /// Exposed (renamed) tool name → mount.
    by_rename: HashMap<String, usize>,
}

impl Mounts {
    /// Adds a mount.
    ///
    /// # Panics
    /// On a namespace mounted twice (a programming error, caught at start-up).
    pub(crate) fn add(&mut self, point: MountPoint) {
        assert!(
            !self.by_namespace.contains_key(&point.namespace),
            "namespace {:?} is already mounted",
            point.namespace
        );
        let lower = point.namespace.to_ascii_lowercase();
        assert!(
            !self.by_namespace_lower.contains_key(&lower),
            "namespace {:?} differs from a mounted one only by case (URIs compare it case-insensitively)",
            point.namespace
        );
        let i = self.points.len();
        self.by_namespace.insert(point.namespace.clone(), i);
        self.by_namespace_lower.insert(lower, i);
        let mut seps = vec![point.options.separator.clone()];
        if let ResourcePrefix::Prefix(sep) = &point.options.resources {
            seps.push(sep.clone());
        }
        for sep in seps {
            if !self.separators.contains(&sep) {
                self.separators.push(sep);
            }
        }
        for exposed in point.renamed.keys() {
            self.by_rename.insert(exposed.clone(), i);
        }
        self.points.push(Arc::new(point));
    }

    /// Candidate mounts of `exposed`, longest namespace first: prefixes that end where one of
    /// the mounts' separators starts. A few hash lookups; the number of children does not
    /// matter.
    pub(crate) fn candidates<'a>(
        &'a self,
        exposed: &'a str,
    ) -> impl Iterator<Item = &'a Arc<MountPoint>> + 'a {
        self.prefix_ends(exposed)
            .into_iter()
            .filter_map(move |end| {
                self.by_namespace
                    .get(&exposed[..end])
                    .map(|&i| &self.points[i])
            })
    }

    /// [`candidates`](Self::candidates) ignoring case, for URIs.
    fn uri_candidates<'a>(
        &'a self,
        exposed: &'a str,
    ) -> impl Iterator<Item = &'a Arc<MountPoint>> + 'a {
        self.prefix_ends(exposed)
            .into_iter()
            .filter_map(move |end| {
                let key = exposed[..end].to_ascii_lowercase();
                self.by_namespace_lower.get(&key).map(|&i| &self.points[i])
            })
    }

    /// Where a namespace could end in `exposed`: before each separator, longest first.
    fn prefix_ends(&self, exposed: &str) -> Vec<usize> {
        let mut ends: Vec<usize> = self
            .separators
            .iter()
            .flat_map(|sep| exposed.match_indices(sep.as_str()).map(|(i, _)| i))
            .collect();
        ends.sort_unstable_by(|a, b| b.cmp(a));
        ends.dedup();
        ends
    }

    /// The mount and child name of an exposed tool or prompt name.
    pub(crate) fn route_name(
        &self,
        exposed: &str,
        renames: bool,
    ) -> Option<(Arc<MountPoint>, String)> {
        if renames {
            if let Some(&i) = self.by_rename.get(exposed) {
                let point = &self.points[i];
                return point.child_name(exposed, true).map(|n| (point.clone(), n));
            }
        }
        self.candidates(exposed)
            .find_map(|p| p.child_name(exposed, renames).map(|n| (p.clone(), n)))
    }

    /// The mount and child URI of an exposed URI.
    pub(crate) fn route_uri(&self, exposed: &str) -> Option<(Arc<MountPoint>, String)> {
        // `{ns}{sep}uri` forms: namespaces that prefix the URI.
        if let Some(found) = self
            .uri_candidates(exposed)
            .find_map(|p| p.child_uri(exposed).map(|u| (p.clone(), u)))
        {
            return Some(found);
        }
        // `scheme://{ns}/path` forms: the first path segment names the mount.
        let (_, rest) = exposed.split_once("://")?;
        let namespace = rest.split('/').next()?.to_ascii_lowercase();
        let point = &self.points[*self.by_namespace_lower.get(&namespace)?];
        point.child_uri(exposed).map(|u| (point.clone(), u))
    }
}

/// Registered in a child as its session's peer: passes the child's change notifications to
/// the parent's clients, with names and URIs rewritten.
pub(crate) struct Relay {
    pub(crate) parent: Notifier,
    pub(crate) point: std::sync::Weak<MountPoint>,
}

impl PeerSink for Relay {
    fn notify(&self, notification: ServerNotification) -> BoxFuture<'static, ()> {
        let parent = self.parent.clone();
        let point = self.point.upgrade();
        Box::pin(async move {
            match notification {
                ServerNotification::ToolListChanged(_) => parent.tools_changed().await,
                ServerNotification::PromptListChanged(_) => parent.prompts_changed().await,
                ServerNotification::ResourceListChanged(_) => parent.resources_changed().await,
                ServerNotification::ResourceUpdated(p) => {
                    if let Some(point) = point {
                        parent.resource_updated(&point.expose_uri(&p.uri)).await
                    }
                }
                _ => {}
            }
        })
    }

    fn request(&self, _: ServerRequest) -> BoxFuture<'static, Result<ClientResult, McpError>> {
        Box::pin(async { Err(McpError::internal("a mount relay cannot answer requests")) })
    }

    fn is_closed(&self) -> bool {
        self.point.strong_count() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(ns: &str, options: Mount) -> MountPoint {
        let service =
            tower::util::BoxCloneSyncService::new(tower::service_fn(|_: crate::Request| async {
                Ok::<_, crate::BoxError>(turret_types::ServerResult::Other(serde_json::Value::Null))
            }));
        MountPoint::new(ns.into(), options, service)
    }

    #[test]
    fn names_and_uris_round_trip_in_both_forms() {
        let a = point("serviceA", Mount::new());
        assert_eq!(
            a.expose_name("process_a", true).unwrap(),
            "serviceA_process_a"
        );
        assert_eq!(
            a.child_name("serviceA_process_a", true).as_deref(),
            Some("process_a")
        );
        assert_eq!(a.expose_uri("a://config"), "a://serviceA/config");
        assert_eq!(
            a.child_uri("a://serviceA/config").as_deref(),
            Some("a://config")
        );
        let b = point(
            "serviceB",
            Mount::new().tool_separator("-").resource_separator(":"),
        );
        assert_eq!(
            b.expose_name("process_b", true).unwrap(),
            "serviceB-process_b"
        );
        assert_eq!(b.expose_uri("b://status"), "serviceB:b://status");
        assert_eq!(
            b.child_uri("serviceB:b://status").as_deref(),
            Some("b://status")
        );
        assert_eq!(b.child_uri("serviceA:b://status"), None);
    }

    #[test]
    fn routes_by_the_longest_namespace() {
        let mut mounts = Mounts::default();
        mounts.add(point("a", Mount::new()));
        mounts.add(point("a_b", Mount::new()));
        let (p, name) = mounts.route_name("a_b_tool", true).unwrap();
        assert_eq!((p.namespace.as_str(), name.as_str()), ("a_b", "tool"));
        let (p, name) = mounts.route_name("a_tool", true).unwrap();
        assert_eq!((p.namespace.as_str(), name.as_str()), ("a", "tool"));
        assert!(mounts.route_name("c_tool", true).is_none());
        assert!(mounts.route_name("a_", true).is_none());
    }

    #[test]
    fn long_names_are_refused_or_shortened_and_routed_back() {
        let long = "x".repeat(70);
        let strict = point("ns", Mount::new().max_name_len(64));
        let e = strict.expose_name(&long, true).unwrap_err();
        assert!(e.message().contains("over the limit of 64"));
        let mut mounts = Mounts::default();
        mounts.add(point("ns", Mount::new().max_name_len(64).shorten_names()));
        let short = mounts.points[0].expose_name(&long, true).unwrap();
        assert_eq!(short.len(), 64);
        assert_eq!(short, mounts.points[0].expose_name(&long, true).unwrap());
        let (_, original) = mounts.route_name(&short, true).unwrap();
        assert_eq!(original, long);
    }

    #[test]
    #[should_panic(expected = "already mounted")]
    fn a_namespace_mounts_once() {
        let mut mounts = Mounts::default();
        mounts.add(point("a", Mount::new()));
        mounts.add(point("a", Mount::new()));
    }
}
