#!/usr/bin/env bash
# bench/conform-speed.sh: wall time of `smtpgate conform` against the Postfix good variant
# (scripts/targets/postfix.sh), side by side in one run with nmap's smtp-open-relay script
# against the same Postfix:
#   suite   the whole catalogue (conformance/), default --jobs, the sink and the instance's
#           Maildirs as oracle (conformance/targets/postfix-good.toml)
#   nmap16  the 16 relay forms of nmap's smtp-open-relay as transcripts
#           (conformance/relay/nmap-relay-*.smtp), with the same oracle, plus the relay
#           positive control (auth/auth-authorized-user-relays-positive-control): it proves
#           the oracle sees relayed mail and calibrates the shared oracle deadline (without
#           a control the run waits the whole oracle_wait_ms)
#   nmap    nmap -p PORT --script +smtp-open-relay (its 16 forms, judged by reply codes; the
#           + runs it on a port nmap does not map to smtp)
#
#   ROUNDS=5 bash bench/conform-speed.sh
#
# The three take turns within each round; the result is the median and the range over the
# rounds, and each round's verdicts are checked (no FAIL from conform: Postfix good is no
# open relay; nmap must say so too). Prints the machine it ran on; writes the table to
# reports/out/bench-conform-speed.txt. Uses build/release/smtpgate (built when absent or
# stale); installs nmap when missing. Stop other run-all.sh runs first (fixed ports).
set -euo pipefail
. "$(dirname "$0")/../scripts/targets/common.sh"
cd "$repo_root"

rounds=${ROUNDS:-5}
bash scripts/bootstrap.sh
command -v nmap >/dev/null || {
  echo "conform-speed: installing nmap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nmap >/dev/null
}
cmake --preset release >/dev/null
cmake --build --preset release --target smtpgate -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
smtpgate=$repo_root/build/release/smtpgate
bash scripts/targets/postfix.sh start good >/dev/null
work=$(mktemp -d)
cleanup() {
  bash scripts/targets/postfix.sh stop good >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

target=conformance/targets/postfix-good.toml
port=$(sed -n "s/^port *= *//p" "$target")
nmap16=$(ls conformance/relay/nmap-relay-*.smtp | paste -sd, -)
[ "$(echo "$nmap16" | tr ',' '\n' | wc -l)" -eq 16 ] || die "expected 16 nmap-relay-*.smtp transcripts"
nmap16+=,conformance/auth/auth-authorized-user-relays-positive-control.smtp

# seconds CMD...: runs CMD, prints its wall time in seconds (3 decimals).
seconds() {
  local start end
  start=$(date +%s.%N)
  "$@"
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f\n", e - s }'
}

run_suite() {
  "$smtpgate" conform --target-file "$target" --json "$work/suite.json" >"$work/suite.log" 2>&1 ||
    die "conform (suite) exited $? against Postfix good: $(tail -n 3 "$work/suite.log")"
}
run_nmap16() {
  "$smtpgate" conform --target-file "$target" --suite "$nmap16" >"$work/nmap16.log" 2>&1 ||
    die "conform (nmap forms) exited $?: $(tail -n 3 "$work/nmap16.log")"
}
run_nmap() {
  nmap -Pn -n -p "$port" --script +smtp-open-relay \
    --script-args "smtp-open-relay.domain=example.test,smtp-open-relay.ip=127.0.0.1" \
    127.0.0.1 >"$work/nmap.log" 2>&1 || die "nmap failed: $(tail -n 3 "$work/nmap.log")"
  grep -q "Server doesn't seem to be an open relay" "$work/nmap.log" ||
    die "nmap did not find Postfix good closed: $(cat "$work/nmap.log")"
}

declare -A times=([suite]="" [nmap16]="" [nmap]="")
for round in $(seq 1 "$rounds"); do
  for what in suite nmap16 nmap; do
    t=$(seconds "run_$what")
    times[$what]+="$t "
  done
  echo "round $round/$rounds: suite $(echo "${times[suite]}" | awk '{print $NF}') s," \
    "nmap16 $(echo "${times[nmap16]}" | awk '{print $NF}') s, nmap $(echo "${times[nmap]}" | awk '{print $NF}') s"
done

# stats "t1 t2 ...": median and range.
stats() {
  echo "$1" | tr ' ' '\n' | grep . | sort -n | awk '
    { v[NR] = $1 }
    END {
      m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%.2f s (%.2f..%.2f)", m, v[1], v[NR]
    }'
}
median() { stats "$1" | awk '{print $1}'; }

summary=$(grep -E "tests against" "$work/suite.log" | sed 's/ in [0-9.]* s//')
machine="$(nproc) cores: $(sed -n 's/^model name[^:]*: *//p' /proc/cpuinfo | head -1); kernel $(uname -r); load at end $(cut -d' ' -f1-3 /proc/loadavg)"
versions="$("$smtpgate" version | head -1); Postfix $(LD_LIBRARY_PATH=$(postfix_dir)/postfix-prefix/usr/lib/postfix $(postfix_dir)/postfix-prefix/usr/sbin/postconf -d -h mail_version 2>/dev/null || echo '?'); $(nmap --version | head -1)"
ratio=$(awk -v a="$(median "${times[nmap]}")" -v b="$(median "${times[nmap16]}")" 'BEGIN { printf "%.1f", a / b }')
{
  echo "conform speed against Postfix good on 127.0.0.1:$port, median (min..max) of $rounds rounds"
  echo "  machine:  $machine"
  echo "  software: $versions"
  echo
  echo "| run | wall time |"
  echo "|---|---|"
  echo "| whole catalogue (\`conform --target-file $target\`) | $(stats "${times[suite]}") |"
  echo "| nmap's 16 relay forms as transcripts, with the oracle and its positive control | $(stats "${times[nmap16]}") |"
  echo "| \`nmap --script +smtp-open-relay\` (16 forms, reply codes only) | $(stats "${times[nmap]}") |"
  echo
  echo "nmap / smtpgate on the 16 forms: ${ratio}x (medians)."
  echo "Last suite run: $summary"
  echo "Last nmap16 run: $(grep -E "tests against" "$work/nmap16.log" | sed 's/ in [0-9.]* s//')"
} | tee reports/out/bench-conform-speed.txt
