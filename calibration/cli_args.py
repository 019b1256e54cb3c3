"""Argument types shared by the developer commands (``calibration.*``, ``benchmarks.*``).

A count or a length that must be above zero is refused by argparse, with one line naming
the option, before any work starts. Without this, ``--seeds-per-set 0`` ended in an
IndexError, ``--datasets 0`` in a ZeroDivisionError, and ``evaluate --minutes 0`` scored
next to nothing and still printed "targets ... MET".
"""

from __future__ import annotations

import argparse
import math


def positive_int(text: str) -> int:
    """A whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: it must be at least 1")
    return value


def positive_float(text: str) -> float:
    """A finite number above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text!r}: it must be a number above 0")
    return value
