"""The accuracy harness: how well posture_guard tells forward head from good posture.

Labelled scenes from :mod:`calibration.synth` (a kinematic model seen by a pinhole webcam,
with every nuisance a desk has) go through exactly the code path of ``posture-guard replay``
(:func:`posture_guard.monitor.replay`, with the default adaptive sampling), and the state in
force at every rendered sample is compared with the truth. Samples within 20 s of a
segment change are not scored (``settle`` of :func:`score_scene`); latency is measured on
exactly those changes instead. Scored samples in which the frame edge cuts the person off (leaning
in close to the camera) are counted apart as well: nothing can be judged there, so the
report says how many there were and what the accuracy is in full view. The ``absent``
column is the share of scored samples (someone at the desk) that read absent: time the
log would show as a break that was not one, which balanced accuracy does not see.

Seed sets (a seed is one simulated person at their own desk): seeds 0-3999 and 10000-13999
fit the models (:mod:`calibration.fit`; their mixed scenes draw from seeds 1000 higher);
``tune`` (5000-5159) is what the smoothing and thresholds may be tuned on; ``holdout`` is
a fixed set never looked at while tuning; ``fresh`` is drawn anew on every run (its seed
is printed). Every scene starts the way ``posture-guard calibrate`` asks a user to start:
20 s upright, then a 15 s deliberate slouch (the slouch step). Each set is scored three
ways over the same samples: calibrated with the slouch step, calibrated on the upright
20 s only, and with population defaults (see :data:`MODES`).

    python -m calibration.evaluate                 # holdout + 48 fresh people, all modes
    python -m calibration.evaluate --sets tune     # what tuning looks at
    python -m calibration.evaluate --follow-advice # as if users took the framing advice
    python -m calibration.evaluate --sets holdout fresh --fresh-seed 16528 982595:24 \
        --pool --modes slouch --no-real            # several sets' people as one pool
"""

from __future__ import annotations

import argparse
import io
import math
import multiprocessing
import os
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Optional

import numpy as np

from calibration import synth
from calibration.baseline import (
    CROWDED_SPAN,
    SLOUCH_SECONDS,
    CalibrationError,
    framing_advice,
    picture_span,
)
from calibration.cli_args import positive_float, positive_int
from calibration.fit import seed_ranges
from posture_guard.classify import POPULATION_BASELINE, Baseline, at_top_edge
from posture_guard.coach import Coach, CoachSettings, Event, Observation
from posture_guard.exercises import load_library
from posture_guard.features import (
    FOREHEAD_EYE_WIDTHS,
    Metrics,
    compute_metrics,
    partly_in_view,
)
from posture_guard.monitor import (
    SLOUCH_NOT_USED,
    ReplayOptions,
    Totals,
    calibrate_samples,
    replay,
)
from posture_guard.states import Decision, PostureState

FH = PostureState.FORWARD_HEAD.value
GOOD = PostureState.GOOD.value
ABSENT = PostureState.ABSENT.value
#: The tune people: the rules were chosen on the first 40, but with only a handful of false
#: alarms among them one person more or less could decide between two rules, so the set
#: reaches to 160 for the choices that need more (``calibration.tune --seeds-per-set``).
SEED_SETS = {"tune": range(5000, 5160), "holdout": range(90_001, 90_007)}
#: Where fresh people start: above every training, tuning or hold-out seed
#: (tests/test_fit.py holds the training seeds below it). A ``--fresh-seed`` of n starts
#: at ``FRESH_FIRST + n * FRESH_SPACING``.
FRESH_FIRST = 1_000_000
FRESH_SPACING = 10
#: People scored per set unless ``--seeds-per-set`` says otherwise. Errors cluster by
#: person, so six fresh people decide MET or NOT MET by lot (four of ten such sets met all
#: three targets), and sets of 24 still gave 0.956-0.975 with the same models; 48 halve
#: the spread of that lot and keep the default run near four minutes on two cores.
DEFAULT_PEOPLE = {"tune": 6, "holdout": 6, "fresh": 48}
#: Scenes start on a weekday morning for the coach, so no check-in or quiet hours interfere.
SCENE_START = datetime(2026, 1, 5, 9, 0)
NUISANCE_KINDS = ("look_aside", "look_down", "recline", "shrug", "lean_in", "head_tilt", "away")
#: The nuisances issue #3 names: no forward head on them beyond the false-alarm budget,
#: counted as entries into forward head per hour of such segments.
JUDGED_NUISANCES = ("look_aside", "look_down", "recline", "shrug")
TARGET_BAL_ACC, TARGET_FA_PER_HOUR, TARGET_LATENCY_S = 0.97, 0.5, 5.0
CALIBRATE_SECONDS = synth.CALIBRATION_LEAD  # what calibration.fit trained on too
#: How each scene is judged: calibrated with the slouch step (20 s upright, then 15 s of
#: the user's own slouch), calibrated on the 20 s upright only, or population defaults.
#: Every scene contains the slouch step, so all modes score the very same samples.
MODES = {
    "slouch": "calibrated with the slouch step (20 s upright, 15 s slouch)",
    "calibrated": "calibrated on 20 s upright only",
    "population": "population defaults (no calibration)",
}


