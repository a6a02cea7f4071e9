#!/usr/bin/env bash
# Turret against other MCP servers over streamable HTTP on loopback, same tool (`echo`), same
# load: every server pinned to one CPU (`taskset -c $SERVER_CPU`), the load generator
# (turret-load) on another (`taskset -c $LOAD_CPU`), concurrency 1 and 32, a warm-up before
# every measuring window. Then a proxy hop (Turret and FastMCP) against the direct call, and
# idle memory per handshake-era session.
#
#   bench/compare.sh                      # everything, prints the tables
#   BENCH_SECONDS=5 bench/compare.sh      # longer windows (whole seconds)
#   BENCH_BUILD=0 BENCH_INPROC=0 BENCH_PROFILE=0 bench/compare.sh   # servers only, no builds
#
# Installs what it needs from the registries (pip: fastmcp 4.2.3 when the harness venv does
# not have it; npm: the TypeScript SDK pinned in bench/ts-echo; cargo: rmcp in bench/rmcp-echo),
# builds Turret's pieces in release once, binds 127.0.0.1 only, bounds every run in time and
# stops everything it started on exit. Results: target/bench-results/ (results.jsonl, the
# tables in tables.md, server logs).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

DUR=${BENCH_SECONDS:-3}           # measuring window per case, seconds
WARM=${BENCH_WARMUP:-1}           # warm-up per case, seconds
HOLD=${BENCH_SESSIONS:-10000}     # idle sessions held, Rust servers
HOLD_SLOW=${BENCH_SESSIONS_SLOW:-2000} # idle sessions held, Python and node servers
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
PORT0=${BENCH_PORT:-18700}
OUT=$ROOT/target/bench-results
RESULTS=$OUT/results.jsonl
LOAD=$ROOT/target/release/turret-load
ECHO=$ROOT/target/release/turret-echo
RMCP=$ROOT/target/bench-rmcp/release/rmcp-echo

started_at=$(date +%s)
mkdir -p "$OUT"
: >"$RESULTS"

PIDS=()
cleanup() {
  local pid
  for pid in ${PIDS[@]+"${PIDS[@]}"}; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in ${PIDS[@]+"${PIDS[@]}"}; do
    wait "$pid" 2>/dev/null || true
  done
  PIDS=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '== [%4ss] %s\n' "$(($(date +%s) - started_at))" "$*" >&2; }

# ---------------------------------------------------------------------------------------------
log "environment"
HARNESS_ENV=${HARNESS_ENV:-$ROOT/../shared/harness/env.sh}
if [ -f "$HARNESS_ENV" ]; then
  # shellcheck disable=SC1090
  . "$HARNESS_ENV"
fi
PY=python3
if command -v python >/dev/null && python -c 'import fastmcp, sys; sys.exit(fastmcp.__version__ != "4.2.3")' 2>/dev/null; then
  PY=python
else
  log "installing fastmcp 4.2.3 into target/bench-venv"
  [ -x "$ROOT/target/bench-venv/bin/python" ] || python3 -m venv "$ROOT/target/bench-venv"
  PY=$ROOT/target/bench-venv/bin/python
  timeout 300 "$PY" -m pip install -q fastmcp==4.2.3
fi
command -v node >/dev/null || { echo "node (>= 18) is needed for the TypeScript SDK server" >&2; exit 1; }
(cd bench/ts-echo && timeout 300 npm ci --silent --no-audit --no-fund)

if [ "${BENCH_BUILD:-1}" = 1 ]; then
  log "building (release): Turret's echo server, turret-load, the in-process benches; rmcp-echo beside them"
  # Two cargo processes at once fill each other's serial phases (single-crate compiles, links).
  CARGO_TARGET_DIR=$ROOT/target/bench-rmcp timeout 900 nice -n 10 cargo build --release --quiet \
    --manifest-path bench/rmcp-echo/Cargo.toml &
  rmcp_build=$!
  PIDS+=("$rmcp_build")
  timeout 900 nice -n 10 cargo build --release --quiet -p turret-load -p turret-bench --bins
  if [ "${BENCH_INPROC:-1}" = 1 ]; then
    timeout 900 nice -n 10 cargo bench --quiet --no-run -p turret-bench --benches
  fi
  wait "$rmcp_build"
  PIDS=()
  log "built"
