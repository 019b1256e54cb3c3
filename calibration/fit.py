"""Threshold fitting: learn where good posture ends and forward head begins.

The per-frame decision weighs several relative measurements (ear height lost, face grown,
shoulders risen, ...). How much each one says depends on the desk: a laptop camera below
the chin sees a forward head differently from a monitor camera above the eyes. Rather than
hand-pick thresholds, this script fits gradient-boosted trees (scikit-learn, needed only
here: ``pip install -e '.[calibration]'``) on labelled synthetic scenes of the training
seeds 0-3999 and 10000-13999 (their mixed scenes draw from seeds 1000-4999 and
11000-14999; the tune and held-out seeds of :mod:`calibration.evaluate` are never rendered
here), and writes the trees as plain numbers to ``posture_guard/data/model-NAME.json.gz``
(one file per model, so the application parses only the one it uses); the application
evaluates them in pure Python.
Three models, one per way a user can start:

* ``slouch``: against the person's own 20 s upright baseline *and* their 15 s slouch step
  (features measured as a share of that slouch, see ``classify.SLOUCH_FEATURES``);
* ``calibrated``: against the upright baseline only (a profile without the slouch step);
* ``population``: against population defaults, the medians of the training people's
  upright metrics.

All three learn from the same rendered sessions; the slouch step's own frames are left out.

    python -m calibration.fit            # rewrite posture_guard/data/model-*.json.gz
    python -m calibration.fit --cache /tmp/designs   # and keep the rendered frames (4 GB):
                                                     # a second run only fits
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import os
import resource
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Optional

import numpy as np

from calibration import synth
from calibration.baseline import (
    SLOUCH_SECONDS,
    SLOUCH_SETTLE,
    CalibrationError,
    fit_baseline,
    fit_slouch,
)
from calibration.cli_args import positive_float, positive_int
from posture_guard.classify import (
    FEATURES,
    POPULATION_FEATURES,
    SLOUCH_FEATURES,
    Baseline,
    model_from_json,
    relative_features,
)
from posture_guard.features import compute_metrics

CLASSES = ("good", "forward_head", "raised_shoulders")
DATA_DIR = Path(__file__).resolve().parents[1] / "posture_guard" / "data"
#: 8000 people, each at their own desk. The second 4000 start at 10000 so that neither they
#: nor their mixed scenes (drawn from seed + ``MIXED_OFFSET``) reach the tune people
#: (5000-5159) or the scenario tests' people (7242-7249). Twice the 4000 of the earlier
#: models at half the frames each (``STRIDE``), so the same 8 million frames and the same
#: memory (see docs/how-it-decides.md for what each doubling of the people bought).
TRAIN_SEEDS = (*range(0, 4000), *range(10_000, 14_000))
STRIDE = 16  # every 16th frame
MIXED_OFFSET = 1000  # a training person's mixed scene draws from the seed this much higher
POPULATION_KEYS = (
    "ear_gap", "eye_gap", "face_width", "pitch", "yaw", "roll", "shoulder_tilt",
    "ear_gap_seen", "pitch_ears", "pitch_mouth",
)  # fmt: skip
#: Tree settings: small trees and many examples per leaf, so the model learns rules that
#: hold across people rather than the quirks of one training desk. ``max_iter`` is a
#: ceiling: scikit-learn's early stopping (on by default above 10,000 frames) sets 10 % of
#: the frames aside and stops once 10 rounds in a row gain nothing on them. The fit prints
#: the rounds each model kept.
TREE_PARAMS = dict(
    max_iter=200, learning_rate=0.1, max_leaf_nodes=15, min_samples_leaf=200, random_state=0
)
#: Ceiling on the slouch model's rounds, the one the targets are judged on: with 8000 people
#: up to 400 rounds (early stopping kept 321) gained balanced accuracy on the tune people
#: where 200 gained false alarms (see docs/how-it-decides.md); the other two models keep
#: ``TREE_PARAMS``.
SLOUCH_MAX_ITER = 400


CALIBRATE_SECONDS = synth.CALIBRATION_LEAD  # what calibration.evaluate calibrates on too


def training_scenes(seeds: Sequence[int], minutes: float) -> list[synth.Scene]:
    """Per person one scene of each posture kind and a random mix, each starting with the
    calibration a user does: 20 s upright, then the slouch step (:func:`synth.with_slouch`).
    """
    kinds = [k for k in synth.SEGMENT_KINDS if k not in ("upright", "away")]
    scenes = [synth.scene_for(k, s, CALIBRATE_SECONDS, minutes) for s in seeds for k in kinds]
    scenes += [
        synth.random_scene(np.random.default_rng(MIXED_OFFSET + s), minutes=minutes * 2)
        for s in seeds
    ]
    return [synth.with_slouch(s, CALIBRATE_SECONDS, SLOUCH_SECONDS) for s in scenes]


def _collect_one(scene: synth.Scene, stride: int = STRIDE):
    header, labelled = synth.render(scene)
    samples = synth.to_samples(labelled)
    slouch_end = CALIBRATE_SECONDS + SLOUCH_SECONDS
    lead = [compute_metrics(s, header) for s in samples if s.t < CALIBRATE_SECONDS]
    try:
        baseline = fit_baseline(lead)
    except CalibrationError:
        return None  # the camera barely sees this person: calibration would refuse too
    slouch = [
        compute_metrics(s, header)
        for s in samples
        if CALIBRATE_SECONDS + SLOUCH_SETTLE <= s.t < slouch_end
    ]
    try:
        baseline = replace(baseline, slouch=fit_slouch(slouch, baseline))
    except CalibrationError:
        pass  # a user would keep the upright-only profile: this scene trains that model
    rows = []
    for lab, smp in list(zip(labelled, samples))[::stride]:
        if not lab.settled or lab.since_change < 3.0 or lab.truth in ("absent", "head_tilt"):
            continue
        if CALIBRATE_SECONDS <= lab.t < slouch_end:
            continue  # the slouch step itself: its frames define the slouch features
        m = compute_metrics(smp, header)
        if m is not None:
            rows.append((m, lab.truth))
    return baseline, rows


def collect(scenes: Sequence[synth.Scene], stride: int = STRIDE, workers: Optional[int] = None):
    """Per scene: its calibrated baseline, and (metrics, truth) of every ``stride``-th
    settled frame. Rendering is the slow part and scenes are independent: all cores work.
    """
    # Spawned workers start clean wherever this runs: forked from a process with threads
    # (a test run) a worker could inherit a lock held by one of them and hang, as on 3.9.
    with multiprocessing.get_context("spawn").Pool(workers or os.cpu_count() or 1) as pool:
        out = pool.map(partial(_collect_one, stride=stride), scenes, chunksize=4)
    kept = [x for x in out if x is not None]
    if len(kept) < len(out):
        print(f"  {len(out) - len(kept)} of {len(out)} scenes left out: calibration refused")
    return kept


def population_baseline(collected) -> Baseline:
    median = {
        k: float(np.median([b.median[k] for b, _ in collected if k in b.median]))
        for k in POPULATION_KEYS
    }
    median["yaw"], median["roll"], median["shoulder_tilt"] = 0.0, 0.0, 0.0
    return Baseline(median=median, calibrated=False)


def design(collected, features: Sequence[str], baseline_for) -> tuple[np.ndarray, np.ndarray]:
    """Features and class of every collected frame, filled into preallocated arrays: a row
    of 21 features is 168 bytes there against about 760 as a list of Python floats, which
    for the training people's 8 million frames is 1.3 GB against 5.8 GB."""
    n = sum(len(rows) for _, rows in collected)
    x = np.empty((n, len(features)))
    y = np.empty(n, dtype=int)
    i = 0
    for baseline, rows in collected:
        base = baseline_for(baseline)
        for m, truth in rows:
            feats = relative_features(m, base)
            x[i] = [feats.get(k, np.nan) for k in features]
            y[i] = CLASSES.index(truth)
            i += 1
    return x, y


