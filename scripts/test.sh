#!/usr/bin/env bash
# The test command: installs everything the tests need on a fresh machine, then runs
# ruff and pytest. Debian packages: dbus (a private session bus for the notification
# tests), libnotify-bin (plyer's notify-send path), poppler-utils (PDF checks), xvfb,
# desktop-file-utils (validates the XDG autostart entry), and libdbus-1-dev libglib2.0-dev pkg-config to build dbus-python (plyer's D-Bus path).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"

debs=(dbus libnotify-bin poppler-utils xvfb desktop-file-utils libdbus-1-dev libglib2.0-dev pkg-config)
missing=()
for pkg in "${debs[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ] && command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null \
    || echo "warning: could not install ${missing[*]}; the tests that need them will skip"
elif [ "${#missing[@]}" -gt 0 ]; then
  echo "warning: no apt-get here: install ${missing[*]} (or their equivalents) yourself; the tests that need them will skip"
fi

. scripts/venv.sh
ensure_venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[test]'
# plyer's dbus-python path is tested when it builds; without it those tests skip.
.venv/bin/python -m pip install -q -e '.[dbus]' || echo "warning: dbus-python did not build"

.venv/bin/ruff format --check .
.venv/bin/ruff check .
.venv/bin/python -m pytest -q "$@"
