#!/usr/bin/env bash
# Crash under load: tripdesk-load drives car bookings and RV rentals (whose
# RA open and close also append to the unit's stream) while tripdeskd is SIGKILLed
# at random moments, ROUNDS times; then the server restarts and
# tripdesk-load --verify_acks checks that every acknowledged command is in
# the log at its position, the log is gapless with verified hash chains, and
# the views equal a rebuild from the log.
# Usage: crash_under_load.sh TRIPDESKD TRIPDESK_LOAD [ROUNDS] [MAX_SECONDS_PER_ROUND]
set -euo pipefail
tripdeskd=$1
load=$2
rounds=${3:-3}
max_seconds=${4:-3}
seed=${CRASH_SEED:-$(( $(od -An -N2 -tu2 /dev/urandom) ))}
echo "crash_under_load: seed $seed (CRASH_SEED=$seed repeats its kill times)"
RANDOM=$seed
work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"' EXIT

source "$(dirname "$0")/tripdeskd.sh"
# The shipped reference data plus the load's RV fleet (the rv block ends the file).
reference="$(dirname "$0")/../../deploy/reference.textproto"
{ head -n -1 "$reference"; "$load" --print_rv_fleet=128; echo "}"; } > "$work/reference.textproto"
start_server() {
  start_tripdeskd "$tripdeskd" "$work/log" --data_dir="$work/data" --rate_limit_per_second=0 \
    --reference_data="$work/reference.textproto"
}

for round in $(seq 1 "$rounds"); do
  start_server
  "$load" --server="127.0.0.1:$port" --dev_dir="$work/data/dev" --duration_seconds=$((max_seconds + 1)) --in_flight=64 \
    --cases=256 --mix=offline=4,il=1,rv=2 --rv_today="$test_day" --rv_units=128 --run_id="r$round" --acks="$work/acks" \
    > "$work/load-$round" 2>&1 &
  load_pid=$!
  # Kill somewhere between 0.5 s and MAX_SECONDS s into the load.
  ms=$(( 500 + RANDOM % (max_seconds * 1000 - 500) ))
  sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
  pid=""
  wait "$load_pid" 2>/dev/null || true  # it sees the server go: errors are expected
  echo "round $round: killed tripdeskd with $(wc -l < "$work/acks") commands acknowledged so far"
done

start_server
"$load" --server="127.0.0.1:$port" --dev_dir="$work/data/dev" --verify_acks="$work/acks"
kill -TERM "$pid"
wait "$pid"
pid=""
