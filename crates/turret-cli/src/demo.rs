//! The built-in demo `turret serve` runs without a config: every composition pattern in one
//! `tools/list`, with nothing to install and no network.
//!
//! * local tools, a resource and a prompt on the gateway's own [`Router`];
//! * `weather_*`: a child router mounted under a namespace;
//! * `todos_*`: a server generated from an OpenAPI spec, whose tools call an axum app
//!   in-process (the FastAPI pattern).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State as AxumState};
use axum::http::StatusCode;
use axum::Json as AxumJson;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use turret_core::{prompt_fn, resource_fn, tool_fn, Args, Router};
use turret_openapi::{from_axum, Spec};

/// The demo server.
pub fn demo() -> Router {
    // The spec is a constant a unit test checks; a broken one only loses the todos.
    let todos = Spec::parse(TODO_SPEC)
        .and_then(|spec| from_axum(todo_app(), spec))
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "the demo's OpenAPI spec does not generate");
            Router::new()
        });
    Router::new()
        .name("turret-demo")
        .instructions(
            "A demo of Turret's patterns: local tools (add, echo), a mounted server \
             (weather_*), and an OpenAPI-generated server over an in-process app (todos_*).",
        )
        .tool("add", tool_fn(add).description("Adds two numbers"))
        .tool("echo", tool_fn(echo).description("Repeats the text back"))
        .resource(
            "demo://about",
            resource_fn(|| async { ABOUT.to_owned() })
                .name("about")
                .description("What this demo shows")
                .mime_type("text/markdown"),
        )
        .prompt(
            "tour",
            prompt_fn(|| async {
                "Give me a tour of this server: list its tools, then call one of each kind."
                    .to_owned()
            })
            .description("Asks the model for a tour of the demo"),
        )
        .mount("weather", weather())
        .mount("todos", todos)
}

const ABOUT: &str = "# turret demo\n\n\
Local tools (`add`, `echo`), a mounted child router (`weather_*`), and a server generated \
from an OpenAPI spec whose tools call an axum app in-process (`todos_*`). Serve your own \
backends with `turret serve gateway.toml`.\n";

#[derive(Deserialize, JsonSchema)]
struct AddArgs {
    /// The first addend.
    a: f64,
    /// The second addend.
    b: f64,
}

async fn add(Args(AddArgs { a, b }): Args<AddArgs>) -> String {
    (a + b).to_string()
}

#[derive(Deserialize, JsonSchema)]
struct EchoArgs {
    /// What to repeat.
    text: String,
}

async fn echo(Args(EchoArgs { text }): Args<EchoArgs>) -> String {
    text
}

// ---------------------------------------------------------------------------------------
// A mounted child: canned weather, so the demo needs no network.

#[derive(Deserialize, JsonSchema)]
struct CityArgs {
    /// A city: Paris, Tokyo or Lima.
    city: String,
}

const CITIES: [(&str, &str); 3] = [
    ("paris", "12°C, light rain"),
    ("tokyo", "18°C, clear"),
    ("lima", "21°C, overcast"),
];

fn weather() -> Router {
    Router::new()
        .name("weather")
        .tool(
            "forecast",
            tool_fn(|Args(CityArgs { city }): Args<CityArgs>| async move {
                let key = city.to_lowercase();
                match CITIES.iter().find(|(c, _)| *c == key) {
                    Some((_, forecast)) => Ok(format!("{city}: {forecast}")),
                    None => Err(format!("no forecast for {city}; try Paris, Tokyo or Lima")),
                }
            })
            .description("Tomorrow's forecast for a city"),
        )
        .resource(
            "weather://cities",
            resource_fn(|| async {
                CITIES
                    .iter()
                    .map(|(c, _)| *c)
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .name("cities")
            .description("The cities with a forecast"),
        )
        .prompt(
            "packing_list",
            prompt_fn(|Args(CityArgs { city }): Args<CityArgs>| async move {
                format!("Check the forecast for {city}, then write a packing list for the trip.")
            })
            .description("A packing list for a trip"),
        )
}

// ---------------------------------------------------------------------------------------
// An OpenAPI-described axum app, called in-process.

#[derive(Clone, Serialize, Deserialize)]
struct Todo {
    id: u64,
    title: String,
    done: bool,
}

#[derive(Deserialize)]
struct NewTodo {
    title: String,
}

type Todos = Arc<Mutex<BTreeMap<u64, Todo>>>;

fn todo_app() -> axum::Router {
    let todos: Todos = Arc::new(Mutex::new(BTreeMap::from([(
        1,
        Todo {
            id: 1,
            title: "Try turret".into(),
            done: true,
        },
    )])));
    axum::Router::new()
        .route("/todos", axum::routing::get(list_todos).post(create_todo))
        .route("/todos/{id}", axum::routing::get(get_todo))
        .with_state(todos)
}

fn lock(todos: &Todos) -> std::sync::MutexGuard<'_, BTreeMap<u64, Todo>> {
    todos.lock().unwrap_or_else(|e| e.into_inner())
}

async fn list_todos(AxumState(todos): AxumState<Todos>) -> AxumJson<Vec<Todo>> {
    AxumJson(lock(&todos).values().cloned().collect())
}

async fn get_todo(
    AxumState(todos): AxumState<Todos>,
    Path(id): Path<u64>,
) -> Result<AxumJson<Todo>, StatusCode> {
    lock(&todos)
        .get(&id)
        .cloned()
        .map(AxumJson)
        .ok_or(StatusCode::NOT_FOUND)
}

async fn create_todo(
    AxumState(todos): AxumState<Todos>,
    AxumJson(new): AxumJson<NewTodo>,
) -> (StatusCode, AxumJson<Todo>) {
    let mut todos = lock(&todos);
    let id = todos.keys().next_back().map_or(1, |last| last + 1);
    let todo = Todo {
        id,
        title: new.title,
        done: false,
    };
    todos.insert(id, todo.clone());
    (StatusCode::CREATED, AxumJson(todo))
}

pub(crate) const TODO_SPEC: &str = r##"{
  "openapi": "3.1.0",
  "info": {"title": "Todos", "version": "1.0.0"},
  "paths": {
    "/todos": {
      "get": {
        "operationId": "list_todos",
        "summary": "Every todo",
        "responses": {"200": {"description": "The todos", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Todo"}}}}}}
      },
      "post": {
        "operationId": "create_todo",
        "summary": "Adds a todo",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["title"], "properties": {"title": {"type": "string", "description": "What to do"}}}}}},
        "responses": {"201": {"description": "The new todo", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Todo"}}}}}
      }
    },
    "/todos/{id}": {
      "get": {
        "operationId": "get_todo",
        "summary": "One todo by id",
        "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "The todo", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Todo"}}}}, "404": {"description": "No such todo"}}
      }
    }
  },
  "components": {
    "schemas": {
      "Todo": {
        "type": "object",
        "required": ["id", "title", "done"],
        "properties": {"id": {"type": "integer"}, "title": {"type": "string"}, "done": {"type": "boolean"}}
      }
    }
  }
}"##;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_spec_generates_three_tools() {
        let spec = Spec::parse(TODO_SPEC).unwrap();
        let components = turret_openapi::OpenApi::new(spec).components().unwrap();
        let names: Vec<_> = components.tools.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["list_todos", "create_todo", "get_todo"]);
    }
}
