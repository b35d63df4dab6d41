#!/usr/bin/env bash
# Benchmarks (not part of the test suite):
#   the event store's durable appends next to raw RocksDB in the same run,
#   and reads at 1M events (eventstore_bench);
#   rebuilding every view from logs of 250k, 1M and 2M events
#   (projections_bench);
#   what the generic command path adds per command: the field checks and
#   the command id's fingerprint (command_checks_bench);
#   the tamper evidence: proofs at 10M records, signing a head, the tree's
#   cost per record (tree_bench; builds a 10M-leaf tree first, ~1 minute).
# Extra arguments go to both (e.g. --benchmark_min_time=3).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/build.sh
build/tests/eventstore_bench --benchmark_counters_tabular=true "$@"
build/tests/projections_bench --benchmark_counters_tabular=true "$@"
build/tests/command_checks_bench --benchmark_counters_tabular=true "$@"
build/tests/tree_bench --benchmark_counters_tabular=true "$@"
