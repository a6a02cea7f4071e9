#!/usr/bin/env bash
# What a new user pays to depend on Turret, against the official Rust SDK (rmcp): for a
# one-tool stdio server and a one-tool streamable HTTP server, each with its SDK's default or
# equivalent features, the crates pulled and a cold build, debug and release.
#
#   bench/build_cost.sh                       # everything, prints the table
#   RMCP_VERSION=3.11.0 bench/build_cost.sh   # another rmcp (default: the newest on crates.io)
#   BUILD_COST_PROFILES=debug bench/build_cost.sh
#
# The four projects are written to target/build-cost/ (outside Turret's workspace: each has an
# empty [workspace] table), Turret's by path at this checkout with `turret-mcp`'s default
# features, rmcp from crates.io with `server` + `macros` and `transport-io` (stdio) or
# `transport-streamable-http-server` (HTTP). Every project gets `cargo fetch` first, so a
# build downloads nothing. Cold = a fresh CARGO_TARGET_DIR for every build, removed after it;
# the same environment for all (CARGO_INCREMENTAL=0, no RUSTFLAGS, no wrapper), the default
# number of jobs. Crates pulled: `cargo tree -e normal --prefix none | sort -u | wc -l` (the
# count issue #24 sets its goal in; a crate seen twice in the tree counts twice there) and
# the distinct packages. The stdio servers answer `initialize` and `tools/list` over a pipe
# before their build is thrown away, so both sides build a server that works. Results:
# target/build-cost/results.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$ROOT/target/build-cost
OUT=$WORK/results.md
PROFILES=${BUILD_COST_PROFILES:-debug release}

started_at=$(date +%s)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log() { printf '== [%4ss] %s\n' "$(($(date +%s) - started_at))" "$*" >&2; }

RMCP_VERSION=${RMCP_VERSION:-$(cargo info rmcp 2>/dev/null | awk '/^version:/ { print $2; exit }')}
[ -n "$RMCP_VERSION" ] || { echo "could not ask crates.io for rmcp's version; set RMCP_VERSION" >&2; exit 1; }

unset RUSTFLAGS RUSTC_WRAPPER CARGO_BUILD_RUSTC_WRAPPER CARGO_PROFILE_DEV_DEBUG CARGO_TARGET_DIR
export CARGO_INCREMENTAL=0

rm -rf "$WORK"
mkdir -p "$WORK"

# ---------------------------------------------------------------------------------------------
# The projects. $1 name, $2 the [dependencies] lines, $3 main.rs.
project() {
  mkdir -p "$WORK/$1/src"
  cat >"$WORK/$1/Cargo.toml" <<EOF
[package]
name = "$1"
version = "0.0.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
$2
EOF
  printf '%s\n' "$3" >"$WORK/$1/src/main.rs"
}

