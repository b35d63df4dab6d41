#!/usr/bin/env bash
# tripdesk-load when the server dies under it: it backs off on UNAVAILABLE
# instead of firing failing calls as fast as it can, and its latency figures
# are of acknowledged commands only (the refusals are counted by code).
# Usage: load_backoff.sh TRIPDESKD TRIPDESK_LOAD
set -euo pipefail
tripdeskd=$1
load=$2
work=$(mktemp -d)
trap 'kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
source "$(dirname "$0")/tripdeskd.sh"
start_tripdeskd "$tripdeskd" "$work/log" --data_dir="$work/data" --rate_limit_per_second=0
"$load" --server="127.0.0.1:$port" --dev_dir="$work/data/dev" --duration_seconds=4 \
  --in_flight=32 --cases=64 --out_json="$work/summary.json" > "$work/load.out" 2>&1 &
loader=$!
sleep 1
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
status=0
wait "$loader" || status=$?
cat "$work/load.out"
[ "$status" -eq 1 ] || { echo "tripdesk-load exited $status, expected 1 (errors)"; exit 1; }
summary=$(cat "$work/summary.json")
ok=$(sed -n 's/.*"ok":\([0-9]*\).*/\1/p' <<<"$summary")
unavailable=$(sed -n 's/.*"errors_by_code":{"14":\([0-9]*\)}.*/\1/p' <<<"$summary")
[ -n "$unavailable" ] || { echo "expected only UNAVAILABLE errors: $summary"; exit 1; }
[ "$ok" -gt 100 ] || { echo "only $ok commands acknowledged before the kill"; exit 1; }
# Three seconds against a dead server: without backoff, tens of thousands.
[ "$unavailable" -lt 1000 ] || { echo "$unavailable calls to a dead server: no backoff"; exit 1; }
grep -q "latency µs of acknowledged commands" "$work/load.out"
grep -q "errors with code 14 ($unavailable), the first: " "$work/load.out"
echo "load backoff: $ok acknowledged, $unavailable refused while the server was down"
