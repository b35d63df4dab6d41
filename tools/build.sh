#!/usr/bin/env bash
# Installs what is missing, then builds what is stale, in ./build (one
# configuration: RelWithDebInfo).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
cmake --build build -j "$(nproc)"