fi

FASTMCP_VERSION=$("$PY" -c 'import fastmcp; print(fastmcp.__version__)')
TS_VERSION=$(node -p 'require("./bench/ts-echo/node_modules/@modelcontextprotocol/sdk/package.json").version')
RMCP_VERSION=$(grep -A1 '^name = "rmcp"$' bench/rmcp-echo/Cargo.lock | sed -n 's/version = "\(.*\)"/\1/p')
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr)"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "rustc: $(rustc --version)"
  echo "python: $("$PY" --version 2>&1), fastmcp $FASTMCP_VERSION"
  echo "node: $(node --version), @modelcontextprotocol/sdk $TS_VERSION"
  echo "rmcp: $RMCP_VERSION"
  echo "servers on CPU $SERVER_CPU, load generator on CPU $LOAD_CPU; ${WARM}s warm-up + ${DUR}s per case"
} | tee "$OUT/env.txt" >&2

# ---------------------------------------------------------------------------------------------
# Servers.

NEXT_PORT=$PORT0
SERVER_PID=
# start NAME CMD... : starts CMD pinned to the server CPU on port $PORT (set before), waits
# until it accepts connections.
start() {
  local name=$1
  shift
  taskset -c "$SERVER_CPU" "$@" >"$OUT/$name.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  local i
  for i in $(seq 1 150); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
      return 0
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "$name exited early; its log:" >&2
      cat "$OUT/$name.log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "$name did not listen on $PORT within 15 s" >&2
  return 1
}

port() {
  PORT=$NEXT_PORT
  NEXT_PORT=$((NEXT_PORT + 1))
}

stop_all() { cleanup; }

# load LABEL URL ARGS... : one case at concurrency 1 and 32.
load() {
  local label=$1 url=$2
  shift 2
  local c
  for c in 1 32; do
    timeout $((DUR + WARM + 60)) taskset -c "$LOAD_CPU" "$LOAD" "$url" -c "$c" -d "$DUR" -w "$WARM" \
      --label "$label" --json "$@" | tee -a "$RESULTS" >&2 ||
      echo "{\"label\":\"$label\",\"concurrency\":$c,\"failed\":true}" >>"$RESULTS"
  done
}

# hold LABEL URL N : idle memory per session of the server last started.
hold() {
  timeout 300 taskset -c "$LOAD_CPU" "$LOAD" "$2" --era handshake --hold "$3" -c 32 --pid "$SERVER_PID" \
    --label "$1" --json | tee -a "$RESULTS" >&2 ||
    echo "{\"label\":\"$1\",\"sessions\":$3,\"held\":false,\"failed\":true}" >>"$RESULTS"
}

# ---------------------------------------------------------------------------------------------
log "throughput and latency"

port; start hyper-fixed "$ECHO" --mode fixed --addr "127.0.0.1:$PORT"
load "hyper-fixed" "http://127.0.0.1:$PORT/mcp" --fixed
stop_all

port; start turret-axum-json "$ECHO" --mode axum --addr "127.0.0.1:$PORT"
load "turret-axum-json" "http://127.0.0.1:$PORT/mcp" --era 2026
stop_all

port; start turret-hyper-json "$ECHO" --mode hyper --addr "127.0.0.1:$PORT"
load "turret-hyper-json" "http://127.0.0.1:$PORT/mcp" --era 2026
stop_all

port; start turret-axum-sse "$ECHO" --mode axum --response sse --addr "127.0.0.1:$PORT"
load "turret-axum-sse" "http://127.0.0.1:$PORT/mcp" --era handshake
hold "turret-axum-sessions" "http://127.0.0.1:$PORT/mcp" "$HOLD"
stop_all

