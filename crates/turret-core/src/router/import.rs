//! Static import: a copy of another router's entries, taken at build time under a namespace
//! (FastMCP's `import_server`). Later changes to the other router do not show through;
//! calls go straight to the copied leaves, with no second lookup.

use std::sync::Arc;

use super::endpoint::{Endpoint, EndpointFuture, ResourceUri};
use super::mount::{Mount, Names};
use super::{Entry, Router};
use crate::uri_template::UriTemplate;

/// A leaf copied from another router: called with that router's state, its URIs mapped
/// back and forth.
struct Imported<S2> {
    inner: Arc<dyn Endpoint<S2>>,
    state: S2,
    names: Arc<Names>,
}

impl<S, S2: Send + Sync + 'static> Endpoint<S> for Imported<S2> {
    fn call(&self, mut req: crate::Request, _: &S) -> EndpointFuture {
        if let Some(uri) = req.extensions_mut().get_mut::<ResourceUri>() {
            if let Some(own) = self.names.child_uri(&uri.0) {
                uri.0 = own;
            }
        }
        let call = self.inner.call(req, &self.state);
        let names = self.names.clone();
        Box::pin(async move {
            let mut result = call.await?;
            names.expose_result(&mut result);
            Ok(result)
        })
    }
}

impl<S: Clone + Send + Sync + 'static> Router<S> {
    /// Copies `other`'s own tools, resources, templates and prompts into this router under
    /// `namespace`, named as [`mount_with`](Self::mount_with) would name them. Unlike a
    /// mount, the copy is taken now: later changes to `other` do not show through (and its
    /// own mounts are not copied: mount them instead).
    ///
    /// # Panics
    /// When a copied name is over the limit of `options` and shortening is off (a build-time
    /// error, with the name in the message).
    pub fn import<S2>(
        self,
        namespace: impl Into<String>,
        other: &Router<S2>,
        options: Mount,
    ) -> Self
    where
        S2: Clone + Send + Sync + 'static,
    {
        let names = Arc::new(Names::new(namespace.into(), options));
        let source = other.registry();
        let state = other.shared.state.clone();
        let imported = |endpoint: &Arc<dyn Endpoint<S2>>| -> Arc<dyn Endpoint<S>> {
            Arc::new(Imported {
                inner: endpoint.clone(),
                state: state.clone(),
                names: names.clone(),
            })
        };
        let name = |original: &str, renames: bool| {
            names
                .expose_name(original, renames)
                .unwrap_or_else(|e| panic!("cannot import {original:?}: {}", e.message()))
        };
        self.update(|r| {
            for e in &source.tools.entries {
                let mut def = e.def.clone();
                def.name = name(&def.name, true);
                r.tools.insert(
                    def.name.clone(),
                    Entry {
                        def,
                        endpoint: imported(&e.endpoint),
                    },
                );
            }
            for e in &source.resources.entries {
                let mut def = e.def.clone();
                def.uri = names.expose_uri(&def.uri);
                r.resources.insert(
                    def.uri.clone(),
                    Entry {
                        def,
                        endpoint: imported(&e.endpoint),
                    },
                );
            }
            for (_, e) in &source.templates {
                let mut def = e.def.clone();
                def.uri_template = names.expose_uri(&def.uri_template);
                let template = UriTemplate::parse(&def.uri_template).unwrap_or_else(|e| {
                    panic!("cannot import template {:?}: {e}", def.uri_template)
                });
                r.templates.push((
                    template,
                    Entry {
                        def,
                        endpoint: imported(&e.endpoint),
                    },
                ));
            }
            for e in &source.prompts.entries {
                let mut def = e.def.clone();
                def.name = name(&def.name, false);
                r.prompts.insert(
                    def.name.clone(),
                    Entry {
                        def,
                        endpoint: imported(&e.endpoint),
                    },
                );
            }
        });
        self
    }
}
