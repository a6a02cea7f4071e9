//! RFC 6901 JSON pointers in `$ref` fragments: `#/components/schemas/a~1b%20c`.

use percent_encoding::percent_decode_str;

use super::node::Node;
use crate::error::Error;

/// The reference tokens of a local `$ref` (`#/a/b` → `["a", "b"]`), unescaped.
///
/// The fragment is percent-decoded first (it is a URI fragment), then split on `/`, and
/// each token unescaped `~1` → `/` before `~0` → `~`, so `~01` stays `~1`.
pub(crate) fn tokens(reference: &str) -> Result<Vec<String>, Error> {
    let Some(fragment) = reference.strip_prefix('#') else {
        return Err(Error::ExternalRef(reference.to_owned()));
    };
    let decoded = percent_decode_str(fragment)
        .decode_utf8()
        .map_err(|_| bad(reference, "the fragment is not UTF-8 once percent-decoded"))?;
    if decoded.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = decoded.strip_prefix('/') else {
        return Err(bad(reference, "a JSON pointer starts with `/`"));
    };
    Ok(rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect())
}

/// The node `reference` points at in `root`.
pub(crate) fn resolve<'a>(root: &'a Node, reference: &str) -> Result<&'a Node, Error> {
    let mut node = root;
    for token in tokens(reference)? {
        node = match node {
            Node::Object(o) => o.get(token.as_str()),
            Node::Array(a) => token.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        }
        .ok_or_else(|| bad(reference, &format!("no member {token:?} there")))?;
    }
    Ok(node)
}

fn bad(reference: &str, reason: &str) -> Error {
    Error::BadRef {
        reference: reference.to_owned(),
        reason: reason.to_owned(),
    }
}

/// The last token of a reference into `#/components/schemas/` (the definition's name),
/// `None` for other references.
pub(crate) fn schema_name(reference: &str) -> Option<String> {
    let tokens = tokens(reference).ok()?;
    match tokens.as_slice() {
        [c, s, name] if c == "components" && s == "schemas" => Some(name.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Node {
        serde_json::from_str(r#"{"a/b": {"m~n": {"c d": [10, 20]}}, "x": 1}"#).unwrap()
    }

    #[test]
    fn unescapes_in_rfc_order_and_percent_decodes() {
        assert_eq!(tokens("#/a~1b/m~0n").unwrap(), ["a/b", "m~n"]);
        assert_eq!(tokens("#/~01").unwrap(), ["~1"]);
        assert_eq!(tokens("#/c%20d").unwrap(), ["c d"]);
        let root = doc();
        let hit = resolve(&root, "#/a~1b/m~0n/c%20d/1").unwrap();
        assert_eq!(hit, &Node::Number(20.into()));
        assert_eq!(resolve(&root, "#").unwrap(), &root);
    }

    #[test]
    fn external_and_dangling_refs_are_errors_that_name_the_ref() {
        let root = doc();
        let e = resolve(&root, "other.yaml#/x").unwrap_err().to_string();
        assert!(e.contains("other.yaml#/x") && e.contains("external"), "{e}");
        let e = resolve(&root, "#/nope").unwrap_err().to_string();
        assert!(e.contains("#/nope") && e.contains("nope"), "{e}");
        assert!(resolve(&root, "#x").is_err());
    }

    #[test]
    fn schema_names() {
        assert_eq!(
            schema_name("#/components/schemas/a~1b").as_deref(),
            Some("a/b")
        );
        assert_eq!(schema_name("#/components/responses/x"), None);
    }
}
