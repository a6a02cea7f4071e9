//! An rmcp streamable HTTP server with one `echo` tool, for bench/compare.sh.
//!
//! `rmcp-echo --addr 127.0.0.1:3000 --mode stateless|sessions [--no-nodelay]`
//!
//! `stateless`: no sessions, JSON answers. `sessions`: handshake-era sessions, SSE answers
//! (rmcp's defaults). Every accepted connection gets TCP_NODELAY unless `--no-nodelay`.

use std::sync::Arc;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{json, Value};

#[derive(Clone)]
struct Echo {
    tool: Tool,
}

impl ServerHandler for Echo {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(vec![self.tool.clone()]))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if request.name != "echo" {
            return Err(ErrorData::invalid_params("unknown tool", None));
        }
        let text = request
            .arguments
            .as_ref()
            .and_then(|a| a.get("text"))
            .and_then(Value::as_str)
            .ok_or_else(|| ErrorData::invalid_params("echo needs a text argument", None))?;
        Ok(CallToolResult::success(vec![ContentBlock::text(text.to_owned())]).into())
    }
}

fn main() -> std::io::Result<()> {
    let mut addr = "127.0.0.1:3000".to_owned();
    let mut mode = "stateless".to_owned();
    let mut nodelay = true;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--addr" => addr = args.next().expect("--addr needs a value"),
            "--mode" => mode = args.next().expect("--mode needs a value"),
            "--no-nodelay" => nodelay = false,
            other => panic!("unknown argument {other:?}"),
        }
    }
    let config = match mode.as_str() {
        "stateless" => StreamableHttpServerConfig::default()
            .with_legacy_session_mode(false)
            .with_json_response(true),
        "sessions" => StreamableHttpServerConfig::default(),
        other => panic!("unknown mode {other:?}"),
    };
    let schema = json!({
        "type": "object",
        "properties": {"text": {"type": "string"}},
        "required": ["text"],
    });
    let Value::Object(schema) = schema else {
        unreachable!()
    };
    let echo = Echo {
        tool: Tool::new("echo", "Answers with the text it is given", schema),
    };
    let service: StreamableHttpService<Echo, LocalSessionManager> = StreamableHttpService::new(
        move || Ok(echo.clone()),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(async move {
            let listener = tokio::net::TcpListener::bind(&addr).await?;
            eprintln!("rmcp-echo ({mode}): http://{}/mcp", listener.local_addr()?);
            loop {
                let (stream, _) = tokio::select! {
                    accepted = listener.accept() => accepted?,
                    _ = tokio::signal::ctrl_c() => return Ok(()),
                };
                if nodelay {
                    stream.set_nodelay(true)?;
                }
                let service = TowerToHyperService::new(service.clone());
                tokio::spawn(async move {
                    let _ = Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        })
}
