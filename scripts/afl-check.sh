#!/usr/bin/env bash
# Builds every fuzz target with AFL++ (Debian's afl++ package) the way OSS-Fuzz builds its
# AFL++ engine: fuzzers/oss-fuzz/build.sh with CC=afl-clang-fast, CXX=afl-clang-fast++, ASan
# in the flags, and LIB_FUZZING_ENGINE=AFL++'s libFuzzer-compatible driver (libAFLDriver.a),
# so the same LLVMFuzzerTestOneInput targets run under afl-fuzz. Then runs afl-fuzz on each
# briefly (its seed corpus, the dictionary) and requires executions and no crash.
#   scripts/afl-check.sh [--seconds N] [target ...]     (default 10 s each, every target)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

seconds=10
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    -*) echo "afl-check.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
bash scripts/bootstrap.sh >/dev/null
. scripts/lib/apt.sh
ensure_packages afl-check afl++ zip unzip >/dev/null
driver=/usr/lib/afl/libAFLDriver.a
[ -f "$driver" ] || { echo "afl-check.sh: $driver is missing (Debian's afl++ ships it)" >&2; exit 2; }

base=$repo/build/afl-check
rm -rf "$base"
mkdir -p "$base/src/smtpgate" "$base/out" "$base/work"
tar -C "$repo" --exclude=./build --exclude=./.git --exclude=./reports/out -cf - . |
  tar -C "$base/src/smtpgate" -xf -
cp fuzzers/oss-fuzz/build.sh "$base/src/build.sh"
flags="-O1 -fno-omit-frame-pointer -gline-tables-only -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -fsanitize=address -fsanitize-address-use-after-scope"
start=$SECONDS
if ! (cd "$base/src/smtpgate" &&
      env SRC="$base/src" OUT="$base/out" WORK="$base/work" CC=afl-clang-fast CXX=afl-clang-fast++ \
        SANITIZER=address FUZZING_ENGINE=afl ARCHITECTURE=x86_64 CFLAGS="$flags" CXXFLAGS="$flags" \
        LDFLAGS=-fsanitize=address LIB_FUZZING_ENGINE="$driver" AFL_QUIET=1 \
        bash -eux "$base/src/build.sh") >"$base/build.log" 2>&1; then
  echo "afl-check: the AFL++ build failed; the end of $base/build.log:" >&2
  tail -n 20 "$base/build.log" >&2
  exit 1
fi
echo "afl-check: AFL++ build (afl-clang-fast, ASan, libAFLDriver) in $((SECONDS - start)) s"

if [ ${#targets[@]} -eq 0 ]; then
  for f in fuzzers/fuzz_*.cc; do targets+=("$(basename "$f" .cc)"); done
fi
export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export AFL_QUIET=1 AFL_SKIP_CRASHES=0
export ASAN_OPTIONS=abort_on_error=1:symbolize=0:detect_leaks=0
status=0
printf '%-14s %9s %8s %7s %8s  %s\n' target execs exec/s corpus crashes result
for t in "${targets[@]}"; do
  seeds=$base/work/seeds-$t
  mkdir -p "$seeds"
  unzip -q "$base/out/${t}_seed_corpus.zip" -d "$seeds"
  # afl-fuzz wants small seeds; every shipped one is well under its 1 MB limit.
  find "$seeds" -type f -size +1000k -delete
  findings=$base/work/afl-$t
  max_len=$(sed -n 's/^max_len *= *//p' "fuzzers/$t.options")
  timeout $((seconds + 60)) afl-fuzz -i "$seeds" -o "$findings" -x "$base/out/$t.dict" \
    -V "$seconds" ${max_len:+-G "$max_len"} -- "$base/out/$t" >"$base/work/$t.log" 2>&1 || true
  stats=$findings/default/fuzzer_stats
  if [ ! -f "$stats" ]; then
    printf '%-14s %9s %8s %7s %8s  %s\n' "$t" - - - - "FAIL: afl-fuzz did not run (see $base/work/$t.log)"
    tail -n 5 "$base/work/$t.log" | sed 's/^/    /'
    status=1
    continue
  fi
  field() { sed -n "s/^$1 *: *//p" "$stats"; }
  execs=$(field execs_done)
  rate=$(field execs_per_sec)
  corpus=$(field corpus_count)
  crashes=$(field saved_crashes)
  [ -n "$crashes" ] || crashes=$(field unique_crashes)
  result=ok
  if [ "${execs:-0}" -le 0 ]; then result="FAIL: no executions"; status=1; fi
  if [ "${crashes:-0}" -gt 0 ]; then result="FAIL: $crashes crash(es) in $findings/default/crashes"; status=1; fi
  printf '%-14s %9s %8s %7s %8s  %s\n' "$t" "$execs" "$rate" "$corpus" "$crashes" "$result"
done
exit $status
