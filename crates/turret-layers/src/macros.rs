//! Boilerplate the middleware services share. Each macro expands inside the middleware's own
//! module, so the public `Layer`, `Service` and `ResponseFuture` types stay where they were.

/// `get_ref`, `get_mut` and `into_inner` for a service `$service<S>` that wraps its inner
/// service in a field `inner: S`.
macro_rules! inner_accessors {
    ($service:ident) => {
        impl<S> $service<S> {
            /// The inner service.
            pub fn get_ref(&self) -> &S {
                &self.inner
            }

            /// The inner service, mutably.
            pub fn get_mut(&mut self) -> &mut S {
                &mut self.inner
            }

            /// Consumes the layer, returning the inner service.
            pub fn into_inner(self) -> S {
                self.inner
            }
        }
    };
}

/// A public `ResponseFuture` that boxes any `Send + 'static` future of
/// `Result<ServerResult, BoxError>`, made with a private `ResponseFuture::new`. The
/// attributes given (its doc comment) are put on the struct.
macro_rules! boxed_response_future {
    ($(#[$attr:meta])*) => {
        $(#[$attr])*
        pub struct ResponseFuture {
            inner: ::futures_util::future::BoxFuture<
                'static,
                Result<::turret_core::types::ServerResult, ::turret_core::BoxError>,
            >,
        }

        impl ResponseFuture {
            fn new(
                f: impl ::std::future::Future<
                        Output = Result<::turret_core::types::ServerResult, ::turret_core::BoxError>,
                    > + Send
                    + 'static,
            ) -> Self {
                Self { inner: Box::pin(f) }
            }
        }

        impl ::std::fmt::Debug for ResponseFuture {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct("ResponseFuture").finish_non_exhaustive()
            }
        }

        impl ::std::future::Future for ResponseFuture {
            type Output = Result<::turret_core::types::ServerResult, ::turret_core::BoxError>;

            fn poll(
                mut self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<Self::Output> {
                self.inner.as_mut().poll(cx)
            }
        }
    };
}

/// `impl Service<Request> for $service<S>` over an inner `S: Service<Request, Response =
/// ServerResult>` whose error is `Into<BoxError>`: answers `ServerResult` or `BoxError`, is
/// ready when the inner service is, and calls with the given `fn call`. The `where { .. }`
/// braces hold any further bounds on `S`.
macro_rules! mcp_service {
    (
        impl Service<Request> for $service:ident<S>
        where { $($bounds:tt)* }
        type Future = $future:ty;

        fn call(&mut $self:ident, $($arg:tt)+) -> Self::Future $body:block
    ) => {
        impl<S> ::tower_service::Service<::turret_core::Request> for $service<S>
        where
            S: ::tower_service::Service<
                ::turret_core::Request,
                Response = ::turret_core::types::ServerResult,
            >,
            S::Error: Into<::turret_core::BoxError>,
            $($bounds)*
        {
            type Response = ::turret_core::types::ServerResult;
            type Error = ::turret_core::BoxError;
            type Future = $future;

            fn poll_ready(
                &mut self,
                cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<Result<(), Self::Error>> {
                self.inner.poll_ready(cx).map_err(Into::into)
            }

            fn call(&mut $self, $($arg)+) -> Self::Future $body
        }
    };
}
