#!/usr/bin/env bash
# The README's main job. Installs what is missing, builds smtpgate (release), then:
#  1. runs the conformance suite against the embedded reference server (in-process);
#  2. starts `smtpgate serve` on loopback (127.0.0.1:2525, relayed mail handed to the
#     runner's sink on 127.0.0.1:2526) and runs the suite against it over TCP;
#  3. runs every fuzz target briefly on its seed corpus (exec/s, coverage);
#  4. gates the embedded run against reports/baselines/embedded-secure.json (regressions
#     fail the job) and combines both runs in one HTML report;
# and writes JSON, JUnit, SARIF and HTML reports under reports/out/.
#   scripts/run.sh [--fuzz-seconds N] [--profile P]
set -euo pipefail
cd "$(dirname "$0")/.."

fuzz_seconds=10
profile=secure
while [ $# -gt 0 ]; do
  case "$1" in
    --fuzz-seconds) fuzz_seconds="$2"; shift 2 ;;
    --profile) profile="$2"; shift 2 ;;
    *) echo "usage: scripts/run.sh [--fuzz-seconds N] [--profile P]" >&2; exit 2 ;;
  esac
done

bash scripts/bootstrap.sh
jobs=$(nproc 2>/dev/null || echo 2)
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs" --target smtpgate
smtpgate=build/release/smtpgate
out=reports/out
mkdir -p "$out"
status=0

echo
echo "== 1. conformance suite against the embedded reference server (profile $profile)"
"$smtpgate" conform --embedded --profile "$profile" --jobs "$jobs" \
  --json "$out/embedded-$profile.json" --junit "$out/embedded-$profile.junit.xml" \
  --sarif "$out/embedded-$profile.sarif" --html "$out/embedded-$profile.html" || status=1

echo
echo "== 2. conformance suite over TCP against smtpgate serve on 127.0.0.1:2525"
for port in 2525 2526; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port on 127.0.0.1 is in use: stop what listens there and run again" >&2
    exit 3
  fi
done
spool=$(mktemp -d)
"$smtpgate" serve --listen 127.0.0.1:2525 --relay-host 127.0.0.1:2526 --profile "$profile" \
  --spool "$spool" >"$out/serve.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -rf "$spool"' EXIT
for _ in $(seq 50); do
  (exec 3<>/dev/tcp/127.0.0.1/2525) 2>/dev/null && break
  sleep 0.1
done
"$smtpgate" conform --target-file conformance/targets/smtpgate-serve.toml --jobs 4 \
  --json "$out/serve-$profile.json" --junit "$out/serve-$profile.junit.xml" \
  --sarif "$out/serve-$profile.sarif" --html "$out/serve-$profile.html" || status=1
kill "$server" 2>/dev/null || true
wait "$server" 2>/dev/null || true

echo
echo "== 3. fuzz pass: ${fuzz_seconds}s per target on its seed corpus (ASan+UBSan)"
bash scripts/fuzz.sh --seconds "$fuzz_seconds" || status=1

echo
echo "== 4. regression gate and combined report"
"$smtpgate" report "$out/embedded-$profile.json" \
  --baseline reports/baselines/embedded-secure.json || status=1
"$smtpgate" report "$out/embedded-$profile.json" "$out/serve-$profile.json" \
  --html "$out/combined-$profile.html" >/dev/null || status=1

echo
echo "reports: $out/ (embedded-$profile and serve-$profile: .json .junit.xml .sarif .html;"
echo "         combined-$profile.html; serve.log)"
exit $status
