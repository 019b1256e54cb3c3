# Sourced by quickstart.sh and test.sh (from the repository's root): make sure .venv exists,
# runs pip, and runs the Python that $PYTHON names; stop with one clear line where it cannot.
#
# Why not just "[ -x .venv/bin/python ] || python3 -m venv .venv": Debian and Ubuntu ship
# python3 without ensurepip (the python3-venv package), and there `python3 -m venv .venv`
# fails *after* making .venv/bin/python. Once the user had installed python3-venv as told,
# every later run reused that .venv and died on "No module named pip". A .venv made by an
# earlier run with another Python was reused too, so PYTHON=python3.12 had no effect.

ensure_venv() {
  if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "error: $PYTHON not found; install Python 3.9-3.12, or name one: PYTHON=python3.11 bash $0" >&2
    exit 1
  fi
  local want have=""
  want="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  case "$want" in
    3.9 | 3.10 | 3.11 | 3.12) ;;
    *)
      # mediapipe 0.10.21, the last release with its models in the wheel, has no other
      echo "error: posture-guard needs Python 3.9-3.12 and $PYTHON is $want; name another: PYTHON=python3.12 bash $0" >&2
      exit 1
      ;;
  esac
  if [ -x .venv/bin/python ]; then
    have="$(.venv/bin/python -c 'import sys, pip; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true)"
  fi
  [ "$have" = "$want" ] && return 0
  if [ -e .venv ]; then
    echo "re-creating .venv with $PYTHON ($want): the one there ${have:+runs Python $have}${have:-has no working pip}"
  fi
  if ! "$PYTHON" -m venv --clear .venv; then
    echo "error: $PYTHON could not create .venv; on Debian/Ubuntu install python$want-venv (sudo apt-get install python$want-venv) and run this again" >&2
    exit 1
  fi
}
