#!/usr/bin/env bash
# Power cuts under load: tripdeskd runs under the powerloss shim (a slow
# disk: every fsync 2 ms longer) while tripdesk-load drives cases and records
# every acknowledged command; at a random moment the server is SIGKILLed and
# powerloss_undo takes back every write no fsync made durable (keeping, by the
# round's seed, a random part of the unsynced appends, the next one torn).
# The server restarts on what survived and every acknowledged command must
# be in the log at its positions, the log verified, the views equal to a
# rebuild.
#
# Then the negative control: the same with fsync turned into a no-op must
# lose acknowledged commands, or this test could not tell.
#
# Usage: power_loss.sh TRIPDESKD TRIPDESK_LOAD SHIM UNDO [ROUNDS]
# POWERLOSS_SEED=N repeats a run (the seed is printed first).
set -euo pipefail
tripdeskd=$1
load=$2
shim=$3
undo=$4
rounds=${5:-4}
seed=${POWERLOSS_SEED:-$(( $(od -An -N2 -tu2 /dev/urandom) ))}
echo "power_loss: seed $seed (POWERLOSS_SEED=$seed repeats this run)"
RANDOM=$seed
work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
source "$(dirname "$0")/tripdeskd.sh"
data="$work/data"
mkdir -p "$data"
flags=(--data_dir="$data" --rate_limit_per_second=0)

# A durable starting point: the store created and closed cleanly.
start_tripdeskd "$tripdeskd" "$work/start.log" "${flags[@]}"
kill "$pid"; wait "$pid"; pid=""

# One cut: under the shim (extra env given), load, SIGKILL at a random
# moment, take back what was not durable, restart, check the acks.
cut() {
  local name=$1 undo_seed=$2
  shift 2
  rm -rf "$work/journal" "$work/journal.graveyard"
  # (In a sanitized build the shim is loaded before ASan's runtime.)
  TRIPDESKD_PREFIX=(env LD_PRELOAD="$shim" ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"
    POWERLOSS_DIR="$data" POWERLOSS_JOURNAL="$work/journal" "$@")
  start_tripdeskd "$tripdeskd" "$work/$name.log" "${flags[@]}"
  TRIPDESKD_PREFIX=()
  "$load" --server="127.0.0.1:$port" --dev_dir="$data/dev" --duration_seconds=3 --in_flight=48 \
    --cases=96 --acks="$work/acks" --run_id="$name" > "$work/$name.load" 2>&1 &
  local loader=$!
  local ms=$(( 400 + RANDOM % 1600 ))
  sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
  kill -9 "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  wait "$loader" || true
  echo "$name: $(grep -c "^$name-" "$work/acks" || true) commands acknowledged before the cut; $("$undo" "$work/journal" ${undo_seed:+"$undo_seed"})"
  start_tripdeskd "$tripdeskd" "$work/$name.restart.log" "${flags[@]}"
}

# The acks of every round so far must all be there.
verify() {
  "$load" --server="127.0.0.1:$port" --dev_dir="$data/dev" --verify_acks="$work/acks"
}

for round in $(seq 1 "$rounds"); do
  cut "cut$round" "$((seed + round))" POWERLOSS_SYNC_DELAY_US=2000
  verify || { echo "round $round (seed $seed): an acknowledged command was lost"; exit 1; }
  kill "$pid"; wait "$pid"; pid=""
done

cut control "" POWERLOSS_DROP_SYNC=1
if out=$(verify 2>&1); then
  echo "$out"
  echo "negative control: with fsync a no-op nothing was lost, so this test cannot see a missing fsync"
  exit 1
fi
grep -q "acknowledged records are missing" <<<"$out" || { echo "$out"; echo "control failed for another reason"; exit 1; }
echo "control (fsync a no-op): $(head -n1 <<<"$out")"
echo "power loss: $rounds cuts, every acknowledged command survived"
