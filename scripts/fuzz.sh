#!/usr/bin/env bash
# Builds the libFuzzer targets (`fuzz` preset: ASan+UBSan) and runs each one for
# SECONDS on a scratch copy of its seed corpus (the repository's corpus/ is never
# written), printing exec/s, cov and ft. Exits non-zero on any finding; the crashing
# input is kept under build/fuzz-findings/.
#   scripts/fuzz.sh [--seconds N] [target ...]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=30
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done

bash scripts/bootstrap.sh
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc 2>/dev/null || echo 2)"

if [ ${#targets[@]} -eq 0 ]; then
  for f in fuzzers/fuzz_*.cc; do targets+=("$(basename "$f" .cc)"); done
fi

findings=build/fuzz-findings
mkdir -p "$findings"
status=0
printf '%-14s %10s %8s %8s %10s  %s\n' target runs exec/s cov ft result
for t in "${targets[@]}"; do
  work=$(mktemp -d)
  log="$findings/$t.log"
  args=(-max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$findings/$t-"
        -dict=fuzzers/smtp.dict)
  if [ -f "fuzzers/$t.options" ]; then
    max_len=$(sed -n 's/^max_len *= *//p' "fuzzers/$t.options")
    [ -n "$max_len" ] && args+=(-max_len="$max_len")
  fi
  result=ok
  if ! "build/fuzz/fuzzers/$t" "${args[@]}" "$work" "corpus/$t" >"$log" 2>&1; then
    result="FINDING (see $log)"
    status=1
  fi
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  execs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  printf '%-14s %10s %8s %8s %10s  %s\n' "$t" "${runs:-?}" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$result"
  rm -rf "$work"
done
exit $status
