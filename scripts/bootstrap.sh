#!/usr/bin/env bash
# Installs what smtpgate needs to build and test, from Debian 12 packages only.
# Idempotent and quick when everything is there: it asks dpkg first and runs apt only
# for what is missing. Non-interactive; needs root (or sudo).
set -euo pipefail

packages=(
  ca-certificates cmake ninja-build g++-12 clang-14 libclang-rt-14-dev
  libasio-dev libabsl-dev libssl-dev libgtest-dev libgmock-dev libbenchmark-dev
  libtomlplusplus-dev nlohmann-json3-dev openssl python3 git
)

# Chromium, python3-jsonschema and the SARIF Multitool for the report tests (its own checks).
bash "$(dirname "$0")/install-report-tools.sh"

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "bootstrap: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo_cmd=(sudo); else
    echo "bootstrap: need root (or sudo) to install: ${missing[*]}" >&2
    exit 2
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