def export_trees(clf, features: Sequence[str]) -> dict:
    """A fitted HistGradientBoostingClassifier as plain numbers for ``TreeModel``."""
    rounds = []
    for per_class in clf._predictors:  # [round][class]; scikit-learn keeps no public API
        trees = []
        for predictor in per_class:
            nodes = predictor.nodes
            leaf = nodes["is_leaf"].astype(bool)
            trees.append(
                {
                    "feature": [-1 if lf else int(f) for f, lf in zip(nodes["feature_idx"], leaf)],
                    "threshold": [float(v) for v in nodes["num_threshold"]],
                    "left": [int(v) for v in nodes["left"]],
                    "right": [int(v) for v in nodes["right"]],
                    "missing_left": [int(v) for v in nodes["missing_go_to_left"]],
                    "value": [round(float(v), 7) for v in nodes["value"]],
                }
            )
        rounds.append(trees)
    return {
        "kind": "trees",
        "features": list(features),
        "classes": list(CLASSES),
        "base": [float(v) for v in np.ravel(clf._baseline_prediction)],
        "trees": rounds,
    }


def fit_model(
    x: np.ndarray,
    y: np.ndarray,
    features: Sequence[str],
    max_iter: int = TREE_PARAMS["max_iter"],
    early_stopping: bool = True,
) -> dict:
    """Trees for one model from its design matrix (:func:`design`), as plain numbers."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    counts = np.bincount(y, minlength=len(CLASSES)).astype(float)
    # The classes weigh alike. Good frames once weighed twice in the calibrated models, to
    # keep ordinary sway from reading forward head; the entry floor (classify.Smoothing)
    # now does that where it matters, at the entry into forward head, and on the tune
    # people equal weights then gained recall at fewer false alarms (see docs/how-it-decides.md).
    weight = (len(y) / (len(CLASSES) * np.maximum(counts, 1)))[y]
    params = dict(
        TREE_PARAMS, max_iter=max_iter, early_stopping="auto" if early_stopping else False
    )
    clf = HistGradientBoostingClassifier(**params).fit(x, y, sample_weight=weight)
    pred = clf.predict(x)
    recall = {c: float(np.mean(pred[y == i] == i)) for i, c in enumerate(CLASSES) if np.any(y == i)}
    print(f"  {len(y)} frames, {clf.n_iter_} rounds of at most {max_iter}; "
          "training recall per class: "
          + ", ".join(f"{c} {r:.3f}" for c, r in recall.items()), flush=True)  # fmt: skip
    data = export_trees(clf, features)
    _check_export(clf, data, x)
    return data


def _check_export(clf, data: dict, x: np.ndarray, n: int = 2000) -> None:
    """The exported numbers must give what scikit-learn gives, or the fit is not written."""
    model = model_from_json(data)
    rows = x[np.linspace(0, len(x) - 1, min(n, len(x))).astype(int)]
    ours = np.array([[model.probabilities(dict(zip(data["features"], r)))[c] for c in CLASSES]
                     for r in rows])  # fmt: skip
    theirs = clf.predict_proba(rows)
    diff = float(np.max(np.abs(ours - theirs)))
    if diff > 1e-5:
        worst = int(np.argmax(np.abs(ours - theirs).max(axis=1)))
        print("worst row:", rows[worst].tolist(), ours[worst], theirs[worst])
        raise SystemExit(f"exported trees disagree with scikit-learn by {diff:.2e}")


#: The models in the order they are fitted: name, what the fit prints first, features, the
#: baseline they are measured against, and the ceiling on rounds. The slouch model learns
#: only from the scenes whose slouch step was usable; the others from all.
MODELS = (
    ("calibrated", "calibrated model (upright baseline only):", FEATURES, "upright",
     TREE_PARAMS["max_iter"]),
    ("slouch", "slouch model (upright baseline and the slouch step):",
     FEATURES + SLOUCH_FEATURES, "own", SLOUCH_MAX_ITER),
    ("population", "population model:", POPULATION_FEATURES, "population",
     TREE_PARAMS["max_iter"]),
)  # fmt: skip
#: Source files whose change changes the rendered frames or their features: a design cache
#: written under other versions of them is refused (see :func:`cache_key`).
RENDER_SOURCES = ("calibration/synth.py", "calibration/baseline.py",
                  "posture_guard/features.py", "posture_guard/classify.py")  # fmt: skip


def cache_key(seeds: Sequence[int], minutes: float, stride: int) -> dict:
    """What a design cache was rendered from: the people, the scene length, the stride and
    a digest of the code that renders and measures them."""
    import hashlib

    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for name in RENDER_SOURCES:
        digest.update((root / name).read_bytes())
    return {"seeds": seed_ranges(seeds), "minutes": minutes, "stride": stride,
            "sources": digest.hexdigest()}  # fmt: skip


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m calibration.fit", description=__doc__)
    parser.add_argument("--minutes", type=positive_float, default=3.0)
    parser.add_argument("--out", type=Path, default=DATA_DIR, help="directory to write to")
    parser.add_argument("--seeds", type=positive_int, default=len(TRAIN_SEEDS),
                        help=f"training people (1-{len(TRAIN_SEEDS)})")  # fmt: skip
    parser.add_argument("--stride", type=positive_int, default=STRIDE, help="use every Nth frame")
    parser.add_argument(
        "--early-stopping", choices=("auto", "off"), default="auto",
        help="auto: scikit-learn stops a model once 10 rounds gain nothing on 10 %% of the "
        "frames set aside; off: every model runs to its ceiling on all frames",
    )  # fmt: skip
    parser.add_argument(
        "--cache", type=Path, default=None, metavar="DIR",
        help="keep the rendered design matrices here (about 4 GB for the full fit) and reuse "
        "them on the next run with the same people and code: rendering is most of the hour",
    )  # fmt: skip
    args = parser.parse_args(argv)
    started = time.monotonic()
    if args.seeds > len(TRAIN_SEEDS):
        # more than there are would silently fit on fewer people than asked for
        parser.error(f"--seeds {args.seeds}: there are {len(TRAIN_SEEDS)} training people")
    # The models are written at the very end, after an hour of rendering and fitting: a
    # folder that cannot take them is said now, not in a traceback then.
    if not args.out.is_dir() or not os.access(args.out, os.W_OK):
        print(f"calibration.fit: --out {args.out} is not a folder this user can write to",
              file=sys.stderr)  # fmt: skip
        return 2
    seeds = TRAIN_SEEDS[: args.seeds]
    seeds_text = f"training seeds {seed_ranges(seeds)}"
    key = cache_key(seeds, args.minutes, args.stride)
    try:
        pop_median = cached_median(args.cache, key)
    except CacheError as err:
        print(f"calibration.fit: {err}", file=sys.stderr)
        return 2
    cached = pop_median is not None
    if not cached and args.cache:  # the folder the design matrices will be kept in
        try:
            args.cache.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            print(f"calibration.fit: cannot make the cache folder {args.cache}: "
                  f"{err.strerror}", file=sys.stderr)  # fmt: skip
            return 2
    try:
        import sklearn  # noqa: F401
    except ImportError:
        print(
            "calibration.fit needs scikit-learn: pip install -e '.[calibration]'", file=sys.stderr
        )
        return 2
    if cached:
        print(f"design matrices from {args.cache} ({seeds_text})", flush=True)
        collected = None
    else:
        print(f"rendering training scenes ({seeds_text})", flush=True)
        collected = collect(training_scenes(seeds, args.minutes), args.stride)
        pop_median = population_baseline(collected).median
    pop = Baseline(median=pop_median, calibrated=False)
    baseline_for = {"upright": lambda b: replace(b, slouch={}), "own": lambda b: b,
                    "population": lambda b: pop}  # fmt: skip
    models = {}
    for name, title, features, against, ceiling in MODELS:
        print(title, flush=True)
        if cached:
            with np.load(args.cache / f"design-{name}.npz") as saved:
                x, y = saved["x"], saved["y"]
        else:
            chosen = collected
            if against == "own":
                chosen = [c for c in collected if c[0].slouch]
                print(f"  {len(chosen)} of {len(collected)} scenes with a usable slouch")
            x, y = design(chosen, features, baseline_for[against])
            if args.cache:
                np.savez(args.cache / f"design-{name}.npz", x=x, y=y)
        models[name] = fit_model(x, y, features, ceiling, args.early_stopping == "auto")
        del x, y
    if args.cache and not cached:
        key["median"] = pop_median
        (args.cache / "key.json").write_text(json.dumps(key, indent=1) + "\n", encoding="utf-8")
    about = f"fitted by `python -m calibration.fit` on synthetic scenes of {seeds_text}"
    if args.early_stopping == "off":
        about += ", early stopping off"
    for path in write_models(models, about, args.out):
        print(f"wrote {path} ({path.stat().st_size // 1024} kB)")
    pop_path = args.out / "population.json"
    pop_data = {
        "about": "population defaults: medians of the training people's upright metrics, "
        "written by `python -m calibration.fit`",
        "median": {k: round(v, 6) for k, v in pop_median.items()},
    }
    pop_path.write_text(json.dumps(pop_data, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {pop_path}")
    # docs/how-it-decides.md quotes how long a fit takes and how much memory it needs: printed here
    # so that a figure quoted comes from a run, as every other figure there does.
    who = (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    peak_kb = max(resource.getrusage(w).ru_maxrss for w in who)  # kB on Linux
    print(f"fitted in {(time.monotonic() - started) / 60:.1f} min; peak memory of the largest "
          f"process {peak_kb / 1024**2:.1f} GB")  # fmt: skip
    return 0


class CacheError(Exception):
    """A design cache that cannot be used for this fit; the message says why."""


def cached_median(cache: Optional[Path], key: dict) -> Optional[dict[str, float]]:
    """The population medians saved with the design matrices in ``cache`` when they were
    rendered from ``key`` (the key is written last, so its presence means every matrix
    was); None when there is no cache, or none yet (the fit renders and fills it). Raises
    :class:`CacheError` when the cache cannot be read or holds other designs."""
    if cache is None:
        return None
    path = cache / "key.json"
    if not path.exists():
        return None
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        median = saved["median"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise CacheError(f"cannot read the cache key {path}: {err!r}") from None
    differs = [k for k in key if saved.get(k) != key[k]]
    if differs:
        what = ", ".join(differs)
        raise CacheError(f"the cache in {cache} was rendered with other {what}; "
                         "delete it or name another directory")  # fmt: skip
    return median


def seed_ranges(seeds: Sequence[int]) -> str:
    """Consecutive runs of seeds as text (``0-3999``), as the models' ``about`` names them."""
    runs: list[list[int]] = []
    for s in seeds:
        if runs and s == runs[-1][1] + 1:
            runs[-1][1] = s
        else:
            runs.append([s, s])
    return ", ".join(f"{a}-{b}" if a != b else f"{a}" for a, b in runs)


def write_models(models: dict[str, dict], about: str, out: Path) -> list[Path]:
    """Each model to ``out/model-NAME.json.gz``, byte-identical for identical models."""
    paths = []
    for name, data in models.items():
        path = out / f"model-{name}.json.gz"
        text = json.dumps({"about": about, **data}, separators=(",", ":")) + "\n"
        path.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))
        paths.append(path)
    return paths


if __name__ == "__main__":
    sys.exit(main())
