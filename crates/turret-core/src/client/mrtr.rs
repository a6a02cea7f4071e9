//! The client side of multi round-trip requests (2026-07-28): answer an `input_required`
//! result's requests with the handler, then retry the original request with the answers and
//! the echoed `requestState`.

use turret_types::{ClientRequest, InputRequests, InputRequiredResult, InputResponses};

use super::handler::{answer, ErasedHandler};
use crate::error::McpError;

/// How many `input_required` rounds one request may take before the client gives up.
pub(crate) const DEFAULT_ROUNDS: usize = 8;

/// Answers every input request, in key order (one at a time: they may each ask the user).
async fn answer_all(
    handler: &dyn ErasedHandler,
    requests: InputRequests,
) -> Result<InputResponses, McpError> {
    let mut responses = InputResponses::new();
    for (key, input) in requests {
        let method = input.request.method().to_owned();
        let result = answer(handler, input.request).await.map_err(|e| {
            let mut object = e.into_object();
            object.message = format!(
                "the server needs {method} (input request {key:?}) to continue, and the client could not answer: {}",
                object.message
            );
            McpError::from(object)
        })?;
        responses.insert(key, result.to_value());
    }
    Ok(responses)
}

/// Turns `request` into its retry: this round's answers plus the state exactly as echoed
/// (none if the server sent none). A fresh JSON-RPC id comes with the new round trip.
pub(crate) async fn prepare_retry(
    handler: &dyn ErasedHandler,
    request: &mut ClientRequest,
    input: InputRequiredResult,
) -> Result<(), McpError> {
    let responses = match input.input_requests {
        Some(requests) if !requests.is_empty() => Some(answer_all(handler, requests).await?),
        _ => None,
    };
    let state = input.request_state;
    match request {
        ClientRequest::CallTool(p) => (p.input_responses, p.request_state) = (responses, state),
        ClientRequest::ReadResource(p) => (p.input_responses, p.request_state) = (responses, state),
        ClientRequest::GetPrompt(p) => (p.input_responses, p.request_state) = (responses, state),
        other => {
            return Err(McpError::internal(format!(
                "the server answered {} with input_required, which only tools/call, resources/read and prompts/get may receive",
                other.method()
            )))
        }
    }
    Ok(())
}
