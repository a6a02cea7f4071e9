//! The backend's questions that belong to no frontend request (a `roots/list` right after
//! `initialized`, sampling from a background job) go to the frontend session the backend
//! session serves, as they would if the backend were connected to that client directly.

use std::future::Future;

use turret_core::client::ClientHandler;
use turret_core::{McpError, Peer};
use turret_types::{
    ClientResult, CreateMessageRequestParams, CreateMessageResult, ElicitRequestParams,
    ElicitResult, EmptyParams, ListRootsResult, ServerRequest,
};

/// Answers a backend session's unsolicited requests by asking its frontend session.
pub(crate) struct SessionQuestions(pub(crate) Peer);

impl SessionQuestions {
    fn ask<T>(
        &self,
        request: ServerRequest,
        take: fn(ClientResult) -> Option<T>,
    ) -> impl Future<Output = Result<T, McpError>> + Send + 'static
    where
        T: Send + 'static,
    {
        let peer = self.0.clone();
        async move {
            let method = request.method().to_owned();
            let answer = peer.request(request).await?;
            take(answer).ok_or_else(|| {
                McpError::internal(format!("the client answered {method} with another result"))
            })
        }
    }
}

impl ClientHandler for SessionQuestions {
    fn create_message(
        &self,
        params: CreateMessageRequestParams,
    ) -> impl Future<Output = Result<CreateMessageResult, McpError>> + Send {
        self.ask(ServerRequest::CreateMessage(params), |r| match r {
            ClientResult::CreateMessage(r) => Some(r),
            _ => None,
        })
    }

    fn elicit(
        &self,
        params: ElicitRequestParams,
    ) -> impl Future<Output = Result<ElicitResult, McpError>> + Send {
        self.ask(ServerRequest::Elicit(params), |r| match r {
            ClientResult::Elicit(r) => Some(r),
            _ => None,
        })
    }

    fn list_roots(&self) -> impl Future<Output = Result<ListRootsResult, McpError>> + Send {
        self.ask(
            ServerRequest::ListRoots(EmptyParams::default()),
            |r| match r {
                ClientResult::ListRoots(r) => Some(r),
                _ => None,
            },
        )
    }
}
