#!/usr/bin/env bash
# Builds Bulwark (installing missing packages first) and runs the whole test suite with ctest.
# Exits non-zero on any failure.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build_dir="${BULWARK_BUILD_DIR:-$root/build}"

"$root/scripts/setup.sh"

cd "$build_dir"
ctest --output-on-failure --timeout 600 -j "${BULWARK_TEST_JOBS:-2}" "$@"
