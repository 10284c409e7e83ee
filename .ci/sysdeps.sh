#!/usr/bin/env bash
# Install the few Debian libraries PySide6 needs to run offscreen, if missing.
# Quick no-op when they are present (checks the dynamic linker cache).
set -euo pipefail
need=()
have() { ldconfig -p 2>/dev/null | grep -q "$1"; }
have libEGL.so.1 || need+=(libegl1)
have libGL.so.1 || need+=(libgl1)
have libxkbcommon.so.0 || need+=(libxkbcommon0)
have libfontconfig.so.1 || need+=(libfontconfig1)
have libdbus-1.so.3 || need+=(libdbus-1-3)
have libglib-2.0.so.0 || need+=(libglib2.0-0)
[[ ${#need[@]} -eq 0 ]] && exit 0
if [[ $(id -u) -ne 0 ]]; then
  echo "Qt needs these Debian packages: ${need[*]} (run: sudo apt-get install ${need[*]})" >&2
  exit 1
fi
echo "installing ${need[*]}" >&2
apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
