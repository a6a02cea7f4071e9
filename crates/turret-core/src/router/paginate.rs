//! Opaque, validated list cursors.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::error::McpError;

const PREFIX: &str = "turret:o=";

/// The cursor of the page that starts at `offset`.
pub(crate) fn encode(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("{PREFIX}{offset}"))
}

/// The offset a cursor names; `-32602` for anything this server did not issue.
pub(crate) fn decode(cursor: Option<&str>, len: usize) -> Result<usize, McpError> {
    let Some(cursor) = cursor else { return Ok(0) };
    let invalid = || {
        McpError::invalid_params(
            "invalid cursor: pass a nextCursor value from this server unchanged",
        )
    };
    let raw = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = std::str::from_utf8(&raw).map_err(|_| invalid())?;
    let offset: usize = text
        .strip_prefix(PREFIX)
        .and_then(|n| n.parse().ok())
        .ok_or_else(invalid)?;
    // A list may have shrunk since the cursor was issued: past the end is an empty page.
    Ok(offset.min(len))
}

/// One page of `items` and the cursor of the next.
pub(crate) fn page<T: Clone>(
    items: &[T],
    cursor: Option<&str>,
    size: usize,
) -> Result<(Vec<T>, Option<String>), McpError> {
    let start = decode(cursor, items.len())?;
    let end = start.saturating_add(size).min(items.len());
    let next = (end < items.len()).then(|| encode(end));
    Ok((items[start..end].to_vec(), next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_through_and_rejects_foreign_cursors() {
        let items: Vec<u32> = (0..5).collect();
        let (first, next) = page(&items, None, 2).unwrap();
        assert_eq!(first, vec![0, 1]);
        let (second, next) = page(&items, next.as_deref(), 2).unwrap();
        assert_eq!(second, vec![2, 3]);
        let (third, next) = page(&items, next.as_deref(), 2).unwrap();
        assert_eq!((third, next), (vec![4], None));
        for bad in ["", "garbage!", "dHVycmV0Om89eA", "b3RoZXI"] {
            assert!(page(&items, Some(bad), 2).is_err(), "{bad}");
        }
    }
}
