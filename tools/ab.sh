#!/usr/bin/env bash
# A same-run A/B of the command path (a benchmark, not part of the test
# suite): two builds' tripdeskd, each on a fresh data directory, driven by
# the same tripdesk-load in alternating rounds (A, B, A, B, ...) so the
# machine's drift falls on both: a saturated run and a probe at a fixed
# rate per round. Prints every round and the medians.
#
# Usage: tools/ab.sh A_BUILD_DIR B_BUILD_DIR [ROUNDS (3)] [OUT (./ab-out)]
#   e.g. git worktree add /tmp/base HEAD~1 && (cd /tmp/base &&
#        cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release &&
#        cmake --build build --target tripdeskd tripdesk-load)
#        tools/ab.sh /tmp/base/build build
# SATURATED_SECONDS (60), PROBE_SECONDS (30), PROBE_RATE (5000), MIX
# (offline=4,il=1) change the runs; A_MIX / B_MIX give one side its own mix
# (the same build twice: two mixes in one run, e.g. B_MIX=fleet=1). The load generator of B drives both,
# unless OWN_LOAD=1 (each side its own: when B changed the requests). With
# RV_UNITS=N (and rv= in MIX) each server gets its tree's reference data
# plus the load fleet of N units; with FLEET_ASSETS=N (and fleet= in MIX)
# its fleet section gets N more assets. A_FLAGS / B_FLAGS add server flags to one
# side (e.g. B_FLAGS=--reference_data=deploy/reference.textproto: no SLAs).
# A_SIDECAR / B_SIDECAR: a shell command run beside that side's load (its
# output in OUT/rN-SIDE-sidecar.out), with $TRIPDESK_HTTP (the dashboard's
# host:port) and $TRIPDESK_DEV (the dev tokens) set: the same build with and
# without 50 live dashboard pages (tools/live_pages.py) or a scraper.
set -euo pipefail
cd "$(dirname "$0")/.."
a=$(realpath "$1")
b=$(realpath "$2")
rounds=${3:-3}
out=$(realpath -m "${4:-ab-out}")
saturated=${SATURATED_SECONDS:-60}
probe=${PROBE_SECONDS:-30}
rate=${PROBE_RATE:-5000}
mix=${MIX:-offline=4,il=1}
own_load=${OWN_LOAD:-0}
rv_units=${RV_UNITS:-0}
fleet_assets=${FLEET_ASSETS:-0}
load="$b/tools/tripdesk-load"
mkdir -p "$out"
pid=
sidecar_pid=
scratch=$(mktemp -d /tmp/tripdesk-ab-XXXXXX)
trap '[ -n "$sidecar_pid" ] && kill -- "-$sidecar_pid" 2>/dev/null; kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$scratch"' EXIT

start() {  # start BUILD DATA_DIR LOG [FLAGS]: tripdeskd on a free port; sets $pid and $port
  "$1/services/tripdeskd" --data_dir="$2" --listen=127.0.0.1:0 --rate_limit_per_second=0 \
    "${@:4}" > "$3" 2>&1 &
  pid=$!
  for _ in $(seq 600); do
    port=$(sed -n 's/.*serving on port \([0-9]*\).*/\1/p' "$3")
    [ -n "$port" ] && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$3"; exit 1; }
    sleep 0.1
  done
  echo "tripdeskd did not start" >&2
  exit 1
}
field() { grep -o "\"$2\":[0-9.]*" "$out/$1.json" | head -n1 | cut -d: -f2; }

printf '%-6s %-2s %14s %14s %12s\n' round ab "saturated c/s" "probe p99 ms" "probe c/s"
for round in $(seq 1 "$rounds"); do
  for side in A B; do
    build=$a
    [ "$side" = B ] && build=$b
    name="r$round-$side"
    data="$scratch/$name"
    side_load=$load
    side_mix=$mix
    [ "$side" = A ] && side_mix=${A_MIX:-$mix}
    [ "$side" = B ] && side_mix=${B_MIX:-$mix}
    [ "$own_load" = 1 ] && side_load="$build/tools/tripdesk-load"
    flags=()
    [ "$side" = A ] && [ -n "${A_FLAGS:-}" ] && flags+=(${A_FLAGS})
    [ "$side" = B ] && [ -n "${B_FLAGS:-}" ] && flags+=(${B_FLAGS})
    rv=()
    if [ "$rv_units" -gt 0 ]; then  # the build's tree's reference data, the rv block last
      { head -n -1 "$build/../deploy/reference.textproto"; "$side_load" --print_rv_fleet="$rv_units"
        echo "}"; } > "$scratch/$name.reference"
      flags+=(--reference_data="$scratch/$name.reference")
      rv=(--rv_units="$rv_units")
    fi
    if [ "$fleet_assets" -gt 0 ]; then  # the build's tree's reference data, more fleet assets
      "$side_load" --print_fleet_assets="$fleet_assets" > "$scratch/$name.assets"
      awk -v f="$scratch/$name.assets" '{ print } /^fleet \{/ { while ((getline l < f) > 0) print l }' \
        "$build/../deploy/reference.textproto" > "$scratch/$name.reference"
      flags+=(--reference_data="$scratch/$name.reference")
    fi
    start "$build" "$data" "$out/$name.log" "${flags[@]}"
    sidecar=
    [ "$side" = A ] && sidecar=${A_SIDECAR:-}
    [ "$side" = B ] && sidecar=${B_SIDECAR:-}
    if [ -n "$sidecar" ]; then
      TRIPDESK_HTTP=$(sed -n 's/.*dashboard and \/metrics on https\{0,1\}:\/\/\([^/]*\)\/.*/\1/p' "$out/$name.log") \
        TRIPDESK_DEV="$data/dev" setsid bash -c "$sidecar" > "$out/$name-sidecar.out" 2>&1 &
      sidecar_pid=$!
      sleep 2  # the pages open their streams before the load starts
    fi
    "$side_load" "${rv[@]}" --server="127.0.0.1:$port" --dev_dir="$data/dev" --duration_seconds="$saturated" \
      --in_flight=128 --cases=512 --mix="$side_mix" --out_json="$out/$name-sat.json" > /dev/null 2>&1 || true
    "$side_load" "${rv[@]}" --server="127.0.0.1:$port" --dev_dir="$data/dev" --duration_seconds="$probe" \
      --rate="$rate" --in_flight=256 --cases=1024 --mix="$side_mix" --out_json="$out/$name-probe.json" \
      > /dev/null 2>&1 || true
    if [ -n "$sidecar_pid" ]; then
      kill -TERM -- "-$sidecar_pid" 2>/dev/null || true; wait "$sidecar_pid" || true; sidecar_pid=
    fi
    kill "$pid"; wait "$pid" || true; pid=
    rm -rf "$data"
    printf '%-6s %-2s %14s %14s %12s\n' "$round" "$side" "$(field "$name-sat" commands_per_s)" \
      "$(awk -v us="$(field "$name-probe" p99)" 'BEGIN { printf "%.1f", us / 1000 }')" \
      "$(field "$name-probe" commands_per_s)"
    echo "$side $(field "$name-sat" commands_per_s) $(field "$name-probe" p99)" >> "$out/rows"
  done
done
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for side in A B; do
  sat=$(awk -v s="$side" '$1 == s { print $2 }' "$out/rows" | median)
  p99=$(awk -v s="$side" '$1 == s { print $3 / 1000 }' "$out/rows" | median)
  echo "median $side: saturated $sat commands/s, probe p99 $p99 ms"
done
rm -f "$out/rows"
