#!/usr/bin/env bash
# bench-mta.sh: messages/s and MB/s on loopback, side by side in one run, for
#   - smtpgate serve (release build, durable spool: fsync of file and directory before 250)
#   - Debian Postfix 3.7 (the `good` instance of scripts/targets/postfix.sh; queue file
#     fsynced before 250, then delivered to a local maildir)
#   - aiosmtpd 1.4.3 (the `good` instance of scripts/targets/aiosmtpd.sh; our handler
#     writes a maildir file with fsync before 250)
# The load generator for all three is Postfix's smtp-source, with the same message size,
# number of messages and concurrent sessions. Every message goes to alice@example.test
# (local delivery, nothing relayed).
#
#   MESSAGES=2000 SIZE=10240 SESSIONS=10 MODE=connection|session ROUNDS=3 \
#     bash scripts/bench-mta.sh
#
# The servers take turns within each round (so a busy moment of the machine hits all of
# them) and each figure is the median of ROUNDS.
# MODE=connection (default) opens a connection per message; MODE=session sends all of a
# session's messages over one connection (smtp-source -d). Prints one line per server and
# the ratios to Postfix; writes them to reports/out/bench-mta.txt too.
set -euo pipefail
. "$(dirname "$0")/targets/common.sh"
cd "$repo_root"

messages=${MESSAGES:-2000}
size=${SIZE:-10240}
sessions=${SESSIONS:-10}
mode=${MODE:-connection}
rounds=${ROUNDS:-3}
smtpgate_port=2825

bash scripts/bootstrap.sh
cmake --preset release >/dev/null
cmake --build --preset release --target smtpgate -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
bash scripts/targets/postfix.sh start good >/dev/null
bash scripts/targets/aiosmtpd.sh start good >/dev/null

work=$(mktemp -d)
serve_pid=""
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
  bash scripts/targets/postfix.sh stop good >/dev/null 2>&1 || true
  bash scripts/targets/aiosmtpd.sh stop good >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

build/release/smtpgate serve --listen "127.0.0.1:$smtpgate_port" --spool "$work/spool" \
  >"$work/serve.log" 2>&1 &
serve_pid=$!
wait_for_banner "$smtpgate_port" 15 || die "smtpgate serve did not start: $(cat "$work/serve.log")"

postfix_root=$(postfix_dir)
export LD_LIBRARY_PATH=$postfix_root/postfix-prefix/usr/lib/postfix
source_cmd=("$postfix_root/postfix-prefix/usr/sbin/smtp-source" -s "$sessions" -m "$messages"
  -l "$size" -f bench@client.test -t alice@example.test -M client.test)
[ "$mode" = session ] && source_cmd+=(-d)

# maildir_count DIR: messages delivered so far under DIR (any */new/ below it).
maildir_count() {
  find "$1" -path '*/new/*' -type f 2>/dev/null | wc -l
}

# run NAME PORT MAILDIR_ROOT: adds the run's seconds to times[NAME]; checks that every
# message arrived.
declare -A times
run() {
  local name=$1 port=$2 root=$3 before after t0 t1 deadline
  before=$(maildir_count "$root")
  t0=$(date +%s.%N)
  "${source_cmd[@]}" "127.0.0.1:$port"
  t1=$(date +%s.%N)
  times[$name]+="$(echo "$t1 - $t0" | bc -l) "
  # Postfix delivers after the 250; wait for it so no message is lost unnoticed.
  deadline=$((SECONDS + 120))
  while after=$(maildir_count "$root") && [ $((after - before)) -lt "$messages" ] &&
    [ $SECONDS -lt $deadline ]; do sleep 0.5; done
  [ $((after - before)) -ge "$messages" ] ||
    die "$name: only $((after - before)) of $messages messages arrived in $root"
}

ensure_packages bench-mta.sh bc
for ((round = 1; round <= rounds; round++)); do
  run postfix "$(variant_port 2625 good)" "$postfix_root/postfix-good/mail"
  run smtpgate "$smtpgate_port" "$work/spool"
  run aiosmtpd "$(variant_port 2725 good)" "$targets_dir/aiosmtpd-good/mail"
done
declare -A seconds
for name in smtpgate postfix aiosmtpd; do
  # shellcheck disable=SC2086
  seconds[$name]=$(printf '%s\n' ${times[$name]} | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
done

mkdir -p reports/out
{
  echo "bench-mta: $messages messages of $size octets, $sessions sessions, mode $mode," \
    "median of $rounds rounds ($(nproc) cores: $(sed -n 's/^model name[^:]*: *//p' /proc/cpuinfo | head -1); $(uname -r))"
  printf '%-10s %9s %10s %8s %16s\n' server seconds msgs/s MB/s "ratio to postfix"
  for name in smtpgate postfix aiosmtpd; do
    s=${seconds[$name]}
    printf '%-10s %9.2f %10.0f %8.2f %16.2f\n' "$name" "$s" \
      "$(echo "$messages / $s" | bc -l)" "$(echo "$messages * $size / $s / 1000000" | bc -l)" \
      "$(echo "${seconds[postfix]} / $s" | bc -l)"
  done
} | tee reports/out/bench-mta.txt
