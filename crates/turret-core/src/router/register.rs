//! [`Route`]: a tool, resource or prompt that carries its own name and metadata, registered
//! with [`Router::register`]. What `#[tool]`, `#[resource]` and `#[prompt]` generate.

use super::Router;

/// A primitive that knows how to add itself to a router: its name (or URI), its metadata
/// and its handler, all in one value.
///
/// The attribute macros of `turret-macros` turn an annotated fn into a unit type of the same
/// name that implements this trait, so a server lists each primitive once:
/// `Router::new().register(process_a).register(config_a)`. The impls call the plain builder
/// ([`Router::tool`] and friends), so a `Route` behaves exactly like the builder form.
///
/// A tuple of routes is a route too: `Router::new().register((process_a, config_a))`.
///
/// Implement it by hand to bundle a set of primitives:
///
/// ```
/// use turret_core::router::Route;
/// use turret_core::{tool_fn, Router};
///
/// struct Greetings;
///
/// impl<S: Clone + Send + Sync + 'static> Route<S> for Greetings {
///     fn register(self, router: Router<S>) -> Router<S> {
///         router
///             .tool("hello", tool_fn(|| async { "hello" }))
///             .tool("bye", tool_fn(|| async { "bye" }))
///     }
/// }
///
/// let router = Router::new().register(Greetings);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be registered on a `Router<{S}>`",
    note = "`Router::register` takes what `#[tool]`, `#[resource]` or `#[prompt]` generate; a handler's `State<T>` must match the router's state"
)]
pub trait Route<S> {
    /// Adds this primitive to `router`.
    fn register(self, router: Router<S>) -> Router<S>;
}

/// Tuples register each element in order: `router.register((process_a, config_a))`.
macro_rules! tuple_routes {
    ($($name:ident),+) => {
        impl<S, $($name: Route<S>),+> Route<S> for ($($name,)+) {
            #[allow(non_snake_case)]
            fn register(self, router: Router<S>) -> Router<S> {
                let ($($name,)+) = self;
                $(let router = $name.register(router);)+
                router
            }
        }
    };
}

tuple_routes!(A, B);
tuple_routes!(A, B, C);
tuple_routes!(A, B, C, D);
tuple_routes!(A, B, C, D, E);
tuple_routes!(A, B, C, D, E, F);
tuple_routes!(A, B, C, D, E, F, G);
tuple_routes!(A, B, C, D, E, F, G, H);

impl<S> Router<S> {
    /// Adds a [`Route`]: a tool, resource or prompt made by `#[tool]`, `#[resource]` or
    /// `#[prompt]` (or anything else implementing the trait).
    pub fn register(self, route: impl Route<S>) -> Self {
        route.register(self)
    }
}
