//! The expansion: a unit type named after the fn, the fn kept callable as its `call`, and a
//! `Route` impl that registers the fn with the plain builder.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, ToTokens as _};
use syn::{Ident, ItemFn, LitStr};

use crate::docs;
use crate::options::{Kind, Options};
use crate::params::{self, Errors, Param, Role};
use crate::template;

/// Expands `#[tool]`, `#[resource]` or `#[prompt]` on `item`.
pub(crate) fn expand(kind: Kind, attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let mut func: ItemFn = syn::parse2(item)?;
    let mut errors = Errors::default();
    let options = Options::parse(kind, attr).map_err(|e| errors.push(e)).ok();
    let params = params::analyze(kind, &mut func)
        .map_err(|e| errors.push(e))
        .ok();
    let (Some(options), Some(params)) = (options, params) else {
        return errors.finish(TokenStream::new());
    };
    let is_template = match &options.uri {
        Some(uri) => bind_template(uri, &params)?,
        None => false,
    };
    Ok(generate(kind, &options, &params, func, is_template))
}

/// The error, plus the fn as written (without the attributes only the macro understands) so
/// that one mistake does not cascade into "cannot find" errors wherever the fn is used.
pub(crate) fn fallback(error: syn::Error, item: TokenStream) -> TokenStream {
    let mut out = error.into_compile_error();
    if let Ok(mut func) = syn::parse2::<ItemFn>(item) {
        for input in &mut func.sig.inputs {
            if let syn::FnArg::Typed(typed) = input {
                typed
                    .attrs
                    .retain(|a| !docs::is_doc(a) && !a.path().is_ident("arg"));
            }
        }
        out.extend(func.into_token_stream());
    }
    out
}

/// Checks that the template's variables and the fn's arguments are the same names; returns
/// whether the URI is a template.
fn bind_template(uri: &LitStr, params: &[Param]) -> syn::Result<bool> {
    let variables = template::variables(&uri.value())
        .map_err(|e| syn::Error::new(uri.span(), format!("invalid URI template: {e}")))?;
    let mut errors = Errors::default();
    let arguments: Vec<&Param> = params
        .iter()
        .filter(|p| matches!(p.role, Role::Argument { .. }))
        .collect();
    for variable in &variables {
        if !arguments.iter().any(|p| p.ident == variable) {
            errors.push(syn::Error::new(
                uri.span(),
                format!("the URI template variable `{variable}` has no parameter: add `{variable}: String` (or another type) to the fn"),
            ));
        }
    }
    for p in arguments {
        if !variables.iter().any(|v| p.ident == v) {
            let message = if variables.is_empty() {
                format!("`{}` is not a variable of the URI: a resource reads its parameters from its URI template, such as `\"{}/{{{}}}\"`", p.ident, uri.value().trim_end_matches('/'), p.ident)
            } else {
                format!(
                    "`{}` is not a variable of the URI template (its variables: {})",
                    p.ident,
                    variables.join(", ")
                )
            };
            errors.push(syn::Error::new(p.ident.span(), message));
        }
    }
    errors.finish(!variables.is_empty())
}

