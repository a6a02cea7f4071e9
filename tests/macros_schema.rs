//! `#[tool]` derives the same input schema as the builder does with schemars for a struct of
//! the same fields: one test per family of types.

use std::collections::{BTreeMap, HashMap};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tower::ServiceExt as _;
use turret::types::ClientRequest;
use turret::{tool, tool_fn, Args, Request, Router};

/// The input schemas of the router's tools, in registration order.
async fn input_schemas(router: Router) -> Vec<Value> {
    let list = router
        .oneshot(Request::new(ClientRequest::ListTools(Default::default())))
        .await
        .unwrap()
        .to_value();
    list["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["inputSchema"].clone())
        .collect()
}

/// A `#[tool]` fn and a `#[derive(JsonSchema)]` struct with the same parameters (doc
/// comments included), and a test that their listed schemas are equal.
macro_rules! same_schema {
    ($test:ident: $tool:ident, $Struct:ident { $($(#[doc = $doc:literal])* $field:ident: $ty:ty),* $(,)? }) => {
        #[tokio::test]
        async fn $test() {
            #[tool]
            async fn $tool($($(#[doc = $doc])* $field: $ty),*) -> String {
                let _ = ($($field,)*);
                String::new()
            }

            #[derive(Deserialize, JsonSchema)]
            #[allow(dead_code)]
            struct $Struct {
                $($(#[doc = $doc])* $field: $ty),*
            }

            async fn builder(Args(_): Args<$Struct>) -> String {
                String::new()
            }

            let router = Router::new().register($tool).tool("builder", tool_fn(builder));
            let schemas = input_schemas(router).await;
            assert_eq!(schemas[0], schemas[1], "{}", schemas[0]);
            assert_eq!(schemas[0]["title"], stringify!($Struct));
        }
    };
}

same_schema!(primitives: primitives, Primitives {
    /// A signed integer.
    count: i64,
    ratio: f64,
    /// A name.
    ///
    /// Its second paragraph.
    name: String,
    flag: bool,
    small: u8,
    letter: char,
});

same_schema!(options: with_options, WithOptions {
    /// Optional text.
    note: Option<String>,
    limit: Option<u32>,
    nested: Option<Option<bool>>,
});

same_schema!(sequences: sequences, Sequences {
    words: Vec<String>,
    matrix: Vec<Vec<f64>>,
    pair: (i32, String),
    fixed: [u8; 4],
});

/// A colour.
#[derive(Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Colour {
    Red,
    Green,
}

/// A shape with data.
#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
#[serde(tag = "kind")]
enum Shape {
    Circle { radius: f64 },
    Square { side: f64 },
}

same_schema!(enums: enums, Enums {
    /// The colour.
    colour: Colour,
    shape: Shape,
    colours: Vec<Colour>,
});

/// A point.
#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
struct Point {
    /// Across.
    x: i32,
    y: i32,
}

/// A line between two points.
#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
struct Line {
    from: Point,
    to: Point,
}

same_schema!(nested_structs: nested, Nested {
    line: Line,
    start: Option<Point>,
    points: Vec<Point>,
});

same_schema!(maps: maps, Maps {
    counts: HashMap<String, i64>,
    /// Labels by key.
    labels: BTreeMap<String, Vec<String>>,
    points: BTreeMap<String, Point>,
});

fn ten() -> u32 {
    10
}

/// A default through `#[arg(default = …)]` is the same as serde's `default = "fn"`.
#[tokio::test]
async fn defaults() {
    #[tool]
    async fn paged(query: String, #[arg(default = 10)] limit: u32) -> String {
        format!("{query} {limit}")
    }

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Paged {
        query: String,
        #[serde(default = "ten")]
        limit: u32,
    }

    async fn builder(Args(_): Args<Paged>) -> String {
        String::new()
    }

    let router = Router::new()
        .register(paged)
        .tool("builder", tool_fn(builder));
    let schemas = input_schemas(router).await;
    assert_eq!(schemas[0], schemas[1]);
    assert_eq!(schemas[0]["properties"]["limit"]["default"], 10);
    assert_eq!(schemas[0]["required"], serde_json::json!(["query"]));
}
