#!/usr/bin/env bash
# The long benchmark of issue 7 (not part of the test suite): tripdeskd on a
# fresh directory, a probe at 5,000 commands/s, a saturated run of
# SOAK_SECONDS, the probe again at once and after a minute idle, RSS every
# 30 s. Prints one line per phase; everything else is under OUT.
# Usage: tools/soak.sh [SOAK_SECONDS (480)] [OUT (./soak-out)]
set -euo pipefail
cd "$(dirname "$0")/.."
soak=${1:-480}
out=$(realpath -m "${2:-soak-out}")
tools/build.sh > /dev/null
mkdir -p "$out"
data=$(mktemp -d /tmp/tripdesk-soak-XXXXXX)
port=50091
build/services/tripdeskd --data_dir="$data" --listen="127.0.0.1:$port" --http_listen=127.0.0.1:0 \
  --rate_limit_per_second=0 > "$out/tripdeskd.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 100); do [ -f "$data/dev/tokens/agent.jwt" ] && break; sleep 0.1; done
sleep 1
(while kill -0 "$pid" 2>/dev/null; do echo "$(date +%s) $(ps -o rss= -p "$pid")"; sleep 30; done) \
  > "$out/rss.txt" &

load() {  # load NAME FLAGS...
  local name=$1; shift
  build/tools/tripdesk-load --server="127.0.0.1:$port" --dev_dir="$data/dev" \
    --out_json="$out/$name.json" "$@" > "$out/$name.txt" 2>&1
  echo "$name: $(grep -E '^[0-9.]+ commands/s' "$out/$name.txt"); $(grep '^latency' "$out/$name.txt")"
}
probe=(--duration_seconds=20 --rate=5000 --in_flight=256 --cases=1024)
load probe-start "${probe[@]}"
load saturated --duration_seconds="$soak" --in_flight=128 --cases=512
load probe-after "${probe[@]}"
sleep 60
load probe-settled "${probe[@]}"
echo "RSS KiB, largest sample: $(sort -k2 -n "$out/rss.txt" | tail -1 | cut -d' ' -f2)"
