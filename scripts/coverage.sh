#!/usr/bin/env bash
# Source-based coverage of the fuzz targets, and the state x verb matrix of fuzz_session.
#   scripts/coverage.sh [--corpus-home DIR] [--out DIR] [target ...]
#
# Builds the `coverage` preset (clang 14, -fprofile-instr-generate -fcoverage-mapping, no
# sanitizers) and replays, for each target (default: every fuzzers/fuzz_*.cc), the shipped
# seeds corpus/<target> and the campaign corpus DIR/<target>/corpus if there is one
# (--corpus-home, default $SMTPGATE_FUZZ_HOME or ~/.cache/smtpgate/fuzz; see
# scripts/smtpgate-fuzz). Nothing is fuzzed and no corpus is written. Writes to OUT
# (--out, default build/coverage-report):
#   html/index.html          llvm-cov show, line by line, project sources only
#   summary.txt              llvm-cov report: per file regions, functions, lines, branches
#   totals.json              llvm-cov export -summary-only (the same numbers, for tools)
#   per-target.txt           the totals of each target on its own
#   state-verb-matrix.md     fuzzers/session_matrix over the fuzz_session corpora
#   state-verb-matrix.json   the same data
#   logs/, coverage.profdata the replay logs and the merged profile
# Exits non-zero if a target fails on its corpus (the failing inputs are listed; the others
# still count) or if an output is missing or empty. See docs/coverage.md.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
started=$(date +%s)

