#!/usr/bin/env bash
# Benchmarks (not part of the test suite): the event store's durable appends
# next to raw RocksDB in the same run, and reads at 1M events.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/build.sh
build/tests/eventstore_bench --benchmark_counters_tabular=true "$@"
