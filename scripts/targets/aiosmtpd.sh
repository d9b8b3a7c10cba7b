#!/usr/bin/env bash
# aiosmtpd.sh start|stop|status [VARIANT]
#
# Runs Debian's aiosmtpd (python3-aiosmtpd 1.4.3, with /usr/bin/python3) with our handler,
# scripts/targets/aiosmtpd_server.py, as a background process on loopback.
#
#   variant             port  relaying allowed for
#   good                2725  SASL account `relayer` only
#   open-relay          2735  anyone
#   auth-implies-relay  2745  any authenticated account (the MS02-011 pattern)
#
# Same domain, mailboxes and accounts as the Postfix target; relayed mail is forwarded to
# the smtpgate sink at 127.0.0.1:PORT+1; local mail goes to Maildirs under
# build/targets/aiosmtpd-VARIANT/mail/USER/ (emptied at each start), with Return-Path and
# Delivered-To prepended as a delivery agent does. State and log: build/targets/aiosmtpd-VARIANT/.
set -euo pipefail
. "$(dirname "$0")/common.sh"

target_args aiosmtpd 2725 "$@"
pidfile=$inst/server.pid

running() {
  [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

start() {
  if running; then
    echo "aiosmtpd ($variant) already running on 127.0.0.1:$port"
    return 0
  fi
  ensure_packages aiosmtpd.sh python3-aiosmtpd openssl
  # Empty mailboxes at each start (Maildirs, read by the target files' local oracle).
  mkdir -p "$inst/mail"
  find "$inst/mail" -mindepth 1 -delete
  test_cert "$inst/tls"
  # Debian's python3, not a python3 found earlier on the PATH (pyenv and the like).
  setsid /usr/bin/python3 "$repo_root/scripts/targets/aiosmtpd_server.py" \
    --variant "$variant" --port "$port" --sink "127.0.0.1:$sink_port" \
    --spool "$inst/mail" --cert "$inst/tls/cert.pem" --key "$inst/tls/key.pem" \
    >>"$inst/server.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  if ! wait_for_banner "$port" 15; then
    echo "aiosmtpd ($variant) did not start; last log lines:" >&2
    tail -n 20 "$inst/server.log" >&2
    exit 1
  fi
  echo "aiosmtpd ($variant) listening on 127.0.0.1:$port, relaying to the sink at 127.0.0.1:$sink_port"
}

stop() {
  if running; then
    local pid
    pid=$(cat "$pidfile")
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 10))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
  echo "aiosmtpd ($variant) stopped"
}

target_dispatch aiosmtpd
