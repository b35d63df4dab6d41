#!/usr/bin/env bash
# tripdesk-load against a fresh tripdeskd for two seconds: every command
# acknowledged, none refused, the acknowledgements recorded.
# Usage: load_smoke.sh TRIPDESKD TRIPDESK_LOAD
set -euo pipefail
tripdeskd=$1
load=$2
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
source "$(dirname "$0")/tripdeskd.sh"
start_tripdeskd "$tripdeskd" "$work/log" --data_dir="$work/data" --rate_limit_per_second=0
"$load" --server="127.0.0.1:$port" --dev_dir="$work/data/dev" --duration_seconds=2 --rate=300 --in_flight=32 --cases=64 \
  --acks="$work/acks" --out_json="$work/summary.json"
acks=$(wc -l < "$work/acks")
[ "$acks" -gt 300 ] || { echo "only $acks commands acknowledged"; exit 1; }
grep -q '"errors_by_code":{}' "$work/summary.json" || { cat "$work/summary.json"; exit 1; }
echo "load smoke: $acks commands acknowledged, no errors"