class _Collector:
    """A sink that keeps every decision (the harness's view of replay's output)."""

    def __init__(self) -> None:
        self.decisions: list[Decision] = []

    def on_decision(self, decision: Decision) -> None:
        self.decisions.append(decision)

    def close(self, t_end: float) -> None:
        pass


@dataclass
class Score:
    """Counts over scored samples plus the events that need whole-scene context."""

    tp: int = 0  # truth forward_head, state forward_head
    fn: int = 0
    tn: int = 0  # truth good, state not forward_head
    fp: int = 0
    good_seconds: float = 0.0
    false_alarms: int = 0  # entries into forward_head while the truth is not forward_head
    fh_alerts: int = 0  # forward-head notifications the coach (default settings) sent
    false_fh_alerts: int = 0  # ... while the truth was forward head < half its 90 s window
    latencies: list[float] = field(default_factory=list)
    missed_changes: int = 0
    slouch_refused: int = 0  # scenes whose slouch step was not usable (judged upright-only)
    nuisance_fh: dict[str, float] = field(default_factory=dict)  # kind -> seconds read FH
    nuisance_seconds: dict[str, float] = field(default_factory=dict)
    nuisance_entries: dict[str, int] = field(default_factory=dict)  # kind -> false alarms in it
    # Scored samples in which the frame edge cuts the person off (face or shoulders out of
    # the picture): there is nothing to judge, only a state held from before. Counted apart
    # so the report can say how much of the score is that and how much is judgement.
    cut_fh: int = 0  # truth forward_head, person cut off
    cut_fh_hit: int = 0  # ... and the state read forward_head all the same
    cut_other: int = 0  # truth not forward_head, person cut off
    cut_other_fp: int = 0  # ... and the state read forward_head
    # Scored samples (the person at the desk) in which the state read absent: time a user
    # would find logged as a break from the desk that was not one.
    read_absent: int = 0

    def add(self, other: Score) -> None:
        for name in ("tp", "fn", "tn", "fp", "good_seconds", "false_alarms", "missed_changes",
                     "fh_alerts", "false_fh_alerts", "slouch_refused", "cut_fh", "cut_fh_hit",
                     "cut_other", "cut_other_fp", "read_absent"):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.latencies += other.latencies
        for d_self, d_other in (
            (self.nuisance_fh, other.nuisance_fh),
            (self.nuisance_seconds, other.nuisance_seconds),
            (self.nuisance_entries, other.nuisance_entries),
        ):
            for k, v in d_other.items():
                d_self[k] = d_self.get(k, 0) + v  # a count stays an int

    @property
    def scored(self) -> int:
        """Scored samples: the person at the desk, settled in a segment."""
        return self.tp + self.fn + self.tn + self.fp

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else math.nan

    @property
    def specificity(self) -> float:
        return self.tn / (self.tn + self.fp) if self.tn + self.fp else math.nan

    @property
    def balanced_accuracy(self) -> float:
        parts = [x for x in (self.recall, self.specificity) if not math.isnan(x)]
        return sum(parts) / len(parts) if parts else math.nan

    def _per_good_hour(self, count: int) -> float:
        return count / (self.good_seconds / 3600) if self.good_seconds else math.nan

    @property
    def false_alarms_per_hour(self) -> float:
        return self._per_good_hour(self.false_alarms)

    @property
    def false_alerts_per_hour(self) -> float:
        return self._per_good_hour(self.false_fh_alerts)

    @property
    def median_latency(self) -> float:
        return statistics.median(self.latencies) if self.latencies else math.nan

    def in_view(self) -> Score:
        """The counts over the samples in which the person was fully in view."""
        return Score(
            tp=self.tp - self.cut_fh_hit,
            fn=self.fn - (self.cut_fh - self.cut_fh_hit),
            tn=self.tn - (self.cut_other - self.cut_other_fp),
            fp=self.fp - self.cut_other_fp,
        )

    @property
    def cut_share_fh(self) -> float:
        """Share of the scored forward-head samples in which the person was cut off."""
        n = self.tp + self.fn
        return self.cut_fh / n if n else math.nan

    @property
    def cut_share_other(self) -> float:
        n = self.tn + self.fp
        return self.cut_other / n if n else math.nan

    def nuisance_entries_per_hour(self, kind: str) -> float:
        """False alarms that began in ``kind`` segments, per hour of them (scored time)."""
        hours = self.nuisance_seconds.get(kind, 0.0) / 3600
        return self.nuisance_entries.get(kind, 0) / hours if hours else math.nan

    @property
    def missed_cut_share(self) -> float:
        """Share of the missed forward-head samples in which the person was cut off: how
        much of the recall lost is the frame edge's rather than the judgement's."""
        return (self.cut_fh - self.cut_fh_hit) / self.fn if self.fn else math.nan


