#!/usr/bin/env bash
# The whole test suite under AddressSanitizer (with LeakSanitizer) and
# UndefinedBehaviorSanitizer, any report fatal, in its own build-asan/.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
if [ ! -f build-asan/build.ninja ]; then
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTRIPDESK_SANITIZE=ON -DTRIPDESK_WERROR=ON
fi
cmake --build build-asan -j "$(nproc)"
cd build-asan && ctest -j "$(nproc)" --output-on-failure
