//! Component names and descriptions: FastMCP's rules, or Turret's improved ones.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use crate::operation::Operation;

/// How names, titles and template URIs are made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Naming {
    /// FastMCP's rules, name for name: `operationId` up to `__`, else the summary, else
    /// `METHOD_path`; slugged (separators to `_`, other punctuation removed), cut at 56
    /// characters; template URIs list the path parameters sorted.
    #[default]
    Compatible,
    /// Turret's: the summary becomes the title; `/` and `{}` separate words instead of
    /// vanishing; long names keep 47 characters plus a short hash instead of being cut
    /// blindly (two long names that share a start stay distinct and stable); template URIs
    /// keep path order and add the query parameters (`{?q,limit}`); a whole-body argument
    /// is always `body`.
    Improved,
}

/// FastMCP's cut.
const MAX_NAME: usize = 56;
/// Improved mode: prefix kept before `_` and an 8-hex-digit hash.
const HASHED_PREFIX: usize = 47;

/// Letters, digits and `_`: runs of whitespace, `-` and `.` become one `_`, everything else
/// (for Turret's mode, except `/{}`, which also separate) is dropped.
pub(crate) fn slug(text: &str, naming: Naming) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending = false;
    for c in text.chars() {
        let separator = c.is_whitespace()
            || c == '-'
            || c == '.'
            || (naming == Naming::Improved && matches!(c, '/' | '{' | '}'));
        if separator || c == '_' {
            pending = true;
        } else if c.is_ascii_alphanumeric() {
            if pending && !out.is_empty() {
                out.push('_');
            }
            pending = false;
            out.push(c);
        }
    }
    out
}

/// The base name of an operation, before de-duplication.
pub(crate) fn base_name(op: &Operation<'_>, naming: Naming) -> String {
    let method_path = || format!("{}_{}", op.method, op.path);
    let raw = match op.operation_id.filter(|id| !id.is_empty()) {
        Some(id) => id.split("__").next().unwrap_or(id).to_owned(),
        None => match (naming, op.summary) {
            (Naming::Compatible, Some(s)) if !s.is_empty() => s.to_owned(),
            _ => method_path(),
        },
    };
    let mut name = slug(&raw, naming);
    if name.is_empty() {
        name = slug(&method_path(), naming);
    }
    match naming {
        Naming::Compatible => {
            name.truncate(MAX_NAME);
            name
        }
        Naming::Improved if name.len() > MAX_NAME => {
            let hash = Sha256::digest(name.as_bytes());
            let hex: String = hash[..4].iter().map(|b| format!("{b:02x}")).collect();
            name.truncate(HASHED_PREFIX);
            format!("{}_{hex}", name.trim_end_matches('_'))
        }
        Naming::Improved => name,
    }
}

/// Hands out unique names: the second `x` is `x_2`, skipping suffixes already taken.
#[derive(Debug, Default)]
pub(crate) struct UniqueNames {
    used: HashMap<String, usize>,
}

impl UniqueNames {
    pub(crate) fn take(&mut self, name: String) -> String {
        let count = self.used.entry(name.clone()).or_default();
        *count += 1;
        if *count == 1 {
            return name;
        }
        let mut n = *count;
        let mut candidate = format!("{name}_{n}");
        while self.used.contains_key(&candidate) {
            n += 1;
            candidate = format!("{name}_{n}");
        }
        self.used.insert(name, n);
        self.used.insert(candidate.clone(), 1);
        candidate
    }
}

/// What the component does: the description, else the summary, else `fallback`.
pub(crate) fn description(op: &Operation<'_>, fallback: impl FnOnce() -> String) -> String {
    op.description
        .filter(|d| !d.is_empty())
        .or(op.summary.filter(|s| !s.is_empty()))
        .map_or_else(fallback, str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_like_fastmcp() {
        assert_eq!(
            slug("Find pets - by.tag!", Naming::Compatible),
            "Find_pets_by_tag"
        );
        assert_eq!(
            slug("GET_/pets/{petId}", Naming::Compatible),
            "GET_petspetId"
        );
        assert_eq!(
            slug("GET_/pets/{petId}", Naming::Improved),
            "GET_pets_petId"
        );
        assert_eq!(slug("__a__b__", Naming::Compatible), "a_b");
        assert_eq!(slug("héllo wörld", Naming::Compatible), "hllo_wrld");
    }

    #[test]
    fn unique_names_skip_taken_suffixes() {
        let mut u = UniqueNames::default();
        assert_eq!(u.take("a_2".into()), "a_2");
        assert_eq!(u.take("a".into()), "a");
        assert_eq!(u.take("a".into()), "a_3");
        assert_eq!(u.take("a".into()), "a_4");
    }
}
