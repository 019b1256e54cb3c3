#!/usr/bin/env bash
# The main job on a fresh machine: install posture-guard into .venv and run it. With a
# webcam, `run` monitors; without one, `demo` replays a bundled landmark stream through
# the whole pipeline. Pass a sub-command to run that instead (e.g. `calibrate`).
# It installs from the repository's root, then runs the command from the folder it was
# called from, so a relative path typed there (report --html r.html) means that folder.
set -euo pipefail
caller="$PWD"
cd "$(dirname "$0")/.."
root="$PWD"
PYTHON="${PYTHON:-python3}"
. scripts/venv.sh
ensure_venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e .
cd "$caller"
if [ "$#" -gt 0 ]; then
  exec "$root/.venv/bin/posture-guard" "$@"
fi
if ls /dev/video* >/dev/null 2>&1; then
  exec "$root/.venv/bin/posture-guard" run
fi
echo "no webcam found: running the demo instead"
exec "$root/.venv/bin/posture-guard" demo
