#!/usr/bin/env bash
# Disk full: the data directory on a small tmpfs (mounted here; needs root,
# skipped with exit 77 otherwise). Once it fills, commands fail with
# RESOURCE_EXHAUSTED or UNAVAILABLE, reads and health keep answering (the
# CaseService health goes NOT_SERVING), and after the filesystem grows,
# commands succeed again and nothing acknowledged is lost.
# Usage: disk_full.sh TRIPDESKD TRIPDESK TRIPDESK_LOAD
set -euo pipefail
[ -n "${DEBUG_DISK_FULL:-}" ] && set -x
tripdeskd=$1
cli=$2
load=$3
work=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
  wait 2>/dev/null || true
  umount "$work/data" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/data"
if [ "$(id -u)" -ne 0 ] || ! mount -t tmpfs -o size=24M tmpfs "$work/data" 2>/dev/null; then
  echo "disk full: cannot mount a tmpfs here (needs root); skipped"
  exit 77
fi

source "$(dirname "$0")/tripdeskd.sh"
start_tripdeskd "$tripdeskd" "$work/log" --data_dir="$work/data" --rate_limit_per_second=0 --write_buffer_mb=2 \
  --block_cache_mb=8
tripdesk() { "$cli" --server="127.0.0.1:$port" --dev_dir="$work/data/dev" "$@"; }

# Fill the disk: load in rounds until appends are refused (a slow build,
# e.g. with sanitizers, needs more rounds).
for round in 1 2 3 4 5 6 7 8; do
  "$load" --server="127.0.0.1:$port" --dev_dir="$work/data/dev" --duration_seconds=6 --in_flight=64 \
    --cases=256 --run_id="full$round" --acks="$work/acks" --out_json="$work/full.json" \
    > "$work/load-full" 2>&1 || true
  grep -Eq '"errors_by_code":\{[^}]*"(8|14)":' "$work/full.json" && break
done
grep -Eq '"errors_by_code":\{[^}]*"(8|14)":' "$work/full.json" || {
  echo "the disk never filled:"; cat "$work/full.json"; df -h "$work/data"; exit 1; }
echo "full: $(cat "$work/full.json")"

# Reads and health still answer; commands say why they cannot.
tripdesk health | grep -q "^SERVING"
# (health exits non-zero when not serving: read its output, not its status)
case_health=$(tripdesk health tripdesk.v1.CaseService || true)
[ "$case_health" = "NOT_SERVING" ] || { echo "CaseService health: $case_health"; exit 1; }
tripdesk --as=auditor log read-all --limit=1 > /dev/null
first_case=$(head -1 "$work/acks" | cut -d' ' -f1 | sed 's/-[0-9]*$//')
tripdesk case show "$first_case" > /dev/null

# Free space: grow the filesystem; writes come back.
mount -o remount,size=512M "$work/data"
for _ in $(seq 1 40); do
  tripdesk health tripdesk.v1.CaseService 2>/dev/null | grep -q "^SERVING" && break
  "$load" --server="127.0.0.1:$port" --dev_dir="$work/data/dev" --duration_seconds=1 --rate=20 --in_flight=4 --cases=4 \
    --run_id="probe$RANDOM" > /dev/null 2>&1 || true
  sleep 0.5
done
"$load" --server="127.0.0.1:$port" --dev_dir="$work/data/dev" --duration_seconds=2 --rate=200 --in_flight=16 --cases=32 \
  --run_id=after --acks="$work/acks" --out_json="$work/after.json" > "$work/load-after" 2>&1 || {
  echo "writes did not come back:"; cat "$work/after.json"; exit 1; }
tripdesk health tripdesk.v1.CaseService | grep -q "^SERVING"
"$load" --server="127.0.0.1:$port" --dev_dir="$work/data/dev" --verify_acks="$work/acks"
kill -TERM "$pid"
wait "$pid"
pid=""
echo "disk full: writes refused while full, reads served, writes back after space was freed"
