//! The command line, as clap's derive API reads it, and which module runs each command.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Run MCP gateways, proxies and OpenAPI servers; inspect and call MCP servers.
#[derive(Debug, Parser)]
#[command(name = "turret", version, propagate_version = true)]
pub struct Cli {
    /// How log lines on stderr look (the level comes from RUST_LOG, default info).
    #[arg(long, value_enum, default_value_t = LogFormat::Pretty, global = true)]
    pub log_format: LogFormat,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Log line formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve a gateway config; without one, the built-in demo (works offline).
    Serve(ServeArgs),
    /// Bridge transports: serve an MCP server (a URL, or a command after --) over another.
    Proxy(ProxyArgs),
    /// Serve (or --dump) the MCP server generated from an OpenAPI spec.
    Openapi(OpenapiArgs),
    /// List a server's tools, resources, templates and prompts.
    Inspect(InspectArgs),
    /// Call a tool and print its result (exit 1 if the tool failed, 2 on a protocol error).
    Call(CallArgs),
    /// Work with config files.
    #[command(subcommand)]
    Config(ConfigCommand),
}

/// Where a served server listens.
#[derive(Debug, Clone, Args)]
pub struct ListenArgs {
    /// Serve streamable HTTP at http://ADDR/mcp.
    #[arg(long, value_name = "ADDR", conflicts_with = "stdio")]
    pub http: Option<SocketAddr>,
    /// Serve on stdin/stdout.
    #[arg(long)]
    pub stdio: bool,
    /// Run as one of several replicas behind a load balancer, sharing sessions and stream
    /// events through the Redis at URL (HTTP only).
    #[arg(long, value_name = "URL", conflicts_with = "stdio")]
    pub redis: Option<String>,
    /// Serve handshake-era clients without sessions: JSON answers, no server→client requests
    /// (HTTP only; replicas need no shared state then).
    #[arg(long, conflicts_with_all = ["stdio", "redis"])]
    pub stateless: bool,
}

/// `turret serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The gateway config (TOML). Without it, the built-in demo.
    pub config: Option<PathBuf>,
    /// Where to listen (default: the config's `[listen]`, else http on 127.0.0.1:3000).
    #[command(flatten)]
    pub listen: ListenArgs,
}

/// An MCP server to talk to: a URL, or a command (after `--`) to run over stdio.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// The command of a stdio server, with its arguments.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// `turret proxy`.
#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// The backend's URL (or give a command after --).
    pub url: Option<String>,
    /// The backend: a URL, or a command after --.
    #[command(flatten)]
    pub target: TargetArgs,
    /// Where to listen (default: stdio for a URL backend, http on 127.0.0.1:3000 for a
    /// command).
    #[command(flatten)]
    pub listen: ListenArgs,
}

/// `turret openapi`.
#[derive(Debug, Args)]
pub struct OpenapiArgs {
    /// The spec: a file (JSON or YAML; the files beside it that its `$ref`s name are read
    /// too) or an http(s) URL.
    pub spec: String,
    /// The API's base URL (default: the spec's first server).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Print the generated tools, resources and templates as JSON, and exit.
    #[arg(long, conflicts_with_all = ["http", "stdio"])]
    pub dump: bool,
    /// Print what became of each operation (its tool, resource or template, or why it was
    /// left out, and what was renamed or simplified) as JSON, and exit.
    #[arg(long, conflicts_with_all = ["http", "stdio", "dump"])]
    pub report: bool,
    /// Which operations become what.
    #[arg(long, value_enum, default_value_t = RouteMapPreset::Tools)]
    pub route_map: RouteMapPreset,
    /// Names and descriptions.
    #[arg(long, value_enum, default_value_t = NamingMode::Compatible)]
    pub naming: NamingMode,
    /// How tool schemas carry shared definitions: `$defs` at the root, or inlined.
    #[arg(long, value_enum, default_value_t = SchemaShapeArg::Defs)]
    pub schema_shape: SchemaShapeArg,
    /// Where to listen.
    #[command(flatten)]
    pub listen: ListenArgs,
}

/// Route map presets of OpenAPI generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RouteMapPreset {
    /// Every operation is a tool (FastMCP's default).
    Tools,
    /// GET operations are resources or templates, the rest tools.
    GetResources,
}

/// How generated tool schemas carry shared definitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SchemaShapeArg {
    /// Each once in `$defs` at the schema root, every `$ref` into it (most clients).
    Defs,
    /// Self-contained: references inlined, recursion cut with a described `{}`.
    Inline,
}

impl From<SchemaShapeArg> for turret_openapi::SchemaShape {
    fn from(shape: SchemaShapeArg) -> Self {
        match shape {
            SchemaShapeArg::Defs => Self::Defs,
            SchemaShapeArg::Inline => Self::Inline,
        }
    }
}

/// Naming modes of OpenAPI generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NamingMode {
    /// Names as FastMCP gives them.
    Compatible,
    /// Readable names and titles, no blind truncation.
    Improved,
}

/// `turret inspect`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  turret inspect http://127.0.0.1:3000/mcp\n  \
                        turret inspect --json -- npx -y @modelcontextprotocol/server-everything"
)]
pub struct InspectArgs {
    /// The server's URL (or give a command after --).
    pub url: Option<String>,
    /// Print one JSON object (protocolVersion, serverInfo, instructions, tools, resources,
    /// resourceTemplates, prompts) instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Seconds to wait for the server to start and answer the protocol negotiation.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = crate::target::parse_seconds)]
    pub connect_timeout: std::time::Duration,
    /// The server: a URL, or a command after --.
    #[command(flatten)]
    pub target: TargetArgs,
}

/// `turret call`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  turret call http://127.0.0.1:3000/mcp add a=1 b=2\n  \
                        turret call greet name=Ada tags='[\"x\"]' -- ./my-server --stdio\n  \
                        turret call http://127.0.0.1:3000/mcp add --json '{\"a\": 1, \"b\": 2}'\n\n\
                        Exit status: 0 if the tool succeeded, 1 if it reported an error (isError),\n\
                        2 if the server could not be reached or refused the call."
)]
pub struct CallArgs {
    /// `[URL] TOOL [KEY=VALUE…]`: the server's URL unless a command follows --, the tool,
    /// and its arguments (a VALUE that parses as JSON is taken as JSON, else as a string).
    #[arg(required = true, value_name = "ARGS")]
    pub words: Vec<String>,
    /// The arguments as one JSON object instead of KEY=VALUE pairs.
    #[arg(long, value_name = "OBJECT")]
    pub json: Option<String>,
    /// Print the whole result (content, structuredContent, isError) as JSON.
    #[arg(long)]
    pub raw: bool,
    /// Seconds to wait for the server to start and answer the protocol negotiation.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = crate::target::parse_seconds)]
    pub connect_timeout: std::time::Duration,
    /// The server: a URL, or a command after --.
    #[command(flatten)]
    pub target: TargetArgs,
}

/// `turret config …`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Check a gateway config and print what it would serve.
    Check {
        /// The config file.
        config: PathBuf,
    },
}

/// Runs `command`.
pub async fn dispatch(command: Command) -> ExitCode {
    match command {
        Command::Serve(args) => crate::serve::serve_command(args).await,
        Command::Proxy(args) => crate::serve::proxy_command(args).await,
        Command::Openapi(args) => crate::openapi::openapi_command(args).await,
        Command::Inspect(args) => crate::inspect::inspect_command(args).await,
        Command::Call(args) => crate::call::call_command(args).await,
        Command::Config(ConfigCommand::Check { config }) => crate::config::check_command(&config),
    }
}
