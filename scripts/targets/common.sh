# Shared by the real-target scripts (scripts/targets/*.sh); sourced, not run.
#
# Every target instance lives under $SMTPGATE_TARGETS_DIR (default build/targets), listens
# on its own loopback port and hands non-local mail to the smtpgate sink one port above.
# Nothing here touches a system-wide MTA, port 25 or an init system.

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
targets_dir=${SMTPGATE_TARGETS_DIR:-$repo_root/build/targets}

# The variants every server has; Postfix adds stock-smuggling (postfix.sh).
variants=(good open-relay auth-implies-relay)

# server_variants SERVER: the variants of that server, in matrix order.
server_variants() {
  case "$1" in
    postfix) echo "${variants[*]} stock-smuggling" ;;
    *) echo "${variants[*]}" ;;
  esac
}

die() {
  echo "$(basename "$0"): $*" >&2
  exit 2
}

# postfix_dir: where the Postfix prefix and instances live. Postfix's daemons run as the
# `postfix` user and must reach their queue, data and sasldb: build/targets when that
# user can traverse the path to it, else (a clone under /root, say) a directory of this
# clone's own under /var/tmp.
postfix_dir() {
  mkdir -p "$targets_dir"
  if getent passwd postfix >/dev/null && ! runuser -u postfix -- test -x "$targets_dir" 2>/dev/null; then
    echo "/var/tmp/smtpgate-postfix-$(printf '%s' "$repo_root" | cksum | cut -d' ' -f1)"
  else
    echo "$targets_dir"
  fi
}

# check_variant SERVER NAME: dies unless NAME is a variant of SERVER.
check_variant() {
  local v
  for v in $(server_variants "$1"); do [ "$v" = "$2" ] && return 0; done
  die "unknown variant '$2' (one of: $(server_variants "$1"))"
}

# target_args SERVER BASE_PORT ARGS...: parses "ACTION [VARIANT]" of a start/stop script
# and sets action, variant, port (BASE_PORT for good, see variant_port), sink_port (port+1)
# and inst (the instance directory).
target_args() {
  local server=$1 base=$2
  action=${3:-}
  variant=${4:-good}
  [ -n "$action" ] || die "usage: $0 start|stop|status [$(server_variants "$server" | tr ' ' '|')]"
  check_variant "$server" "$variant"
  port=$(variant_port "$base" "$variant")
  sink_port=$((port + 1))
  inst=$targets_dir/$server-$variant
}

# target_dispatch SERVER: runs the start, stop or status function for $action.
target_dispatch() {
  case "$action" in
    start) start ;;
    stop) stop ;;
    status)
      if running; then echo "$1 ($variant) running on 127.0.0.1:$port"; else
        echo "$1 ($variant) not running"
        exit 1
      fi
      ;;
    *) die "unknown action '$action' (start, stop, status)" ;;
  esac
}

# variant_port BASE VARIANT: BASE for good, BASE+10 for open-relay, BASE+20 for
# auth-implies-relay, BASE+30 for stock-smuggling. The sink of each instance is that
# port + 1.
variant_port() {
  case "$2" in
    good) echo "$1" ;;
    open-relay) echo $(($1 + 10)) ;;
    auth-implies-relay) echo $(($1 + 20)) ;;
    stock-smuggling) echo $(($1 + 30)) ;;
  esac
}

# link_instance SERVER VARIANT DIR: when an instance lives outside build/targets (Postfix
# under /var/tmp, see postfix_dir), build/targets/SERVER-VARIANT points at it, so the
# target files' Maildir and log paths (../../build/targets/...) hold either way.
link_instance() {
  local link=$targets_dir/$1-$2
  [ "$3" = "$link" ] && return 0
  mkdir -p "$targets_dir"
  if [ -L "$link" ] || [ ! -e "$link" ]; then ln -sfn "$3" "$link"; fi
}

. "$repo_root/scripts/lib/apt.sh"  # ensure_packages WHO PKG...

# wait_for_banner PORT SECONDS: waits until 127.0.0.1:PORT answers with a 220 banner.
wait_for_banner() {
  local port=$1 deadline=$((SECONDS + $2)) line
  while [ $SECONDS -lt $deadline ]; do
    line=$( (exec 3<>"/dev/tcp/127.0.0.1/$port" && read -r -t 5 l <&3 && echo "$l") 2>/dev/null) ||
      true
    case "$line" in 220*) return 0 ;; esac
    sleep 0.2
  done
  return 1
}

# test_cert DIR: a self-signed certificate for mx.example.test in DIR (made once).
test_cert() {
  [ -s "$1/cert.pem" ] && [ -s "$1/key.pem" ] ||
    sh "$repo_root/scripts/make-test-cert.sh" "$1" >/dev/null
}
