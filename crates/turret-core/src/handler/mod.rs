//! Handlers: async fns whose arguments are extractors and whose return values convert into
//! results, the axum way.

use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use turret_types::JsonObject;

pub mod extract;
pub mod into_result;

pub use extract::{Args, CallParts, Extension, FromCall, Rejection, State};

/// An async fn usable as a tool, resource or prompt handler.
///
/// Implemented for fns of up to eight arguments, each of which implements [`FromCall`]. `T`
/// is the tuple of argument types; it only lets the compiler tell the impls apart.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a Turret handler",
    note = "a handler is an `async fn` whose arguments all implement `FromCall` (such as `Args<T>`, `Context`, `State<T>`) and whose future is `Send`"
)]
pub trait Handler<T, S>: Clone + Send + Sync + Sized + 'static {
    /// What the handler returns.
    type Output;

    /// Runs the handler: extracts every argument, then awaits the fn.
    fn call(
        self,
        parts: CallParts,
        state: S,
    ) -> BoxFuture<'static, Result<Self::Output, Rejection>>;

    /// The input schema: that of the first argument that reads the arguments, or an empty
    /// object schema.
    fn input_schema(&self) -> Arc<JsonObject>;
}

/// `{"type": "object"}`: the schema of a handler that takes no arguments.
pub fn empty_object_schema() -> Arc<JsonObject> {
    let mut o = JsonObject::new();
    o.insert("type".into(), "object".into());
    Arc::new(o)
}

macro_rules! impl_handler {
    ($($ty:ident),*) => {
        #[allow(non_snake_case, unused_mut, unused_variables)]
        impl<F, Fut, R, S, $($ty,)*> Handler<($($ty,)*), S> for F
        where
            F: FnOnce($($ty),*) -> Fut + Clone + Send + Sync + 'static,
            Fut: Future<Output = R> + Send + 'static,
            R: Send + 'static,
            S: Send + Sync + 'static,
            $($ty: FromCall<S> + Send + 'static,)*
        {
            type Output = R;

            fn call(self, mut parts: CallParts, state: S) -> BoxFuture<'static, Result<R, Rejection>> {
                Box::pin(async move {
                    $(let $ty = $ty::from_call(&mut parts, &state)?;)*
                    Ok(self($($ty),*).await)
                })
            }

            fn input_schema(&self) -> Arc<JsonObject> {
                None$(.or_else($ty::input_schema))*.unwrap_or_else(empty_object_schema)
            }
        }
    };
}

impl_handler!();
impl_handler!(T1);
impl_handler!(T1, T2);
impl_handler!(T1, T2, T3);
impl_handler!(T1, T2, T3, T4);
impl_handler!(T1, T2, T3, T4, T5);
impl_handler!(T1, T2, T3, T4, T5, T6);
impl_handler!(T1, T2, T3, T4, T5, T6, T7);
impl_handler!(T1, T2, T3, T4, T5, T6, T7, T8);
