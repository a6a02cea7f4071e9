//! Parameter values on the wire, per OpenAPI `style` and `explode`.
//!
//! Every value is percent-encoded for its place (path values with everything but the
//! unreserved characters escaped, so `/`, `?`, `#` and `%` can never change the path, and a
//! value made only of dots is escaped too, so it is never a dot segment); headers are
//! refused when a value holds CR, LF or NUL.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;

use super::plan::{ParamArg, Style};

/// Everything but RFC 3986's unreserved characters.
const STRICT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn enc(s: &str) -> String {
    utf8_percent_encode(s, STRICT).to_string()
}

/// A scalar as text: strings unquoted, `null` empty, nested structures as JSON.
pub(crate) fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A value's parts: one scalar, array items, or object members.
enum Shape<'a> {
    Scalar(&'a Value),
    Items(&'a [Value]),
    Members(&'a serde_json::Map<String, Value>),
}

fn shape(v: &Value) -> Shape<'_> {
    match v {
        Value::Array(a) => Shape::Items(a),
        Value::Object(o) => Shape::Members(o),
        other => Shape::Scalar(other),
    }
}

/// `k1,v1,k2,v2` (or with `=` when exploded), each piece encoded by `e`.
fn members(
    o: &serde_json::Map<String, Value>,
    explode: bool,
    sep: &str,
    e: fn(&str) -> String,
) -> String {
    o.iter()
        .map(|(k, v)| {
            let (k, v) = (e(k), e(&scalar(v)));
            if explode {
                format!("{k}={v}")
            } else {
                format!("{k},{v}")
            }
        })
        .collect::<Vec<_>>()
        .join(sep)
}

fn items(a: &[Value], sep: &str, e: fn(&str) -> String) -> String {
    a.iter()
        .map(|v| e(&scalar(v)))
        .collect::<Vec<_>>()
        .join(sep)
}

/// What replaces `{name}` in the path.
pub(crate) fn path(p: &ParamArg, v: &Value) -> String {
    let (prefix, sep) = match p.style {
        Style::Label => (".", if p.explode { "." } else { "," }),
        Style::Matrix => (";", if p.explode { ";" } else { "," }),
        _ => ("", ","),
    };
    let name = enc(&p.name);
    let out = match (p.style, shape(v)) {
        (Style::Matrix, Shape::Scalar(s)) => format!(";{name}={}", enc(&scalar(s))),
        (Style::Matrix, Shape::Items(a)) if p.explode => a
            .iter()
            .map(|v| format!(";{name}={}", enc(&scalar(v))))
            .collect(),
        (Style::Matrix, Shape::Items(a)) => format!(";{name}={}", items(a, ",", enc)),
        (Style::Matrix, Shape::Members(o)) if p.explode => {
            format!(";{}", members(o, true, ";", enc))
        }
        (Style::Matrix, Shape::Members(o)) => format!(";{name}={}", members(o, false, ",", enc)),
        (_, Shape::Scalar(s)) => format!("{prefix}{}", enc(&scalar(s))),
        (_, Shape::Items(a)) => format!("{prefix}{}", items(a, sep, enc)),
        (_, Shape::Members(o)) => format!("{prefix}{}", members(o, p.explode, sep, enc)),
    };
    if !out.is_empty() && out.bytes().all(|b| b == b'.') {
        return out.replace('.', "%2E");
    }
    out
}

/// Appends the query pairs of one parameter (`&`-separated, without a leading `&`).
pub(crate) fn query(p: &ParamArg, v: &Value, out: &mut Vec<String>) {
    let name = enc(&p.name);
    let delimiter = match p.style {
        Style::SpaceDelimited => "%20",
        Style::PipeDelimited => "%7C",
        _ => ",",
    };
    match (p.style, shape(v)) {
        (_, Shape::Scalar(s)) => out.push(format!("{name}={}", enc(&scalar(s)))),
        (Style::DeepObject, Shape::Members(_) | Shape::Items(_)) => deep_object(&name, v, out),
        (_, Shape::Items(a)) if p.explode => {
            out.extend(a.iter().map(|v| format!("{name}={}", enc(&scalar(v)))));
        }
        (_, Shape::Items(a)) => out.push(format!("{name}={}", items(a, delimiter, enc))),
        (_, Shape::Members(o)) if p.explode => {
            out.extend(
                o.iter()
                    .map(|(k, v)| format!("{}={}", enc(k), enc(&scalar(v)))),
            );
        }
        (_, Shape::Members(o)) => {
            let flat: Vec<String> = o
                .iter()
                .flat_map(|(k, v)| [enc(k), enc(&scalar(v))])
                .collect();
            out.push(format!("{name}={}", flat.join(delimiter)));
        }
    }
}

/// `name[key]=value`, nested objects as `name[a][b]=value`, array items by index
/// (`name[0]=value`, `name[0][key]=value`), as Stripe's API and Prism read them.
fn deep_object(prefix: &str, v: &Value, out: &mut Vec<String>) {
    let mut pairs = Vec::new();
    deep_pairs(prefix, v, enc, &mut pairs);
    out.extend(pairs.into_iter().map(|(k, v)| format!("{k}={}", enc(&v))));
}

/// The `(name[a][0]…, scalar)` pairs of a `deepObject` value, member names written by
/// `key` (percent-encoded in a query, as they are in a multipart field name).
pub(crate) fn deep_pairs(
    prefix: &str,
    v: &Value,
    key: fn(&str) -> String,
    out: &mut Vec<(String, String)>,
) {
    match v {
        Value::Object(o) => {
            for (k, v) in o {
                deep_pairs(&format!("{prefix}[{}]", key(k)), v, key, out);
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                deep_pairs(&format!("{prefix}[{i}]"), v, key, out);
            }
        }
        other => out.push((prefix.to_owned(), scalar(other))),
    }
}

/// A header's value (style `simple`), or why it cannot be sent.
pub(crate) fn header(p: &ParamArg, v: &Value) -> Result<String, String> {
    let raw = |s: &str| s.to_owned();
    let value = match shape(v) {
        Shape::Scalar(s) => scalar(s),
        Shape::Items(a) => items(a, ",", raw),
        Shape::Members(o) => members(o, p.explode, ",", raw),
    };
    if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
        return Err(format!(
            "header {:?} must not contain CR, LF or NUL",
            p.name
        ));
    }
    Ok(value)
}

