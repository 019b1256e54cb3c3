"""Threshold fitting: learn where good posture ends and forward head begins.

The per-frame decision weighs several relative measurements (ear height lost, face grown,
shoulders risen, ...). Rather than hand-pick their thresholds, this script fits a small
multinomial logistic model on labelled synthetic scenes from the ``tune`` seed set only
(the held-out seeds of :mod:`calibration.evaluate` are never rendered here), once against
each person's own 20 s baseline and once against population defaults, and writes the
numbers to ``posture_guard/data/model.json``. The population defaults themselves are the
medians of the training people's upright metrics.

    python -m calibration.fit            # rewrite posture_guard/data/model.json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

import numpy as np

from calibration import synth
from calibration.baseline import fit_baseline
from posture_guard.classify import (
    FEATURES,
    POPULATION_FEATURES,
    Baseline,
    expand_terms,
    relative_features,
)
from posture_guard.features import compute_metrics

CLASSES = ("good", "forward_head", "raised_shoulders")
MODEL_PATH = Path(__file__).resolve().parents[1] / "posture_guard" / "data" / "model.json"
TRAIN_SEEDS = range(0, 120)  # the evaluate.py "tune" set
STRIDE = 10  # every 10th frame: many people and setups teach more than many frames
POPULATION_KEYS = ("ear_gap", "eye_gap", "face_width", "pitch", "yaw", "roll", "shoulder_tilt")


def training_scenes(seeds: Sequence[int], minutes: float) -> list[synth.Scene]:
    kinds = [k for k in synth.SEGMENT_KINDS if k not in ("upright", "away")]
    scenes = [synth.scene_for(k, s, 20, minutes) for s in seeds for k in kinds]
    scenes += [
        synth.random_scene(np.random.default_rng(1000 + s), minutes=minutes * 2) for s in seeds
    ]
    return scenes


def collect(scenes: Sequence[synth.Scene]):
    """Per scene: its calibrated baseline, and (metrics, truth) of settled frames."""
    out = []
    for scene in scenes:
        header, labelled = synth.render(scene)
        samples = synth.to_samples(labelled)
        lead = [compute_metrics(s, header) for s in samples if s.t < 20.0]
        baseline = fit_baseline(lead)
        rows = []
        for lab, smp in zip(labelled, samples):
            if not lab.settled or lab.since_change < 3.0 or lab.truth in ("absent", "head_tilt"):
                continue
            m = compute_metrics(smp, header)
            if m is not None:
                rows.append((m, lab.truth))
        out.append((baseline, rows))
    return out


def population_baseline(collected) -> Baseline:
    median = {
        k: float(np.median([b.median[k] for b, _ in collected if k in b.median]))
        for k in POPULATION_KEYS
    }
    median["yaw"], median["roll"], median["shoulder_tilt"] = 0.0, 0.0, 0.0
    return Baseline(median=median, calibrated=False)


def fit_softmax(x: np.ndarray, y: np.ndarray, n_classes: int, l2: float = 3e-3, steps: int = 3000):
    """Class-balanced multinomial logistic regression by plain gradient descent."""
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = (x - mean) / scale
    counts = np.bincount(y, minlength=n_classes).astype(float)
    weight = (len(y) / (n_classes * np.maximum(counts, 1)))[y]
    onehot = np.eye(n_classes)[y]
    w = np.zeros((n_classes, x.shape[1]))
    b = np.zeros(n_classes)
    lr = 0.5
    for _ in range(steps):
        logits = z @ w.T + b
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        g = (p - onehot) * weight[:, None] / weight.sum()
        w -= lr * (g.T @ z + l2 * w)
        b -= lr * g.sum(axis=0)
    return mean, scale, w, b


def with_products(features: Sequence[str]) -> tuple[str, ...]:
    """The features plus every product of two of them (a quadratic model)."""
    pairs = [f"{a}*{b}" for i, a in enumerate(features) for b in features[i:]]
    return (*features, *pairs)


def fit_model(collected, features: Sequence[str], baseline_for, stride: int = STRIDE) -> dict:
    xs, ys = [], []
    for baseline, rows in collected:
        base = baseline_for(baseline)
        for m, truth in rows[::stride]:  # neighbouring frames add little
            xs.append(expand_terms(relative_features(m, base), features))
            ys.append(CLASSES.index(truth))
    x, y = np.array(xs), np.array(ys)
    mean, scale, w, b = fit_softmax(x, y, len(CLASSES))
    pred = np.argmax(((x - mean) / scale) @ w.T + b, axis=1)
    recall = {c: float(np.mean(pred[y == i] == i)) for i, c in enumerate(CLASSES) if np.any(y == i)}
    print(f"  {len(y)} frames; training recall per class: "
          + ", ".join(f"{c} {r:.3f}" for c, r in recall.items()))  # fmt: skip
    return {
        "features": list(features),
        "classes": list(CLASSES),
        "mean": [round(float(v), 6) for v in mean],
        "scale": [round(float(v), 6) for v in scale],
        "weights": [[round(float(v), 6) for v in row] for row in w],
        "bias": [round(float(v), 6) for v in b],
    }


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m calibration.fit", description=__doc__)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--seeds", type=int, default=len(TRAIN_SEEDS), help="training people")
    parser.add_argument("--stride", type=int, default=STRIDE, help="use every Nth frame")
    args = parser.parse_args(argv)
    seeds = range(args.seeds)
    print(f"rendering training scenes (tune seeds 0-{args.seeds - 1})")
    collected = collect(training_scenes(seeds, args.minutes))
    pop = population_baseline(collected)
    print("calibrated model:")
    calibrated = fit_model(collected, with_products(FEATURES), lambda b: b, args.stride)
    print("population model:")
    population = fit_model(
        collected, with_products(POPULATION_FEATURES), lambda b: pop, args.stride
    )
    data = {
        "about": "fitted by `python -m calibration.fit` on synthetic scenes (tune seeds)",
        "population_baseline": {k: round(v, 6) for k, v in pop.median.items()},
        "calibrated": calibrated,
        "population": population,
    }
    args.out.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
