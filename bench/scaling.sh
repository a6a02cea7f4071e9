#!/usr/bin/env bash
# Replicas behind a load balancer (docs/scaling.md): Turret's echo server (turret-echo) as
# replicas sharing sessions through Redis, behind nginx (round-robin, no stickiness), driven
# by turret-load. All in one run, so the figures compare:
#
#   1. one replica, direct: sessions in memory vs in Redis (the store's added latency);
#   2. through nginx: one replica vs two (req/s), handshake era (sessions in Redis) and
#      2026-07-28 (stateless, nothing shared).
#
#   bench/scaling.sh                    # prints the table; results in target/bench-scaling/
#   BENCH_SECONDS=5 bench/scaling.sh    # longer windows
#
# Needs redis-server and nginx (.ci/system-deps) and builds turret-echo and turret-load in
# release. Binds 127.0.0.1 only; stops everything it started on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DUR=${BENCH_SECONDS:-3}
WARM=${BENCH_WARMUP:-1}
CONC=${BENCH_CONCURRENCY:-32}
PORT0=${BENCH_PORT:-18800}
OUT=$ROOT/target/bench-scaling
RESULTS=$OUT/results.jsonl
LOAD=$ROOT/target/release/turret-load
ECHO=$ROOT/target/release/turret-echo
mkdir -p "$OUT"
: >"$RESULTS"

PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

log() { echo "== $*" >&2; }

log "building (release): turret-echo, turret-load"
timeout 900 nice -n 10 cargo build --release --quiet -p turret-load -p turret-bench --bins

NEXT_PORT=$PORT0
port() {
  PORT=$NEXT_PORT
  NEXT_PORT=$((NEXT_PORT + 1))
}

# start NAME CMD... : starts CMD in the background, waits for $PORT to accept connections.
start() {
  local name=$1
  shift
  "$@" >"$OUT/$name.log" 2>&1 &
  PIDS+=("$!")
  local pid=$! i
  for i in $(seq 1 150); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$name exited early:" >&2
      cat "$OUT/$name.log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "$name did not listen on $PORT" >&2
  return 1
}

# nginx_in_front NAME PORT... : nginx on a new $PORT balancing the replicas on those ports.
nginx_in_front() {
  local name=$1 servers="" p
  shift
  for p in "$@"; do servers+="server 127.0.0.1:$p; "; done
  port
  local dir=$OUT/$name
  mkdir -p "$dir"
  cat >"$dir/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  upstream replicas { $servers keepalive 64; }
  server {
    listen 127.0.0.1:$PORT;
    location / {
      proxy_pass http://replicas;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_buffering off;
    }
  }
}
EOF
  start "$name" /usr/sbin/nginx -c "$dir/nginx.conf" -p "$dir"
}

# load LABEL URL ARGS... : one case at concurrency 1 and $CONC.
load() {
  local label=$1 url=$2
  shift 2
  local c
  for c in 1 "$CONC"; do
    timeout $((DUR + WARM + 60)) "$LOAD" "$url" -c "$c" -d "$DUR" -w "$WARM" \
      --label "$label" --json "$@" | tee -a "$RESULTS" >&2 ||
      echo "{\"label\":\"$label\",\"concurrency\":$c,\"failed\":true}" >>"$RESULTS"
  done
}

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpus: $(nproc); $(redis-server --version | cut -d' ' -f1-3); $(/usr/sbin/nginx -v 2>&1)"
  echo "${WARM}s warm-up + ${DUR}s per case; concurrency 1 and $CONC"
} | tee "$OUT/env.txt" >&2

port
REDIS_PORT=$PORT
start redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no
REDIS=redis://127.0.0.1:$REDIS_PORT

log "one replica, direct: sessions in memory vs in Redis"
port; MEM=$PORT
start echo-memory "$ECHO" --addr "127.0.0.1:$MEM"
load "direct-memory" "http://127.0.0.1:$MEM/mcp" --era handshake
port; R1=$PORT
start echo-redis-1 "$ECHO" --addr "127.0.0.1:$R1" --redis "$REDIS"
load "direct-redis" "http://127.0.0.1:$R1/mcp" --era handshake

log "through nginx: one replica vs two"
port; R2=$PORT
start echo-redis-2 "$ECHO" --addr "127.0.0.1:$R2" --redis "$REDIS"
nginx_in_front lb-one "$R1"
LB1=$PORT
nginx_in_front lb-two "$R1" "$R2"
LB2=$PORT
load "lb1-handshake" "http://127.0.0.1:$LB1/mcp" --era handshake
load "lb2-handshake" "http://127.0.0.1:$LB2/mcp" --era handshake
load "lb1-2026" "http://127.0.0.1:$LB1/mcp" --era 2026
load "lb2-2026" "http://127.0.0.1:$LB2/mcp" --era 2026

python3 - "$RESULTS" "$CONC" <<'PY' | tee "$OUT/table.md"
import json, sys
rows = {}
for line in open(sys.argv[1]):
    if line.strip():
        r = json.loads(line)
        rows[(r["label"], r.get("concurrency"))] = r
conc = int(sys.argv[2])
def cell(label, c, key):
    r = rows.get((label, c))
    if not r or r.get("failed"):
        return "failed"
    return r.get(key)
names = {
    "direct-memory": "one replica, direct, sessions in memory (handshake)",
    "direct-redis": "one replica, direct, sessions in Redis (handshake)",
    "lb1-handshake": "nginx → 1 replica, Redis (handshake)",
    "lb2-handshake": "nginx → 2 replicas, Redis (handshake)",
    "lb1-2026": "nginx → 1 replica (2026-07-28, stateless)",
    "lb2-2026": "nginx → 2 replicas (2026-07-28, stateless)",
}
print(f"| case | p50 ms (c=1) | p99 ms (c=1) | req/s (c={conc}) | p50 ms (c={conc}) | errors |")
print("|---|---|---|---|---|---|")
for label, name in names.items():
    p50 = cell(label, 1, "p50_ms"); p99 = cell(label, 1, "p99_ms")
    rps = cell(label, conc, "rps"); p50c = cell(label, conc, "p50_ms")
    err = sum((rows.get((label, c)) or {}).get("errors", 0) for c in (1, conc))
    fmt = lambda v, d: v if isinstance(v, str) else f"{v:,.{d}f}"
    print(f"| {name} | {fmt(p50,3)} | {fmt(p99,3)} | {fmt(rps,0)} | {fmt(p50c,3)} | {err} |")
def ratio(a, b, key, c):
    x, y = cell(a, c, key), cell(b, c, key)
    return "n/a" if isinstance(x, str) or isinstance(y, str) else f"{x / y:.2f}"
print()
print(f"- Redis-backed sessions vs in memory, p50 at c=1: {ratio('direct-redis', 'direct-memory', 'p50_ms', 1)}x")
print(f"- two replicas vs one through nginx, req/s at c={conc}: handshake {ratio('lb2-handshake', 'lb1-handshake', 'rps', conc)}x, 2026-07-28 {ratio('lb2-2026', 'lb1-2026', 'rps', conc)}x")
PY
