# Sourced by the scripts that install Debian packages (bootstrap.sh,
# install-report-tools.sh, targets/common.sh); defines ensure_packages.

# ensure_packages WHO PKG...: installs the packages dpkg does not have, non-interactively
# (apt-get update first), as root or through sudo. Quick when all are there. WHO prefixes
# the messages.
ensure_packages() {
  local who=$1 p
  shift
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
      missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "$who: installing ${missing[*]}"
  local sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "$who: need root (or sudo) to install: ${missing[*]}" >&2
      exit 2
    fi
    sudo_cmd=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
