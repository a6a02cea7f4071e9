#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 30), from a copy of its committed seed
# corpus, and prints the executions per target. Exits non-zero if any target crashes, hangs
# or fails a property; the failing input is kept under fuzz/artifacts/<target>/.
#
#   fuzz/run.sh [SECONDS]
#   fuzz/run.sh --ci      a fixed seed and a fixed number of runs per target (about 30 s
#                         each here): the same inputs on every run, so CI does not fail at
#                         random on a finding; new findings come from the timed runs.
#
# Needs only a stable toolchain and crates.io: cargo-fuzz's nightly flags are accepted by
# stable rustc with RUSTC_BOOTSTRAP=1, and the targets are built without a sanitizer
# (Turret forbids `unsafe`; ASan would mostly slow the runs). Builds and runs are niced.
set -euo pipefail
cd "$(dirname "$0")/.."

ci=false
if [ "${1:-}" = "--ci" ]; then ci=true; shift; fi
seconds=${1:-30}
# Runs per target in --ci mode (a 30 s run here executes about this many or more).
declare -A ci_runs=([http_edge]=250000 [jsonrpc_decode]=1000000 [openapi_load]=90000
  [sse_client]=400000 [uri_template]=450000)
export RUSTC_BOOTSTRAP=1
flags=(--fuzz-dir fuzz --sanitizer none --debug-assertions)

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  nice -n 19 cargo install cargo-fuzz --locked
fi

echo "== building the fuzz targets"
nice -n 19 cargo fuzz build "${flags[@]}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
summary=()
for target in $(cargo fuzz list --fuzz-dir fuzz); do
  if $ci; then echo "== fuzzing $target (seed 1, ${ci_runs[$target]:-200000} runs)"; else echo "== fuzzing $target for ${seconds}s"; fi
  mkdir -p "$work/$target"
  if [ -d "fuzz/corpus/$target" ]; then cp -R "fuzz/corpus/$target/." "$work/$target/"; fi
  # Past findings run too: the fixes they led to must hold.
  for found in fuzz/found/"$target"-*; do if [ -f "$found" ]; then cp "$found" "$work/$target/"; fi; done
  log="$work/$target.log"
  if $ci; then
    bound=(-seed=1 -runs="${ci_runs[$target]:-200000}")
  else
    bound=(-max_total_time="$seconds")
  fi
  if nice -n 19 cargo fuzz run "${flags[@]}" "$target" "$work/$target" -- \
    "${bound[@]}" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    >"$log" 2>&1; then
    result=ok
  else
    result=FAILED
    status=1
    grep -v '^#[0-9]' "$log" | tail -60
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  corpus=$(find "$work/$target" -type f | wc -l)
  summary+=("$(printf '%-16s %-6s %10s execs  %5s corpus entries' "$target" "$result" "${execs:-?}" "$corpus")")
done

if $ci; then echo "== fuzz summary (seed 1, fixed runs)"; else echo "== fuzz summary (${seconds}s per target)"; fi
printf '%s\n' "${summary[@]}"
exit "$status"