corpus_home=${SMTPGATE_FUZZ_HOME:-$HOME/.cache/smtpgate/fuzz}
out=build/coverage-report
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --corpus-home) corpus_home="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "coverage.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if [ ${#targets[@]} -eq 0 ]; then
  for f in fuzzers/fuzz_*.cc; do targets+=("$(basename "$f" .cc)"); done
fi
for t in "${targets[@]}"; do
  if [ ! -f "fuzzers/$t.cc" ]; then echo "coverage.sh: no fuzz target $t" >&2; exit 2; fi
done

bash scripts/bootstrap.sh
for tool in llvm-profdata-14 llvm-cov-14; do
  command -v "$tool" >/dev/null || { echo "coverage.sh: $tool not found" >&2; exit 2; }
done
cmake --preset coverage >/dev/null
cmake --build --preset coverage -j 2
bin=build/coverage/fuzzers

mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -rf "$out/profraw" "$out/logs" "$out/html"
mkdir -p "$out/profraw" "$out/logs"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
unset SMTPGATE_FUZZ_PROFILE  # the session targets must run their own profiles

status=0
objects=()
printf '%-14s %7s  %s\n' target inputs corpora
for t in "${targets[@]}"; do
  dirs=("corpus/$t")
  if [ -d "$corpus_home/$t/corpus" ]; then dirs+=("$corpus_home/$t/corpus"); fi
  inputs=$(find "${dirs[@]}" -type f | wc -l)
  printf '%-14s %7s  %s\n' "$t" "$inputs" "${dirs[*]}"
  objects+=("$bin/$t")
  # An empty first directory: libFuzzer writes new inputs only to the first one (it finds
  # none with -runs=0, but no corpus is ever at risk).
  mkdir -p "$scratch/$t"
  log="$out/logs/$t.log"
  # %m: every process of a target merges into one profile (online merging).
  profile="$out/profraw/$t-%m.profraw"
  if LLVM_PROFILE_FILE="$profile" \
      "$bin/$t" -runs=0 -timeout=25 "$scratch/$t" "${dirs[@]}" >"$log" 2>&1; then
    continue
  fi
  # A crash loses the profile of the whole run: replay the inputs one by one instead, so
  # every input that passes still counts, and name the ones that fail.
  rm -f "$out/profraw/$t"-*.profraw
  failed=0
  while IFS= read -r -d '' input; do
    if ! LLVM_PROFILE_FILE="$profile" "$bin/$t" -timeout=25 "$input" \
        >>"$out/logs/$t.one-by-one.log" 2>&1; then
      echo "  FAILS: $input" | tee -a "$out/logs/$t.failures"
      failed=$((failed + 1))
    fi
  done < <(find "${dirs[@]}" -type f -print0 | sort -z)
  echo "  $t: $failed input(s) fail (see $out/logs/); the rest are counted" >&2
  status=1
done

shopt -s nullglob
profraws=("$out"/profraw/*.profraw)
shopt -u nullglob
if [ ${#profraws[@]} -eq 0 ]; then echo "coverage.sh: no profile was written" >&2; exit 1; fi
llvm-profdata-14 merge -sparse "${profraws[@]}" -o "$out/coverage.profdata"

# Project sources only: harness/ and fuzzers/ (not /usr, not tests, not generated files).
cov_args=(-instr-profile="$out/coverage.profdata" -ignore-filename-regex='^/usr/|/tests/|/build/')
object_args=("${objects[0]}")
for o in "${objects[@]:1}"; do object_args+=(-object "$o"); done
sources=("$repo/harness" "$repo/fuzzers")

# llvm-cov warns "N functions have mismatched data" for inline functions a target links but
# never calls: their placeholder record meets the real one of a target that calls them. The
# real one is what is counted (docs/coverage.md); the warning goes to logs/llvm-cov.log.
cov_log="$out/logs/llvm-cov.log"
llvm-cov-14 show "${object_args[@]}" "${cov_args[@]}" -format=html -output-dir="$out/html" \
  -show-line-counts-or-regions -show-branches=count -project-title=smtpgate \
  "${sources[@]}" >/dev/null 2>>"$cov_log"
llvm-cov-14 report "${object_args[@]}" "${cov_args[@]}" -use-color=false "${sources[@]}" \
  >"$out/summary.txt" 2>>"$cov_log"
llvm-cov-14 export "${object_args[@]}" "${cov_args[@]}" -use-color=false -summary-only \
  -format=text "${sources[@]}" >"$out/totals.json" 2>>"$cov_log"
if grep -qv 'functions have mismatched data' "$cov_log"; then cat "$cov_log" >&2; fi

# Each target on its own (its own profiles against its own binary).
{
  printf '%-14s %22s %22s %22s\n' target lines regions functions
  for t in "${targets[@]}"; do
    shopt -s nullglob
    mine=("$out"/profraw/"$t"-*.profraw)
    shopt -u nullglob
    [ ${#mine[@]} -gt 0 ] || continue
    llvm-profdata-14 merge -sparse "${mine[@]}" -o "$scratch/$t.profdata"
    llvm-cov-14 export "$bin/$t" -use-color=false -instr-profile="$scratch/$t.profdata" \
      -ignore-filename-regex='^/usr/|/tests/|/build/' -summary-only -format=text \
      "${sources[@]}" >"$scratch/$t.json" 2>>"$cov_log"
    python3 - "$t" "$scratch/$t.json" <<'EOF'
import json, sys
t = json.load(open(sys.argv[2]))["data"][0]["totals"]
cell = lambda k: f'{t[k]["percent"]:6.2f}% {t[k]["covered"]:5}/{t[k]["count"]:<5}'
print(f'{sys.argv[1]:<14} {cell("lines"):>22} {cell("regions"):>22} {cell("functions"):>22}')
EOF
  done
} >"$out/per-target.txt"

# The state x verb matrix of the fuzz_session corpora (its own profile is not counted).
session_dirs=(corpus/fuzz_session)
if [ -d "$corpus_home/fuzz_session/corpus" ]; then
  session_dirs+=("$corpus_home/fuzz_session/corpus")
fi
LLVM_PROFILE_FILE="$scratch/session_matrix-%p.profraw" "$bin/session_matrix" \
  --markdown "$out/state-verb-matrix.md" --json "$out/state-verb-matrix.json" "${session_dirs[@]}"

# Every output must be there and not empty.
for f in html/index.html summary.txt totals.json per-target.txt state-verb-matrix.md \
         state-verb-matrix.json; do
  if [ ! -s "$out/$f" ]; then echo "coverage.sh: $out/$f is missing or empty" >&2; exit 1; fi
done
grep -q '^TOTAL' "$out/summary.txt" || { echo "coverage.sh: no TOTAL in summary.txt" >&2; exit 1; }
python3 -m json.tool "$out/state-verb-matrix.json" >/dev/null ||
  { echo "coverage.sh: state-verb-matrix.json is not JSON" >&2; exit 1; }

echo
python3 - "$out/totals.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))["data"][0]
t = d["totals"]
print(f'coverage of {len(d["files"])} project source files (harness/, fuzzers/):')
for k in ("lines", "regions", "functions", "branches"):
    print(f'  {k:<10} {t[k]["percent"]:6.2f}%  ({t[k]["covered"]} of {t[k]["count"]})')
EOF
cat "$out/per-target.txt"
matrix_line=$(python3 - "$out/state-verb-matrix.json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
real = [c for c in m["cells"] if c["table"] != "pseudo"]
allowed = [u for u in m["never_reached"] if u["table"] == "allowed"]
# Pairs in states where the session reads no command line (inside DATA, a chunk, SASL...)
# cannot be reached by any input: they are not counted.
pairs = len(real) + len([u for u in m["never_reached"] if u["table"] != "not-read"])
print(f'{m["inputs"]["replayed"]} fuzz_session inputs, {m["replies"]} replies: {len(real)} of '
      f'the {pairs} state x verb pairs of the command-reading states reached; '
      f'{len(allowed)} allowed by the command table but never reached')
EOF
)
echo "matrix: $matrix_line"
cat <<EOF

html:     $out/html/index.html
summary:  $out/summary.txt (per file), $out/totals.json, $out/per-target.txt
matrix:   $out/state-verb-matrix.md, $out/state-verb-matrix.json
profile:  $out/coverage.profdata (logs: $out/logs/)
time:     $(( $(date +%s) - started )) s
EOF
exit $status
