//! Attribute macros for Turret: `#[tool]`, `#[resource]` and `#[prompt]` turn an annotated fn
//! into a tool, resource or prompt, as FastMCP's decorators do, by expanding to the plain
//! builder (`tool_fn`, `resource_fn`, `prompt_fn`).
//!
//! Use them through the umbrella crate (`turret::tool`…): the expansion names `::turret`.
//!
//! ```
//! use turret::{prompt, resource, tool, Router};
//!
//! /// Adds two numbers.
//! #[tool(read_only)]
//! async fn add(
//!     /// The first addend.
//!     a: f64,
//!     /// The second addend.
//!     #[arg(default = 1.0)]
//!     b: f64,
//! ) -> String {
//!     (a + b).to_string()
//! }
//!
//! /// A user's profile.
//! #[resource("users://{id}/profile", mime_type = "application/json")]
//! async fn profile(id: u32) -> String {
//!     format!(r#"{{"id":{id}}}"#)
//! }
//!
//! /// Asks for a summary.
//! #[prompt]
//! fn summarize(text: String) -> String {
//!     format!("Summarize: {text}")
//! }
//!
//! let router = Router::new().register(add).register(profile).register(summarize);
//! # let _ = router;
//! # let _ = add::call(1.0, 2.0);
//! ```
//!
//! # What the macros read
//!
//! * **Name**: the fn's name, or `name = "…"`. A resource is keyed by its URI and named
//!   after the fn.
//! * **Description**: the fn's doc comment, or `description = "…"`.
//! * **Parameters** become the arguments: each one a property of the input schema (derived by
//!   `schemars`, exactly as for a hand-written `Args<T>` struct with the same fields), its doc
//!   comment (or `#[arg(description = "…")]`) the property's description; `Option<T>` is
//!   optional; `#[arg(default = <expr>)]` supplies a default and makes it optional.
//! * **Extractors** (`Context`, `State<T>`, `Extension<T>`, `RequestContext`, `Args<T>`, and
//!   any parameter marked `#[arg(extractor)]`) are passed through and stay out of the schema.
//! * **Return type**: anything the builder accepts; `Json<T>` gives a tool an output schema.
//! * **Options**: `title = "…"` and `tags("a", "b")` on all three; `read_only`,
//!   `destructive`, `idempotent`, `open_world` (each optionally `= false`) as tool annotation
//!   hints; `mime_type = "…"` on resources.
//! * **Resource templates**: every `{variable}` of the URI must be a parameter of the same
//!   name, and every parameter a variable. Template variables and prompt arguments arrive as
//!   strings; a parameter of another type (`u32`, `bool`…) is parsed from the string.
//!
//! # What the macros generate
//!
//! The fn's name becomes a unit type implementing `turret::router::Route`, registered with
//! `Router::register`; the fn itself stays callable as `name::call(…)`. No global registry:
//! a router holds exactly what is registered on it. The builder form stays available and
//! is what the expansion calls. (Being a unit type, the name is also a pattern: a `let` of the
//! same name in that module would match against the type, as rustc points out; name such
//! variables differently.)
//!
//! ```
//! # use turret::{tool, Router};
//! # /// Adds two numbers.
//! # #[tool] async fn add(a: f64, b: f64) -> String { (a + b).to_string() }
//! // `Router::new().register(add)` is `Router::new().tool("add", tool_fn(handler)
//! //     .description("Adds two numbers"))`, where `handler` takes `Args<Add>` with
//! // `struct Add { a: f64, b: f64 }` deriving `Deserialize` and `JsonSchema`.
//! let router = Router::new().register(add);
//! # let _ = router;
//! ```
//!
//! Mistakes are compile errors at the offending tokens: a template variable without a
//! parameter, a borrowed parameter (`&str`), `impl Trait` parameters, generic fns, `self`,
//! unknown options.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

use proc_macro::TokenStream;

mod docs;
mod expand;
mod options;
mod params;
mod template;

use options::Kind;

/// Makes a fn a tool; register it with `Router::register`. See the [crate docs](crate).
#[proc_macro_attribute]
pub fn tool(attr: TokenStream, item: TokenStream) -> TokenStream {
    run(Kind::Tool, attr, item)
}

/// Makes a fn a resource (or resource template) at the URI given first; register it with
/// `Router::register`. See the [crate docs](crate).
#[proc_macro_attribute]
pub fn resource(attr: TokenStream, item: TokenStream) -> TokenStream {
    run(Kind::Resource, attr, item)
}

/// Makes a fn a prompt; register it with `Router::register`. See the [crate docs](crate).
#[proc_macro_attribute]
pub fn prompt(attr: TokenStream, item: TokenStream) -> TokenStream {
    run(Kind::Prompt, attr, item)
}

fn run(kind: Kind, attr: TokenStream, item: TokenStream) -> TokenStream {
    let item = proc_macro2::TokenStream::from(item);
    expand::expand(kind, attr.into(), item.clone())
        .unwrap_or_else(|e| expand::fallback(e, item))
        .into()
}
