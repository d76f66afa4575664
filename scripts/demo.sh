#!/usr/bin/env bash
# Runs the Bulwark demo end to end: builds if needed, starts one node on ./data, drives the
# real-data procurement workload (bulwark load --scenario demo), feeds the WTI series through the
# market-data circuit breaker into a tenant's regime and sends its regime alerts to a local
# receiver (bulwark serve-series). It then sends Stripe's recorded webhook events through
# POST /v1/webhooks/stripe (scripts/demo_stripe.sh), stops the node, replays the journal with the
# verifier and prints a summary. Exits 0 only when the workload saw no unexpected outcome and
# every invariant holds.
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
stripe_output="$data_dir/stripe-summary.txt"
# The Stripe endpoint's signing secret. Stripe issues real ones, so the demo makes one with the
# same prefix.
stripe_secret_file="$data_dir/stripe-secret"
if [[ ! -s "$stripe_secret_file" ]]; then
  (umask 077 && echo "whsec_demo_$(openssl rand -hex 24)" >"$stripe_secret_file")
fi
replay_output="$data_dir/replay.txt"
series_port_file="$data_dir/series.port"
rm -f "$port_file" "$series_port_file" "$stripe_output"

# The market-data API and alert receiver: WTI from 2020-03-02, 3 more rows every 0.5 s, so the
# April 2020 crash arrives within seconds. Its first 3 answers are 503, which opens the breaker.
echo "demo: starting the market-data API and alert receiver (log in $data_dir/series.log)"
build/bulwark serve-series --data-dir "$shared_data/econ" --listen 127.0.0.1:0 \
  --port-file "$series_port_file" --start-date 2020-03-02 --step-rows 3 --step-every 500ms \
  --fail-first 3 >>"$data_dir/series.log" 2>&1 &
series_pid=$!
stop_series() {
  if [[ -n "${series_pid:-}" ]] && kill -0 "$series_pid" 2>/dev/null; then
    kill -TERM "$series_pid"
    wait "$series_pid" 2>/dev/null || true
  fi
  series_pid=""
}
trap stop_series EXIT
for _ in $(seq 1 100); do
  [[ -s "$series_port_file" ]] && break
  sleep 0.1
done
if [[ ! -s "$series_port_file" ]]; then
  echo "demo: serve-series did not start; see $data_dir/series.log" >&2
  exit 1
fi
series_port="$(cat "$series_port_file")"

echo "demo: starting node on $data_dir (log in $log_file)"
build/bulwark node --data "$data_dir" --listen 127.0.0.1:0 --port-file "$port_file" \
  --market-source "wti-daily=http://127.0.0.1:$series_port/series/wti-daily" \
  --market-poll-interval 250ms --breaker-failures 3 --breaker-cooldown 1s \
  --stripe-secret-file "$stripe_secret_file" --webhook-attempts-max 3 \
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
trap 'stop_node; stop_series' EXIT

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

# A fresh tenant per run, because a tenant ignores observations it has already seen.
regime_tenant="regime-$(date +%s)"
regime_token="$(build/bulwark token --secret-file "$data_dir/secret" --tenant "$regime_tenant" \
  --principal demo --role admin)"
put_json() {
  curl -fsS --max-time 5 -X PUT -H "Authorization: Bearer $regime_token" \
    "http://127.0.0.1:$port$1" -d "$2" >/dev/null
}
put_json /v1/tenant/alerts "{\"url\": \"http://127.0.0.1:$series_port/alerts\"}"
put_json /v1/tenant/regime '{"series": "wti-daily",
  "thresholds": {"excess_below_minor": 1500, "shortage_above_minor": 10000},
  "hysteresis": {"band_minor": 300}}'
echo "demo: tenant $regime_tenant watches wti-daily: excess below 15.00, shortage above 100.00"

load_status=0
build/bulwark load --target "http://127.0.0.1:$port" --secret-file "$data_dir/secret" \
  --scenario demo --series "$series" "$@" >"$load_output" || load_status=$?
cat "$load_output"

echo
echo "demo: sending Stripe's recorded webhook events"
stripe_status=0
BULWARK_DEMO_WEBHOOK_ATTEMPTS=3 scripts/demo_stripe.sh "$port" "$data_dir/secret" \
  "$stripe_secret_file" "$shared_data/stripe/events" "$stripe_output" || stripe_status=$?

# Waits up to 30 s for the receiver to confirm at least one regime alert.
alerts_json='{"received":0,"unique":0}'
for _ in $(seq 1 60); do
  alerts_json="$(curl -fsS --max-time 2 "http://127.0.0.1:$series_port/alerts" || echo "$alerts_json")"
  if [[ "$alerts_json" != *'"unique":0'* ]]; then break; fi
  sleep 0.5
done
alerts_unique="$(sed -E 's/.*"unique":([0-9]+).*/\1/' <<<"$alerts_json")"
alerts_received="$(sed -E 's/.*"received":([0-9]+).*/\1/' <<<"$alerts_json")"
metrics="$(curl -fsS --max-time 2 "http://127.0.0.1:$port/metrics" || true)"
breaker_openings="$(grep -E '^bulwark_market_breaker_openings_total' <<<"$metrics" |
  awk '{print $2}' | head -n 1 || true)"
regime_now="$(curl -fsS --max-time 2 -H "Authorization: Bearer $regime_token" \
  "http://127.0.0.1:$port/v1/tenant" | grep -o '"current":"[a-z_]*"' | cut -d'"' -f4 || true)"

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
cat "$stripe_output" 2>/dev/null || echo "webhooks           no summary (demo_stripe.sh exit status $stripe_status)"
echo "alerts sent        $alerts_unique regime alerts ($alerts_received deliveries) to 127.0.0.1:$series_port/alerts; tenant $regime_tenant now ${regime_now:-unknown}"
echo "market breaker     opened ${breaker_openings:-0} times on wti-daily"
echo "verifier           $verdict (exit status $replay_status, full output in $replay_output)"
if [[ $load_status -eq 0 && $stripe_status -eq 0 && $replay_status -eq 0 && $node_status -eq 0 &&
  "${alerts_unique:-0}" -gt 0 ]]; then
  echo "demo: PASSED"
  exit 0
fi
echo "demo: FAILED"
exit 1
