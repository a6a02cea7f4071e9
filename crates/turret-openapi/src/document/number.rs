//! Numbers as written: the ones `serde_json::Number` cannot hold exactly.
//!
//! Without serde_json's `arbitrary_precision` feature a number is a `u64`, an `i64` or an
//! `f64`, so `-9223372036854776000` (an int64 bound as JavaScript prints it), a 40-digit
//! integer or `1e400` would be rounded, or refused outright (serde_json calls `1e400` out
//! of range). Turning `arbitrary_precision` on here is not the way out: it is one switch
//! for the whole build (every crate of the workspace and of the user's program, by feature
//! unification), it changes how every JSON value of the MCP traffic holds its numbers (a
//! string each, an allocation per number), and it hands every number to a custom
//! `Deserialize` as a one-entry map under a private key. So the document keeps such a
//! number as its text ([`Node::Decimal`]), found by a scan of the text before it is parsed:
//!
//! * JSON: [`inexact`] finds the number tokens outside strings that would not survive
//!   `u64`/`i64`/`f64` (an integer outside both ranges, a decimal whose nearest double does
//!   not print back as the same value, one beyond the double range); the text is parsed
//!   with each of them replaced by a marked string, and [`restore`] turns those back.
//! * YAML: see `document::yaml`.
//!
//! Where a schema is copied into a tool (a `serde_json::Value`), a decimal becomes the
//! exact number when the build has `arbitrary_precision` on (a user who needs exact bounds
//! on the wire turns it on in their own `Cargo.toml`; the loader reads its numbers), and
//! the nearest double otherwise ([`to_json`]).

use std::ops::Range;

use super::node::Node;
use crate::error::Error;

/// The prefix of the string a number token is replaced with while the text is parsed.
pub(crate) const MARKER: &str = "\u{0}turret-openapi-number:";
/// The same, as it would be written inside a JSON string.
const MARKER_ESCAPED: &str = "\\u0000turret-openapi-number:";

/// The byte ranges of the number tokens of `json` that `serde_json::Number` cannot hold
/// exactly, in document order. Strings are skipped (a `"` preceded by an odd number of
/// backslashes does not close one); invalid JSON is left for the parser to report.
pub(crate) fn inexact(json: &str) -> Vec<Range<usize>> {
    let bytes = json.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => i = string_end(bytes, i + 1),
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < bytes.len()
                    && matches!(bytes[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                {
                    i += 1;
                }
                if !fits(&json[start..i]) {
                    out.push(start..i);
                }
            }
            _ => i += 1,
        }
    }
    out
}

/// The index just past the `"` closing the string whose contents start at `i`.
fn string_end(bytes: &[u8], mut i: usize) -> usize {
    while let Some(at) = bytes
        .get(i..)
        .and_then(|rest| memchr::memchr2(b'"', b'\\', rest))
    {
        i += at;
        if bytes[i] == b'\\' {
            // The escaped character is skipped (an unterminated escape ends the text).
            i += 2;
        } else {
            return i + 1;
        }
    }
    bytes.len()
}

/// Whether the number token `text` survives `serde_json`'s `u64`/`i64`/`f64` unchanged in
/// value. Tokens that are not valid numbers count as fitting: the parser reports them.
pub(crate) fn fits(text: &str) -> bool {
    if !text.contains(['.', 'e', 'E']) {
        return text.parse::<i64>().is_ok() || text.parse::<u64>().is_ok() || !is_integer(text);
    }
    let Ok(float) = text.parse::<f64>() else {
        return true;
    };
    float.is_finite() && decimal(text) == decimal(&format!("{float:e}"))
}