port; start turret-hyper-sse "$ECHO" --mode hyper --response sse --addr "127.0.0.1:$PORT"
load "turret-hyper-sse" "http://127.0.0.1:$PORT/mcp" --era handshake
stop_all

port; start rmcp-json "$RMCP" --mode stateless --addr "127.0.0.1:$PORT"
load "rmcp-json" "http://127.0.0.1:$PORT/mcp" --era 2026
stop_all

port; start rmcp-sse "$RMCP" --mode sessions --addr "127.0.0.1:$PORT"
load "rmcp-sse" "http://127.0.0.1:$PORT/mcp" --era handshake
hold "rmcp-sessions" "http://127.0.0.1:$PORT/mcp" "$HOLD"
stop_all

port; start fastmcp-json "$PY" bench/fastmcp_echo.py --stateless --port "$PORT"
load "fastmcp-json" "http://127.0.0.1:$PORT/mcp" --era 2026
stop_all

port; start fastmcp-sse "$PY" bench/fastmcp_echo.py --port "$PORT"
load "fastmcp-sse" "http://127.0.0.1:$PORT/mcp" --era handshake
hold "fastmcp-sessions" "http://127.0.0.1:$PORT/mcp" "$HOLD_SLOW"
stop_all

port; start ts-json node bench/ts-echo/server.mjs --mode stateless --port "$PORT"
load "ts-json" "http://127.0.0.1:$PORT/mcp" --era handshake
stop_all

port; start ts-sse node bench/ts-echo/server.mjs --mode sessions --port "$PORT"
load "ts-sse" "http://127.0.0.1:$PORT/mcp" --era handshake
hold "ts-sessions" "http://127.0.0.1:$PORT/mcp" "$HOLD_SLOW"
stop_all

# ---------------------------------------------------------------------------------------------
log "proxy hop (backend and proxy both on CPU $SERVER_CPU)"

port; BACKEND=$PORT; start turret-backend "$ECHO" --mode axum --addr "127.0.0.1:$PORT"
port; start turret-proxy "$ECHO" --mode axum --proxy "http://127.0.0.1:$BACKEND/mcp" --addr "127.0.0.1:$PORT"
load "turret-direct" "http://127.0.0.1:$BACKEND/mcp" --era 2026
load "turret-proxied" "http://127.0.0.1:$PORT/mcp" --era 2026
stop_all

port; BACKEND=$PORT; start fastmcp-backend "$PY" bench/fastmcp_echo.py --port "$PORT"
port; start fastmcp-proxy "$PY" bench/fastmcp_echo.py --proxy "http://127.0.0.1:$BACKEND/mcp" --port "$PORT"
load "fastmcp-direct" "http://127.0.0.1:$BACKEND/mcp" --era handshake
load "fastmcp-proxied" "http://127.0.0.1:$PORT/mcp" --era handshake
stop_all

# ---------------------------------------------------------------------------------------------
if [ "${BENCH_PROFILE:-1}" = 1 ] && command -v perf >/dev/null; then
  log "profile: Turret (axum, sessions + SSE) at c=32 under perf record"
  port
  taskset -c "$SERVER_CPU" perf record -q -e cpu-clock -F 999 -o "$OUT/perf.data" -- \
    "$ECHO" --mode axum --response sse --addr "127.0.0.1:$PORT" >"$OUT/turret-profile.log" 2>&1 &
  perf_pid=$!
  PIDS+=("$perf_pid")
  for _ in $(seq 1 150); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    sleep 0.1
  done
  timeout $((DUR + WARM + 60)) taskset -c "$LOAD_CPU" "$LOAD" "http://127.0.0.1:$PORT/mcp" --era handshake -c 32 \
    -d "$DUR" -w "$WARM" --label turret-profile >/dev/null || true
  # Stop the server (perf's child) so perf writes its data and exits.
  server=$(pgrep -P "$perf_pid" || true)
  [ -n "$server" ] && kill -INT "$server" 2>/dev/null || true
  timeout 30 tail --pid="$perf_pid" -f /dev/null || true
  stop_all
  perf report -i "$OUT/perf.data" --no-children --sort dso,symbol --percent-limit 0.05 --stdio 2>/dev/null |
    grep -v '^#' | grep -v '^$' | sed 's/[[:space:]-]*$//' >"$OUT/profile.txt" || true
