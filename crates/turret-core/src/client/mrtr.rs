//! The client side of multi round-trip requests (2026-07-28): answer an `input_required`
//! result's requests with the handler, then retry the original request with the answers and
//! the echoed `requestState`.

use turret_types::{ClientRequest, InputRequests, InputRequiredResult, InputResponses};

use super::handler::Answerer;
use crate::error::McpError;

/// How many `input_required` rounds one request may take before the client gives up.
pub(crate) const DEFAULT_ROUNDS: usize = 8;

/// Answers every input request. The client's handler takes them one at a time, in key order
/// (each may ask the user); an exchange's owner gets them all at once, since it may relay
/// them together (a proxy turning them into one `input_required` result of its own).
async fn answer_all(
    answerer: &Answerer,
    requests: InputRequests,
) -> Result<InputResponses, McpError> {
    let answer = |(key, input): (String, turret_types::InputRequest)| async move {
        let method = input.request.method().to_owned();
        let result = answerer.answer(Some(&key), input.request).await.map_err(|e| {
            let mut object = e.into_object();
            object.message = format!(
                "the server needs {method} (input request {key:?}) to continue, and the client could not answer: {}",
                object.message
            );
            McpError::from(object)
        })?;
        Ok::<_, McpError>((key, result.to_value()))
    };
    let mut responses = InputResponses::new();
    if let Answerer::Exchange(_) = answerer {
        for answered in futures_util::future::join_all(requests.into_iter().map(answer)).await {
            let (key, value) = answered?;
            responses.insert(key, value);
        }
    } else {
        for request in requests {
            let (key, value) = answer(request).await?;
            responses.insert(key, value);
        }
    }
    Ok(responses)
}

/// Turns `request` into its retry: this round's answers plus the state exactly as echoed
/// (none if the server sent none). A fresh JSON-RPC id comes with the new round trip.
pub(crate) async fn prepare_retry(
    answerer: &Answerer,
    request: &mut ClientRequest,
    input: InputRequiredResult,
) -> Result<(), McpError> {
    let responses = match input.input_requests {
        Some(requests) if !requests.is_empty() => Some(answer_all(answerer, requests).await?),
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
