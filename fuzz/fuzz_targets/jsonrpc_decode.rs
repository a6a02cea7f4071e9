//! The JSON-RPC / MCP message decoder: `JsonRpcMessage::parse` (what every transport calls on
//! the bytes of one message), then the typed MCP layer (`ClientRequest::from_parts`, …).
//!
//! Properties, beyond "no panic":
//! * a decoded message re-encodes (`to_vec`) to bytes that decode to the same message (floats
//!   to the last bit), and re-encoding again stays the same;
//! * serde's `Deserialize` for `JsonRpcMessage` agrees with `parse`;
//! * a refusal is `-32700` exactly when the input is not JSON, `-32600` otherwise, and the
//!   error answer built from it is itself a valid JSON-RPC message;
//! * typed MCP messages round-trip: `from_parts(method, params_value())` gives the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use turret_types::{
    ClientNotification, ClientRequest, ClientResult, ErrorCode, JsonRpcError, JsonRpcMessage,
    ServerNotification, ServerRequest, ServerResult,
};

/// Methods whose results have a typed form, for `ServerResult` / `ClientResult`.
const SERVER_RESULT_METHODS: &[&str] = &[
    "initialize",
    "server/discover",
    "tools/list",
    "tools/call",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "prompts/list",
    "prompts/get",
    "completion/complete",
    "ping",
];
const CLIENT_RESULT_METHODS: &[&str] = &[
    "sampling/createMessage",
    "roots/list",
    "elicitation/create",
    "ping",
];

macro_rules! round_trip_method {
    ($ty:ty, $method:expr, $params:expr) => {
        if let Ok(typed) = <$ty>::from_parts($method, $params.clone()) {
            assert_eq!(typed.method(), $method);
            let again = <$ty>::from_parts($method, typed.params_value()).unwrap_or_else(|e| {
                panic!(
                    "{}: re-encoded params of {:?} no longer decode: {e}\nparams: {:?}",
                    stringify!($ty),
                    $method,
                    typed.params_value()
                )
            });
            assert_eq!(
                again,
                typed,
                "{} round trip of {:?}",
                stringify!($ty),
                $method
            );
        }
    };
}

macro_rules! round_trip_result {
    ($ty:ty, $methods:expr, $result:expr) => {
        for method in $methods {
            if let Ok(typed) = <$ty>::from_value(method, $result.clone()) {
                let value = typed.to_value();
                let again = <$ty>::from_value(method, value.clone()).unwrap_or_else(|e| {
                    panic!(
                        "{}: re-encoded result of {method:?} no longer decodes: {e}\n{value}",
                        stringify!($ty)
                    )
                });
                assert_eq!(again, typed, "{} round trip of {method:?}", stringify!($ty));
            }
        }
    };
}

/// Equal as JSON, floats to the last bit: the workspace enables serde_json's
/// `float_roundtrip`, so text → f64 → shortest text → f64 is exact (without it, a relayed
/// float could move by an ULP: fuzz/found/jsonrpc_decode-float-roundtrip.json).
fn same_message(a: &JsonRpcMessage, b: &JsonRpcMessage) -> bool {
    serde_json::to_value(a).unwrap() == serde_json::to_value(b).unwrap()
}

fuzz_target!(|data: &[u8]| {
    match JsonRpcMessage::parse(data) {
        Ok(message) => {
            let bytes = message.to_vec();
            assert!(!bytes.is_empty(), "to_vec failed for {message:?}");
            let again = JsonRpcMessage::parse(&bytes)
                .unwrap_or_else(|e| panic!("re-encoded message does not decode: {e:?}"));
            assert!(same_message(&again, &message), "{again:?}\n!= {message:?}");
            let third = JsonRpcMessage::parse(&again.to_vec()).expect("decodes");
            assert!(same_message(&third, &again), "encoding is not stable");
            let via_serde: JsonRpcMessage =
                serde_json::from_slice(data).expect("Deserialize disagrees with parse");
            assert_eq!(via_serde, message, "Deserialize disagrees with parse");

            match &message {
                JsonRpcMessage::Request(r) => {
                    round_trip_method!(ClientRequest, r.method.as_str(), r.params);
                    round_trip_method!(ServerRequest, r.method.as_str(), r.params);
                }
                JsonRpcMessage::Notification(n) => {
                    round_trip_method!(ClientNotification, n.method.as_str(), n.params);
                    round_trip_method!(ServerNotification, n.method.as_str(), n.params);
                }
                JsonRpcMessage::Response(r) => {
                    round_trip_result!(ServerResult, SERVER_RESULT_METHODS, r.result);
                    round_trip_result!(ClientResult, CLIENT_RESULT_METHODS, r.result);
                }
                JsonRpcMessage::Error(_) => {}
            }
        }
        Err(bad) => {
            let is_json = serde_json::from_slice::<Value>(data).is_ok();
            let expected = if is_json {
                ErrorCode::INVALID_REQUEST
            } else {
                ErrorCode::PARSE_ERROR
            };
            assert_eq!(bad.error.code, expected, "{}", bad.error.message);
            if !is_json {
                assert!(bad.id.is_none(), "an id recovered from invalid JSON");
            }
            // The answer a transport sends back must itself be a valid message.
            let answer = JsonRpcMessage::Error(JsonRpcError {
                id: bad.id,
                error: bad.error,
            });
            let back = JsonRpcMessage::parse(&answer.to_vec()).expect("error answer decodes");
            assert_eq!(back, answer);
        }
    }
});
