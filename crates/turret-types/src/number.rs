//! Writing JSON numbers held as `f64` the way they were most likely sent.
//!
//! MCP's `number` fields (progress, priorities, temperature) are often whole numbers on the
//! wire (`"progress": 50`). Read into an `f64` and written back with serde's default they would
//! become `50.0`, which is the same JSON number but not the same JSON text, and not equal as a
//! `serde_json::Value`. These helpers write a whole number in the exactly representable range
//! as an integer and anything else as a float, so such values survive a round trip unchanged.

use serde::Serializer;

/// The largest integer below which every integer is exactly representable as an `f64` (2^53).
const EXACT: f64 = 9_007_199_254_740_992.0;

/// Serializes an `f64`, as an integer when it is a whole number of exactly representable size.
pub(crate) fn compact<S: Serializer>(value: &f64, s: S) -> Result<S::Ok, S::Error> {
    let v = *value;
    // `-0.0` stays a float so its sign survives.
    if v.fract() == 0.0 && v.abs() <= EXACT && !(v == 0.0 && v.is_sign_negative()) {
        // Exact: `v` is a whole number within ±2^53, so the cast neither rounds nor saturates.
        #[allow(clippy::cast_possible_truncation)]
        let i = v as i64;
        s.serialize_i64(i)
    } else {
        s.serialize_f64(v)
    }
}

/// [`compact`] for an optional field (use with `skip_serializing_if = "Option::is_none"`).
pub(crate) fn compact_opt<S: Serializer>(value: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => compact(v, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use serde::Serialize;
    use serde_json::{json, Value};

    #[derive(Serialize)]
    struct N(#[serde(serialize_with = "super::compact")] f64);

    fn write(v: f64) -> Value {
        serde_json::to_value(N(v)).unwrap()
    }

    #[test]
    fn whole_numbers_are_written_as_integers_and_the_rest_as_floats() {
        assert_eq!(write(50.0), json!(50));
        assert_eq!(write(-3.0), json!(-3));
        assert_eq!(write(0.0), json!(0));
        assert_eq!(write(0.5), json!(0.5));
        assert_eq!(write(1e300), json!(1e300));
        assert!(write(-0.0).is_f64());
        // Non-finite values fall through to serde_json, which writes them as null.
        assert_eq!(write(f64::NAN), Value::Null);
    }
}
