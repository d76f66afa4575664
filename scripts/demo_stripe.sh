#!/usr/bin/env bash
# Sends Stripe's recorded webhook events to a running node through POST /v1/webhooks/stripe, as
# part of scripts/demo.sh. Each event is signed like Stripe signs it (HMAC-SHA256 of "<t>.<body>"
# under the endpoint's whsec secret) and some are delivered twice to show deduplication.
#
# Usage: demo_stripe.sh PORT TOKEN_SECRET_FILE STRIPE_SECRET_FILE EVENTS_DIR SUMMARY_FILE
# Prints one line per step, writes the summary lines to SUMMARY_FILE and exits 0 only when every
# delivery got the expected status and the journals hold exactly one outcome per event id.
# Needs curl, jq and openssl.
set -euo pipefail

port="$1"
token_secret_file="$2"
stripe_secret_file="$3"
events_dir="$4"
summary_file="$5"
base="http://127.0.0.1:$port"
stripe_secret="$(cat "$stripe_secret_file")"
attempts_max="${BULWARK_DEMO_WEBHOOK_ATTEMPTS:-3}"

for tool in curl jq openssl; do
  if ! command -v "$tool" >/dev/null; then
    echo "demo-stripe: $tool is missing; run scripts/setup.sh" >&2
    exit 2
  fi
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Fresh ids per run: the inbox remembers every event id, and a customer belongs to one tenant.
run="$(date +%s)"
tenant_a="demo-01"
tenant_b="demo-02"
customer_a="cus_demo${run}a"
customer_b="cus_demo${run}b"
subscription_b="sub_demo${run}b"
subscription_c="sub_demo${run}c"

admin_token() {
  build/bulwark token --secret-file "$token_secret_file" --tenant "$1" --principal demo \
    --role admin
}
token_a="$(admin_token "$tenant_a")"
token_b="$(admin_token "$tenant_b")"

failures=0
fail() {
  echo "demo-stripe: FAILED: $*" >&2
  failures=$((failures + 1))
}

# PUT /v1/tenant/stripe for one tenant.
map_customer() {
  local token="$1" customer="$2" tenant="$3" status
  status="$(curl -sS -o "$work/map.json" -w '%{http_code}' --max-time 5 -X PUT \
    -H "Authorization: Bearer $token" "$base/v1/tenant/stripe" \
    -d "{\"customer_ids\": [\"$customer\"]}")"
  if [[ "$status" != 200 ]]; then
    fail "PUT /v1/tenant/stripe for $tenant answered $status: $(cat "$work/map.json")"
    return
  fi
  echo "demo-stripe: Stripe customer $customer belongs to tenant $tenant"
}
map_customer "$token_a" "$customer_a" "$tenant_a"
map_customer "$token_b" "$customer_b" "$tenant_b"

deliveries=0
unique_ids=0
declare -A seen_ids=()

# Signs the compact JSON in file $1 at the current time and POSTs it. Sets `status` and `outcome`
# (the response's status field, or its error code).
deliver() {
  local body_file="$1" t signature
  t="$(date +%s)"
  signature="$({ printf '%s.' "$t"; cat "$body_file"; } |
    openssl dgst -sha256 -hmac "$stripe_secret" -r | cut -d' ' -f1)"
  status="$(curl -sS -o "$work/response.json" -w '%{http_code}' --max-time 10 \
    -H "Stripe-Signature: t=$t,v1=$signature" -H 'Content-Type: application/json' \
    --data-binary "@$body_file" "$base/v1/webhooks/stripe")"
  outcome="$(jq -r '.status // .error.code // "none"' "$work/response.json" 2>/dev/null || echo none)"
  deliveries=$((deliveries + 1))
  local id
  id="$(jq -r '.id' "$body_file")"
  if [[ -z "${seen_ids[$id]:-}" ]]; then
    seen_ids[$id]=1
    unique_ids=$((unique_ids + 1))
  fi
}

# Delivers and checks the HTTP status and outcome.
expect() {
  local body_file="$1" want_status="$2" want_outcome="$3" label="$4"
  deliver "$body_file"
  if [[ "$status" != "$want_status" || ( -n "$want_outcome" && "$outcome" != "$want_outcome" ) ]]; then
    fail "$label: expected $want_status $want_outcome, got $status $outcome: $(head -c 300 "$work/response.json")"
  fi
}