fn generate(
    kind: Kind,
    options: &Options,
    params: &[Param],
    func: ItemFn,
    is_template: bool,
) -> TokenStream {
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = func;
    let ident = &sig.ident;
    let fn_name = ident.to_string().trim_start_matches("r#").to_owned();
    let (doc_attrs, other_attrs): (Vec<_>, Vec<_>) = attrs.into_iter().partition(docs::is_doc);
    let description = options
        .description
        .clone()
        .or_else(|| docs::text(&doc_attrs).map(|text| LitStr::new(&text, Span::call_site())));

    let (arguments_struct, handler_arguments) = arguments(kind, params, &fn_name);
    let extractors: Vec<_> = params
        .iter()
        .filter(|p| matches!(p.role, Role::Extractor))
        .map(|p| (&p.ident, &p.ty))
        .collect();
    let extractor_params = extractors.iter().map(|(i, t)| quote!(#i: #t));
    let extractor_bounds = extractors.iter().map(|(_, t)| t);
    let call_arguments = params.iter().map(|p| &p.ident);
    let output = &sig.output;
    let awaited = sig.asyncness.map(|_| quote!(.await));

    let key = match &options.uri {
        Some(uri) => uri.clone(),
        None => options
            .name
            .clone()
            .unwrap_or_else(|| LitStr::new(&fn_name, ident.span())),
    };
    let (method, builder) = match kind {
        Kind::Tool => (quote!(tool), quote!(tool_fn)),
        Kind::Resource if is_template => (quote!(resource_template), quote!(resource_fn)),
        Kind::Resource => (quote!(resource), quote!(resource_fn)),
        Kind::Prompt => (quote!(prompt), quote!(prompt_fn)),
    };
    let setters = setters(kind, options, description.as_ref(), &fn_name);
    // The fn keeps its signature and body, renamed `call`: the fn's name now names the type.
    let mut call = sig.clone();
    call.ident = Ident::new("call", ident.span());
    let call_doc =
        format!("`{fn_name}` as written, to call it directly (in tests, from other code).");

    quote! {
        #(#doc_attrs)*
        #[allow(non_camel_case_types)]
        #[derive(Debug, Clone, Copy)]
        #vis struct #ident;

        impl #ident {
            #[doc = #call_doc]
            #(#other_attrs)*
            #vis #call #block
        }

        impl<S> ::turret::router::Route<S> for #ident
        where
            S: ::core::clone::Clone + ::core::marker::Send + ::core::marker::Sync + 'static,
            #(#extractor_bounds: ::turret::FromCall<S>,)*
        {
            fn register(self, router: ::turret::Router<S>) -> ::turret::Router<S> {
                #arguments_struct
                async fn handler(#handler_arguments #(#extractor_params),*) #output {
                    #ident::call(#(#call_arguments),*) #awaited
                }
                router.#method(#key, ::turret::#builder(handler) #setters)
            }
        }
    }
}

/// The struct the call's arguments deserialize into (schema included), and the handler's
/// `Args` parameter destructuring it. Nothing when the fn takes no arguments.
fn arguments(kind: Kind, params: &[Param], fn_name: &str) -> (TokenStream, TokenStream) {
    let mut fields = Vec::new();
    let mut defaults = Vec::new();
    let mut names = Vec::new();
    for p in params {
        let Role::Argument { docs, default } = &p.role else {
            continue;
        };
        let (ident, ty) = (&p.ident, &p.ty);
        let mut attrs = Vec::new();
        // Prompt arguments and template variables arrive as strings.
        if kind != Kind::Tool {
            attrs.push(
                quote!(#[serde(deserialize_with = "::turret::macro_support::from_string_or_json")]),
            );
            if default.is_none() && params::option_inner(ty).is_some() {
                attrs.push(quote!(#[serde(default)]));
            }
        }
        if let Some(expr) = default {
            let default_fn = format_ident!("__default_{}", ident);
            let path = LitStr::new(&default_fn.to_string(), Span::call_site());
            attrs.push(quote!(#[serde(default = #path)]));
            defaults.push(quote!(fn #default_fn() -> #ty { #expr }));
        }
        fields.push(quote!(#(#docs)* #(#attrs)* #ident: #ty));
        names.push(ident);
    }
    if fields.is_empty() {
        return (TokenStream::new(), TokenStream::new());
    }
    let title = camel_case(fn_name);
    let structure = quote! {
        #(#defaults)*
        #[derive(::turret::macro_support::serde::Deserialize, ::turret::macro_support::schemars::JsonSchema)]
        #[serde(crate = "::turret::macro_support::serde")]
        #[schemars(crate = "::turret::macro_support::schemars", rename = #title)]
        struct __TurretArguments { #(#fields),* }
    };
    let parameter = quote! {
        ::turret::Args(__TurretArguments { #(#names),* }): ::turret::Args<__TurretArguments>,
    };
    (structure, parameter)
}

/// The builder methods the options and the doc comment call for.
fn setters(
    kind: Kind,
    options: &Options,
    description: Option<&LitStr>,
    fn_name: &str,
) -> TokenStream {
    let mut setters = TokenStream::new();
    if kind == Kind::Resource {
        let name = options
            .name
            .clone()
            .unwrap_or_else(|| LitStr::new(fn_name, Span::call_site()));
        setters.extend(quote!(.name(#name)));
    }
    for (method, value) in [
        ("description", description),
        ("title", options.title.as_ref()),
        ("mime_type", options.mime_type.as_ref()),
    ] {
        if let Some(value) = value {
            let method = Ident::new(method, Span::call_site());
            setters.extend(quote!(.#method(#value)));
        }
    }
    if !options.tags.is_empty() {
        let tags = &options.tags;
        setters.extend(quote!(.tags([#(#tags),*])));
    }
    if !options.hints.is_empty() {
        let hints = options
            .hints
            .iter()
            .map(|(field, value)| quote!(a.#field = Some(#value);));
        setters.extend(quote!(.annotations({
            let mut a = ::turret::types::ToolAnnotations::default();
            #(#hints)*
            a
        })));
    }
    setters
}

/// `process_a` → `ProcessA`: the schema's title, as a hand-written argument struct would be
/// named.
fn camel_case(name: &str) -> String {
    name.split('_')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase())
                .into_iter()
                .chain(chars)
                .collect::<String>()
        })
        .collect()
}