def people_interval(
    people: dict[str, Score], draws: int = 2000, level: float = 0.95, seed: int = 0
) -> dict[str, tuple[float, float]]:
    """How far the totals could move with other people: a percentile interval over
    ``draws`` resamplings of the people (with replacement), for balanced accuracy, false
    alarms per hour, and the false alarms begun in each nuisance per hour of it (keyed by
    the nuisance's name, as :meth:`Score.nuisance_entries_per_hour`).

    People, not samples or alarms, are resampled because errors cluster by person: one
    low-resolution camera or one restless sitter makes most of a set's false alarms, so
    counting alarms as independent events would claim far more certainty than six or
    forty people give. With few people the interval is itself rough (it cannot reach past
    the worst person's rate); it says how much a figure rests on who was drawn. A set
    holds only 2-5 hours of each nuisance, where one alarm more or less moves the rate by
    0.2-0.5 an hour: the nuisances' intervals say whether a set over the budget is more
    than that.
    """
    if not people:
        return {}
    rng = np.random.default_rng(seed)
    kinds = [k for k in NUISANCE_KINDS if any(s.nuisance_seconds.get(k) for s in people.values())]
    # Only the counts behind the rates are pooled (Score.add would also copy every
    # latency list, draws x people times, for nothing).
    counts = np.array(
        [
            [s.tp, s.fn, s.tn, s.fp, s.false_alarms, s.good_seconds]
            + [s.nuisance_entries.get(k, 0) for k in kinds]
            + [s.nuisance_seconds.get(k, 0.0) for k in kinds]
            for s in people.values()
        ]
    )
    rates: dict[str, list[float]] = {"balanced_accuracy": [], "false_alarms_per_hour": []}
    rates.update({k: [] for k in kinds})
    for _ in range(draws):
        row = counts[rng.integers(0, len(counts), size=len(counts))].sum(0)
        tp, fn, tn, fp, alarms, good = row[:6]
        pooled = Score(
            tp=tp, fn=fn, tn=tn, fp=fp, false_alarms=alarms, good_seconds=good,
            nuisance_entries=dict(zip(kinds, row[6 : 6 + len(kinds)])),
            nuisance_seconds=dict(zip(kinds, row[6 + len(kinds) :])),
        )  # fmt: skip
        rates["balanced_accuracy"].append(pooled.balanced_accuracy)
        rates["false_alarms_per_hour"].append(pooled.false_alarms_per_hour)
        for k in kinds:
            rates[k].append(pooled.nuisance_entries_per_hour(k))
    tail = (1.0 - level) / 2 * 100
    out = {}
    for name, values in rates.items():
        v = np.array([x for x in values if not math.isnan(x)])
        if len(v):
            out[name] = (float(np.percentile(v, tail)), float(np.percentile(v, 100 - tail)))
    return out


def states_at(decisions: Sequence[Decision], times: Sequence[float]) -> list[str]:
    """The state in force at each time: the latest decision at or before it."""
    out, j, current = [], 0, PostureState.GOOD.value
    for t in times:
        while j < len(decisions) and decisions[j].t <= t + 1e-9:
            current = decisions[j].state.value
            j += 1
        out.append(current)
    return out


class Rendered:
    """A scene rendered once for every mode that scores it, with what the scoring asks
    of each sample kept as it is first asked: its metrics (for the top-edge band, whose
    answer depends on the mode's baseline) and whether the frame edge cuts it."""

    def __init__(self, scene: synth.Scene) -> None:
        self.header, self.labelled = synth.render(scene)
        self.samples = synth.to_samples(self.labelled)
        self._metrics: dict[int, Optional[Metrics]] = {}
        self._partly: dict[int, bool] = {}

    def cut_off(self, i: int, baseline: Baseline, band: float = FOREHEAD_EYE_WIDTHS) -> bool:
        """Whether the frame edge cuts sample ``i``'s person off, as the decision takes it:
        partly out of view, or a measurable face at the top edge that the decision holds
        as cut off (:func:`posture_guard.classify.at_top_edge`, with the rules' band)."""
        if i not in self._partly:
            self._partly[i] = partly_in_view(self.samples[i])
        if self._partly[i]:
            return True
        if i not in self._metrics:
            self._metrics[i] = compute_metrics(self.samples[i], self.header)
        metrics = self._metrics[i]
        return metrics is not None and at_top_edge(metrics, baseline, band)


def score_scene(
    scene: synth.Scene,
    mode: str = "slouch",
    settle: float = 20.0,
    rules: ReplayOptions = ReplayOptions(),
    rendered: Optional[Rendered] = None,
) -> tuple[Score, list[Decision]]:
    """Render (unless ``rendered`` holds it already), replay through the production path
    in ``mode`` (see :data:`MODES`), and score one scene. ``rules`` carries the thresholds
    and smoothing (the defaults unless calibration/tune.py tries others)."""
    rendered = rendered or Rendered(scene)
    header, labelled, samples = rendered.header, rendered.labelled, rendered.samples
    collector = _Collector()
    slouch_refused = False
    if mode == "population":
        baseline = POPULATION_BASELINE
        replay(header, samples, [collector], rules, io.StringIO(), baseline)
    else:
        # Calibrated as `replay --calibrate-seconds` calibrates; the baseline is kept, for
        # the cut-off count below (classify.at_top_edge asks where the face was).
        slouch = SLOUCH_SECONDS if mode == "slouch" else 0.0
        said = io.StringIO()
        baseline, _ = calibrate_samples(header, iter(samples), CALIBRATE_SECONDS, slouch, said)
        replay(header, samples, [collector], rules, io.StringIO(), baseline)
        slouch_refused = SLOUCH_NOT_USED in said.getvalue()
    decisions = collector.decisions
    times = [s.t for s in labelled]
    states = states_at(decisions, times)
    dt = 1.0 / scene.fps
    band = rules.thresholds.top_edge
    score = Score()
    score.slouch_refused = int(slouch_refused)
    for i, (s, state) in enumerate(zip(labelled, states)):
        if s.since_change < settle or not s.settled:
            continue
        cut = rendered.cut_off(i, baseline, band)
        score.read_absent += s.truth != ABSENT and state == ABSENT
        if s.truth == FH:
            score.tp += state == FH
            score.fn += state != FH
            score.cut_fh += cut
            score.cut_fh_hit += cut and state == FH
        elif s.truth != ABSENT:
            score.tn += state != FH
            score.fp += state == FH
            score.cut_other += cut
            score.cut_other_fp += cut and state == FH
            if s.truth == GOOD:
                score.good_seconds += dt
            if s.segment in NUISANCE_KINDS:
                score.nuisance_seconds[s.segment] = score.nuisance_seconds.get(s.segment, 0) + dt
                if state == FH:
                    score.nuisance_fh[s.segment] = score.nuisance_fh.get(s.segment, 0) + dt
    _false_alarms(labelled, decisions, score)
    # Latency: from each segment change that changes forward_head-ness to the state change.
    _latencies(labelled, decisions, score)
    _alerts(labelled, decisions, score)
    return score, decisions


