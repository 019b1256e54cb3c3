"""The fitting script's seed bookkeeping (the fit itself needs scikit-learn and more than
an hour: ``python -m calibration.fit``)."""

from __future__ import annotations

from calibration import fit
from calibration.evaluate import FRESH_FIRST, SEED_SETS
from tests.test_scenarios import CUT_OFF_DESKS, PITCHING_DESKS, TOO_NEAR_DESKS
from tests.test_scenarios import SEEDS as SCENARIO_SEEDS


def test_training_people_are_never_people_the_harness_or_the_tests_judge() -> None:
    # A person the models learnt from (in a per-kind scene or a mixed one) judged again by
    # the tuning, the hold-out or a scenario test would flatter every figure they print.
    rendered = set(fit.TRAIN_SEEDS) | {fit.MIXED_OFFSET + s for s in fit.TRAIN_SEEDS}
    for name, seeds in SEED_SETS.items():
        assert rendered.isdisjoint(seeds), name
    assert rendered.isdisjoint([*SCENARIO_SEEDS, *PITCHING_DESKS, *CUT_OFF_DESKS, *TOO_NEAR_DESKS])
    assert max(rendered) < FRESH_FIRST  # every fresh set starts there
    assert len(set(fit.TRAIN_SEEDS)) == len(fit.TRAIN_SEEDS)


def test_seed_ranges_names_each_run_of_consecutive_seeds() -> None:
    assert fit.seed_ranges(fit.TRAIN_SEEDS[:3]) == "0-2"
    assert fit.seed_ranges([0, 1, 2, 10, 12, 13]) == "0-2, 10, 12-13"
    assert fit.seed_ranges([]) == ""