/// The `name=value` pairs of a cookie parameter (style `form`).
pub(crate) fn cookie(p: &ParamArg, v: &Value, out: &mut Vec<String>) {
    let name = enc(&p.name);
    match shape(v) {
        Shape::Scalar(s) => out.push(format!("{name}={}", enc(&scalar(s)))),
        Shape::Items(a) if p.explode => {
            out.extend(a.iter().map(|v| format!("{name}={}", enc(&scalar(v)))))
        }
        Shape::Items(a) => out.push(format!("{name}={}", items(a, ",", enc))),
        Shape::Members(o) if p.explode => out.extend(
            o.iter()
                .map(|(k, v)| format!("{}={}", enc(k), enc(&scalar(v)))),
        ),
        Shape::Members(o) => out.push(format!("{name}={}", members(o, false, ",", enc))),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::operation::Location;

    fn p(style: Style, explode: bool) -> ParamArg {
        ParamArg {
            arg: "id".into(),
            name: "id".into(),
            location: Location::Path,
            style,
            explode,
        }
    }

    #[test]
    fn path_styles_follow_the_spec_table() {
        let (arr, obj) = (
            json!([3, 4, 5]),
            json!({"role": "admin", "firstName": "Alex"}),
        );
        let cases = [
            (Style::Simple, false, &arr, "3,4,5"),
            (Style::Simple, false, &obj, "firstName,Alex,role,admin"),
            (Style::Simple, true, &obj, "firstName=Alex,role=admin"),
            (Style::Label, false, &arr, ".3,4,5"),
            (Style::Label, true, &arr, ".3.4.5"),
            (Style::Label, true, &obj, ".firstName=Alex.role=admin"),
            (Style::Matrix, false, &json!(5), ";id=5"),
            (Style::Matrix, false, &arr, ";id=3,4,5"),
            (Style::Matrix, true, &arr, ";id=3;id=4;id=5"),
            (Style::Matrix, true, &obj, ";firstName=Alex;role=admin"),
            (Style::Matrix, false, &obj, ";id=firstName,Alex,role,admin"),
        ];
        for (style, explode, v, want) in cases {
            assert_eq!(path(&p(style, explode), v), want, "{style:?} {explode}");
        }
    }

    #[test]
    fn path_values_cannot_escape_their_segment() {
        let s = p(Style::Simple, false);
        assert_eq!(path(&s, &json!("../admin")), "..%2Fadmin");
        assert_eq!(path(&s, &json!("..")), "%2E%2E");
        assert_eq!(path(&s, &json!("a?b#c%d e")), "a%3Fb%23c%25d%20e");
    }

    #[test]
    fn query_styles() {
        let q = |style, explode, v: Value| {
            let mut out = Vec::new();
            query(&p(style, explode), &v, &mut out);
            out.join("&")
        };
        assert_eq!(q(Style::Form, true, json!([3, 4])), "id=3&id=4");
        assert_eq!(q(Style::Form, false, json!([3, 4])), "id=3,4");
        assert_eq!(
            q(Style::Form, true, json!({"a": 1, "b": "x y"})),
            "a=1&b=x%20y"
        );
        assert_eq!(q(Style::Form, false, json!({"a": 1})), "id=a,1");
        assert_eq!(q(Style::SpaceDelimited, false, json!([3, 4])), "id=3%204");
        assert_eq!(q(Style::PipeDelimited, false, json!([3, 4])), "id=3%7C4");
        assert_eq!(
            q(Style::DeepObject, true, json!({"a": 1, "b": {"c": 2}})),
            "id[a]=1&id[b][c]=2"
        );
        assert_eq!(
            q(Style::DeepObject, true, json!({"a": [{"p": "x"}, 2]})),
            "id[a][0][p]=x&id[a][1]=2"
        );
        assert_eq!(
            q(Style::DeepObject, true, json!(["x", "y"])),
            "id[0]=x&id[1]=y"
        );
        assert_eq!(q(Style::Form, true, json!("a&b=c")), "id=a%26b%3Dc");
    }

    #[test]
    fn headers_refuse_line_breaks() {
        let h = p(Style::Simple, false);
        assert_eq!(header(&h, &json!([1, 2])).unwrap(), "1,2");
        assert!(header(&h, &json!("a\r\nX-Evil: 1")).is_err());
    }

    #[test]
    fn cookies() {
        let mut out = Vec::new();
        cookie(&p(Style::Form, false), &json!([1, 2]), &mut out);
        cookie(&p(Style::Form, true), &json!({"k": "v;w"}), &mut out);
        assert_eq!(out, ["id=1,2", "k=v%3Bw"]);
    }
}
