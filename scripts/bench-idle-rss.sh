#!/usr/bin/env bash
# RSS per idle connection of `smtpgate serve` (release build), issue #4's memory target
# (goal: <= 32 KiB per idle connection at 5,000 connections).
#
# Starts the server on 127.0.0.1 with scripts/serve.example.toml, its connection limits
# raised; opens N connections that each read the 220 banner and then stay idle; reports
# (VmRSS with N idle connections - VmRSS before) / N. Loopback only; bounded in count and
# time (the clients close after the measurement).
#   scripts/bench-idle-rss.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-5000}
port=2599

cmake --preset release >/dev/null
cmake --build --preset release --target smtpgate >/dev/null
ulimit -n $((n * 2 + 1024))

work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
sed -e "s/^listen = .*/listen = [\"127.0.0.1:$port\"]/" \
    -e "s/^max_connections = .*/max_connections = $((n + 100))/" \
    -e "s/^max_connections_per_client = .*/max_connections_per_client = $((n + 100))/" \
    scripts/serve.example.toml >"$work/serve.toml"
build/release/smtpgate serve --config "$work/serve.toml" --spool "$work/spool" >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

rss() { awk '/^VmRSS:/ {print $2}' "/proc/$server/status"; }
before=$(rss)
python3 - "$port" "$n" "$server" "$before" <<'PY'
import socket, sys, time
port, n, pid, before = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
def rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
socks = []
start = time.monotonic()
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    banner = s.recv(512)
    if not banner.startswith(b"220"):
        sys.exit(f"connection {i}: expected a 220 banner, got {banner!r}")
    socks.append(s)
took = time.monotonic() - start
time.sleep(1.0)
after = rss()
per = (after - before) * 1024 / n
print(f"{n} idle connections opened in {took:.1f} s; server VmRSS {before} KiB -> {after} KiB;"
      f" {per / 1024:.1f} KiB per idle connection (goal <= 32 KiB)")
for s in socks:
    s.close()
PY
