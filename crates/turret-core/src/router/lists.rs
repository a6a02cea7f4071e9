//! The four `*/list` methods: this router's own items first, then every mounted child's
//! (renamed), one page at a time.

use std::sync::Arc;

use http::Extensions;
use turret_types::{
    ClientRequest, ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult,
    ListToolsResult, PaginatedRequestParams, Prompt, Resource, ResourceTemplate, ServerResult,
    Tool,
};

use super::mount::MountPoint;
use super::mounted::Page;
use super::{paginate, Registry, Router};
use crate::error::McpError;

/// What differs between the four lists.
pub(crate) trait ListKind<S> {
    /// One listed item.
    type Item: Clone;
    /// The request that lists them (sent to children).
    fn request(params: PaginatedRequestParams) -> ClientRequest;
    /// This router's own items.
    fn own(registry: &Registry<S>) -> Vec<&Self::Item>;
    /// The items and next cursor of a child's answer.
    fn take(result: ServerResult) -> Option<Page<Self::Item>>;
    /// A child's item as the client sees it.
    fn expose(point: &MountPoint, item: Self::Item) -> Result<Self::Item, McpError>;
    /// The result holding one page.
    fn result(items: Vec<Self::Item>, next_cursor: Option<String>) -> ServerResult;
}

pub(crate) struct Tools;
pub(crate) struct Resources;
pub(crate) struct Templates;
pub(crate) struct Prompts;

impl<S> ListKind<S> for Tools {
    type Item = Tool;
    fn request(params: PaginatedRequestParams) -> ClientRequest {
        ClientRequest::ListTools(params)
    }
    fn own(registry: &Registry<S>) -> Vec<&Tool> {
        registry.tools.entries.iter().map(|e| &e.def).collect()
    }
    fn take(result: ServerResult) -> Option<Page<Tool>> {
        match result {
            ServerResult::ListTools(l) => Some((l.tools, l.next_cursor)),
            _ => None,
        }
    }
    fn expose(point: &MountPoint, mut tool: Tool) -> Result<Tool, McpError> {
        tool.name = point.expose_name(&tool.name, true)?;
        Ok(tool)
    }
    fn result(tools: Vec<Tool>, next_cursor: Option<String>) -> ServerResult {
        ServerResult::ListTools(ListToolsResult {
            tools,
            next_cursor,
            ..Default::default()
        })
    }
}

impl<S> ListKind<S> for Resources {
    type Item = Resource;
    fn request(params: PaginatedRequestParams) -> ClientRequest {
        ClientRequest::ListResources(params)
    }
    fn own(registry: &Registry<S>) -> Vec<&Resource> {
        registry.resources.entries.iter().map(|e| &e.def).collect()
    }
    fn take(result: ServerResult) -> Option<Page<Resource>> {
        match result {
            ServerResult::ListResources(l) => Some((l.resources, l.next_cursor)),
            _ => None,
        }
    }
    fn expose(point: &MountPoint, mut resource: Resource) -> Result<Resource, McpError> {
        resource.uri = point.expose_uri(&resource.uri);
        Ok(resource)
    }
    fn result(resources: Vec<Resource>, next_cursor: Option<String>) -> ServerResult {
        ServerResult::ListResources(ListResourcesResult {
            resources,
            next_cursor,
            ..Default::default()
        })
    }
}

impl<S> ListKind<S> for Templates {
    type Item = ResourceTemplate;
    fn request(params: PaginatedRequestParams) -> ClientRequest {
        ClientRequest::ListResourceTemplates(params)
    }
    fn own(registry: &Registry<S>) -> Vec<&ResourceTemplate> {
        registry.templates.iter().map(|(_, e)| &e.def).collect()
    }
    fn take(result: ServerResult) -> Option<Page<ResourceTemplate>> {
        match result {
            ServerResult::ListResourceTemplates(l) => Some((l.resource_templates, l.next_cursor)),
            _ => None,
        }
    }
    fn expose(
        point: &MountPoint,
        mut template: ResourceTemplate,
    ) -> Result<ResourceTemplate, McpError> {
        template.uri_template = point.expose_uri(&template.uri_template);
        Ok(template)
    }
    fn result(
        resource_templates: Vec<ResourceTemplate>,
        next_cursor: Option<String>,
    ) -> ServerResult {
        ServerResult::ListResourceTemplates(ListResourceTemplatesResult {
            resource_templates,
            next_cursor,
            ..Default::default()
        })
    }
}

impl<S> ListKind<S> for Prompts {
    type Item = Prompt;
    fn request(params: PaginatedRequestParams) -> ClientRequest {
        ClientRequest::ListPrompts(params)
    }
    fn own(registry: &Registry<S>) -> Vec<&Prompt> {
        registry.prompts.entries.iter().map(|e| &e.def).collect()
    }
    fn take(result: ServerResult) -> Option<Page<Prompt>> {
        match result {
            ServerResult::ListPrompts(l) => Some((l.prompts, l.next_cursor)),
            _ => None,
        }
    }
    fn expose(point: &MountPoint, mut prompt: Prompt) -> Result<Prompt, McpError> {
        prompt.name = point.expose_name(&prompt.name, false)?;
        Ok(prompt)
    }
    fn result(prompts: Vec<Prompt>, next_cursor: Option<String>) -> ServerResult {
        ServerResult::ListPrompts(ListPromptsResult {
            prompts,
            next_cursor,
            ..Default::default()
        })
    }
}

impl<S: Clone + Send + Sync + 'static> Router<S> {
    /// One page of the list `K`. Without mounts only the page is cloned; with mounts the
    /// children's lists are gathered concurrently and the cursor is an offset into the merge.
    pub(crate) async fn list<K: ListKind<S>>(
        &self,
        registry: &Registry<S>,
        points: &[Arc<MountPoint>],
        extensions: &Extensions,
        cursor: Option<&str>,
    ) -> Result<ServerResult, McpError> {
        let own = K::own(registry);
        let (items, next) = if points.is_empty() {
            let (page, next) = paginate::page(&own, cursor, registry.page_size)?;
            (page.into_iter().cloned().collect(), next)
        } else {
            self.link_mounts(points).await;
            let mut all: Vec<K::Item> = own.into_iter().cloned().collect();
            for (point, items) in self.gather(points, extensions, K::request, K::take).await {
                for item in items {
                    all.push(K::expose(&point, item)?);
                }
            }
            paginate::page(&all, cursor, registry.page_size)?
        };
        Ok(K::result(items, next))
    }
}
