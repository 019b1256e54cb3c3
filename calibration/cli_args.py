"""Argument types shared by the developer commands (``calibration.*``, ``benchmarks.*``).

A count or a length that must be above zero is refused by argparse, with one line naming
the option, before any work starts. Without this, ``--seeds-per-set 0`` ended in an
IndexError, ``--datasets 0`` in a ZeroDivisionError, and ``evaluate --minutes 0`` scored
next to nothing and still printed "targets ... MET". A probability or a share must lie
between 0 and 1: ``tune --floor 1`` ended in a ZeroDivisionError after the rendering, and
``--floor 2`` printed a table of nonsense (a frame 10 % sure voted 1.9 for forward head).
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


def share(text: str) -> float:
    """A probability or a share: a number from 0 to 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{text!r}: it must be a number from 0 to 1")
    return value


def share_below_one(text: str) -> float:
    """A share from 0 up to, not including, 1 (a floor that leaves room above it)."""
    value = share(text)
    if value >= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r}: it must be at least 0 and below 1")
    return value
