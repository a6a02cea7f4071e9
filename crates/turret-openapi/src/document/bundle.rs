//! References to files beside the spec (`./schemas/pet.yaml#/Pet`, `common.json`), read
//! when the spec is loaded from its file, and bundled into the one document.
//!
//! Each file a reference names is read once (JSON or YAML), kept under
//! `#/x-turret-files/<path>` of the spec, and every reference into it rewritten to point
//! there, so the rest of the generator sees one document with local references (schemas of
//! other files are inlined into the tools, cycles cut as for local ones). Bounded: at most
//! [`MAX_FILES`] files; no path outside the allowed directory (the spec's own unless told
//! otherwise), symbolic links resolved first; no network: a URL is refused, naming it. A
//! chain of references that only point at each other through files is an error naming it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::node::{Node, Object};
use super::pointer;
use crate::error::Error;

/// How many files one spec may pull in.
pub(crate) const MAX_FILES: usize = 64;
/// Where the files are kept in the bundled document.
const FILES_KEY: &str = "x-turret-files";
/// How many hops a reference-only chain may take before it is called a cycle.
const MAX_CHAIN: usize = 32;

/// Rewrites the references of `root` (read from `spec`) into files under `allowed`,
/// adding those files to it.
pub(crate) fn bundle(root: &mut Node, spec: &Path, allowed: &Path) -> Result<(), Error> {
    let allowed = canonical(allowed, &allowed.display().to_string())?;
    let spec = canonical(spec, &spec.display().to_string())?;
    let mut files = Files {
        allowed,
        keys: HashMap::new(),
        loaded: Vec::new(),
    };
    let dir = spec.parent().map(Path::to_path_buf).unwrap_or_default();
    rewrite(root, &dir, None, &mut files)?;
    let mut i = 0;
    while i < files.loaded.len() {
        let (key, path, mut doc) = {
            let (key, path, doc) = &mut files.loaded[i];
            (
                key.clone(),
                path.clone(),
                std::mem::replace(doc, Node::Null),
            )
        };
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        rewrite(&mut doc, &dir, Some(&key), &mut files)?;
        files.loaded[i].2 = doc;
        i += 1;
    }
    if files.loaded.is_empty() {
        return Ok(());
    }
    let mut bundled = Object::new();
    for (key, _, doc) in files.loaded {
        bundled.insert(key.into_boxed_str(), doc);
    }
    if let Node::Object(o) = root {
        o.insert(FILES_KEY.into(), Node::Object(Box::new(bundled)));
    }
    chains(root)
}

struct Files {
    allowed: PathBuf,
    /// Canonical path → key under [`FILES_KEY`].
    keys: HashMap<PathBuf, String>,
    /// (key, canonical path, document), in the order they were first named.
    loaded: Vec<(String, PathBuf, Node)>,
}

fn canonical(path: &Path, shown: &str) -> Result<PathBuf, Error> {
    path.canonicalize().map_err(|e| Error::BadRef {
        reference: shown.to_owned(),
        reason: format!("cannot read {}: {e}", path.display()),
    })
}

/// Rewrites every `$ref` under `node`, a part of the document `key` (`None`: the spec)
/// whose directory is `dir`.
fn rewrite(node: &mut Node, dir: &Path, key: Option<&str>, files: &mut Files) -> Result<(), Error> {
    walk(node, &mut String::new(), &mut |r, at| {
        target(r, dir, key, files).map_err(|error| Error::At {
            // Where the reference is written: `#/paths/~1pets/post/…` or `file#/…`.
            place: format!("{}#{at}", key.unwrap_or_default()),
            error: Box::new(error),
        })
    })
}

/// Calls `f` on each `$ref` under `node` with its JSON pointer, replacing it with what `f`
/// returns.
fn walk(
    node: &mut Node,
    at: &mut String,
    f: &mut impl FnMut(&str, &str) -> Result<Option<String>, Error>,
) -> Result<(), Error> {
    let len = at.len();
    match node {
        Node::Object(o) => {
            if let Some(Node::String(r)) = o.get_mut("$ref") {
                if let Some(new) = f(r, at)? {
                    *r = new.into_boxed_str();
                }
            }
            for (k, value) in o.iter_mut() {
                at.push('/');
                at.push_str(&escape(k));
                walk(value, at, f)?;
                at.truncate(len);
            }
        }
        Node::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                at.push_str(&format!("/{i}"));
                walk(item, at, f)?;
                at.truncate(len);
            }
        }
        _ => {}
    }
    Ok(())
}