fi

# ---------------------------------------------------------------------------------------------
if [ "${BENCH_INPROC:-1}" = 1 ]; then
  log "in-process (criterion, pinned to CPU $SERVER_CPU): codec, layers, mount_call"
  rm -rf "$OUT/criterion"
  CRITERION_HOME=$OUT/criterion timeout 600 taskset -c "$SERVER_CPU" \
    cargo bench --quiet -p turret-bench --benches -- --warm-up-time 0.5 --measurement-time 1.5 --noplot \
    >"$OUT/criterion.log" 2>&1 || echo "in-process benches failed: see $OUT/criterion.log" >&2
fi

echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/env.txt" >&2
echo "elapsed: $(($(date +%s) - started_at)) s" | tee -a "$OUT/env.txt" >&2

# ---------------------------------------------------------------------------------------------
log "tables"
"$PY" - "$RESULTS" "$OUT" <<'EOF' | tee "$OUT/tables.md"
import glob, json, os, sys

rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
load = {(r["label"], r.get("concurrency")): r for r in rows if "rps" in r or r.get("failed") and "held" not in r}
held = {r["label"]: r for r in rows if "held" in r}

NAMES = {
    "hyper-fixed": "bare hyper, fixed JSON-RPC body (ceiling)",
    "turret-axum-json": "Turret, axum /mcp, stateless JSON (2026-07-28)",
    "turret-hyper-json": "Turret, bare hyper, stateless JSON (2026-07-28)",
    "rmcp-json": "rmcp, stateless JSON (2026-07-28)",
    "fastmcp-json": "FastMCP, stateless JSON (2026-07-28)",
    "ts-json": "TypeScript SDK, stateless JSON (2025-11-25, no session)",
    "turret-axum-sse": "Turret, axum /mcp, sessions + SSE (2025-11-25)",
    "turret-hyper-sse": "Turret, bare hyper, sessions + SSE (2025-11-25)",
    "rmcp-sse": "rmcp, sessions + SSE (2025-11-25)",
    "fastmcp-sse": "FastMCP, sessions + SSE (2025-11-25)",
    "ts-sse": "TypeScript SDK, sessions + SSE (2025-11-25)",
    "turret-direct": "Turret, direct (2026-07-28)",
    "turret-proxied": "Turret, through a Turret proxy",
    "fastmcp-direct": "FastMCP, direct (sessions + SSE)",
    "fastmcp-proxied": "FastMCP, through a FastMCP proxy",
}

def get(label, c, key):
    r = load.get((label, c))
    if not r or r.get("failed") or key not in r:
        return None
    return r[key]

def fmt_rps(v):
    return "failed" if v is None else f"{v:,.0f}"

def fmt_ms(v):
    return "–" if v is None else f"{v:.3f}"

