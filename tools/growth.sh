#!/usr/bin/env bash
# Issue 7's "latency flat as the log grows" (a benchmark, not part of the
# test suite): the 5,000 commands/s probe against a fresh directory and
# against a log of EVENTS events, in alternating rounds so the machine's
# drift through the day falls on both, each on a freshly started server
# after SETTLE seconds idle. Prints every probe and the medians' ratio.
# Usage: tools/growth.sh [EVENTS (5000000)] [ROUNDS (3)] [OUT (./growth-out)]
# With BIG_DIR set to an existing data directory, that log is used (and
# grows by the probes) instead of filling a new one.
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-5000000}
rounds=${2:-3}
out=$(realpath -m "${3:-growth-out}")
settle=${SETTLE:-30}
tools/build.sh > /dev/null
mkdir -p "$out"
port=50093
pid=
scratch=$(mktemp -d /tmp/tripdesk-growth-XXXXXX)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$scratch"' EXIT

start() {  # start DATA_DIR: tripdeskd on it, returns once it serves
  build/services/tripdeskd --data_dir="$1" --listen="127.0.0.1:$port" --http_listen=127.0.0.1:0 \
    --rate_limit_per_second=0 >> "$out/tripdeskd.log" 2>&1 &
  pid=$!
  for _ in $(seq 600); do
    [ -f "$1/dev/tokens/agent.jwt" ] && build/tools/tripdesk --server="127.0.0.1:$port" \
      --dev_dir="$1/dev" health > /dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "tripdeskd did not start on $1" >&2
  exit 1
}
stop() { kill "$pid"; wait "$pid" || true; pid=; }
size() {  # size DATA_DIR: the log's last position (the server is running)
  build/tools/tripdesk --server="127.0.0.1:$port" --dev_dir="$1/dev" --as=auditor \
    log read-all --limit=1 | sed -n 's/^last position: //p'
}
load() {  # load DATA_DIR NAME FLAGS...: prints the p99 in ms
  local data=$1 name=$2; shift 2
  build/tools/tripdesk-load --server="127.0.0.1:$port" --dev_dir="$data/dev" \
    --out_json="$out/$name.json" "$@" > "$out/$name.txt" 2>&1
}
p99() { grep -o '"p99":[0-9]*' "$out/$1.json" | awk -F: '{printf "%.1f", $2 / 1000}'; }
commands() { grep -o '"commands":[0-9]*' "$out/$1.json" | cut -d: -f2; }

big=${BIG_DIR:-$scratch/big}
if [ -z "${BIG_DIR:-}" ]; then
  start "$big"
  total=0 chunk=0
  while [ "$total" -lt "$events" ]; do
    load "$big" "fill-$chunk" --duration_seconds=60 --in_flight=128 --cases=512
    total=$((total + $(commands "fill-$chunk")))
    echo "filled: $total commands" && chunk=$((chunk + 1))
  done
  stop
fi

probe=(--duration_seconds=20 --rate=5000 --in_flight=256 --cases=1024)
fresh_p99=() big_p99=()
for round in $(seq "$rounds"); do
  for kind in fresh big; do
    data=$big
    if [ "$kind" = fresh ]; then data=$scratch/fresh-$round; fi
    start "$data"
    if [ "$kind" = big ]; then echo "round $round big: log of $(size "$data") events"; fi
    sleep "$settle"
    load "$data" "probe-$kind-$round" "${probe[@]}"
    stop
    p=$(p99 "probe-$kind-$round")
    echo "round $round $kind: p99 $p ms"
    if [ "$kind" = fresh ]; then fresh_p99+=("$p"); rm -rf "$data"; else big_p99+=("$p"); fi
  done
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
f=$(median "${fresh_p99[@]}") b=$(median "${big_p99[@]}")
echo "median p99: fresh $f ms, big log $b ms, ratio $(awk -v f="$f" -v b="$b" 'BEGIN {printf "%.2f", b/f}')"
