#!/usr/bin/env bash
# run-all.sh [SERVER...]
#
# Starts Postfix and aiosmtpd on loopback in all their variants (good, open-relay,
# auth-implies-relay; Postfix also stock-smuggling), runs the whole conformance suite
# against each with the sink (relayed mail), the instance's Maildirs (local mail) and, for
# Postfix, its log (crashes) as evidence, stops them, prints the matrix (server x variant
# x area) and compares every run with conformance/expectations/real-targets.toml. Exit 0
# when all match.
#
# Then scripts/targets/check_crash.sh kills the smtpd of a Postfix session mid-session and
# checks that the test FAILs as a per-connection crash by the crash log, and
# scripts/targets/check_probe.sh probes each good variant with `smtpgate probe` and runs the
# catalogue with the file it wrote, unchanged (no FAIL beyond the server's known_fail).
#
# The instances use fixed ports and directories (build/targets): a second run-all.sh
# started meanwhile (from this clone) waits for the first to finish.
#
# Installs what is missing (Debian packages; Postfix is unpacked into build/targets, never
# installed). Uses build/release/smtpgate, building it first when absent; set SMTPGATE to
# use another binary. Results (JSON, JUnit per run; one HTML and one SARIF over all runs)
# go to reports/out/targets/.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$repo_root"

servers=("$@")
[ ${#servers[@]} -gt 0 ] || servers=(postfix aiosmtpd)
out=$repo_root/reports/out/targets
mkdir -p "$out"

smtpgate=${SMTPGATE:-$repo_root/build/release/smtpgate}
if [ -z "${SMTPGATE:-}" ]; then
  bash scripts/bootstrap.sh
  cmake --preset release >/dev/null
  cmake --build --preset release --target smtpgate -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
fi
[ -x "$smtpgate" ] || die "no smtpgate binary at $smtpgate"

mkdir -p "$targets_dir"
exec 9>"$targets_dir/.run-all.lock"
if ! flock -n 9; then
  echo "run-all: another run-all.sh is using the targets; waiting for it to finish"
  flock 9
fi

start=$SECONDS
stop_all() {
  local s v
  for s in "${servers[@]}"; do
    for v in $(server_variants "$s"); do bash "scripts/targets/$s.sh" stop "$v" >/dev/null 2>&1 || true; done
  done
}
trap stop_all EXIT

# Start them one after another (package installs happen once), then run the suite on all.
for s in "${servers[@]}"; do
  for v in $(server_variants "$s"); do bash "scripts/targets/$s.sh" start "$v"; done
done

# The runs are mostly waiting (oracle waits, Postfix's error sleep), so all go at once.
pids=()
specs=()
for s in "${servers[@]}"; do
  for v in $(server_variants "$s"); do
    "$smtpgate" conform --target-file "conformance/targets/$s-$v.toml" --jobs 8 \
      --json "$out/$s-$v.json" --junit "$out/$s-$v.xml" >"$out/$s-$v.log" 2>&1 &
    pids+=($!)
    specs+=("$s:$v=$out/$s-$v.json")
  done
done
status=0
i=0
for s in "${servers[@]}"; do
  for v in $(server_variants "$s"); do
    rc=0
    wait "${pids[$i]}" || rc=$?
    # conform: 0 no FAIL, 1 FAIL (expected for bad variants); anything else is an error.
    if [ "$rc" -gt 1 ]; then
      echo "run-all: conform against $s ($v) exited $rc:" >&2
      tail -n 5 "$out/$s-$v.log" >&2
      status=2
    fi
    i=$((i + 1))
  done
done
# A real per-connection crash: Postfix's smtpd killed mid-session must FAIL by the crash log.
crash_check=""
if [ "$status" -eq 0 ] && [[ " ${servers[*]} " == *" postfix "* ]]; then
  if ! crash_check=$(bash scripts/targets/check_crash.sh "$smtpgate" good); then
    status=1
    echo "$crash_check" >&2
  fi
fi
# A newcomer's probe: the target file `smtpgate probe` writes runs unchanged.
probe_check=""
if [ "$status" -eq 0 ]; then
  if ! probe_check=$(bash scripts/targets/check_probe.sh "$smtpgate" "${servers[@]}"); then
    status=1
    echo "$probe_check" >&2
  fi
fi
stop_all
trap - EXIT
[ "$status" -eq 0 ] || exit "$status"

# One HTML report over all runs (a targets x tests matrix), and one SARIF.
"$smtpgate" report "${specs[@]##*=}" --html "$out/real-targets.html" \
  --sarif "$out/real-targets.sarif" >"$out/report.log" 2>&1 ||
  { echo "run-all: smtpgate report failed:" >&2; tail -n 5 "$out/report.log" >&2; status=2; }

echo
/usr/bin/python3 scripts/targets/check_expectations.py \
  --expect conformance/expectations/real-targets.toml "${specs[@]}" || status=$?
[ -z "$crash_check" ] || echo "$crash_check"
[ -z "$probe_check" ] || echo "$probe_check"
echo "run-all: ${#specs[@]} runs (${servers[*]}) in $((SECONDS - start)) s; results in $out"
exit "$status"