fn is_integer(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
/// Whether two decimals are the same number (`1e400` and `1E+400`, `-0` and `0`).
pub(crate) fn same_value(a: &str, b: &str) -> bool {
    decimal(a).is_some() && decimal(a) == decimal(b)
}

/// A decimal's value in one normal form: the sign, the significant digits without leading
/// or trailing zeros, and the exponent `e` of `0.d₁d₂… × 10^e` (zero has no digits and no
/// sign, so `-0` equals `0`). `None` when the exponent does not fit an `i64`.
fn decimal(text: &str) -> Option<(bool, String, i64)> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(at) => (&rest[..at], rest[at + 1..].parse::<i64>().ok()?),
        None => (rest, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits: String = int.chars().chain(frac.chars()).collect();
    let mut exponent = exponent.checked_add(i64::try_from(int.len()).ok()?)?;
    let leading = digits.len() - digits.trim_start_matches('0').len();
    digits.drain(..leading);
    exponent = exponent.checked_sub(i64::try_from(leading).ok()?)?;
    digits.truncate(digits.trim_end_matches('0').len());
    if digits.is_empty() {
        return Some((false, digits, 0));
    }
    Some((negative, digits, exponent))
}

/// `json` with each range replaced by a marked string holding the token, or an error when
/// the text already holds the marker (it could not be told apart).
pub(crate) fn mark(json: &str, ranges: &[Range<usize>]) -> Result<String, Error> {
    if json.contains(MARKER_ESCAPED) {
        return Err(Error::Invalid(format!(
            "the spec contains the string {MARKER_ESCAPED:?}, which the loader reserves"
        )));
    }
    let mut out = String::with_capacity(json.len() + ranges.len() * (MARKER_ESCAPED.len() + 2));
    let mut last = 0;
    for range in ranges {
        out.push_str(&json[last..range.start]);
        out.push('"');
        out.push_str(MARKER_ESCAPED);
        out.push_str(&json[range.clone()]);
        out.push('"');
        last = range.end;
    }
    out.push_str(&json[last..]);
    Ok(out)
}

/// Turns the marked strings of a tree parsed from [`mark`]'s text back into numbers.
pub(crate) fn restore(node: &mut Node) {
    match node {
        Node::String(s) => {
            if let Some(number) = s.strip_prefix(MARKER) {
                *node = Node::Decimal(number.into());
            }
        }
        Node::Array(items) => items.iter_mut().for_each(restore),
        Node::Object(members) => members.values_mut().for_each(restore),
        _ => {}
    }
}

/// The key under which serde_json's `arbitrary_precision` hands a number to a visitor
/// (`serde_json::number::TOKEN`, private but unchanged since the feature exists).
pub(crate) const ARBITRARY_PRECISION_TOKEN: &str = "$serde_json::private::Number";

/// Whether this build's serde_json keeps numbers as written (`arbitrary_precision`).
pub(crate) fn exact_json_numbers() -> bool {
    static EXACT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *EXACT.get_or_init(|| {
        let big = "18446744073709551616";
        big.parse::<serde_json::Number>()
            .is_ok_and(|n| n.to_string() == big)
    })
}

/// A number read from its text (under `arbitrary_precision`): a `Number` when it fits one,
/// a [`Node::Decimal`] otherwise.
pub(crate) fn node(text: &str) -> Node {
    match text.parse::<serde_json::Number>() {
        Ok(n) if fits(text) => Node::Number(n),
        _ => Node::Decimal(text.into()),
    }
}

/// The decimal `text` as a `serde_json::Number`: exact when serde_json keeps numbers as
/// written, else the nearest double (see [`nearest`]).
pub(crate) fn to_json(text: &str) -> serde_json::Number {
    if exact_json_numbers() {
        if let Ok(n) = text.parse() {
            return n;
        }
    }
    nearest(text)
}

/// The nearest double to the decimal `text`, and beyond the double range the largest
/// double of the same sign (every double a client can send compares with it as with the
/// written bound).
pub(crate) fn nearest(text: &str) -> serde_json::Number {
    let float = text.parse::<f64>().unwrap_or(0.0);
    let float = if float.is_finite() {
        float
    } else {
        f64::MAX.copysign(float)
    };
    serde_json::Number::from_f64(float).unwrap_or_else(|| 0.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_fits_a_u64_i64_or_f64() {
        for fits_exactly in [
            "0",
            "-0",
            "18446744073709551615",
            "-9223372036854775808",
            "1.5",
            "0.1",
            "1e21",
            "1.0E+2",
            "-0.0",
            "2.2250738585072014e-308",
            "1.7976931348623157e308",
            "123456789012345",
        ] {
            assert!(fits(fits_exactly), "{fits_exactly}");
        }
        for too_big in [
            "18446744073709551616",
            "-9223372036854776000",
            "-9223372036854775809",
            "1e400",
            "-1e400",
            "1e-400",
            "0.10000000000000000000001",
            "123456789012345678901234567890.5",
            "1e99999999999999999999",
        ] {
            assert!(!fits(too_big), "{too_big}");
        }
    }

    #[test]
    fn finds_numbers_outside_strings_only() {
        let text = r#"{"a": -9223372036854776000, "s": "1e400 \" 99999999999999999999", "b": [1e400, 2, 0.5], "\\": 1e-400}"#;
        let found: Vec<&str> = inexact(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(found, ["-9223372036854776000", "1e400", "1e-400"]);
        // Unterminated strings and escapes end the scan (the parser reports them).
        for cut in ["{\"a\": \"x\\", "{\"a\": \"x", "{\"a\": 1e400, \"b\": \"\\"] {
            let _ = inexact(cut);
        }
    }

    #[test]
    fn nearest_doubles_clamp_to_the_double_range() {
        assert_eq!(nearest("1e400").as_f64(), Some(f64::MAX));
        assert_eq!(nearest("-1e400").as_f64(), Some(-f64::MAX));
        assert_eq!(
            nearest("-9223372036854776000").as_f64(),
            Some(-9223372036854775808.0)
        );
    }
}