def table(title, labels):
    print(f"\n### {title}\n")
    print("| server | c=1 req/s | p50 ms | p90 ms | p99 ms | c=32 req/s | p50 ms | p90 ms | p99 ms | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for l in labels:
        cells = [NAMES[l]]
        errors = 0
        for c in (1, 32):
            cells.append(fmt_rps(get(l, c, "rps")))
            cells += [fmt_ms(get(l, c, k)) for k in ("p50_ms", "p90_ms", "p99_ms")]
            errors += get(l, c, "errors") or 0
        cells.append(str(errors))
        print("| " + " | ".join(cells) + " |")

def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b

def fmt_ratio(v):
    return "–" if v is None else f"{v:.2f}×"

table("Stateless, JSON answers", ["hyper-fixed", "turret-axum-json", "turret-hyper-json", "rmcp-json", "fastmcp-json", "ts-json"])
table("Sessions, SSE answers", ["turret-axum-sse", "turret-hyper-sse", "rmcp-sse", "fastmcp-sse", "ts-sse"])
table("Proxy hop", ["turret-direct", "turret-proxied", "fastmcp-direct", "fastmcp-proxied"])

print("\n### Idle memory per session (handshake era, server RSS before and after opening)\n")
print("| server | sessions | RSS before KiB | RSS after KiB | KiB per session | all held | opened in s |")
print("|---|---:|---:|---:|---:|---|---:|")
for l, name in [("turret-axum-sessions", "Turret (axum)"), ("rmcp-sessions", "rmcp"), ("fastmcp-sessions", "FastMCP"), ("ts-sessions", "TypeScript SDK")]:
    r = held.get(l)
    if not r or r.get("failed"):
        print(f"| {name} | {r['sessions'] if r else '–'} | failed | | | no | |")
        continue
    print(f"| {name} | {r['sessions']:,} | {r['rss_before_kib']:,} | {r['rss_after_kib']:,} | {r['kib_per_session']:.1f} | {'yes' if r['held'] else 'no'} | {r['open_s']:.1f} |")

print("\n### Ratios (req/s)\n")
print("| ratio | c=1 | c=32 |")
print("|---|---:|---:|")
pairs = [
    ("Turret axum JSON / bare hyper", "turret-axum-json", "hyper-fixed"),
    ("Turret hyper JSON / bare hyper", "turret-hyper-json", "hyper-fixed"),
    ("Turret axum JSON / rmcp JSON", "turret-axum-json", "rmcp-json"),
    ("Turret axum SSE / rmcp SSE", "turret-axum-sse", "rmcp-sse"),
    ("Turret axum JSON / FastMCP JSON", "turret-axum-json", "fastmcp-json"),
    ("Turret axum SSE / FastMCP SSE", "turret-axum-sse", "fastmcp-sse"),
    ("Turret axum JSON / TypeScript SDK JSON", "turret-axum-json", "ts-json"),
    ("Turret axum SSE / TypeScript SDK SSE", "turret-axum-sse", "ts-sse"),
    ("Turret proxied / Turret direct", "turret-proxied", "turret-direct"),
    ("FastMCP proxied / FastMCP direct", "fastmcp-proxied", "fastmcp-direct"),
    ("Turret proxied / FastMCP proxied", "turret-proxied", "fastmcp-proxied"),
]
for name, a, b in pairs:
    print(f"| {name} | {fmt_ratio(ratio(get(a, 1, 'rps'), get(b, 1, 'rps')))} | {fmt_ratio(ratio(get(a, 32, 'rps'), get(b, 32, 'rps')))} |")

print("\n### Goals\n")
print("| goal | measured | met |")
print("|---|---|---|")
def goal(name, value, text, ok):
    print(f"| {name} | {text if value is not None else 'not measured'} | {'–' if value is None else ('yes' if ok else 'no')} |")
v = ratio(get("turret-axum-json", 32, "rps"), get("hyper-fixed", 32, "rps"))
goal("stateless JSON ≥ 60% of bare hyper (c=32)", v, f"{(v or 0) * 100:.0f}%", v is not None and v >= 0.6)
v = ratio(get("turret-axum-json", 32, "rps"), get("rmcp-json", 32, "rps"))
goal("stateless JSON ≈ 2× rmcp (c=32)", v, f"{v or 0:.2f}×", v is not None and v >= 2.0)
v = ratio(get("turret-axum-sse", 32, "rps"), get("rmcp-sse", 32, "rps"))
goal("sessions + SSE ≥ 1.5× rmcp (c=32)", v, f"{v or 0:.2f}×", v is not None and v >= 1.5)
v = get("turret-axum-json", 1, "p50_ms")
goal("p50 at c=1 ≤ 0.10 ms (stateless JSON)", v, f"{v or 0:.3f} ms", v is not None and v <= 0.10)
v = get("turret-axum-sse", 1, "p50_ms")
goal("p50 at c=1 ≤ 0.10 ms (sessions + SSE)", v, f"{v or 0:.3f} ms", v is not None and v <= 0.10)
r = held.get("turret-axum-sessions")
v = None if not r or r.get("failed") else r["kib_per_session"]
goal("idle HTTP session < 16 KiB", v, f"{v or 0:.1f} KiB", v is not None and v < 16)
goal("10,000 sessions held", v, f"{r['sessions']:,}, all held: {'yes' if r['held'] else 'no'}" if v is not None else "", v is not None and r["held"] and r["sessions"] >= 10000)
v = ratio(get("turret-proxied", 1, "p50_ms"), get("turret-direct", 1, "p50_ms"))
goal("proxy hop p50 ≤ 2.2× direct (c=1)", v, f"{v or 0:.2f}×", v is not None and v <= 2.2)
v = ratio(get("turret-proxied", 32, "rps"), get("turret-direct", 32, "rps"))
goal("proxy hop ≥ 45% of direct req/s (c=32)", v, f"{(v or 0) * 100:.0f}%", v is not None and v >= 0.45)

crit = {}
for path in glob.glob(os.path.join(sys.argv[2], "criterion", "**", "new", "benchmark.json"), recursive=True):
    bench = json.load(open(path))
    est = json.load(open(os.path.join(os.path.dirname(path), "estimates.json")))
    crit[bench["full_id"]] = est["median"]["point_estimate"]
if crit:
    print("\n### In-process (criterion median, pinned to one CPU)\n")
    print("| benchmark | median |")
    print("|---|---:|")
    for k in sorted(crit):
        ns = crit[k]
        print(f"| {k} | {ns / 1000:.2f} µs |" if ns >= 1000 else f"| {k} | {ns:.0f} ns |")
    v = crit.get("layers/trace_filter_cache_miss")
    print()
    print("Goal: in-process call through three layers (trace+filter+cache, miss path) < 2 µs: "
          + ("not measured" if v is None else f"{v / 1000:.2f} µs, {'met' if v < 2000 else 'not met'}"))
path = os.path.join(sys.argv[2], "profile.txt")
if os.path.exists(path) and os.path.getsize(path):
    import re
    cats = {}
    top = []
    for line in open(path):
        m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(.*)", line)
        if not m:
            continue
        pct, dso, kind, sym = float(m.group(1)), m.group(2), m.group(3), m.group(4).strip()
        if kind == "k" or dso.startswith("[kernel"):
            cat = "kernel (TCP, syscalls, scheduling)"
        elif "turret" in sym:
            cat = "turret (transport, router, session)"
        elif re.search(r"malloc|free|_int_|consolidate|unlink_chunk|realloc|calloc|tcache", sym):
            cat = "allocator (malloc/free)"
        elif re.search(r"^__mem|^mem", sym):
            cat = "memcpy/memmove/memcmp"
        elif "serde" in sym:
            cat = "serde / serde_json"
        elif re.search(r"hyper|httparse|http::|h2::|bytes::", sym):
            cat = "hyper / http"
        elif "tokio" in sym:
            cat = "tokio runtime"
        elif re.search(r"axum|tower|matchit", sym):
            cat = "axum / tower"
        else:
            cat = "other"
        cats[cat] = cats.get(cat, 0.0) + pct
        if len(top) < 15:
            top.append((pct, sym[:110]))
    print("\n### perf: Turret server (axum, sessions + SSE, c=32), where the CPU time goes\n")
    print("| share of server CPU samples | % |")
    print("|---|---:|")
    for cat, pct in sorted(cats.items(), key=lambda kv: -kv[1]):
        print(f"| {cat} | {pct:.1f} |")
    print("\nTop symbols:\n")
    print("| % | symbol |")
    print("|---:|---|")
    for pct, sym in top:
        print(f"| {pct:.2f} | `{sym}` |")
EOF
