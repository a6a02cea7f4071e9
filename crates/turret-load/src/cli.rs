//! The command line, as clap's derive API reads it, and the protocol eras it can choose.

use clap::{Parser, ValueEnum};

/// The protocol era the generator speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Era {
    /// `initialize` + `Mcp-Session-Id` (2025-03-26 … 2025-11-25).
    Handshake,
    /// 2026-07-28: no handshake, version and capabilities in every request's `_meta`.
    #[value(name = "2026", alias = "sessionless", alias = "2026-07-28")]
    Sessionless,
}

/// The revision [`Era::Sessionless`] speaks: there is no handshake to settle on another.
pub(crate) const SESSIONLESS_VERSION: &str = "2026-07-28";

/// Drive `tools/call` against an MCP server over streamable HTTP and report throughput and
/// latency.
#[derive(Parser, Debug)]
#[command(name = "turret-load", version)]
pub(crate) struct Args {
    /// The MCP endpoint, e.g. `http://127.0.0.1:3000/mcp` (plain HTTP only).
    pub(crate) url: String,
    /// Protocol era.
    #[arg(long, value_enum, default_value_t = Era::Sessionless)]
    pub(crate) era: Era,
    /// The revision offered in `initialize` (handshake era).
    #[arg(long, default_value = "2025-11-25")]
    pub(crate) protocol_version: String,
    /// Concurrent connections, one caller on each.
    #[arg(short, long, default_value_t = 1)]
    pub(crate) concurrency: usize,
    /// Sessions to open and spread the callers over (handshake era; default: one per
    /// connection).
    #[arg(long)]
    pub(crate) sessions: Option<usize>,
    /// Measuring window in seconds.
    #[arg(short, long, default_value_t = 5.0)]
    pub(crate) duration: f64,
    /// Warm-up in seconds before the window (calls made, not counted).
    #[arg(short, long, default_value_t = 1.0)]
    pub(crate) warmup: f64,
    /// The tool to call; it must answer with its `text` argument as the first text block.
    #[arg(long, default_value = "echo")]
    pub(crate) tool: String,
    /// The `text` argument sent.
    #[arg(long, default_value = "hello")]
    pub(crate) text: String,
    /// Give up on one request after this many seconds (counted as an error).
    #[arg(long, default_value_t = 10.0)]
    pub(crate) timeout: f64,
    /// Instead of load: open this many idle sessions and report the server's memory per
    /// session (needs `--pid`).
    #[arg(long)]
    pub(crate) hold: Option<usize>,
    /// The server's process id, whose resident set `--hold` reads from /proc.
    #[arg(long)]
    pub(crate) pid: Option<u32>,
    /// The server answers every request with one fixed body (a ceiling baseline): check only
    /// the status and the echoed text, not the response id.
    #[arg(long)]
    pub(crate) fixed: bool,
    /// A label for the report.
    #[arg(long, default_value = "")]
    pub(crate) label: String,
    /// Print one JSON object instead of a line of text.
    #[arg(long)]
    pub(crate) json: bool,
}
