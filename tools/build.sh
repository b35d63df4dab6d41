#!/usr/bin/env bash
# Installs what is missing, then builds what is stale, in ./build: one
# configuration, the Release a packager builds, with warnings as errors.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
# Configuring again is quick and moves a build/ made with other settings over.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DTRIPDESK_WERROR=ON > /dev/null
cmake --build build -j "$(nproc)"