@cache
def _coach() -> Coach:
    """One coach for every scene (it is a pure engine; its library is read once)."""
    return Coach(CoachSettings(checkin_time=None), load_library())


def _alerts(labelled, decisions: Sequence[Decision], score: Score) -> None:
    """What a user would actually be shown: the coach (default settings) run over the
    decisions. A forward-head alert is false when the truth was forward head for less than
    half of the alert's window."""
    coach = _coach()
    window = coach.settings.alert_hold_s
    st = coach.initial()
    for d in decisions:
        st, effects = coach.step(st, Observation(SCENE_START + timedelta(seconds=d.t), d.state))
        for fx in effects:
            if isinstance(fx, Event) and fx.kind == "alert" and fx.payload["fault"] == FH:
                score.fh_alerts += 1
                recent = [s.truth == FH for s in labelled if d.t - window <= s.t <= d.t]
                if sum(recent) < len(recent) / 2:
                    score.false_fh_alerts += 1


def _false_alarms(labelled, decisions: Sequence[Decision], score: Score) -> None:
    """Every entry into forward_head while the truth is something else, and the nuisance
    segment it began in (issue #3 budgets look-aside, look-down, recline and shrug too)."""
    truth_at = {round(s.t, 6): s for s in labelled}
    prev = None
    for d in decisions:
        if d.state.value == FH and prev != FH:
            s = truth_at.get(round(d.t, 6))
            if s is not None and s.truth != FH and not _still_slumped(s):
                score.false_alarms += 1
                if s.segment in NUISANCE_KINDS:
                    entries = score.nuisance_entries
                    entries[s.segment] = entries.get(s.segment, 0) + 1
        prev = d.state.value


def _still_slumped(sample) -> bool:
    """Whether a sample is still on its way out of a forward head: in the 1-4 s transition
    into its segment (not ``settled``), with the neck angle not yet back above
    :data:`~calibration.synth.CVA_GOOD_MIN`. Its segment's label is not its truth yet (the
    label's limits hold for settled samples only), so an entry into forward head there is
    a forward head seen late (as when a slump leaves the picture and the first frame back
    shows its end), not a false alarm."""
    cva = sample.cva
    return not sample.settled and cva is not None and cva < synth.CVA_GOOD_MIN


def _latencies(labelled, decisions: Sequence[Decision], score: Score) -> None:
    starts = []
    for a, b in zip(labelled, labelled[1:]):
        if b.segment_index != a.segment_index and (a.truth == FH) != (b.truth == FH):
            if ABSENT in (a.truth, b.truth):
                continue
            end = next((x.t for x in labelled if x.segment_index > b.segment_index), labelled[-1].t)
            starts.append((b.t, end, b.truth == FH))
    for t0, t_end, into_fh in starts:
        hit = None
        for d in decisions:
            if d.t < t0 or d.t > t_end:
                continue
            if (d.state.value == FH) == into_fh:
                hit = d.t
                break
        if hit is None:
            score.missed_changes += 1
        else:
            score.latencies.append(hit - t0)


def scenes_for(seeds: Sequence[int], minutes: float) -> list[tuple[str, synth.Scene]]:
    """Per seed: one scene per nuisance kind, a forward-head scene, and a random mix, each
    starting with the calibration a user does (upright, then the slouch step)."""
    out = []
    for seed in seeds:
        for kind in ("forward_head", "forward_head_trunk", *NUISANCE_KINDS):
            if kind == "away":
                continue
            out.append((kind, synth.scene_for(kind, seed, CALIBRATE_SECONDS, minutes)))
        rng = np.random.default_rng(seed)
        out.append(("mixed", synth.random_scene(rng, minutes=minutes * 2, name=f"mix-{seed}")))
    return [(k, synth.with_slouch(sc, CALIBRATE_SECONDS, SLOUCH_SECONDS)) for k, sc in out]


#: Where a simulated user who follows the framing advice puts the camera: far enough back
#: that ears to shoulders take this share of the picture's height (the advice is given
#: above :data:`~calibration.baseline.CROWDED_SPAN`).
ADVISED_SPAN = 0.40


