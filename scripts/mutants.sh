#!/usr/bin/env bash
# Mutation testing of smtpgate's security checks: each patch in tests/mutants/ breaks one
# security rule of the reference server. For every mutant this script applies the patch to a
# scratch copy of the tree (build/mutants/src), rebuilds incrementally, and requires that
#   (a) `smtpgate conform --embedded` exits 1 (the suite users run notices the break), and
#   (b) the fuzz target named in the patch ("# fuzz: ...") reports it within FUZZ_SECONDS
#       (default 60) from the shipped seed corpus, with an invariant violation.
# Then it reverts the patch. It prints a table (mutant, rule, conform, fuzz target, seconds)
# and exits 1 if any mutant survives either check, 2 on a usage error.
#
#   scripts/mutants.sh                  # every mutant
#   scripts/mutants.sh 05 12            # the mutants whose file name starts with 05 or 12
#   scripts/mutants.sh --rotate 6       # 6 mutants, a different window each day (CI)
#   FUZZ_SECONDS=30 scripts/mutants.sh  # a shorter fuzz budget
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

fuzz_seconds=${FUZZ_SECONDS:-60}
rotate=0
selected=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rotate) rotate="$2"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    -*) echo "mutants.sh: unknown option $1" >&2; exit 2 ;;
    *) selected+=("$1"); shift ;;
  esac
done

bash scripts/bootstrap.sh
# shellcheck source=lib/apt.sh
. scripts/lib/apt.sh
ensure_packages mutants.sh rsync patch

mapfile -t all < <(ls tests/mutants/*.patch)
mutants=()
if [ ${#selected[@]} -gt 0 ]; then
  for s in "${selected[@]}"; do
    for m in "${all[@]}"; do
      case "$(basename "$m")" in "$s"*) mutants+=("$m") ;; esac
    done
  done
elif [ "$rotate" -gt 0 ]; then
  n=${#all[@]}
  day=$(( 10#$(date +%j) ))
  for ((k = 0; k < rotate && k < n; k++)); do mutants+=("${all[$(( (day * rotate + k) % n ))]}"); done
else
  mutants=("${all[@]}")
fi
[ ${#mutants[@]} -gt 0 ] || { echo "mutants.sh: no mutant matches ${selected[*]}" >&2; exit 2; }

work=build/mutants
src=$work/src
mkdir -p "$work/logs"
# The scratch copy keeps its build directories between runs. rsync compares contents and
# does not copy modification times: a file it rewrites is newer than its object file (so
# ninja rebuilds it), and an unchanged file keeps its time (so nothing else is rebuilt).
rsync -rlpD --checksum --delete --exclude /build --exclude /.git --exclude /.tools \
  --exclude /reports/out ./ "$src/"
jobs=$(nproc 2>/dev/null || echo 2)
(
  cd "$src"
  cmake --preset fuzz >/dev/null
  cmake -S . -B build/cli -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=Debug \
    -DSMTPGATE_TESTS=OFF -DSMTPGATE_BENCH=OFF >/dev/null
)

build() {  # build TARGET_OF_FUZZ: smtpgate (no sanitizers) and the fuzz target
  (cd "$src" && cmake --build build/cli -j "$jobs" --target smtpgate &&
     cmake --build build/fuzz -j "$jobs" --target "$1")
}

conform() {  # conform OUT: the whole catalogue against the embedded server; prints its exit code
  local rc=0
  (cd "$src" && build/cli/smtpgate conform --embedded --suite conformance) >"$1" 2>&1 || rc=$?
  echo "$rc"
}

# The unmutated tree must pass, or a "kill" would mean nothing.
echo "mutants.sh: building the unmutated scratch tree"
for t in $(sed -n 's/^# fuzz: *//p' "${mutants[@]}" | sort -u); do
  build "$t" >"$work/logs/baseline-build.log" 2>&1 || { cat "$work/logs/baseline-build.log"; exit 1; }
  if ! (cd "$src" && "build/fuzz/fuzzers/$t" -runs=0 "corpus/$t") >"$work/logs/baseline-$t.log" 2>&1; then
    echo "mutants.sh: the unmutated $t fails on its own seeds (see $work/logs/baseline-$t.log)" >&2
    exit 1
  fi
done
rc=$(conform "$work/logs/baseline-conform.log")
if [ "$rc" != 0 ]; then
  echo "mutants.sh: the unmutated tree fails conform --embedded (exit $rc, see $work/logs/baseline-conform.log)" >&2
  exit 1
fi

printf '%-30s %-22s %-34s %-13s %s\n' mutant rule "conform --embedded" "fuzz target" "fuzz"
status=0
rows=()
for patch in "${mutants[@]}"; do
  name=$(sed -n 's/^# mutant: *//p' "$patch")
  rule=$(sed -n 's/^# rule: *//p' "$patch")
  target=$(sed -n 's/^# fuzz: *//p' "$patch")
  log=$work/logs/$name
  if ! patch -d "$src" -p1 --forward --quiet <"$patch" >"$log.patch.log" 2>&1; then
    echo "mutants.sh: $patch does not apply (see $log.patch.log)" >&2
    exit 1
  fi
  conform_result="not built"
  fuzz_result="not built"
  if build "$target" >"$log.build.log" 2>&1; then
    rc=$(conform "$log.conform.log")
    fails=$(grep -c '^FAIL' "$log.conform.log" || true)
    first=$(grep -m1 '^FAIL' "$log.conform.log" | awk '{print $3}' || true)
    if [ "$rc" = 1 ]; then
      conform_result="killed: $fails FAIL ($first)"
    else
      conform_result="SURVIVED (exit $rc)"
      status=1
    fi
    scratch=$(mktemp -d)
    start=$(date +%s%N)
    frc=0
    (cd "$src" && timeout $((fuzz_seconds + 30)) "build/fuzz/fuzzers/$target" \
       -max_total_time="$fuzz_seconds" -dict=fuzzers/smtp.dict \
       -artifact_prefix="$repo/$log-" "$scratch" "corpus/$target") >"$log.fuzz.log" 2>&1 || frc=$?
    tenths=$(( ($(date +%s%N) - start) / 100000000 ))
    secs="$((tenths / 10)).$((tenths % 10))"
    rm -rf "$scratch"
    if [ "$frc" != 0 ] && grep -q "invariant violated" "$log.fuzz.log"; then
      fuzz_result="killed in $secs s"
    elif [ "$frc" != 0 ]; then
      fuzz_result="crash in $secs s"  # a sanitizer report: also a kill
    else
      fuzz_result="SURVIVED ${fuzz_seconds} s"
      status=1
    fi
  else
    status=1
  fi
  patch -d "$src" -p1 -R --quiet <"$patch"
  row=$(printf '%-30s %-22s %-34s %-13s %s' "$name" "$rule" "$conform_result" "$target" "$fuzz_result")
  rows+=("$row")
  echo "$row"
done
echo "mutants.sh: ${#mutants[@]} mutants on $(nproc) cores ($(sed -n 's/^model name[^:]*: *//p' /proc/cpuinfo | head -1)); logs in $work/logs"
[ "$status" = 0 ] && echo "mutants.sh: every mutant killed by conform and by its fuzz target" ||
  echo "mutants.sh: some mutants SURVIVED" >&2
exit $status
