#!/usr/bin/env bash
# Retakes the dashboard's screenshots in docs/screenshots (the README shows
# them): the browser test against a fresh tripdeskd, saving into docs/.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/build.sh
/usr/bin/python3 tests/browser/dashboard_test.py build/services/tripdeskd build/tools/tripdesk docs/screenshots