def advised_scene(scene: synth.Scene) -> Optional[synth.Scene]:
    """The scene as a user who follows calibration's framing advice would live it: the
    camera moved back until ears to shoulders take :data:`ADVISED_SPAN` of the picture
    (sizes in the picture shrink with the distance). None when calibration gives no
    advice (or refuses), so the scene stays as it is."""
    header, labelled = synth.render(scene)
    try:  # the calibration replay does, without the slouch step (it does not move the span)
        baseline, _ = calibrate_samples(
            header, synth.to_samples(labelled), CALIBRATE_SECONDS, 0.0, io.StringIO()
        )
    except CalibrationError:
        return None
    span = picture_span(baseline)
    if span is None or framing_advice(baseline) is None:
        return None
    camera = replace(scene.camera, distance=scene.camera.distance * span / ADVISED_SPAN)
    return replace(scene, camera=camera)


def person_of(scene: synth.Scene) -> str:
    """The seed (person and desk) a harness scene was made for, from its name."""
    base = scene.name.split("+", 1)[0]  # "+slouch": the calibration step added
    return base.rsplit("-", 1)[-1]


def score_job(
    job: tuple[synth.Scene, str, bool, ReplayOptions],
) -> tuple[Optional[Score], bool]:
    """One scene's score (None when calibration refuses it) in ``mode`` under ``rules``, and
    whether the camera was moved back first (``follow_advice``, see :func:`report`). A
    function of one picklable argument, so a process pool can run it (tune.py does too)."""
    scene, mode, follow_advice, rules = job
    return score_modes_job((scene, (mode,), follow_advice, rules))[0]


def score_modes_job(
    job: tuple[synth.Scene, Sequence[str], bool, ReplayOptions],
) -> list[tuple[Optional[Score], bool]]:
    """:func:`score_job` for each of several modes over one rendering of the scene: the
    modes judge the very same samples, and rendering them and checking each for the frame
    edge once instead of three times took the default run from 467 s to 259 s."""
    scene, modes, follow_advice, rules = job
    further = advised_scene(scene) if follow_advice else None
    rendered = Rendered(further or scene)
    out: list[tuple[Optional[Score], bool]] = []
    for mode in modes:
        try:
            score, _ = score_scene(further or scene, mode, rules=rules, rendered=rendered)
        except CalibrationError:
            score = None
        out.append((score, further is not None))
    return out


def score_modes(
    todo: Sequence[tuple[str, synth.Scene]],
    modes: Sequence[str],
    follow_advice: bool = False,
    pool=None,
) -> dict[str, list[tuple[Optional[Score], bool]]]:
    """Every scene of ``todo`` scored in every mode (on ``pool`` when given), by mode, in
    the order of ``todo``: what :func:`report` prints."""
    jobs = [(scene, tuple(modes), follow_advice, ReplayOptions()) for _, scene in todo]
    runs = pool.map(score_modes_job, jobs, chunksize=1) if pool else map(score_modes_job, jobs)
    per_scene = list(runs)
    return {mode: [scores[k] for scores in per_scene] for k, mode in enumerate(modes)}


def _share(part: int, whole: int) -> float:
    return part / whole if whole else math.nan


def _range(bounds: Optional[tuple[float, float]]) -> str:
    """``"; lo-hi"`` for an interval of :func:`people_interval`, or nothing without one."""
    return f"; {_fmt(bounds[0])}-{_fmt(bounds[1])}" if bounds else ""


def _fmt(x: float, pct: bool = False, places: int = 1) -> str:
    if isinstance(x, float) and math.isnan(x):
        return "-"
    return f"{x:.{places}%}" if pct else f"{x:.3f}"


