//! A handler fn's parameters: which are arguments (fields of the generated schema struct)
//! and which are extractors passed through, with compile errors for what cannot work.

use syn::visit::Visit;
use syn::{Attribute, Expr, FnArg, Ident, ItemFn, LitStr, Pat, Type};

use crate::docs;
use crate::options::Kind;

/// One parameter of the fn.
pub(crate) struct Param {
    pub(crate) ident: Ident,
    pub(crate) ty: Type,
    pub(crate) role: Role,
}

/// Where a parameter's value comes from.
pub(crate) enum Role {
    /// The call's arguments (a tool's arguments, a prompt's arguments, a template's
    /// variables): a field of the generated struct, documented by `docs`.
    Argument {
        docs: Vec<Attribute>,
        default: Option<Expr>,
    },
    /// An extractor (`Context`, `State<T>`, …) handed to the fn as the builder would.
    Extractor,
}

/// Extractors recognised by the last segment of their type's path (also inside `Option`).
/// Others are marked with `#[arg(extractor)]`.
const EXTRACTORS: [&str; 5] = ["Context", "State", "Extension", "RequestContext", "Args"];

/// Reads the parameters of `func` and strips their `#[arg]` and doc attributes (the fn is
/// kept as written otherwise). Every problem is reported, each at its parameter.
pub(crate) fn analyze(kind: Kind, func: &mut ItemFn) -> syn::Result<Vec<Param>> {
    let mut errors = Errors::default();
    if !func.sig.generics.params.is_empty() || func.sig.generics.where_clause.is_some() {
        errors.push(syn::Error::new_spanned(
            &func.sig.generics,
            format!(
                "{} fns cannot be generic: the schema is derived from concrete parameter types",
                kind.attribute()
            ),
        ));
    }
    let mut params = Vec::new();
    for (index, input) in func.sig.inputs.iter_mut().enumerate() {
        match input {
            FnArg::Receiver(receiver) => errors.push(syn::Error::new_spanned(
                receiver,
                format!("{} cannot take `self`: write a free fn", kind.attribute()),
            )),
            FnArg::Typed(typed) => match param(index, typed) {
                Ok(p) => params.push(p),
                Err(e) => errors.push(e),
            },
        }
    }
    let args = params
        .iter()
        .find(|p| matches!(p.role, Role::Extractor) && known_name(&p.ty) == Some("Args"));
    let arguments = params
        .iter()
        .find(|p| matches!(p.role, Role::Argument { .. }));
    if let (Some(args), Some(argument)) = (args, arguments) {
        errors.push(syn::Error::new_spanned(
            &args.ty,
            format!(
                "`Args<T>` cannot be combined with plain parameters such as `{}`: take either one `Args<T>` or only plain parameters",
                argument.ident
            ),
        ));
    }
    errors.finish(params)
}

fn param(index: usize, typed: &mut syn::PatType) -> syn::Result<Param> {
    let mut explicit_extractor = false;
    let mut description = None;
    let mut default = None;
    for attr in typed.attrs.iter().filter(|a| a.path().is_ident("arg")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("description") {
                description = Some(meta.value()?.parse::<LitStr>()?);
            } else if meta.path.is_ident("default") {
                default = Some(meta.value()?.parse::<Expr>()?);
            } else if meta.path.is_ident("extractor") {
                explicit_extractor = true;
            } else {
                return Err(meta.error(
                    "unknown `#[arg]` option; expected `description = \"…\"`, `default = <expr>` or `extractor`",
                ));
            }
            Ok(())
        })?;
    }
    let mut docs: Vec<Attribute> = typed
        .attrs
        .iter()
        .filter(|a| docs::is_doc(a))
        .cloned()
        .collect();
    if let Some(description) = description {
        docs = vec![syn::parse_quote!(#[doc = #description])];
    }
    typed
        .attrs
        .retain(|a| !docs::is_doc(a) && !a.path().is_ident("arg"));

    let ty = (*typed.ty).clone();
    check_type(&ty)?;
    if explicit_extractor || is_extractor(&ty) {
        // Any pattern works for an extractor (`State(db): State<Db>`): the handler passes
        // the value on under a name of its own and `call` destructures it as written.
        let ident = quote::format_ident!("__extractor{}", index);
        return Ok(Param {
            ident,
            ty,
            role: Role::Extractor,
        });
    }
    let ident = match &*typed.pat {
        Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => p.ident.clone(),
        other => {
            return Err(syn::Error::new_spanned(
                other,
                "use a plain parameter name: it becomes the argument's name in the schema",
            ))
        }
    };
    let role = Role::Argument { docs, default };
    Ok(Param { ident, ty, role })
}

/// `Option` or the extractor that `ty` names by its last path segment, if any.
pub(crate) fn known_name(ty: &Type) -> Option<&'static str> {
    let Type::Path(path) = ty else { return None };
    let segment = path.path.segments.last()?;
    ["Option"]
        .into_iter()
        .chain(EXTRACTORS)
        .find(|name| segment.ident == name)
}

/// The type inside `Option<…>`, if `ty` is one.
pub(crate) fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    let segment = path.path.segments.last()?;
    if segment.ident != "Option" {
        return None;
    }
    match &segment.arguments {
        syn::PathArguments::AngleBracketed(args) => match args.args.first()? {
            syn::GenericArgument::Type(inner) => Some(inner),
            _ => None,
        },
        _ => None,
    }
}

fn is_extractor(ty: &Type) -> bool {
    let ty = option_inner(ty).unwrap_or(ty);
    known_name(ty).is_some_and(|name| name != "Option")
}

/// Rejects types no call can produce: borrows (the arguments are deserialized from a JSON
/// value that does not outlive the call) and `impl Trait` (a schema needs a concrete type).
fn check_type(ty: &Type) -> syn::Result<()> {
    let mut check = TypeCheck(None);
    check.visit_type(ty);
    check.0.map_or(Ok(()), Err)
}

struct TypeCheck(Option<syn::Error>);

impl TypeCheck {
    fn report(&mut self, tokens: &dyn quote::ToTokens, message: &str) {
        self.0
            .get_or_insert_with(|| syn::Error::new_spanned(tokens, message));
    }
}

const BORROW: &str = "parameters cannot borrow: they are deserialized from the call's JSON arguments, which do not outlive the call; take an owned type (`String` for `&str`, `Vec<T>` for `&[T]`)";

impl<'ast> Visit<'ast> for TypeCheck {
    fn visit_type_reference(&mut self, r: &'ast syn::TypeReference) {
        self.report(r, BORROW);
    }

    fn visit_lifetime(&mut self, l: &'ast syn::Lifetime) {
        if l.ident != "static" {
            self.report(l, BORROW);
        }
    }

    fn visit_type_impl_trait(&mut self, t: &'ast syn::TypeImplTrait) {
        self.report(
            t,
            "`impl Trait` parameters are not supported: name a concrete type that implements `Deserialize` and `JsonSchema`",
        );
    }

    fn visit_type_infer(&mut self, t: &'ast syn::TypeInfer) {
        self.report(t, "name the parameter's type: `_` is not allowed here");
    }
}

/// Errors gathered so that one expansion reports them all.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub(crate) fn finish<T>(self, value: T) -> syn::Result<T> {
        self.0.map_or(Ok(value), Err)
    }
}