TURRET_DEPS="turret-mcp = { path = \"$ROOT\" }
serde = { version = \"1\", features = [\"derive\"] }
schemars = \"1\""

TURRET_TOOL='use schemars::JsonSchema;
use serde::Deserialize;
use turret::{tool_fn, Args, Router};

#[derive(Deserialize, JsonSchema)]
struct Add {
    a: i64,
    b: i64,
}

async fn add(Args(Add { a, b }): Args<Add>) -> String {
    (a + b).to_string()
}

fn router() -> Router {
    Router::new().tool("add", tool_fn(add).description("Adds two integers"))
}'

project turret-stdio "$TURRET_DEPS
tokio = { version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }" "$TURRET_TOOL

#[tokio::main]
async fn main() -> std::io::Result<()> {
    turret::transport::serve_stdio(router()).await
}"

project turret-http "$TURRET_DEPS
tokio = { version = \"1\", features = [\"macros\", \"rt-multi-thread\", \"net\", \"signal\"] }" "$TURRET_TOOL

#[tokio::main]
async fn main() -> std::io::Result<()> {
    use turret::transport::streamable_http::{serve, StreamableHttpService};
    let listener = tokio::net::TcpListener::bind(\"127.0.0.1:0\").await?;
    eprintln!(\"http://{}/mcp\", listener.local_addr()?);
    let mcp = StreamableHttpService::new(router());
    serve(listener, mcp, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}"

RMCP_TOOL='use rmcp::handler::server::wrapper::Parameters;
use rmcp::{schemars, tool, tool_router};
use serde::Deserialize;

#[derive(Deserialize, schemars::JsonSchema)]
struct Add {
    a: i64,
    b: i64,
}

#[derive(Clone)]
struct Adder;

#[tool_router(server_handler)]
impl Adder {
    #[tool(description = "Adds two integers")]
    fn add(&self, Parameters(Add { a, b }): Parameters<Add>) -> String {
        (a + b).to_string()
    }
}'

project rmcp-stdio "rmcp = { version = \"=$RMCP_VERSION\", default-features = false, features = [\"server\", \"macros\", \"transport-io\"] }
serde = { version = \"1\", features = [\"derive\"] }
tokio = { version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }" "$RMCP_TOOL

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    use rmcp::ServiceExt as _;
    Adder.serve(rmcp::transport::stdio()).await?.waiting().await?;
    Ok(())
}"

# rmcp's streamable HTTP service on hyper's HTTP/1.1 server, as Turret's default serves.
project rmcp-http "rmcp = { version = \"=$RMCP_VERSION\", default-features = false, features = [\"server\", \"macros\", \"transport-streamable-http-server\"] }
serde = { version = \"1\", features = [\"derive\"] }
tokio = { version = \"1\", features = [\"macros\", \"rt-multi-thread\", \"net\", \"signal\"] }
hyper = { version = \"1\", features = [\"server\", \"http1\"] }
hyper-util = { version = \"0.1\", features = [\"tokio\", \"service\"] }" "$RMCP_TOOL

#[tokio::main]
async fn main() -> std::io::Result<()> {
    use std::sync::Arc;

    use hyper_util::rt::TokioIo;
    use hyper_util::service::TowerToHyperService;
    use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
    use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

    let service: StreamableHttpService<Adder, LocalSessionManager> = StreamableHttpService::new(
        || Ok(Adder),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default(),
    );
    let listener = tokio::net::TcpListener::bind(\"127.0.0.1:0\").await?;
    eprintln!(\"http://{}/mcp\", listener.local_addr()?);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => accepted?,
            _ = tokio::signal::ctrl_c() => return Ok(()),
        };
        let service = TowerToHyperService::new(service.clone());
        tokio::spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}"

PROJECTS="turret-stdio rmcp-stdio turret-http rmcp-http"

# ---------------------------------------------------------------------------------------------
log "resolve and fetch (rmcp $RMCP_VERSION)"
declare -A LINES CRATES
for p in $PROJECTS; do
  (cd "$WORK/$p" && cargo generate-lockfile -q && cargo fetch -q)
  tree=$(cd "$WORK/$p" && cargo tree -e normal --prefix none --offline)
  LINES[$p]=$(sort -u <<<"$tree" | wc -l)
  CRATES[$p]=$(sed 's/ (\*)$//' <<<"$tree" | sort -u | wc -l)
  log "$p: ${LINES[$p]} tree lines, ${CRATES[$p]} crates"
done

# A stdio server must answer the handshake and list its one tool.
check_stdio() {
  local bin=$1 answer
  answer=$(printf '%s\n' \
    '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"build-cost","version":"0"}}}' \
    '{"jsonrpc":"2.0","method":"notifications/initialized"}' \
    '{"jsonrpc":"2.0","id":2,"method":"tools/list"}' | timeout 20 "$bin" 2>/dev/null || true)
  grep -q '"id":2' <<<"$answer" && grep -q '"name":"add"' <<<"$answer" ||
    { echo "$bin did not list its add tool: $answer" >&2; return 1; }
}

declare -A SECS
for profile in $PROFILES; do
  flag=; [ "$profile" = release ] && flag=--release
  for p in $PROJECTS; do
    target=$(mktemp -d "$WORK/target-$p-$profile.XXXX")
    log "cold $profile build: $p"
    t0=$(date +%s.%N)
    (cd "$WORK/$p" && CARGO_TARGET_DIR=$target cargo build $flag --locked --offline -q)
    t1=$(date +%s.%N)
    SECS[$p.$profile]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }')
    log "$p $profile: ${SECS[$p.$profile]} s"
    case $p in *-stdio) check_stdio "$target/$profile/$p" ;; esac
    rm -rf "$target"
  done
done

# ---------------------------------------------------------------------------------------------
{
  echo "| server | SDK | features | cargo tree lines | crates | $(for pr in $PROFILES; do printf 'cold %s build (s) | ' "$pr"; done)"
  echo "|---|---|---|---:|---:|$(for _ in $PROFILES; do printf -- '---:|'; done)"
  for p in $PROJECTS; do
    case $p in
      turret-*) sdk="turret-mcp (this checkout)"; feat=default ;;
      rmcp-stdio) sdk="rmcp $RMCP_VERSION"; feat="server, macros, transport-io" ;;
      rmcp-http) sdk="rmcp $RMCP_VERSION"; feat="server, macros, transport-streamable-http-server" ;;
    esac
    printf '| %s | %s | %s | %s | %s | ' "${p#*-}" "$sdk" "$feat" "${LINES[$p]}" "${CRATES[$p]}"
    for pr in $PROFILES; do printf '%s | ' "${SECS[$p.$pr]}"; done
    echo
  done
  echo
  echo "$(nproc) CPUs, $(rustc --version), $(date -u +%Y-%m-%dT%H:%MZ); load average before the run: $LOAD_BEFORE."
} >"$OUT"
cat "$OUT"