def report(
    name: str,
    seeds: Sequence[int],
    minutes: float,
    mode: str,
    out=None,
    scenes: Optional[Sequence[tuple[str, synth.Scene]]] = None,
    follow_advice: bool = False,
    pool=None,
    results: Optional[Sequence[tuple[Optional[Score], bool]]] = None,
) -> Score:
    """Score ``scenes`` (by default the harness's scenes of ``seeds``) and print the table.

    ``follow_advice``: every scene whose calibration advises setting the camera back is
    scored as if the user had done so (:func:`advised_scene`): what the advice buys.
    ``pool``: a multiprocessing pool to score the scenes on (they are independent).
    ``results``: the scenes' scores in ``mode`` already (:func:`score_modes`), in order."""
    out = out or sys.stdout
    per_kind: dict[str, Score] = {}
    people: dict[str, Score] = {}  # seed -> that person's scenes
    total = Score()
    refused = []
    moved: set[str] = set()  # the people whose camera was moved back (follow_advice)
    todo = scenes if scenes is not None else scenes_for(seeds, minutes)
    if results is None:
        results = score_modes(todo, (mode,), follow_advice, pool)[mode]
    for (kind, scene), (score, was_moved) in zip(todo, results):
        if was_moved:
            moved.add(person_of(scene))
        if score is None:
            # The camera barely sees this person in the first 20 s; a user would be asked
            # to recalibrate, so there is no calibrated session to score.
            refused.append(scene.name)
            continue
        per_kind.setdefault(kind, Score()).add(score)
        total.add(score)
        people.setdefault(person_of(scene), Score()).add(score)
    print(f"\n== {name} seeds {seed_ranges(seeds)}: {MODES[mode]}", file=out)
    if follow_advice:
        print(f"as if the users advised to set the camera back had done so (ears to shoulders "
              f"{ADVISED_SPAN:.0%} of the picture; the advice comes above {CROWDED_SPAN:.0%}): "
              f"{len(moved)} people's cameras moved back, in some of their scenes or all",
              file=out)  # fmt: skip
    if refused:
        print(f"calibration refused (person not seen well enough), not scored: {refused}",
              file=out)  # fmt: skip
    if total.slouch_refused:
        print(f"slouch step not usable in {total.slouch_refused} scenes: judged with the "
              "upright-only model, as a user would be", file=out)  # fmt: skip
    print(
        f"{'scene':<20}{'bal.acc':>8}{'recall':>8}{'spec.':>8}{'FA/h':>7}{'lat.med':>8}"
        f"{'FH share':>9}{'cut off':>8}{'absent':>8}",
        file=out,
    )
    for kind, s in [*per_kind.items(), ("TOTAL", total)]:
        fh_share = (
            sum(s.nuisance_fh.values()) / sum(s.nuisance_seconds.values())
            if s.nuisance_seconds
            else math.nan
        )
        print(
            f"{kind:<20}{_fmt(s.balanced_accuracy):>8}{_fmt(s.recall):>8}"
            f"{_fmt(s.specificity):>8}{_fmt(s.false_alarms_per_hour):>7}"
            f"{_fmt(s.median_latency):>8}{_fmt(fh_share, True):>9}"
            f"{_fmt(_share(s.cut_fh + s.cut_other, s.scored), True):>8}"
            f"{_fmt(_share(s.read_absent, s.scored), True, places=2):>8}",
            file=out,
        )
    print(
        f"TOTAL: balanced accuracy {_fmt(total.balanced_accuracy)}, false alarms "
        f"{_fmt(total.false_alarms_per_hour)}/h of good posture ({total.false_alarms} in "
        f"{total.good_seconds / 3600:.2f} h), median latency {_fmt(total.median_latency)} s "
        f"({len(total.latencies)} changes, {total.missed_changes} missed)",
        file=out,
    )
    interval = people_interval(people) if len(people) > 1 else {}
    kinds = [k for k in NUISANCE_KINDS if total.nuisance_seconds.get(k)]
    if kinds:
        parts = [
            f"{k} {total.nuisance_entries.get(k, 0)} in "
            f"{total.nuisance_seconds[k] / 3600:.2f} h ({_fmt(total.nuisance_entries_per_hour(k))}"
            f"/h{_range(interval.get(k)) if total.nuisance_entries.get(k) else ''}, "
            f"{_fmt(_share(total.nuisance_fh.get(k, 0.0), total.nuisance_seconds[k]), True)}"
            " of the time)"
            for k in kinds
        ]
        print("forward head on nuisance segments (false alarms begun in them, per hour of them"
              f"{'; where any, 95 % interval, people resampled' if interval else ''}; share of "
              "their time read forward head): " + ", ".join(parts), file=out)  # fmt: skip
    seen = total.in_view()
    print(
        f"cut off by the frame edge (face or shoulders out of the picture, a state held from "
        f"before): {_fmt(total.cut_share_fh, True)} of forward-head samples "
        f"({_fmt(_share(total.cut_fh_hit, total.cut_fh), True)} of them read forward head), "
        f"{_fmt(total.cut_share_other, True)} of the others; "
        f"{_fmt(total.missed_cut_share, True)} of the missed forward-head samples were cut off; "
        f"in full view: balanced accuracy "
        f"{_fmt(seen.balanced_accuracy)} (recall {_fmt(seen.recall)}, specificity "
        f"{_fmt(seen.specificity)})",
        file=out,
    )
    if interval:
        lo_b, hi_b = interval.get("balanced_accuracy", (math.nan, math.nan))
        lo_f, hi_f = interval.get("false_alarms_per_hour", (math.nan, math.nan))
        print(f"95 % interval, {len(people)} people resampled: balanced accuracy "
              f"{_fmt(lo_b)}-{_fmt(hi_b)}, false alarms {_fmt(lo_f)}-{_fmt(hi_f)}/h",
              file=out)  # fmt: skip
    # Are the false alarms spread over the people or concentrated in a few?
    by_person = {who: s.false_alarms for who, s in people.items() if s.false_alarms}
    if by_person:
        worst = sorted(by_person.items(), key=lambda kv: -kv[1])
        print(f"false alarms by person (seed: count), {len(by_person)} of {len(seeds) or '?'} "
              f"people: " + ", ".join(f"{k}: {v}" for k, v in worst), file=out)  # fmt: skip
    _print_missed_by_person(people, total, out)
    print(
        f"coach alerts (default settings, what a user sees): {total.fh_alerts} forward-head "
        f"alerts, {total.false_fh_alerts} false (truth forward head < half the alert window): "
        f"{_fmt(total.false_alerts_per_hour)}/h of good posture",
        file=out,
    )
    return total


