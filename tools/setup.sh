#!/usr/bin/env bash
# Installs what tripdesk builds with, from Debian 12's packages. Quick when
# everything is already there: it only asks apt for what is missing.
# Usage: setup.sh [--fuzz]   (--fuzz adds clang and libFuzzer's runtime)
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librocksdb-dev libabsl-dev libssl-dev libspdlog-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libgoogle-perftools-dev  # tcmalloc for tripdeskd and tripdesk-load
  openssl  # the TLS tests make their certificates with it
  libcpp-httplib-dev prometheus-cpp-dev  # the HTTP listener and /metrics
  prometheus  # promtool checks deploy/alerts.yml in the tests
  chromium chromium-driver python3-selenium  # the dashboard's browser tests
)
if [ "${1:-}" = "--fuzz" ]; then PACKAGES+=(clang libclang-rt-14-dev); fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if ((${#missing[@]} > 0)); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
fi
