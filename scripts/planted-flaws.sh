#!/usr/bin/env bash
# The planted-flaw check of the session fuzzing. For each flawed emulation profile, fuzz_session
# runs in planted-flaw mode (SMTPGATE_FUZZ_PROFILE: the profile in the embedded configuration,
# its flaw not tolerated) until its first finding or the budget; the finding is minimised
# (-minimize_crash=1) and turned into a regression transcript (smtpgate fuzz-to-transcript),
# which must PASS the secure embedded server and FAIL the profile (the converter checks both)
# and FAIL it over TCP against the real reference server (smtpgate serve, started and watched
# by conform, relayed mail to its sink).
#
#   scripts/planted-flaws.sh [--seconds N] [--seeds shipped|minimal] [profile ...]
#
#   --seeds shipped  (default) from corpus/fuzz_session, as users run it. The shipped seeds
#                    hold sessions aimed at each flaw, so this is found in well under a second:
#                    it proves the invariants catch the flaw, not that fuzzing discovers it.
#   --seeds minimal  from one benign session (corpus/fuzz_session/local-delivery): what the
#                    fuzzer discovers by itself within N seconds (default 20).
# Prints profile, seconds to the first finding, the minimised size and the three verdicts.
# Needs the fuzz build (scripts/fuzz.sh builds it) and smtpgate (SMTPGATE, default
# build/dev/smtpgate). Exit 1 when a flaw is not found or its transcript does not tell it apart.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=20
seeds=shipped
profiles=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --seeds) seeds="$2"; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    -*) echo "planted-flaws.sh: unknown option $1" >&2; exit 2 ;;
    *) profiles+=("$1"); shift ;;
  esac
done
case "$seeds" in
  shipped) seed_dir=corpus/fuzz_session ;;
  minimal) seed_dir=$(mktemp -d); cp corpus/fuzz_session/local-delivery "$seed_dir/" ;;
  *) echo "planted-flaws.sh: --seeds takes shipped or minimal, not '$seeds'" >&2; exit 2 ;;
esac
[ ${#profiles[@]} -gt 0 ] || profiles=(open-relay auth-implies-relay ms02-012 bare-lf-eod
                                      null-session-auth per-connection-crash)
smtpgate=${SMTPGATE:-build/dev/smtpgate}
fuzzer=build/fuzz/fuzzers/fuzz_session
for need in "$smtpgate" "$fuzzer"; do
  [ -x "$need" ] || { echo "planted-flaws.sh: $need is not built (cmake --build --preset dev / fuzz)" >&2; exit 2; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"; [ "$seeds" = shipped ] || rm -rf "$seed_dir"' EXIT

status=0
echo "planted flaws, fuzz_session from the $seeds seeds, budget ${seconds} s each:"
printf '%-21s %9s %6s  %-7s %-9s %-7s %s\n' profile found-in bytes secure embedded tcp result
for profile in "${profiles[@]}"; do
  out="$work/$profile"
  mkdir -p "$out/corpus"
  start=$(date +%s.%N)
  SMTPGATE_FUZZ_PROFILE=$profile "$fuzzer" -max_total_time="$seconds" -max_len=4096 \
    -dict=fuzzers/smtp.dict -print_funcs=0 -artifact_prefix="$out/" "$out/corpus" "$seed_dir" \
    >"$out/fuzz.log" 2>&1 || true
  found=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}s')" \
            "$start" "$(date +%s.%N)")
  crash=$(ls "$out"/crash-* 2>/dev/null | head -1 || true)
  if [ -z "$crash" ]; then
    printf '%-21s %9s %6s  %s\n' "$profile" "-" "-" "NOT FOUND in ${seconds} s (see the fuzz log)"
    tail -3 "$out/fuzz.log" | sed 's/^/    /'
    status=1
    continue
  fi
  SMTPGATE_FUZZ_PROFILE=$profile "$fuzzer" -minimize_crash=1 -runs=2000 -max_len=4096 \
    -exact_artifact_path="$out/minimized" "$crash" >"$out/minimize.log" 2>&1 || true
  [ -s "$out/minimized" ] || cp "$crash" "$out/minimized"
  bytes=$(stat -c %s "$out/minimized")
  if ! "$smtpgate" fuzz-to-transcript --profile "$profile" --name "planted-$profile" \
       --out "$out" "$out/minimized" >"$out/convert.log" 2>&1; then
    printf '%-21s %9s %6s  %s\n' "$profile" "$found" "$bytes" "NOT TOLD APART:"
    sed 's/^/    /' "$out/convert.log" | cut -c1-200
    status=1
    continue
  fi
  secure=$(sed -n 's/^  secure: \([A-Z]*\).*/\1/p' "$out/convert.log")
  embedded=$(sed -n "s/^  $profile: \([A-Z]*\).*/\1/p" "$out/convert.log")
  port=$((26000 + RANDOM % 2000))
  sed -e "s/^port = .*/port = $port/" -e "s|^sink = .*|sink = \"127.0.0.1:$((port + 1))\"|" \
    conformance/targets/smtpgate-serve.toml >"$out/target.toml"
  "$smtpgate" conform --target-file "$out/target.toml" --jobs 1 \
    --server-cmd "$smtpgate serve --listen 127.0.0.1:$port --relay-host {sink} --profile $profile" \
    --suite "$out/planted-$profile.smtp" --json "$out/tcp.json" >"$out/tcp.log" 2>&1 || true
  tcp=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tests"][0]["verdict"])' \
          "$out/tcp.json" 2>/dev/null || echo ERROR)
  result=ok
  if [ "$secure" != PASS ] || [ "$embedded" != FAIL ] || [ "$tcp" != FAIL ]; then
    result="MISMATCH"
    status=1
  fi
  printf '%-21s %9s %6s  %-7s %-9s %-7s %s\n' "$profile" "$found" "$bytes" "$secure" "$embedded" "$tcp" "$result"
  [ "$result" = ok ] || { sed 's/^/    /' "$out/convert.log" "$out/tcp.log" | tail -8 | cut -c1-200; }
done
exit $status