/// The local reference that replaces `reference`, or `None` to keep it.
fn target(
    reference: &str,
    dir: &Path,
    key: Option<&str>,
    files: &mut Files,
) -> Result<Option<String>, Error> {
    let (file, fragment) = reference.split_once('#').unwrap_or((reference, ""));
    if file.is_empty() {
        // Local to its own document: into that document's place in the bundle.
        return Ok(key.map(|k| format!("#/{FILES_KEY}/{}{fragment}", escape(k))));
    }
    if file.contains("://") || file.starts_with("//") {
        return Err(Error::ExternalRef(reference.to_owned()));
    }
    let bad = |reason: String| Error::BadRef {
        reference: reference.to_owned(),
        reason,
    };
    let path = canonical(&dir.join(file), reference)?;
    if !path.starts_with(&files.allowed) {
        return Err(bad(format!(
            "{} is outside {}, the directory references may read",
            path.display(),
            files.allowed.display()
        )));
    }
    let key = match files.keys.get(&path) {
        Some(k) => k.clone(),
        None => {
            if files.loaded.len() >= MAX_FILES {
                return Err(bad(format!("a spec may read at most {MAX_FILES} files")));
            }
            let text = std::fs::read_to_string(&path)
                .map_err(|e| bad(format!("cannot read {}: {e}", path.display())))?;
            let doc =
                super::parse_text(&text).map_err(|e| bad(format!("{}: {e}", path.display())))?;
            let key = path
                .strip_prefix(&files.allowed)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            files.keys.insert(path.clone(), key.clone());
            files.loaded.push((key.clone(), path, doc));
            key
        }
    };
    if !fragment.is_empty() && !fragment.starts_with('/') {
        return Err(bad("a JSON pointer starts with `/`".into()));
    }
    Ok(Some(format!("#/{FILES_KEY}/{}{fragment}", escape(&key))))
}

/// A bundled reference as its file and pointer (`schemas/a.yaml#/A`).
fn as_written(reference: &str) -> String {
    let prefix = format!("#/{FILES_KEY}/");
    let Some(rest) = reference.strip_prefix(&prefix) else {
        return reference.to_owned();
    };
    let (file, pointer) = rest.split_once('/').unwrap_or((rest, ""));
    let file = file.replace("~1", "/").replace("~0", "~");
    if pointer.is_empty() {
        file
    } else {
        format!("{file}#/{pointer}")
    }
}

/// A file's key as one JSON pointer token.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Fails on a chain of references through files that never reaches a value.
fn chains(root: &Node) -> Result<(), Error> {
    let mut result = Ok(());
    visit(root, &mut |reference| {
        if result.is_ok() && reference.contains(FILES_KEY) {
            result = chain(root, reference);
        }
    });
    result
}

fn visit(node: &Node, f: &mut impl FnMut(&str)) {
    match node {
        Node::Object(o) => {
            if let Some(r) = o.get("$ref").and_then(Node::as_str) {
                f(r);
            }
            o.values().for_each(|v| visit(v, f));
        }
        Node::Array(items) => items.iter().for_each(|v| visit(v, f)),
        _ => {}
    }
}

/// Follows `reference` while the target is nothing but another reference.
fn chain(root: &Node, reference: &str) -> Result<(), Error> {
    let mut seen = vec![reference.to_owned()];
    let mut current = reference.to_owned();
    for _ in 0..MAX_CHAIN {
        let Ok(target) = pointer::resolve(root, &current) else {
            // A dangling reference is reported where it is used.
            return Ok(());
        };
        let next = match target.as_object() {
            Some(o) if o.len() == 1 => o.get("$ref").and_then(Node::as_str),
            _ => None,
        };
        let Some(next) = next else { return Ok(()) };
        if seen.iter().any(|s| s == next) {
            seen.push(next.to_owned());
            let shown: Vec<String> = seen.iter().map(|r| as_written(r)).collect();
            return Err(Error::BadRef {
                reference: shown[0].clone(),
                reason: format!("the references form a cycle: {}", shown.join(" → ")),
            });
        }
        seen.push(next.to_owned());
        current = next.to_owned();
    }
    Ok(())
}
