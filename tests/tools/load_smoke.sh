#!/usr/bin/env bash
# tripdesk-load against a fresh tripdeskd, twice for two seconds, car bookings
# (both branches) and RV rentals to RA close on a fleet of 64 units: every
# command acknowledged, none refused, the acknowledgements recorded.
# Usage: load_smoke.sh TRIPDESKD TRIPDESK_LOAD
set -euo pipefail
tripdeskd=$1
load=$2
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
source "$(dirname "$0")/tripdeskd.sh"
# The shipped reference data plus the load fleet (the rv block ends the file).
reference="$(dirname "$0")/../../deploy/reference.textproto"
{ head -n -1 "$reference"; "$load" --print_rv_fleet=64; echo "}"; } > "$work/reference.textproto"
start_tripdeskd "$tripdeskd" "$work/log" --data_dir="$work/data" --rate_limit_per_second=0 \
  --reference_data="$work/reference.textproto"
# Twice: the second run starts where the first left the fleet (units still
# rented out by its unfinished cases, readings moved on by its returns).
for run in 1 2; do
  "$load" --server="127.0.0.1:$port" --dev_dir="$work/data/dev" --duration_seconds=2 --rate=300 --in_flight=32 --cases=64 \
    --mix=offline=4,il=1,rv=2 --rv_today="$test_day" --rv_units=64 --acks="$work/acks" --out_json="$work/summary.json"
  grep -q '"errors_by_code":{}' "$work/summary.json" || { echo "run $run:"; cat "$work/summary.json"; exit 1; }
done
acks=$(wc -l < "$work/acks")
[ "$acks" -gt 600 ] || { echo "only $acks commands acknowledged"; exit 1; }
verified=$("$load" --server="127.0.0.1:$port" --dev_dir="$work/data/dev" --verify_acks="$work/acks")
echo "$verified"
# RV commands write more than one record (deposits, the unit's stream).
records=$(sed -n 's/.*; \([0-9]*\) records.*/\1/p' <<<"$verified")
[ "$records" -gt "$acks" ] || { echo "no RV rental was driven"; exit 1; }
echo "load smoke: $acks commands acknowledged, no errors"
