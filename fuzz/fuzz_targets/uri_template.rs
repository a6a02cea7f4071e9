//! The RFC 6570 template parser, expander and matcher (`turret_core::uri_template`), which
//! routes `resources/read` URIs to resource templates.
//!
//! Input: `TEMPLATE\nREST`. The template is parsed; `REST` is matched against it as a URI,
//! and its lines are also used as variable values to expand the template.
//!
//! Properties, beyond "no panic" (and no blow-up: matching is meant to stay polynomial):
//! * `as_str`/`Display` give the template text back; `variables` has no duplicates;
//! * a match only names variables of the template, each once, in template order;
//! * a template match's variables expand back to the matched URI (up to percent-encoding:
//!   matching accepts unencoded reserved characters), and matching is a fixed point
//!   (match ∘ expand ∘ match = match), whenever the template is unambiguous enough for that
//!   to be promised (see `invertible`), both for expansions of fuzzed values and for the
//!   values a match of an arbitrary URI returned.
#![no_main]

use libfuzzer_sys::fuzz_target;
use turret_core::uri_template::UriTemplate;

/// One `{...}` of the template, as read from its text.
struct Expr {
    op: u8,
    names: Vec<String>,
    /// Whether a variable has a `:N` prefix modifier.
    prefixed: bool,
}

/// The expressions of a template that parsed, and what follows each (`None` at the end):
/// the first byte after its `}` (`{` when another expression follows directly).
fn exprs(text: &str) -> Vec<(Expr, Option<u8>)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let close = open + rest[open..].find('}').expect("parsed template");
        let body = &rest[open + 1..close];
        let op = body.as_bytes()[0];
        let (op, vars) = if b"+#./;?&".contains(&op) {
            (op, &body[1..])
        } else {
            (0, body)
        };
        let names = vars
            .split(',')
            .map(|v| v.split([':', '*']).next().unwrap_or("").to_owned())
            .collect();
        let prefixed = vars.contains(':');
        rest = &rest[close + 1..];
        out.push((
            Expr {
                op,
                names,
                prefixed,
            },
            rest.bytes().next(),
        ));
    }
    out
}

/// The characters that end a value of an expression (as the matcher documents them).
fn stops(op: u8) -> &'static [u8] {
    match op {
        0 | b'.' => b"/?#",
        b'/' => b"?#",
        b';' => b";/?#",
        b'?' | b'&' => b"&#",
        _ => b"",
    }
}

/// Whether every expansion of `text` (with the values `value` gives) is promised to match
/// the template again with a split that expands to the same URI: no `:N` prefixes, no
/// variable used twice
/// (matching does not force repeats to agree), each named expression followed by the end or
/// by a character that ends its values, each simple/reserved expression given a non-empty
/// value, and no `%` in the values of `{+}`/`{#}` (reserved expansion passes triplets
/// through, which may decode to non-UTF-8, which matching refuses by design).
fn invertible(text: &str, value: &dyn Fn(&str) -> Option<String>) -> bool {
    // A raw `%` in the template's text is not RFC 6570 (literals hold `%` only in triplets):
    // it can pair with a value's characters, or a reserved value's triplets can stand in for
    // it (fuzz/corpus/uri_template/reserved-then-literal-percent). Matching handles the simple
    // cases (fuzz/found/uri_template-literal-percent.txt is a unit test) but no fixed point is
    // promised.
    let mut literal = text.to_owned();
    while let (Some(open), Some(close)) = (literal.find('{'), literal.find('}')) {
        literal.replace_range(open..=close, " ");
    }
    if literal.contains('%') {
        return false;
    }
    let exprs = exprs(text);
    // Two reserved expansions (`{+a}/x{+b}`) split ambiguously: the first value may hold
    // whatever separates them (fuzz/corpus/uri_template/two-reserved).
    if exprs.iter().filter(|(e, _)| matches!(e.op, b'+' | b'#')).count() > 1 {
        return false;
    }
    let mut seen = Vec::new();
    for (i, (expr, next)) in exprs.iter().enumerate() {
        // What follows a value must not be able to continue it: an expression without a
        // leading character that stops this one.
        let mut j = i;
        while exprs[j].1 == Some(b'{') {
            j += 1;
            let follower = exprs[j].0.op;
            if matches!(follower, 0 | b'+') || !stops(expr.op).contains(&follower) {
                return false;
            }
            if exprs[j].0.prefixed {
                return false;
            }
        }
        // Matching holds a lone `{x:N}` to N characters; with several variables the split
        // between them is not known, so an earlier optional expression may leave such a
        // prefix more than expansion writes (fuzz/found/uri_template-prefix-overlong.txt).
        if expr.prefixed && expr.names.len() > 1 {
            return false;
        }
        for name in &expr.names {
            if seen.contains(name) {
                return false;
            }
            seen.push(name.clone());
            match value(name) {
                Some(v) if v.is_empty() => return false,
                Some(v) if matches!(expr.op, b'+' | b'#') && v.contains('%') => return false,
                _ => {}
            }
        }
        if matches!(expr.op, b';' | b'?' | b'&')
            && next.is_some_and(|c| !stops(expr.op).contains(&c))
        {
            return false;
        }
        if matches!(expr.op, 0 | b'+') && expr.names.iter().all(|n| value(n).is_none()) {
            return false;
        }
    }
    true
}

