"""Tuning the decision's rules on the tune seeds, and only there.

The fitted model gives a probability per frame; how much evidence a state change needs
(``Thresholds.forward_head``, and :class:`~posture_guard.classify.Smoothing`'s memory,
share and lead) trades false alarms against latency. This command scores variants of
those rules on the tune people (seeds 5000-5159; the first 40 unless told) through the
harness's own scoring (:func:`calibration.evaluate.score_scene`, the production replay
path), so the defaults in ``classify.py`` come from a printed table rather than from a
guess. The hold-out and fresh sets are never scored here.

    python -m calibration.tune                       # the default grid, slouch mode
    python -m calibration.tune --mode calibrated --margin 0.3 0.35 --threshold 0.5 0.6
    python -m calibration.tune --nuisance drift=0    # what the drift in the chair costs

``--nuisance`` switches a nuisance of the generator (:class:`calibration.synth.Nuisance`)
off or changes it in every scene: a diagnostic of what causes the errors left, never a way
to tune (the rules must work with every nuisance at its realistic default).
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import fields, replace
from typing import Optional

from calibration import evaluate as ev
from calibration import synth
from calibration.cli_args import positive_float, share, share_below_one
from posture_guard.classify import Smoothing, Thresholds
from posture_guard.monitor import ReplayOptions


def nuisance_changes(texts: Sequence[str]) -> dict[str, float]:
    """``["drift=0", "wander=0.5"]`` as field values of :class:`~calibration.synth.Nuisance`;
    a ValueError that names the bad item otherwise."""
    known = {f.name for f in fields(synth.Nuisance)}
    out = {}
    for text in texts:
        name, sep, value = text.partition("=")
        if not sep or name not in known:
            raise ValueError(f"--nuisance {text!r}: expected NAME=NUMBER with NAME one of "
                             f"{', '.join(sorted(known))}")  # fmt: skip
        try:
            out[name] = float(value)
        except ValueError:
            raise ValueError(f"--nuisance {text!r}: {value!r} is not a number") from None
    return out


def score_rules(
    rules: ReplayOptions,
    mode: str,
    seeds: Sequence[int],
    minutes: float,
    pool,
    nuisance: Optional[dict[str, float]] = None,
) -> ev.Score:
    """The total score of ``rules`` over the harness's scenes of ``seeds`` (with the
    generator's ``nuisance`` fields changed, when given)."""
    scenes = [sc for _, sc in ev.scenes_for(seeds, minutes)]
    if nuisance:
        scenes = [replace(sc, nuisance=replace(sc.nuisance, **nuisance)) for sc in scenes]
    jobs = [(sc, mode, False, rules) for sc in scenes]
    total = ev.Score()
    for score, _ in pool.map(ev.score_job, jobs, chunksize=2):
        if score is not None:  # refused: as in the harness, not scored
            total.add(score)
    return total


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m calibration.tune", description=__doc__)
    parser.add_argument("--mode", default="slouch", choices=list(ev.MODES))
    parser.add_argument(
        "--seeds-per-set",
        type=int,
        default=40,
        help=f"tune people (max {len(ev.SEED_SETS['tune'])})",
    )
    parser.add_argument("--minutes", type=positive_float, default=8.0)
    default_sm, default_th = Smoothing(), Thresholds()
    parser.add_argument("--threshold", type=share, nargs="+", default=[default_th.forward_head],
                        help="forward-head probability a frame needs")  # fmt: skip
    parser.add_argument("--margin", type=share, nargs="+", default=[default_sm.margin])
    parser.add_argument("--enter", type=share, nargs="+", default=[default_sm.enter])
    parser.add_argument("--tau", type=positive_float, nargs="+", default=[default_sm.tau],
                        help="memory of the state's vote shares, seconds")  # fmt: skip
    parser.add_argument("--floor", type=share_below_one, nargs="+",
                        default=[default_sm.fh_entry_floor],
                        help="forward-head probability below which a frame does not push "
                        "toward entering forward head")  # fmt: skip
    parser.add_argument("--nuisance", nargs="+", default=[], metavar="NAME=NUMBER",
                        help="change a nuisance of the generator (diagnostic)")  # fmt: skip
    args = parser.parse_args(argv)
    try:
        nuisance = nuisance_changes(args.nuisance)
    except ValueError as e:
        print(e, file=sys.stderr)
        return 2
    tune_seeds = list(ev.SEED_SETS["tune"])
    if not 1 <= args.seeds_per_set <= len(tune_seeds):
        # more than the set holds would silently score fewer people than asked for
        print(f"--seeds-per-set {args.seeds_per_set}: the tune set holds 1 to "
              f"{len(tune_seeds)} people", file=sys.stderr)  # fmt: skip
        return 2
    seeds = tune_seeds[: args.seeds_per_set]
    print(f"tune seeds {seeds[0]}-{seeds[-1]}, {ev.MODES[args.mode]}", flush=True)
    if nuisance:
        print("nuisance changed in every scene (a diagnostic, not a tuning): "
              + ", ".join(f"{k}={v:g}" for k, v in nuisance.items()), flush=True)  # fmt: skip
    print(f"{'threshold':>9}{'margin':>8}{'enter':>7}{'tau':>6}{'floor':>6}{'bal.acc':>9}"
          f"{'recall':>8}"
          f"{'spec.':>8}{'FA':>5}{'FA/h':>7}{'lat.med':>8}{'missed':>7}{'alerts':>7}"
          f"{'false':>6}", flush=True)  # fmt: skip
    t0 = time.monotonic()
    # spawn, not fork: a caller that already runs threads (MediaPipe's, in a test session)
    # would hand a forked worker locks that nobody will ever release.
    with multiprocessing.get_context("spawn").Pool(os.cpu_count() or 1) as pool:
        for th, margin, enter, tau, floor in itertools.product(
            args.threshold, args.margin, args.enter, args.tau, args.floor
        ):
            rules = ReplayOptions(
                thresholds=Thresholds(forward_head=th),
                smoothing=Smoothing(margin=margin, enter=enter, tau=tau, fh_entry_floor=floor),
            )
            s = score_rules(rules, args.mode, seeds, args.minutes, pool, nuisance)
            print(f"{th:>9.2f}{margin:>8.2f}{enter:>7.2f}{tau:>6.1f}{floor:>6.2f}"
                  f"{ev._fmt(s.balanced_accuracy):>9}{ev._fmt(s.recall):>8}"
                  f"{ev._fmt(s.specificity):>8}{s.false_alarms:>5}"
                  f"{ev._fmt(s.false_alarms_per_hour):>7}{ev._fmt(s.median_latency):>8}"
                  f"{s.missed_changes:>7}{s.fh_alerts:>7}{s.false_fh_alerts:>6}",
                  flush=True)  # fmt: skip
    print(f"tuned in {time.monotonic() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
