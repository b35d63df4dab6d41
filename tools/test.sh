#!/usr/bin/env bash
# The second command: install, build, and run the whole test suite (ctest).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/build.sh
ctest --test-dir build --output-on-failure -j "$(nproc)"
