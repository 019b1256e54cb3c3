"""The fitting script's seed bookkeeping (the fit itself needs scikit-learn and more than
an hour: ``python -m calibration.fit``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

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


def test_a_design_cache_is_reused_only_for_the_same_people_stride_and_code(
    tmp_path, capsys
) -> None:
    # Reusing matrices rendered for other people, or by another version of the generator,
    # would fit models to frames the command line does not describe.
    key = fit.cache_key(fit.TRAIN_SEEDS[:20], 1.0, 4)
    assert fit.cache_key(fit.TRAIN_SEEDS[:20], 1.0, 4) == key
    assert fit.cache_key(fit.TRAIN_SEEDS[:20], 1.0, 8) != key
    assert len(key["sources"]) == 64
    assert fit.cached_median(None, key) is None  # no cache asked for
    cache = tmp_path / "cache"
    assert fit.cached_median(cache, key) is None  # none yet: the fit renders and fills it
    assert not cache.exists()  # asking does not create it
    cache.mkdir()
    median = {"eye_gap": 0.5}
    (cache / "key.json").write_text(json.dumps({**key, "median": median}), encoding="utf-8")
    assert fit.cached_median(cache, key) == median
    other = fit.cache_key(fit.TRAIN_SEEDS[:21], 1.0, 8)
    with pytest.raises(fit.CacheError, match="other seeds, stride"):
        fit.cached_median(cache, other)
    for broken in ("{not json", json.dumps(key), "[]"):  # unreadable, no medians, not a key
        (cache / "key.json").write_text(broken, encoding="utf-8")
        with pytest.raises(fit.CacheError, match="cannot read the cache key"):
            fit.cached_median(cache, key)
    # The command says so and stops, before rendering anything.
    (cache / "key.json").write_text(json.dumps({**key, "median": median}), encoding="utf-8")
    assert fit.main(["--seeds", "21", "--cache", str(cache), "--out", str(tmp_path)]) == 2
    assert "other seeds" in capsys.readouterr().err


def test_the_design_cache_key_follows_the_rendering_code(tmp_path, monkeypatch) -> None:
    key = fit.cache_key(fit.TRAIN_SEEDS[:5], 3.0, 16)
    root = Path(fit.__file__).resolve().parents[1]
    copy = tmp_path / "root"
    for name in fit.RENDER_SOURCES:
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        (copy / name).write_bytes((root / name).read_bytes())
    fake = copy / "calibration" / "fit.py"
    monkeypatch.setattr(fit, "__file__", str(fake))
    assert fit.cache_key(fit.TRAIN_SEEDS[:5], 3.0, 16) == key
    synth_py = copy / "calibration" / "synth.py"
    synth_py.write_bytes(synth_py.read_bytes() + b"\n# a changed generator\n")
    assert fit.cache_key(fit.TRAIN_SEEDS[:5], 3.0, 16)["sources"] != key["sources"]


def test_a_small_fit_writes_every_model_and_says_what_it_took(tmp_path, capsys) -> None:
    # The README quotes the fit's time and memory: the command must print them. (No skip
    # without scikit-learn: the test extra installs it, so its absence is a failure here.)
    argv = ["--seeds", "1", "--minutes", "0.5", "--stride", "64", "--out", str(tmp_path)]
    assert fit.main(argv) == 0
    out = capsys.readouterr().out
    written = {p.name for p in tmp_path.iterdir()}
    assert written == {f"model-{m[0]}.json.gz" for m in fit.MODELS} | {"population.json"}
    assert re.search(r"^fitted in \d+\.\d min; peak memory of the largest process \d+\.\d GB$",
                     out, re.MULTILINE)  # fmt: skip
