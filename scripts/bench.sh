#!/usr/bin/env bash
# End-to-end load benchmark: starts a node on a temporary data directory, runs
# `bulwark load --scenario reserve` for BULWARK_BENCH_SECONDS (default 10) at each concurrency in
# BULWARK_BENCH_CONCURRENCY (default "1 4 16"), prints one line per level, and stops the node.
# Then runs the in-process micro-benchmarks when build/bench/domain_bench exists.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
seconds="${BULWARK_BENCH_SECONDS:-10}"
levels="${BULWARK_BENCH_CONCURRENCY:-1 4 16}"

if [[ ! -x build/bulwark ]]; then
  echo "bench: build/bulwark is missing, running scripts/setup.sh"
  scripts/setup.sh
fi

work_dir="$(mktemp -d -t bulwark-bench-XXXXXX)"
node_pid=""
cleanup() {
  if [[ -n "$node_pid" ]] && kill -0 "$node_pid" 2>/dev/null; then
    kill -TERM "$node_pid"
    wait "$node_pid" || true
  fi
  rm -rf "$work_dir"
}
trap cleanup EXIT

build/bulwark node --data "$work_dir/data" --listen 127.0.0.1:0 --port-file "$work_dir/port" \
  >"$work_dir/node.log" 2>&1 &
node_pid=$!
for _ in $(seq 1 300); do
  if [[ -s "$work_dir/port" && -s "$work_dir/data/secret" ]] &&
    curl -fsS --max-time 2 "http://127.0.0.1:$(cat "$work_dir/port")/readyz" >/dev/null 2>&1; then
    break
  fi
  sleep 0.1
done
port="$(cat "$work_dir/port")"

echo "bench: reserve + release, $seconds s per level, node sync=true, tenants = concurrency"
printf '%-12s %10s %12s %9s %9s %9s %9s %11s\n' concurrency requests "req/s" p50_ms p90_ms \
  p99_ms max_ms unexpected
status=0
for level in $levels; do
  build/bulwark load --target "http://127.0.0.1:$port" --secret-file "$work_dir/data/secret" \
    --scenario reserve --tenants "$level" --concurrency "$level" --duration "$seconds" \
    --format json >"$work_dir/load.json" 2>/dev/null || status=$?
  # The JSON summary is pretty-printed one field per line, so grep and sed read it without jq.
  field() { grep -m1 "\"$1\":" "$work_dir/load.json" | sed 's/.*: *//; s/,$//'; }
  ms() { awk -v us="$(field "$1")" 'BEGIN { printf "%.2f", us / 1000 }'; }
  printf '%-12s %10s %12.1f %9s %9s %9s %9s %11s\n' "$level" "$(field requests)" \
    "$(field throughput_rps)" "$(ms p50)" "$(ms p90)" "$(ms p99)" "$(ms max)" "$(field unexpected)"
done

if [[ -x build/bench/domain_bench ]]; then
  echo
  echo "bench: in-process micro-benchmarks"
  build/bench/domain_bench --benchmark_min_time=1
fi
exit "$status"
