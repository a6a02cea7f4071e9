//! The `turret` command line: serve an MCP gateway from a config file (with no config, a
//! built-in demo that works offline), bridge transports, serve a server generated from an
//! OpenAPI spec, and inspect or call any MCP server. Built only on the public API of the
//! other Turret crates.
//!
//! The binary's entry point is [`run`]; the modules are public so the pieces (the config
//! format, the demo) can be reused and tested.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod auth;
pub mod call;
pub mod cli;
pub mod config;
pub mod demo;
pub mod inspect;
pub mod logging;
pub mod openapi;
pub mod probes;
pub mod reload;
pub mod serve;
pub mod target;

use std::process::ExitCode;

use clap::Parser as _;

/// Parses the command line and runs the command; the exit code says how it went.
pub async fn run() -> ExitCode {
    let cli = cli::Cli::parse();
    logging::init(cli.log_format);
    cli::dispatch(cli.command).await
}