# Part 1: every recorded event file for customer A, each with its own id. Events that name a
# customer go to tenant A; the node returns 200 for the others without routing them. Every third event is
# delivered twice.
index=0
routed=0
redelivered=0
for file in "$events_dir"/*.json; do
  index=$((index + 1))
  stem="$(basename "$file" .json)"
  jq -c --arg id "evt_${run}_${index}" --arg customer "$customer_a" '
    .id = $id
    | if (.data.object.customer | type) == "string" then .data.object.customer = $customer
      elif .data.object.object == "customer" then .data.object.id = $customer
      else . end' "$file" >"$work/event.json"
  deliver "$work/event.json"
  if [[ "$status" != 200 ]]; then
    fail "recorded event $stem: answered $status $outcome: $(head -c 300 "$work/response.json")"
    continue
  fi
  first_outcome="$outcome"
  if [[ "$outcome" != "ignored" ]] || ! jq -e '.reason == "no_customer"' "$work/response.json" >/dev/null; then
    routed=$((routed + 1))
  fi
  if ((index % 3 == 0)); then
    deliver "$work/event.json"
    redelivered=$((redelivered + 1))
    if [[ "$status" != 200 || "$outcome" != "$first_outcome" ]]; then
      fail "redelivery of $stem: expected 200 $first_outcome, got $status $outcome"
    fi
  fi
done
echo "demo-stripe: delivered $index recorded events ($routed routed to $tenant_a, $redelivered twice)"

# Part 2: a subscription's life for customer B, built from the recorded objects. `created` orders
# the events, and some arrive late on purpose.
# Prints a recorded event rewritten for customer B. Arguments: recorded file, type, id, created,
# status (used only by subscription events) and subscription id.
make_event() {
  local file="$1" type="$2" id="$3" created="$4" status="$5" subscription="$6"
  jq -c --arg type "$type" --arg id "$id" --argjson created "$created" --arg status "$status" \
    --arg customer "$customer_b" --arg subscription "$subscription" '
    .type = $type | .id = $id | .created = $created | .data.object.customer = $customer
    | if ($type | startswith("invoice.")) then .data.object.subscription = $subscription
      else .data.object.id = $subscription | .data.object.status = $status end' \
    "$events_dir/$file.json"
}
t0=1700000000
make_event customer.subscription.created customer.subscription.created "evt_${run}_b1" \
  $t0 trialing "$subscription_b" >"$work/b1.json"
make_event customer.subscription.updated customer.subscription.updated "evt_${run}_b2" \
  $((t0 + 100)) active "$subscription_b" >"$work/b2.json"
make_event invoice.payment_failed invoice.payment_failed "evt_${run}_b3" \
  $((t0 + 200)) "" "$subscription_b" >"$work/b3.json"
make_event invoice.paid invoice.paid "evt_${run}_b4" $((t0 + 300)) "" "$subscription_b" \
  >"$work/b4.json"
make_event customer.subscription.deleted customer.subscription.deleted "evt_${run}_b5" \
  $((t0 + 500)) canceled "$subscription_b" >"$work/b5.json"
make_event invoice.paid invoice.paid "evt_${run}_b6" $((t0 + 400)) "" "$subscription_b" \
  >"$work/b6.json"

expect "$work/b1.json" 200 applied "subscription created (trialing)"
expect "$work/b2.json" 200 applied "subscription activated"
expect "$work/b2.json" 200 applied "activation delivered again"
expect "$work/b3.json" 200 applied "payment failed (past_due)"
expect "$work/b4.json" 200 applied "invoice paid (active)"
expect "$work/b5.json" 200 applied "subscription deleted (canceled)"
expect "$work/b6.json" 200 ignored "invoice paid before the deletion, delivered after it"
expect "$work/b5.json" 200 applied "deletion delivered again"
redelivered=$((redelivered + 2))
subscription_status="$(curl -fsS --max-time 5 -H "Authorization: Bearer $token_b" \
  "$base/v1/subscription" | jq -r '.subscriptions[] | select(.subscription_id == "'"$subscription_b"'") | .status')"
if [[ "$subscription_status" != canceled ]]; then
  fail "subscription $subscription_b is '$subscription_status', expected canceled"
fi
echo "demo-stripe: subscription $subscription_b of $tenant_b went trialing, active, past_due, active, canceled; a late invoice.paid left it canceled"

# Part 3: an event that fails until the event before it arrives. incomplete -> past_due is not an
# allowed change, so Stripe's deliveries fail, and after attempts_max the event is dead-lettered.
make_event customer.subscription.created customer.subscription.created "evt_${run}_c1" \
  $t0 incomplete "$subscription_c" >"$work/c1.json"
make_event customer.subscription.updated customer.subscription.updated "evt_${run}_c2" \
  $((t0 + 300)) past_due "$subscription_c" >"$work/c2.json"
make_event customer.subscription.updated customer.subscription.updated "evt_${run}_c3" \
  $((t0 + 100)) active "$subscription_c" >"$work/c3.json"
make_event customer.subscription.updated customer.subscription.updated "evt_${run}_c4" \
  $((t0 + 400)) on_hold "$subscription_c" >"$work/c4.json"
expect "$work/c1.json" 200 applied "subscription created (incomplete)"
for attempt in $(seq 1 $((attempts_max - 1))); do
  expect "$work/c2.json" 422 webhook_processing_failed "failing event, attempt $attempt"
done
expect "$work/c2.json" 200 dead_lettered "failing event, attempt $attempts_max"
expect "$work/c3.json" 200 applied "the missing activation"
requeue_status="$(curl -sS -o "$work/requeue.json" -w '%{http_code}' --max-time 5 -X POST \
  -H "Authorization: Bearer $token_b" "$base/v1/webhooks/dead-letters/evt_${run}_c2/requeue")"
if [[ "$requeue_status" != 200 || "$(jq -r .status "$work/requeue.json")" != applied ]]; then
  fail "requeue of evt_${run}_c2 answered $requeue_status: $(cat "$work/requeue.json")"
fi
echo "demo-stripe: evt_${run}_c2 was dead-lettered after $attempts_max attempts and applied on requeue"
# An unknown status never processes; it stays in the dead letters for an operator.
for attempt in $(seq 1 $((attempts_max - 1))); do
  expect "$work/c4.json" 422 webhook_processing_failed "unknown status, attempt $attempt"
done
expect "$work/c4.json" 200 dead_lettered "unknown status, attempt $attempts_max"
dead_now="$(curl -fsS --max-time 5 -H "Authorization: Bearer $token_b" \
  "$base/v1/webhooks/dead-letters" | jq '[.dead_letters[] | select(.event_id | startswith("evt_'"$run"'_"))] | length')"
if [[ "$dead_now" != 1 ]]; then fail "expected 1 dead letter of this run, found $dead_now"; fi

# Counts this run's outcomes in both journals and checks one final outcome per event id, plus one
# more per requeue.
count_events() {  # token -> "applied ignored dead requeued failed"
  local token="$1" after=0 page
  : >"$work/events.jsonl"
  while :; do
    page="$(curl -fsS --max-time 10 -H "Authorization: Bearer $token" \
      "$base/v1/events?after=$after&limit=1000")"
    jq -c '.events[]' <<<"$page" >>"$work/events.jsonl"
    if [[ "$(jq '.events | length' <<<"$page")" -lt 1000 ]]; then break; fi
    after="$(jq '.next_after' <<<"$page")"
  done
  jq -rs --arg prefix "evt_${run}_" '
    [.[] | select((.data.event_id // "") | startswith($prefix))] as $mine
    | [($mine | map(select(.type == "webhook_applied")) | length),
       ($mine | map(select(.type == "webhook_ignored")) | length),
       ($mine | map(select(.type == "webhook_dead_lettered")) | length),
       ($mine | map(select(.type == "webhook_requeued")) | length),
       ($mine | map(select(.type == "webhook_attempt_failed")) | length)] | @tsv' \
    "$work/events.jsonl"
}
read -r applied_a ignored_a dead_a requeued_a failed_a <<<"$(count_events "$token_a")"
read -r applied_b ignored_b dead_b requeued_b failed_b <<<"$(count_events "$token_b")"
applied=$((applied_a + applied_b))
ignored=$((ignored_a + ignored_b))
dead=$((dead_a + dead_b))
requeued=$((requeued_a + requeued_b))
attempts_failed=$((failed_a + failed_b))
journaled_ids=$((routed + 10))  # tenant B received 10 distinct event ids
if ((applied + ignored + dead - requeued != journaled_ids)); then
  fail "journals hold $((applied + ignored + dead - requeued)) final outcomes for $journaled_ids routed event ids"
fi
# Every delivery is a first one, a redelivery that the inbox deduplicates, or a retry of a failure.
if ((deliveries != unique_ids + redelivered + attempts_failed)); then
  fail "$deliveries deliveries, but $unique_ids ids + $redelivered redeliveries + $attempts_failed failed attempts"
fi
{
  echo "webhooks           $deliveries signed deliveries of $unique_ids Stripe event ids, $((index - routed)) without a customer (not routed)"
  echo "webhooks applied   $applied; ignored $ignored (stale, terminal or unsupported); duplicates $redelivered (deduplicated, nothing written)"
  echo "webhooks failed    $attempts_failed failed attempts; dead-lettered $dead, requeued $requeued, still dead-lettered $dead_now"
} >"$summary_file"
cat "$summary_file"
if ((failures > 0)); then
  echo "demo-stripe: $failures checks failed" >&2
  exit 1
fi
