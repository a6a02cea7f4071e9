//! The parsed document: a JSON tree whose objects keep their keys in document order.
//!
//! Order matters to the generator (which operation gets a name first, which media type is
//! the primary one), and `serde_json::Map` sorts keys unless a workspace-wide feature is
//! turned on, so the document has its own tree. YAML keys that are numbers (`200:`) or
//! booleans become strings, as OpenAPI means them.

use std::fmt;

use indexmap::IndexMap;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Number, Value};

/// An object of the document.
pub(crate) type Object = IndexMap<Box<str>, Node>;

/// One value of the document.
///
/// Kept to 24 bytes (boxed strings, slices and objects; arrays without spare capacity, while
/// objects keep theirs, as shrinking every map costs more time than it saves): a spec as large
/// as GitHub's is a few million nodes, and the node size decides the peak memory of a build.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Null,
    Bool(bool),
    Number(Number),
    /// A number `Number` cannot hold exactly (beyond `u64`/`i64`, more digits than a
    /// double keeps, beyond the double range), as written: see `document::number`.
    Decimal(Box<str>),
    String(Box<str>),
    Array(Box<[Node]>),
    Object(Box<Object>),
}

impl Node {
    pub(crate) fn as_object(&self) -> Option<&Object> {
        match self {
            Node::Object(o) => Some(o),
            _ => None,
        }
    }

    pub(crate) fn as_array(&self) -> Option<&[Node]> {
        match self {
            Node::Array(a) => Some(a),
            _ => None,
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Node::String(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn as_bool(&self) -> Option<bool> {
        match self {
            Node::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// A member of an object (`None` for other nodes).
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        self.as_object().and_then(|o| o.get(key))
    }

    /// A string member of an object.
    pub(crate) fn str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Node::as_str)
    }

    /// The same value as JSON.
    pub(crate) fn to_json(&self) -> Value {
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Number(n) => Value::Number(n.clone()),
            // Without `arbitrary_precision` a `Value` holds no more than a double.
            Node::Decimal(d) => Value::Number(super::number::to_json(d)),
            Node::String(s) => Value::String(s.to_string()),
            Node::Array(a) => Value::Array(a.iter().map(Node::to_json).collect()),
            Node::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| (k.to_string(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON or YAML value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Number(v.into()))
    }
    // YAML integers beyond 64 bits (serde_norway reads up to 128): kept as written.
    fn visit_i128<E>(self, v: i128) -> Result<Node, E> {
        Ok(Node::Decimal(v.to_string().into_boxed_str()))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Node, E> {
        Ok(Node::Decimal(v.to_string().into_boxed_str()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        // NaN and infinities (YAML `.nan`, `.inf`) have no JSON form.
        Ok(Number::from_f64(v).map_or(Node::Null, Node::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::String(v.into()))
    }
    #[cfg(feature = "yaml")]
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Node, E> {
        // A plain YAML scalar such as `1e400` (beyond the double range) reaches here as a
        // string; its place in the text tells it from a quoted one.
        if super::yaml::is_plain_number(v) {
            return Ok(Node::Decimal(v.into()));
        }
        Ok(Node::String(v.into()))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::String(v.into_boxed_str()))
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Array(items.into_boxed_slice()))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut object = Object::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(Key(key)) = map.next_key()? {
            // serde_json with `arbitrary_precision` (turned on anywhere in the build) sends
            // each number as this one-entry map.
            if object.is_empty() && key == super::number::ARBITRARY_PRECISION_TOKEN {
                let text: String = map.next_value()?;
                return Ok(super::number::node(&text));
            }
            object.insert(key.into_boxed_str(), map.next_value()?);
        }
        Ok(Node::Object(Box::new(object)))
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

/// An object key: a string, or a YAML scalar read as one.
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_str<E>(self, v: &str) -> Result<Key, E> {
                Ok(Key(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Key, E> {
                Ok(Key(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_i128<E>(self, v: i128) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_u128<E>(self, v: u128) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Key, E> {
                Ok(Key("null".to_owned()))
            }
        }
        d.deserialize_any(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_is_three_words() {
        assert_eq!(std::mem::size_of::<Node>(), 24);
    }

    #[cfg(feature = "yaml")]
    #[test]
    fn keeps_key_order_and_reads_yaml_number_keys_as_strings() {
        let node: Node = serde_norway::from_str("b: 1\na: 2\n200:\n  x: true\n").unwrap();
        let keys: Vec<&str> = node.as_object().unwrap().keys().map(|k| &**k).collect();
        assert_eq!(keys, ["b", "a", "200"]);
        assert_eq!(node.get("200").unwrap().get("x"), Some(&Node::Bool(true)));
    }

    #[test]
    fn converts_to_json() {
        let node: Node = serde_json::from_str(r#"{"z":[1,"a",null],"y":{"k":1.5}}"#).unwrap();
        assert_eq!(
            node.to_json(),
            serde_json::json!({"z": [1, "a", null], "y": {"k": 1.5}})
        );
    }
}
