#!/usr/bin/env bash
# Installs the Debian packages the tests use as real peers, when any is missing.
# Called by .ci/run and before `npm test`. Never skips: if something is missing and
# cannot be installed, it says how to install it and fails.
set -euo pipefail

packages=(freeradius-utils python3-pyrad)

missing=()
command -v radclient >/dev/null 2>&1 || missing+=(freeradius-utils)
/usr/bin/python3 -c 'import pyrad' >/dev/null 2>&1 || missing+=(python3-pyrad)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "system-deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "system-deps: missing ${missing[*]}; install them as root with:" >&2
echo "  apt-get update && apt-get install -y ${packages[*]}" >&2
exit 1
