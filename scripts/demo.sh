#!/usr/bin/env bash
# Runs the Bulwark demo end to end: builds if needed, starts one node on ./data, drives the
# real-data procurement workload (bulwark load --scenario demo), stops the node, replays the
# journal with the verifier and prints a summary. Exits 0 only when the workload saw no unexpected
# outcome and every invariant holds.
#
# Arguments are passed to `bulwark load`, e.g. `scripts/demo.sh --days 60 --tenants 5`.
# BULWARK_DATA_DIR overrides the folder with the economic series (default: ../shared/data beside
# the repository). Running it again reuses ./data; every run uses fresh ids.
set -euo pipefail

script_dir="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$script_dir/.." && pwd)"
cd "$root"

shared_data="${BULWARK_DATA_DIR:-$script_dir/../../shared/data}"
if [[ ! -d "$shared_data" ]]; then
  echo "demo: shared data folder $shared_data not found; set BULWARK_DATA_DIR" >&2
  exit 2
fi
shared_data="$(cd "$shared_data" && pwd)"
export BULWARK_DATA_DIR="$shared_data"
series="$shared_data/econ/wti-daily.csv"

if [[ ! -x build/bulwark ]]; then
  echo "demo: build/bulwark is missing, running scripts/setup.sh"
  scripts/setup.sh
fi

data_dir="./data"
mkdir -p "$data_dir"
port_file="$data_dir/node.port"
log_file="$data_dir/node.log"
load_output="$data_dir/load-summary.txt"
replay_output="$data_dir/replay.txt"
rm -f "$port_file"

echo "demo: starting node on $data_dir (log in $log_file)"
build/bulwark node --data "$data_dir" --listen 127.0.0.1:0 --port-file "$port_file" \
  >>"$log_file" 2>&1 &
node_pid=$!

# Stops the node on every exit path, so no demo leaves a server running.
stop_node() {
  if [[ -n "${node_pid:-}" ]] && kill -0 "$node_pid" 2>/dev/null; then
    kill -TERM "$node_pid"
    wait "$node_pid" || true
  fi
  node_pid=""
}
trap stop_node EXIT

# Waits up to 30 s for the port file, the secret and a 200 from /readyz.
ready=0
for _ in $(seq 1 300); do
  if ! kill -0 "$node_pid" 2>/dev/null; then
    echo "demo: node exited during start; last log lines:" >&2
    tail -n 20 "$log_file" >&2
    exit 1
  fi
  if [[ -s "$port_file" && -s "$data_dir/secret" ]]; then
    port="$(cat "$port_file")"
    if curl -fsS --max-time 2 "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
      ready=1
      break
    fi
  fi
  sleep 0.1
done
if [[ $ready -ne 1 ]]; then
  echo "demo: node did not become ready within 30 s; last log lines:" >&2
  tail -n 20 "$log_file" >&2
  exit 1
fi
echo "demo: node ready on 127.0.0.1:$port"

load_status=0
build/bulwark load --target "http://127.0.0.1:$port" --secret-file "$data_dir/secret" \
  --scenario demo --series "$series" "$@" >"$load_output" || load_status=$?
cat "$load_output"

echo
echo "demo: stopping node"
node_status=0
kill -TERM "$node_pid"
wait "$node_pid" || node_status=$?
node_pid=""
if [[ $node_status -ne 0 ]]; then
  echo "demo: node exited with status $node_status; see $log_file" >&2
fi

echo "demo: replaying the journal with the verifier"
replay_status=0
build/bulwark replay --data "$data_dir" --verify >"$replay_output" 2>>"$data_dir/replay.log" ||
  replay_status=$?
# Lists the tenants whose verdict is not ok: every line but the header, the ok ones and the last,
# which is the overall verdict.
awk 'NR > 1 && $0 !~ / ok/' "$replay_output" | sed '$d'
verdict="$(tail -n 1 "$replay_output")"
if [[ -z "$verdict" ]]; then verdict="no verdict (see $data_dir/replay.log)"; fi

echo
echo "== demo summary"
grep -E '^(requests|latency ms|series|  skipped|note|result) ' "$load_output" || true
echo "load exit status   $load_status"
echo "verifier           $verdict (exit status $replay_status, full output in $replay_output)"
if [[ $load_status -eq 0 && $replay_status -eq 0 && $node_status -eq 0 ]]; then
  echo "demo: PASSED"
  exit 0
fi
echo "demo: FAILED"
exit 1
