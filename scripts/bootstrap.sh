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

. "$(dirname "$0")/lib/apt.sh"
ensure_packages bootstrap "${packages[@]}"

# Chromium, python3-jsonschema and the SARIF Multitool for the report tests (its own checks).
bash "$(dirname "$0")/install-report-tools.sh"
