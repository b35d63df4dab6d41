#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (AddressSanitizer and
# UndefinedBehaviorSanitizer on) in build-fuzz/ and runs each for a bounded
# time, keeping its corpus in build-fuzz/corpus-*. Usage: fuzz.sh [SECONDS]
# (default 300 per target). Exits non-zero when a fuzzer finds a crash.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
tools/setup.sh --fuzz
if [ ! -f build-fuzz/build.ninja ]; then
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTRIPDESK_WERROR=ON \
    -DTRIPDESK_FUZZ=ON
fi
cmake --build build-fuzz -j "$(nproc)" --target fuzz_case_command fuzz_log_record
for target in fuzz_case_command fuzz_log_record; do
  mkdir -p "build-fuzz/corpus-$target"
  "build-fuzz/tests/fuzz/$target" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 \
    "build-fuzz/corpus-$target" 2>&1 | grep -v "libprotobuf ERROR" | tail -n 12
done