fn lookup(pairs: &[(String, String)]) -> impl Fn(&str) -> Option<String> + '_ {
    move |name| {
        pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }
}

/// A match's variables are the template's, once each, in template order.
fn check_names(tpl: &UriTemplate, found: &[(String, String)]) {
    let order: Vec<&str> = tpl.variables().collect();
    // With a variable used twice, values come in the order they were first bound.
    let repeats = exprs(tpl.as_str())
        .iter()
        .flat_map(|(e, _)| &e.names)
        .count()
        > order.len();
    let mut last = None;
    for (i, (name, _)) in found.iter().enumerate() {
        let at = order
            .iter()
            .position(|v| v == name)
            .unwrap_or_else(|| panic!("match names {name:?}, not a variable of {tpl}"));
        assert!(
            !found[..i].iter().any(|(n, _)| n == name),
            "variable {name:?} bound twice: {found:?}"
        );
        assert!(
            repeats || last < Some(at),
            "variables out of template order: {found:?}"
        );
        last = Some(at);
    }
}

/// Percent-decodes every triplet (to bytes: the comparison is up to encoding).
fn decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16);
    let (mut out, mut i) = (Vec::new(), 0);
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// `uri` (an expansion of `tpl`) matches; the match expands back to `uri` up to
/// percent-encoding (matching is lenient: `{a}` takes `x,y` though expansion writes
/// `x%2Cy`), and matching that expansion again gives the same variables.
fn check_inverse(tpl: &UriTemplate, uri: &str) {
    let found = tpl
        .match_uri(uri)
        .unwrap_or_else(|| panic!("{tpl} does not match its own expansion {uri:?}"));
    check_names(tpl, &found);
    let back = tpl.expand(&lookup(&found));
    // Reserved expansion passes triplets in values through, so those values decode twice.
    let passes_triplets = exprs(tpl.as_str()).iter().any(|(e, _)| {
        matches!(e.op, b'+' | b'#')
            && e.names
                .iter()
                .any(|n| lookup(&found)(n).is_some_and(|v| v.contains('%')))
    });
    if passes_triplets {
        // …and `%00` and a NUL in such a value expand alike, so no fixed point either
        // (fuzz/corpus/uri_template/reserved-triplet).
        return;
    }
    assert!(
        decode(&back) == decode(uri),
        "{tpl}: the match {found:?} of {uri:?} expands to {back:?}"
    );
    // `{+a,b}` is ambiguous when values hold `,` (reserved expansion leaves it raw), so the
    // split may move between its variables; elsewhere matching is a fixed point.
    if exprs(tpl.as_str())
        .iter()
        .any(|(e, _)| matches!(e.op, b'+' | b'#') && e.names.len() > 1)
    {
        return;
    }
    let again = tpl.match_uri(&back).unwrap_or_else(|| {
        panic!("{tpl}: the expansion {back:?} of the match of {uri:?} does not match")
    });
    assert_eq!(
        again, found,
        "{tpl}: matching is not a fixed point ({uri:?} -> {back:?})"
    );
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (template, rest) = text.split_once('\n').unwrap_or((text, ""));
    let Ok(tpl) = UriTemplate::parse(template) else {
        return;
    };
    assert_eq!(tpl.as_str(), template);
    assert_eq!(tpl.to_string(), template);
    assert_eq!(UriTemplate::parse(template).as_ref(), Ok(&tpl));
    let names: Vec<&str> = tpl.variables().collect();
    for (i, name) in names.iter().enumerate() {
        assert!(!names[..i].contains(name), "variables() repeats {name}");
    }
    assert!(template.starts_with(tpl.literal_prefix()));

    // The rest as a URI.
    if let Some(found) = tpl.match_uri(rest) {
        check_names(&tpl, &found);
        let value = lookup(&found);
        if invertible(template, &value) {
            check_inverse(&tpl, &tpl.expand(&value));
        }
    }

    // The rest's lines as values, in variable order.
    let values: Vec<&str> = rest.split('\n').collect();
    let value = |name: &str| {
        let i = names.iter().position(|n| *n == name)?;
        let v = values[i % values.len()];
        // `~` marks an undefined variable.
        (v != "~").then(|| v.to_owned())
    };
    let uri = tpl.expand(&value);
    let _ = tpl.match_uri(&uri);
    if invertible(template, &value) {
        check_inverse(&tpl, &uri);
    }
});
