#!/usr/bin/env bash
# The first command: install, build, and start tripdeskd on the embedded
# default (RocksDB under ./data, 127.0.0.1:50051). Extra flags pass through.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/build.sh
exec build/services/tripdeskd "$@"
