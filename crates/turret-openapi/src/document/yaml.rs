//! YAML text into the document tree, numbers as written where serde_norway lets them be.
//!
//! serde_norway reads integers up to 128 bits (kept exactly, as [`Node::Decimal`] beyond
//! 64) and doubles; a plain scalar that looks like a number but is beyond the double range
//! (`1e400`) it hands over as a string, as it does a quoted `'1e400'`. The two are told
//! apart by where the string lies in the text: serde_norway lends plain and quoted
//! scalars straight from it, and only a quoted one has a quote just before. Known limit:
//! an integer beyond 128 bits and a decimal with more digits than a double keeps are read
//! as the nearest double (serde_norway gives no text for those).

use std::cell::RefCell;

use super::node::Node;
use crate::error::Error;

thread_local! {
    /// The text being read on this thread: its address, and a copy of its bytes to look
    /// behind a lent string (a copy costs far less than the YAML parse itself).
    static SOURCE: RefCell<Option<(usize, Box<[u8]>)>> = const { RefCell::new(None) };
}

/// Clears [`SOURCE`] when the read ends, also by a panic.
struct Reading;

impl Drop for Reading {
    fn drop(&mut self) {
        SOURCE.with(|s| s.borrow_mut().take());
    }
}

/// Parses YAML `text`.
pub(crate) fn parse(text: &str) -> Result<Node, Error> {
    SOURCE.with(|s| *s.borrow_mut() = Some((text.as_ptr() as usize, text.as_bytes().into())));
    let _reading = Reading;
    serde_norway::from_str(text).map_err(|e| Error::Syntax(e.to_string()))
}

/// Whether `value`, lent from the text being read, is a plain scalar that is a number
/// beyond the double range.
pub(crate) fn is_plain_number(value: &str) -> bool {
    if !looks_numeric(value) || !value.parse::<f64>().is_ok_and(f64::is_infinite) {
        return false;
    }
    SOURCE.with(|s| {
        let source = s.borrow();
        let Some((start, bytes)) = source.as_ref() else {
            return false;
        };
        let at = (value.as_ptr() as usize).wrapping_sub(*start);
        at <= bytes.len()
            && at + value.len() <= bytes.len()
            && at
                .checked_sub(1)
                .is_none_or(|b| !matches!(bytes[b], b'\'' | b'"'))
    })
}

/// Digits with an optional sign, point and exponent (not `inf` or `nan`, which Rust's
/// float parser also accepts).
fn looks_numeric(value: &str) -> bool {
    value
        .bytes()
        .all(|b| matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
        && value.bytes().any(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_numbers_beyond_doubles_stay_numbers_quoted_ones_strings() {
        let node = parse("a: 1e400\nb: '1e400'\nc: \"-1e400\"\nd: -1E+400\ne: [1e400]\n").unwrap();
        assert_eq!(node.get("a"), Some(&Node::Decimal("1e400".into())));
        assert_eq!(node.get("b"), Some(&Node::String("1e400".into())));
        assert_eq!(node.get("c"), Some(&Node::String("-1e400".into())));
        assert_eq!(node.get("d"), Some(&Node::Decimal("-1E+400".into())));
        assert_eq!(
            node.get("e").and_then(Node::as_array),
            Some(&[Node::Decimal("1e400".into())][..])
        );
        // Outside a YAML read, a lent string is a string.
        assert!(!is_plain_number("1e400"));
    }
}
