#!/usr/bin/env bash
# Installs what the report tests (ctest -L report) need; called by scripts/bootstrap.sh.
#  - Debian: chromium (the HTML report is checked in headless Chromium), python3-jsonschema
#    (results and baseline JSON Schemas), libicu72 (the .NET runtime of the SARIF Multitool),
#    fonts-dejavu-core (readable screenshots), npm when there is none;
#  - npm: Microsoft's SARIF Multitool, pinned, into .tools/ (git-ignored).
# Idempotent and quick when everything is there (dpkg and the installed version are checked
# first). Non-interactive; apt needs root (or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

multitool_version=5.7.0
tools=.tools
multitool="$tools/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"

packages=(chromium python3-jsonschema libicu72 fonts-dejavu-core)
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

. scripts/lib/apt.sh
ensure_packages install-report-tools "${packages[@]}"

installed=$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' \
  "$tools/node_modules/@microsoft/sarif-multitool/package.json" 2>/dev/null || true)
if [ ! -x "$multitool" ] || [ "$installed" != "$multitool_version" ]; then
  echo "install-report-tools: npm install @microsoft/sarif-multitool@$multitool_version into $tools/"
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-audit --no-fund --loglevel=error \
    "@microsoft/sarif-multitool@$multitool_version"
  # The package's postinstall only does this, and newer npm skips install scripts.
  chmod u+x "$multitool"
fi