def _print_missed_by_person(people: dict[str, Score], total: Score, out, top: int = 5) -> None:
    """Whose forward heads were missed: the few people with the most missed samples, how
    many of those they spent cut off by the frame edge, and their share of all the misses.
    Misses cluster like false alarms do (one close camera that a slump leaves can hold most
    of a set's), and a reader judging a recall needs to know whether it is everyone's."""
    missed = {who: s.fn for who, s in people.items() if s.fn}
    if not missed:  # total.fn, their sum, is then above 0 too
        return
    worst = sorted(missed.items(), key=lambda kv: -kv[1])[:top]
    held = sum(n for _, n in worst)
    listed = ", ".join(
        f"{who}: {n} ({people[who].cut_fh - people[who].cut_fh_hit} cut off)" for who, n in worst
    )
    print(f"missed forward-head samples by person (seed: missed, of them cut off), "
          f"{len(worst)} of the {len(missed)} people with any: {listed}; "
          f"{_fmt(_share(held, total.fn), True)} of the {total.fn} missed", file=out)  # fmt: skip


SHARED_MEDIA = Path(__file__).resolve().parents[1].parent / "shared" / "media"
UPRIGHT_CLIPS = (
    "frontal_upright_woman_mediapipe_samples.mp4",
    "frontal_upright_man_intel.gif",
    "frontal_headturns_woman_intel.gif",
)
SIDE_PAIR = ("side_sitting_upright_mit.jpg", "side_sitting_hunched_mit.jpg")


def _replay_clip(path: Path) -> Totals:
    """A clip replayed with every frame analysed and scored, against a baseline of its
    first second. Calibrated apart, as :func:`score_scene` calibrates: `replay
    --calibrate-seconds` leaves the seconds it calibrates on out of the totals, which on
    a clip of 2 s would leave little to score."""
    from posture_guard.capture import open_file
    from posture_guard.monitor import frame_samples, header_of
    from posture_guard.pose import MediaPipePose

    source = open_file(path)
    try:
        header = header_of(source)
        with MediaPipePose() as detector:
            samples = list(frame_samples(source, detector))
    finally:
        source.close()
    baseline, _ = calibrate_samples(header, iter(samples), 1.0, 0.0, io.StringIO())
    return replay(header, samples, [], ReplayOptions(all_frames=True), io.StringIO(), baseline)


def report_real_media(media: Path = SHARED_MEDIA, out=None) -> bool:
    """Score the real recordings: upright clips must read good, the side pair must split.

    The clips are short (2-8 s), so the baseline is their first second; every frame is
    analysed. Returns False when a check fails; skips (saying why) when ``media`` is absent.
    """
    from posture_guard.assess import assess_photo

    out = out or sys.stdout
    print("\n== real media (../shared/media)", file=out)
    if not media.is_dir():
        print(f"skipped: {media} is absent", file=out)
        return True
    ok = True
    for clip in UPRIGHT_CLIPS:
        totals = _replay_clip(media / clip)
        good = totals.share(PostureState.GOOD)
        fh = totals.share(PostureState.FORWARD_HEAD)
        ok &= good >= 0.95
        print(f"{clip:<48} {totals.frames_analysed:4d} frames  good {good:6.1%}  "
              f"forward_head {fh:6.1%}  (target: good >= 95 %)", file=out)  # fmt: skip
    angles = {}
    for photo in SIDE_PAIR:
        assessment, _ = assess_photo(media / photo)
        angles[photo] = assessment.angle
        print(f"{photo:<48} side view: ear-shoulder angle {assessment.angle:5.1f} deg, "
              f"forward head: {assessment.forward_head}", file=out)  # fmt: skip
    upright, hunched = (angles[p] for p in SIDE_PAIR)
    ok &= upright >= 50 > hunched
    print(f"side pair separated at the 50 deg line: {upright >= 50 > hunched}", file=out)
    return ok


def set_seeds(
    name: str, people: Optional[int] = None, fresh_seed: Optional[int] = None
) -> list[int]:
    """The seeds (people) of set ``name``: the first ``people`` of a fixed set, or a fresh
    run of ``people`` consecutive seeds from ``fresh_seed`` (the clock when None)."""
    n = DEFAULT_PEOPLE[name] if people is None else people
    if name == "fresh":
        base = fresh_seed if fresh_seed is not None else int(time.time()) % 10**6
        first = FRESH_FIRST + base * FRESH_SPACING
        return list(range(first, first + n))
    return list(SEED_SETS[name])[:n]


def fresh_seed_of(seeds: Sequence[int]) -> int:
    """The ``--fresh-seed`` that draws ``seeds`` again (the inverse of :func:`set_seeds`), so
    a clock-drawn run can be scored again with other models or options."""
    return (seeds[0] - FRESH_FIRST) // FRESH_SPACING


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m calibration.evaluate", description=__doc__)
    parser.add_argument("--sets", nargs="+", default=["holdout", "fresh"],
                        choices=["tune", "holdout", "fresh"])  # fmt: skip
    parser.add_argument("--fresh-seed", nargs="+", type=_fresh_spec, default=None,
                        metavar="SEED[:PEOPLE]",
                        help="the fresh set(s) to draw again, each SEED or SEED:PEOPLE (default: "
                        "one set drawn from the clock, --seeds-per-set people)")  # fmt: skip
    parser.add_argument("--pool", action="store_true",
                        help="score the people of every set named as one pool (its interval is "
                        "over all of them) instead of set by set")  # fmt: skip
    defaults = ", ".join(f"{n} {name}" for name, n in DEFAULT_PEOPLE.items())
    parser.add_argument("--seeds-per-set", type=positive_int, default=None,
                        help=f"people per set (default: {defaults})")  # fmt: skip
    parser.add_argument("--minutes", type=positive_float, default=8.0, help="minutes per scene")
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=list(MODES),
                        help="how scenes are judged (default: all three)")  # fmt: skip
    parser.add_argument("--no-real", action="store_true", help="skip ../shared/media")
    parser.add_argument(
        "--follow-advice",
        action="store_true",
        help="score users whom calibration advises to set the camera back as if they had "
        "(what the advice buys; the targets are judged only without this)",
    )
    args = parser.parse_args(argv)
    t0 = time.monotonic()
    targets_ok = True
    # Scenes are independent: every core scores its share (spawned workers, which start
    # clean wherever this runs, a test process included).
    with multiprocessing.get_context("spawn").Pool(os.cpu_count() or 1) as pool:
        for seed_set in seed_sets(args):
            targets_ok &= _report_set(seed_set, args, pool)
    if not args.no_real:
        targets_ok &= report_real_media()
    print(f"\nevaluated in {time.monotonic() - t0:.0f} s")
    return 0 if targets_ok else 1


