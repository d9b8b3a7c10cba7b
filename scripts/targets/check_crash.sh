#!/usr/bin/env bash
# check_crash.sh SMTPGATE [VARIANT]
#
# Proves the crash evidence on a real per-connection crash: runs
# scripts/targets/crash/smtpd-dies.smtp against the running Postfix instance (default
# good), kills that session's smtpd with SIGSEGV while the transcript sleeps, and checks
# the verdict: FAIL with "per-connection crash", evidence "crash log" (master's "killed by
# signal 11" line in the instance's log, the target file's [server] crash_log), and the
# daemon still alive (liveness PASS). Exit 0 when it holds. run-all.sh runs it.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$repo_root"

smtpgate=${1:?usage: check_crash.sh SMTPGATE [VARIANT]}
variant=${2:-good}
inst=$(postfix_dir)/postfix-$variant
port=$(variant_port 2625 "$variant")
out=$repo_root/reports/out/targets
mkdir -p "$out"
master=$(cat "$inst/queue/pid/master.pid" 2>/dev/null | tr -d ' ') ||
  die "postfix ($variant) is not running (no $inst/queue/pid/master.pid)"

"$smtpgate" conform --target-file "conformance/targets/postfix-$variant.toml" --jobs 1 \
  --suite scripts/targets/crash --json "$out/check_crash.json" >"$out/check_crash.log" 2>&1 &
conform=$!
# The transcript sleeps 5 s after EHLO; by 2 s its smtpd serves it. Kill every smtpd of
# this instance (children of its master, by pid): the session's is among them.
sleep 2
for pid in $(ps -o pid= --ppid "$master"); do
  if ps -o args= -p "$pid" | grep -q "^smtpd -n $port "; then kill -SEGV "$pid" 2>/dev/null || true; fi
done
rc=0
wait "$conform" || rc=$?
[ "$rc" -le 1 ] || { tail -n 5 "$out/check_crash.log" >&2; die "conform exited $rc"; }

/usr/bin/python3 - "$out/check_crash.json" <<'PY'
import json, sys
test = json.load(open(sys.argv[1]))["tests"][0]
problems = []
if test["verdict"] != "FAIL":
    problems.append(f"verdict {test['verdict']}, expected FAIL")
if "per-connection crash" not in test["reason"]:
    problems.append("the reason does not say per-connection crash")
if "crash log" not in test["evidence"]:
    problems.append(f"evidence {test['evidence']}, expected crash log among them")
if not any(f["evidence"] == "liveness" and f["verdict"] == "PASS" for f in test["findings"]):
    problems.append("the daemon did not stay alive (no liveness PASS)")
if problems:
    print("check_crash: MISMATCH: " + "; ".join(problems) + f"\n  reason: {test['reason']}")
    sys.exit(1)
print(f"check_crash: postfix smtpd killed mid-session: FAIL by {', '.join(test['evidence'])}: "
      f"{test['reason'][:220]}")
PY
