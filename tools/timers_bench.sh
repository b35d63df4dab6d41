#!/usr/bin/env bash
# Timers at scale (a benchmark, not a test; docs/benchmarks.md): a million
# pending SLA timers (500,000 car bookings opened and left open, each with
# the next threshold of its two SLA clocks pending), the server's memory
# with them, what scheduling them costs per timer, the firing throughput
# when the 500,000 first-response warnings fall due at once on the test
# clock (each firing schedules its breach), and the command path's p99 at
# 5,000 commands/s while they fire beside the same probe before.
#
# Usage: tools/timers_bench.sh [BUILD_DIR (build)]
#   TIMER_CASES (500000), PROBE_SECONDS (20), COMPARE_SECONDS (20),
#   SETTLE_SECONDS (30: the store's compactions after the seeding burst)
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath "${1:-build}")
cases=${TIMER_CASES:-500000}
probe=${PROBE_SECONDS:-20}
compare=${COMPARE_SECONDS:-20}
settle=${SETTLE_SECONDS:-30}
scratch=$(mktemp -d /tmp/tripdesk-timers-XXXXXX)
pid=
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$scratch"' EXIT

start() {  # start NAME [FLAGS]: a fresh tripdeskd; sets $pid, $port, $data
  data="$scratch/$1"
  # Next Monday 13:00 UTC (08:00 or 09:00 in New York): the US support desk
  # is open, and the load's pick-ups (two weeks from today) lie ahead.
  "$build/services/tripdeskd" --data_dir="$data" --listen=127.0.0.1:0 --http_listen=127.0.0.1:0 --rate_limit_per_second=0 \
    --enable_test_clock --test_clock_start="$(date -u -d 'next monday 13:00' +%Y-%m-%dT%H:%M:%SZ)" \
    "${@:2}" > "$scratch/$1.log" 2>&1 &
  pid=$!
  for _ in $(seq 600); do
    port=$(sed -n 's/.*serving on port \([0-9]*\).*/\1/p' "$scratch/$1.log")
    [ -n "$port" ] && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$scratch/$1.log"; exit 1; }
    sleep 0.1
  done
  echo "tripdeskd did not start" >&2
  exit 1
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }
cli() { "$build/tools/tripdesk" --server="127.0.0.1:$port" --dev_dir="$data/dev" "$@"; }
load() { "$build/tools/tripdesk-load" --server="127.0.0.1:$port" --dev_dir="$data/dev" "$@"; }
field() { grep -o "\"$2\":[0-9.]*" "$1" | head -n1 | cut -d: -f2; }
rss() { awk '/VmRSS|VmHWM/ { printf "%s %d MiB  ", $1, $2 / 1024 }' "/proc/$pid/status"; }
now() { date +%s.%N; }

# 1. What scheduling costs: opens with and without the service levels.
for side in without with; do
  flags=()
  [ "$side" = without ] && flags=(--reference_data=deploy/reference.textproto)
  start "compare-$side" "${flags[@]}"
  load --mix=open=1 --in_flight=128 --duration_seconds="$compare" \
    --out_json="$scratch/compare-$side.json" > /dev/null 2>&1 || true
  printf 'opens %-7s service levels: %8.1f opens/s, p99 %s µs\n' "$side" \
    "$(field "$scratch/compare-$side.json" commands_per_s)" \
    "$(field "$scratch/compare-$side.json" p99)"
  stop
done
awk -v a="$(field "$scratch/compare-without.json" commands_per_s)" \
    -v b="$(field "$scratch/compare-with.json" commands_per_s)" \
    'BEGIN { printf "scheduling cost: %.1f µs of the command path per open, %.1f µs per timer (2 per open, with their 2 SlaApplied)\n", 1e6 / b - 1e6 / a, (1e6 / b - 1e6 / a) / 2 }'

# 2. A million pending timers.
start timers
echo "idle:            $(rss)"
opened=0
t0=$(now)
while [ "$opened" -lt "$cases" ]; do
  load --mix=open=1 --in_flight=128 --duration_seconds=10 --run_id="seed$opened" \
    --out_json="$scratch/seed.json" > /dev/null 2>&1 || true
  opened=$((opened + $(field "$scratch/seed.json" ok | cut -d. -f1)))
done
t1=$(now)
awk -v n="$opened" -v s="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
  'BEGIN { printf "seeded:          %d cases, %d pending timers in %.0f s (%.0f timers scheduled/s)\n", n, 2 * n, s, 2 * n / s }'
echo "1M pending:      $(rss)"

# 3. The probe on a quiet server, then while the warnings fire.
sleep "$settle"
load --mix=offline=4,il=1 --rate=5000 --duration_seconds="$probe" --run_id=quiet \
  --out_json="$scratch/quiet.json" > /dev/null 2>&1 || true
# Every warning falls due 45 business minutes after its opening.
cli --as=admin clock advance 46m > /dev/null
due=$(cli --json clock show | grep -o '"now":"[^"]*"' | cut -d'"' -f4)
t2=$(now)
load --mix=offline=4,il=1 --rate=5000 --duration_seconds="$probe" --run_id=firing \
  --out_json="$scratch/firing.json" > /dev/null 2>&1 &
load_pid=$!
peak=""
while cli deadlines --kind=sla.first_response.warning --due_before="$due" --page_size=1 2>/dev/null |
    grep -q sla.first_response.warning; do
  peak=$(rss)
  sleep 0.5
done
t3=$(now)
wait "$load_pid" || true
awk -v n="$opened" -v s="$(awk -v a="$t2" -v b="$t3" 'BEGIN { print b - a }')" \
  'BEGIN { printf "fired:           %d warnings due at once, all fired in %.1f s (%.0f timers/s)\n", n, s, n / s }'
echo "while firing:    $peak"
printf 'p99 at 5,000/s:  quiet %s µs, while firing %s µs (p50 %s / %s µs; %s / %s commands/s)\n' \
  "$(field "$scratch/quiet.json" p99)" "$(field "$scratch/firing.json" p99)" \
  "$(field "$scratch/quiet.json" p50)" "$(field "$scratch/firing.json" p50)" \
  "$(field "$scratch/quiet.json" commands_per_s)" "$(field "$scratch/firing.json" commands_per_s)"
echo "after:           $(rss)"
