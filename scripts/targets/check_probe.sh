#!/usr/bin/env bash
# check_probe.sh SMTPGATE SERVER...
#
# A newcomer's first two commands, against each running real server's good variant:
# `smtpgate probe HOST:PORT` writes a target file (no accounts given, so the AUTH tests
# SKIP), and `smtpgate conform --target-file` runs the whole catalogue with it unchanged.
# It must run (exit 0 or 1, no ERROR), and every FAIL must be one of that server's
# known_fail in conformance/expectations/real-targets.toml (a good configuration gets no
# false FAIL from a probed file). Exit 0 when that holds for every server. run-all.sh runs it.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$repo_root"

smtpgate=${1:?usage: check_probe.sh SMTPGATE SERVER...}
shift
out=$repo_root/reports/out/targets
mkdir -p "$out"
status=0
for server in "$@"; do
  case "$server" in
    postfix) port=2625 ;;
    aiosmtpd) port=2725 ;;
    *) die "check_probe: unknown server $server" ;;
  esac
  file=$out/$server-probed.toml
  "$smtpgate" probe "127.0.0.1:$port" --out "$file" --local-domain example.test \
    --local-user alice --remote-domain remote.invalid --sink "127.0.0.1:$((port + 1))" \
    >"$out/$server-probe.log" 2>&1 || die "probe of $server failed: $(tail -n 3 "$out/$server-probe.log")"
  rc=0
  "$smtpgate" conform --target-file "$file" --json "$out/$server-probed.json" \
    >"$out/$server-probed.log" 2>&1 || rc=$?
  if [ "$rc" -gt 1 ]; then
    echo "check_probe: conform with the probed file of $server exited $rc: $(tail -n 3 "$out/$server-probed.log")" >&2
    status=1
    continue
  fi
  /usr/bin/python3 - "$server" "$out/$server-probed.json" conformance/expectations/real-targets.toml <<'PY' || status=1
import json, sys, tomllib
server, results, expectations = sys.argv[1:]
known = set(tomllib.load(open(expectations, "rb"))[server].get("known_fail", []))
tests = json.load(open(results))["tests"]
count = {}
for t in tests:
    count[t["verdict"]] = count.get(t["verdict"], 0) + 1
name = lambda t: t["id"].split("/", 1)[1]
wrong = [f'{name(t)} ({t["reason"]})' for t in tests if t["verdict"] == "FAIL" and name(t) not in known]
errors = [f'{name(t)} ({t["reason"]})' for t in tests if t["verdict"] == "ERROR"]
summary = ", ".join(f"{v} {count.get(v, 0)}" for v in ("PASS", "FAIL", "WARN", "SKIP", "ERROR"))
if wrong or errors:
    print(f"check_probe: {server}: the probed target file gives {summary}; not expected:")
    for line in wrong + errors:
        print("  " + line)
    sys.exit(1)
print(f"check_probe: {server}: probe + conform with the probed file unchanged: {summary} "
      f"(every FAIL a known_fail)")
PY
done
exit "$status"
