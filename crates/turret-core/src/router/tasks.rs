//! The tasks extension (`tasks/*` from 2025-11-25) across mounts. A child's task ids are
//! namespaced on the way out as its tool names are (`{namespace}{separator}{id}`), so
//! `tasks/get`, `tasks/result` and `tasks/cancel` reach the child that owns the task, and
//! `tasks/list` merges every child's tasks. Task results stay raw JSON: Turret relays them
//! and does not run tasks itself.

use std::sync::Arc;

use serde_json::{Map, Value};
use turret_types::{ClientRequest, CustomMessage, ServerCapabilities, ServerResult};

use super::mount::{MountPoint, Mounts};

/// `tasks/list`: every child's tasks.
pub(crate) const LIST: &str = "tasks/list";

/// Where a `tasks/result` payload names its task.
const RELATED_TASK: &str = "io.modelcontextprotocol/related-task";

/// The 2026-07-28 extension key; the handshake era declares `capabilities.tasks`.
const EXTENSION: &str = "io.modelcontextprotocol/tasks";

/// Whether `method` addresses one task by `params.taskId`.
pub(crate) fn addresses_a_task(method: &str) -> bool {
    matches!(method, "tasks/get" | "tasks/result" | "tasks/cancel")
}

impl MountPoint {
    fn expose_task_id(&self, id: &mut String) {
        *id = format!("{}{}{id}", self.namespace, self.options.separator);
    }

    /// Rewrites the task ids a child's result carries to their exposed form.
    pub(crate) fn expose_task_ids(&self, result: &mut ServerResult) {
        if let ServerResult::Other(result) = result {
            self.expose_task_ids_in(result);
        }
    }

    /// The same on raw JSON: a `CreateTaskResult`'s `task`, a task itself (`tasks/get`,
    /// `tasks/cancel`, an entry of `tasks/list`), a `tasks/list` page, and the related task
    /// in a `tasks/result` payload's `_meta`.
    pub(crate) fn expose_task_ids_in(&self, result: &mut Value) {
        let expose = |holder: Option<&mut Value>| {
            if let Some(Value::String(id)) = holder.and_then(|h| h.get_mut("taskId")) {
                self.expose_task_id(id);
            }
        };
        expose(result.get_mut("task"));
        expose(Some(&mut *result));
        expose(
            result
                .get_mut("_meta")
                .and_then(|m| m.get_mut(RELATED_TASK)),
        );
        if let Some(Value::Array(tasks)) = result.get_mut("tasks") {
            tasks.iter_mut().for_each(|t| expose(Some(t)));
        }
    }
}

impl Mounts {
    /// The mount and the child's own id of an exposed task id: the namespace lookup tool
    /// names use (longest namespace first, a few hash lookups whatever the number of mounts).
    pub(crate) fn route_task(&self, exposed: &str) -> Option<(Arc<MountPoint>, String)> {
        self.candidates(exposed).find_map(|p| {
            let id = exposed[p.namespace.len()..].strip_prefix(p.options.separator.as_str())?;
            Some((p.clone(), id.to_owned()))
        })
    }
}

/// Rewrites `params.taskId` of a `tasks/get|result|cancel` request to the child's id and
/// returns the child, or `None` when no mount owns the id.
pub(crate) fn route(mounts: &Mounts, message: &mut CustomMessage) -> Option<Arc<MountPoint>> {
    let id = message.params.as_mut()?.get_mut("taskId")?;
    let (point, child_id) = mounts.route_task(id.as_str()?)?;
    *id = Value::String(child_id);
    Some(point)
}

/// A `tasks/list` request for a child, with `params` (its cursor) as given.
pub(crate) fn list_request(params: turret_types::PaginatedRequestParams) -> ClientRequest {
    ClientRequest::Other(CustomMessage {
        method: LIST.to_owned(),
        params: serde_json::to_value(params).ok(),
    })
}

/// One `tasks/list` page of a child: its tasks and next cursor.
pub(crate) fn list_page(result: ServerResult) -> Option<super::mounted::Page<Value>> {
    let ServerResult::Other(Value::Object(mut page)) = result else {
        return None;
    };
    let tasks = match page.remove("tasks") {
        Some(Value::Array(tasks)) => tasks,
        _ => return None,
    };
    let next = page
        .remove("nextCursor")
        .and_then(|c| c.as_str().map(str::to_owned));
    Some((tasks, next))
}

/// The merged `tasks/list` result.
pub(crate) fn list_result(tasks: Vec<Value>) -> ServerResult {
    let mut result = Map::new();
    result.insert("tasks".into(), Value::Array(tasks));
    ServerResult::Other(Value::Object(result))
}

/// Adds to `capabilities` the tasks support a child declared, so clients send
/// task-augmented requests through the router: the union of every child's declaration
/// (a mounted child's own tool names are all behind the router).
pub(crate) fn merge_capabilities(into: &mut ServerCapabilities, child: &ServerCapabilities) {
    if let Some(tasks) = child.extra.get("tasks") {
        merge(into.extra.entry("tasks").or_insert(Value::Null), tasks);
    }
    if let Some(ext) = child.extensions.as_ref().and_then(|e| e.get(EXTENSION)) {
        let into = into.extensions.get_or_insert_with(Default::default);
        merge(into.entry(EXTENSION).or_insert(Value::Null), ext);
    }
}

/// A deep union of two JSON capability objects (`{}` means "supported").
fn merge(into: &mut Value, from: &Value) {
    match (into, from) {
        (Value::Object(into), Value::Object(from)) => {
            for (k, v) in from {
                merge(into.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (into @ Value::Null, from) => *into = from.clone(),
        _ => {}
    }
}
