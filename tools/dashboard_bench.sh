#!/usr/bin/env bash
# What dashboards cost the command path (a benchmark, not part of the test
# suite): one build through tools/ab.sh, without and with 50 dashboard pages
# on live updates (tools/live_pages.py: a server-sent event stream each, and
# the queue board read again at most once a second), then without and with
# /metrics scraped every second; last, the CPU one scrape costs, from the
# server's own CPU time over 200 scrapes of a server a load has filled.
#
# Usage: tools/dashboard_bench.sh [BUILD (build)] [ROUNDS (3)] [OUT (./dashboard-bench)]
# SATURATED_SECONDS and PROBE_SECONDS pass to tools/ab.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath "${1:-build}")
rounds=${2:-3}
out=$(realpath -m "${3:-dashboard-bench}")
mkdir -p "$out"

echo "== 50 live dashboard pages (B) against none (A)"
B_SIDECAR='/usr/bin/python3 tools/live_pages.py --http=$TRIPDESK_HTTP --token_file=$TRIPDESK_DEV/tokens/dashboard.jwt --pages=50' \
  tools/ab.sh "$build" "$build" "$rounds" "$out/pages"
cat "$out"/pages/*-B-sidecar.out
echo "== /metrics scraped every second (A) against not (B)"
A_SIDECAR='while :; do curl -s -o /dev/null http://$TRIPDESK_HTTP/metrics; sleep 1; done' \
  tools/ab.sh "$build" "$build" "$rounds" "$out/scrape"

echo "== the CPU of one scrape"
data=$(mktemp -d /tmp/tripdesk-scrape-XXXXXX)
"$build/services/tripdeskd" --data_dir="$data" --listen=127.0.0.1:0 --http_listen=127.0.0.1:0 \
  --rate_limit_per_second=0 > "$out/scrape-cpu.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 100); do grep -q "serving on port" "$out/scrape-cpu.log" && break; sleep 0.1; done
port=$(sed -n 's/.*serving on port \([0-9]*\).*/\1/p' "$out/scrape-cpu.log")
http=$(sed -n 's/.*dashboard and \/metrics on http:\/\/\([^/]*\)\/.*/\1/p' "$out/scrape-cpu.log")
"$build/tools/tripdesk-load" --server="127.0.0.1:$port" --dev_dir="$data/dev" --duration_seconds=20 \
  --in_flight=128 --cases=512 > /dev/null 2>&1
sleep 2
ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
before=$(ticks)
for _ in $(seq 200); do curl -s -o /dev/null "http://$http/metrics"; done
after=$(ticks)
hz=$(getconf CLK_TCK)
awk -v t=$((after - before)) -v hz="$hz" -v cores="$(nproc)" 'BEGIN {
  ms = t * 1000 / hz / 200
  printf "one scrape: %.1f ms of CPU; one a second: %.2f%% of %d cores\n", ms, ms / 10 / cores, cores }'