def targets_met(total: Score) -> bool:
    """Issue #3's targets: balanced accuracy, false alarms per hour of good posture and on
    each judged nuisance's segments (a kind with no scored time has nothing to miss), and
    the median latency."""
    nuisances_ok = all(
        not total.nuisance_entries_per_hour(k) > TARGET_FA_PER_HOUR for k in JUDGED_NUISANCES
    )
    return (
        total.balanced_accuracy >= TARGET_BAL_ACC
        and total.false_alarms_per_hour <= TARGET_FA_PER_HOUR
        and nuisances_ok
        and total.median_latency <= TARGET_LATENCY_S
    )


def _fresh_spec(text: str) -> tuple[int, Optional[int]]:
    """``--fresh-seed`` values: ``SEED`` or ``SEED:PEOPLE``."""
    seed, _, people = text.partition(":")
    try:
        spec = int(seed), int(people) if people else None
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not SEED or SEED:PEOPLE") from None
    if spec[0] < 0:
        # a seed below 0 draws people below FRESH_FIRST, down to the ones the models learnt
        raise argparse.ArgumentTypeError(f"{text!r}: a fresh seed is 0 or more")
    if spec[1] is not None and spec[1] < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: a set needs at least one person")
    return spec


@dataclass(frozen=True)
class SeedSet:
    """People scored together. ``judged``: whether the targets are judged on them, which
    they are only on people the rules were not tuned on."""

    name: str
    seeds: list[int]
    judged: bool


def seed_sets(args: argparse.Namespace, out=None) -> list[SeedSet]:
    """The seed sets a run scores, in the order given: one per fixed set, one per
    ``--fresh-seed`` (drawn from the clock without one), each fresh one announced with the
    options that draw it again. With ``--pool``, all their people as one set ("pooled"):
    a rate pooled over 246 people says more than seven sets of 24-48 each can."""
    out = out or sys.stdout
    sets = []
    for name in args.sets:
        if name != "fresh":
            seeds = set_seeds(name, args.seeds_per_set)
            if args.seeds_per_set is not None and args.seeds_per_set > len(seeds):
                print(f"\nthe {name} set has {len(seeds)} people: scoring all of them, not "
                      f"the {args.seeds_per_set} --seeds-per-set asks for", file=out)  # fmt: skip
            sets.append(SeedSet(name, seeds, name != "tune"))
            continue
        for seed, people in args.fresh_seed or [(None, None)]:
            seeds = set_seeds(name, people or args.seeds_per_set, seed)
            print(f"\nfresh people: seeds {seeds[0]}-{seeds[-1]}; score them again with "
                  f"--fresh-seed {fresh_seed_of(seeds)} --seeds-per-set {len(seeds)}",
                  file=out)  # fmt: skip
            sets.append(SeedSet(name, seeds, judged=True))
    if args.pool and len(sets) > 1:
        # Tuning people pooled with the rest would not be a test of anything.
        judged = all(s.judged for s in sets)
        name = "pooled" if judged else "pooled with tune"
        return [SeedSet(name, [seed for s in sets for seed in s.seeds], judged)]
    return sets


def _report_set(seed_set: SeedSet, args: argparse.Namespace, pool) -> bool:
    """Report every mode of one seed set; False when a judged target was missed."""
    targets_ok = True
    todo = scenes_for(seed_set.seeds, args.minutes)
    scored = score_modes(todo, args.modes, args.follow_advice, pool)
    for mode in args.modes:
        total = report(seed_set.name, seed_set.seeds, args.minutes, mode, scenes=todo,
                       follow_advice=args.follow_advice, results=scored[mode])  # fmt: skip
        if mode != "slouch" or not seed_set.judged:
            continue
        if args.follow_advice:
            print("targets: not judged (--follow-advice changes the scenes)")
            continue
        ok = targets_met(total)
        targets_ok &= ok
        print(f"targets (bal.acc >= {TARGET_BAL_ACC:g}, FA <= {TARGET_FA_PER_HOUR:g}/h overall "
              f"and on {', '.join(JUDGED_NUISANCES)} segments, latency <= "
              f"{TARGET_LATENCY_S:g} s): {'MET' if ok else 'NOT MET'}")  # fmt: skip
    return targets_ok


if __name__ == "__main__":
    sys.exit(main())
