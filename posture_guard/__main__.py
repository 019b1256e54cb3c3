"""``python -m posture_guard``: the same command line as ``posture-guard``, for a venv
whose scripts folder is not on PATH."""

import sys

from posture_guard.cli import main

if __name__ == "__main__":
    sys.exit(main())
