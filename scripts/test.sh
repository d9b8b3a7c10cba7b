#!/usr/bin/env bash
# The README's test command: installs what is missing, builds the `dev` preset
# (clang 14, ASan+UBSan) and runs every test with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh
jobs=$(nproc 2>/dev/null || echo 2)

cmake --preset dev >/dev/null
cmake --build --preset dev -j "$jobs"
ctest --preset dev -j "$jobs" "$@"
