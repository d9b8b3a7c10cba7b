#!/usr/bin/env bash
# The README's main job: installs what is missing, builds smtpgate and runs every fuzz
# target briefly on its seed corpus (exec/s, coverage). Later stages (conformance suite
# against the embedded reference server, reports) are added here as they land.
#   scripts/run.sh [--fuzz-seconds N]
set -euo pipefail
cd "$(dirname "$0")/.."

fuzz_seconds=10
while [ $# -gt 0 ]; do
  case "$1" in
    --fuzz-seconds) fuzz_seconds="$2"; shift 2 ;;
    *) echo "usage: scripts/run.sh [--fuzz-seconds N]" >&2; exit 2 ;;
  esac
done

bash scripts/bootstrap.sh
echo "== fuzz pass: ${fuzz_seconds}s per target on its seed corpus"
bash scripts/fuzz.sh --seconds "$fuzz_seconds"
