"""Whole numbers that add up: the parts of a total, each rounded down or up.

Why: a table whose rows are rounded one by one does not add up to the total above it
(95.5 min and 4.5 min showed as 1 h 35 min and 4 min under 1 h 40 min; a replay's
shares summed to 100.1 %). The daily summary and a replay's closing totals both share
out the total's whole units instead, with this one function.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction


def apportion(exact: Sequence[Fraction], whole: int) -> list[int]:
    """Whole numbers, each ``exact`` rounded down or up, that add up to ``whole`` (which
    lies within ``len(exact)`` of their sum): the units missing go to the largest
    remainders, ties to the earlier part. Fractions keep it exact: a float share of
    exactly 44 that came out as 43.9999 must not lose its tenth."""
    shown = [math.floor(x) for x in exact]
    missing = max(0, whole - sum(shown))
    # sorted() is stable, also with reverse=True: equal remainders keep their order
    by_remainder = sorted(range(len(shown)), key=lambda i: exact[i] - shown[i], reverse=True)
    for i in by_remainder[:missing]:
        shown[i] += 1
    return shown
