"""The posture decision: pure functions from metrics and a baseline to a posture state.

Two stages, both free of I/O and clocks (time is the stream time passed in):

1. :func:`assess` judges one frame against the user's baseline and gives a
   :class:`Reading`: an instantaneous label plus the evidence behind it. It knows the
   nuisances that look like a slump but are not one: looking down at the keyboard (the
   nose drops below the ear line, the ears do not sink), looking aside (the nose moves
   across the face), leaning in or back (everything scales together; what perspective
   adds to that, the fitted model has learned per desk setup), a shrug (the shoulders
   rise, the ears stay), a passer-by (a much smaller or displaced skeleton is not the
   calibrated user).
2. :func:`step` smooths over time: each state has an exponentially weighted share of
   recent frames' votes (time constant ``tau``), and the state only changes when another
   state holds enough of that share and leads the current one by a margin. That is the
   hold time and the hysteresis in one rule, and it works with irregular sampling because
   the weights use the real time gaps. It also follows the camera's vertical offset
   (a tilted screen), which :class:`Decider` applies to the baseline's positions.
"""

from __future__ import annotations

import gzip
import json
import math
from array import array
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from typing import Optional

from .features import FOREHEAD_EYE_WIDTHS, CutOff, Metrics, eyes_below_top, line_angle
from .states import Decision, PostureState

#: The metrics a baseline records (medians and spreads of upright sitting).
BASELINE_KEYS = (
    "ear_gap",
    "eye_gap",
    "face_width",
    "ear_width",
    "pitch",
    "yaw",
    "roll",
    "shoulder_tilt",
    "shoulder_y",
    "ear_y",
    "center_x",
    "shoulder_width",
    "ear_gap_seen",
    "pitch_ears",
    "pitch_mouth",
)
#: Where the person sits in the frame: only known after calibration.
POSITION_KEYS = ("shoulder_y", "ear_y", "center_x", "shoulder_width")


@dataclass(frozen=True)
class Baseline:
    """A user's upright posture at one desk: robust centre and spread of each metric.

    ``calibrated`` is False for the population defaults, which carry no position in the
    frame (no one knows where an uncalibrated camera sees the shoulders).
    """

    median: dict[str, float]
    spread: dict[str, float] = field(default_factory=dict)
    samples: int = 0
    calibrated: bool = True
    #: The user's own deliberate slouch, as :func:`relative_features` of it (empty when
    #: the calibration had no slouch step). See :data:`SLOUCH_FEATURES`.
    slouch: dict[str, float] = field(default_factory=dict)

    def has_position(self) -> bool:
        return all(k in self.median for k in POSITION_KEYS)


def _data_file(name: str) -> dict:
    raw = (resources.files("posture_guard") / "data" / name).read_bytes()
    return json.loads(gzip.decompress(raw) if name.endswith(".gz") else raw)


#: Population defaults, used when the user has not calibrated: the typical upright
#: proportions of a frontal webcam view (fitted with the model, see calibration/fit.py).
#: With these the decision is coarser, and the CLI says so. A small file of its own, so
#: importing this module does not parse the models (about 1 MB of numbers).
POPULATION_BASELINE = Baseline(
    median=dict(_data_file("population.json")["median"]), samples=0, calibrated=False
)
#: The profile name logged with time judged against :data:`POPULATION_BASELINE`, so the
#: daily summary can say how much of the day went without calibration. Reserved: no
#: calibration may be saved under it.
POPULATION_PROFILE = "population"


@dataclass(frozen=True)
class Thresholds:
    """Decision thresholds, as changes relative to the baseline.

    ``look_aside``: head yaw (in face widths) beyond which the ear height says nothing
    about the neck, so forward head is not judged from that frame. ``look_down``: head
    pitch beyond which a frame is marked a look down; forward head is still judged there,
    by the model, which learnt look-down frames as good posture. (A hard gate on it also
    silenced a forward head with trunk flexion, whose face pitches down as the trunk bends:
    dropping it gained 2.7 points of recall on the tune people at the same false alarms.)
    Neither kind of frame teaches the camera-offset tracker, nor judges head tilt.
    ``tilt``: head roll in degrees. ``other_person_scale``: a skeleton whose shoulder
    width is smaller than the baseline's by more than this factor is not the user (someone
    passing behind). A larger one is: nobody fits between the user and the screen, and a
    slump toward a laptop camera can bring the shoulders to 1.65 times their calibrated
    width (a desk of the harness, 10925297, whose slump read absent as "someone else").
    ``forward_head``: the probability the fitted model must give forward head for the frame
    to be *labelled* forward head, and ``raised_shoulders`` likewise (see
    :class:`TreeModel`). The state itself follows the smoothed probabilities (see
    :func:`step`); the label decides whether a frame is a sign of change that makes the
    sampler look again soon. 0.9 (tuned by ``python -m calibration.tune``): a half-sure
    frame while sitting well does not start a burst of fast looks, which halved false
    alarms on the tune people at the same median latency. ``top_edge``: eyes this many
    eye widths or fewer below the top of the picture make a face at the top edge, held as
    cut off (see :func:`at_top_edge`; 0 turns the rule off, which the lean-in replay of
    ``calibration/edge.py`` does to measure what it buys).
    """

    forward_head: float = 0.9
    raised_shoulders: float = 0.5
    look_down: float = 0.22
    look_aside: float = 0.25
    tilt: float = 11.0
    other_person_scale: float = 1.6
    other_person_shift: float = 1.4
    top_edge: float = FOREHEAD_EYE_WIDTHS


#: The relative features the fitted model reads (see :func:`relative_features`).
FEATURES = (
    "d_gap", "d_eye_gap", "d_face", "d_ear", "d_pitch", "abs_yaw", "abs_roll", "d_tilt",
    "d_scale", "rise", "sink", "b_pitch", "b_face", "b_gap",
    "d_gap_face", "d_eyes_ears", "rise_face", "sink_face", "b_shoulder_y", "b_ear_y",
    "b_near",
)  # fmt: skip
#: Without calibration there is no position in the frame, nor a setup, to compare with.
POPULATION_FEATURES = (
    "d_gap", "d_eye_gap", "d_face", "d_pitch", "abs_yaw", "abs_roll", "d_gap_face",
    "d_eyes_ears",
)  # fmt: skip


#: What a profile keeps of the user's slouch (its relative features, see ``slouch``).
SLOUCH_KEYS = ("d_gap", "d_face", "sink", "d_scale", "d_gap_face", "sink_face", "d_eyes_ears")
#: The changes measured as a share of the user's own slouch, and the slouch itself.
_SLOUCH_RATIOS = ("d_gap", "d_face", "sink", "d_gap_face", "sink_face")
_SLOUCH_DIRECTION = ("d_gap", "d_face", "sink_face", "d_eyes_ears")
SLOUCH_FEATURES = (
    "r_d_gap", "r_d_face", "r_sink", "r_d_gap_face", "r_sink_face",
    "s_d_gap", "s_d_face", "s_sink", "s_d_scale", "proj", "resid",
)  # fmt: skip


def model_name(baseline: Baseline) -> str:
    """Which bundled model judges against this baseline: with a slouch step, calibrated
    upright only, or population defaults."""
    if not baseline.calibrated:
        return "population"
    return "slouch" if baseline.slouch else "calibrated"


def relative_features(metrics: Metrics, baseline: Baseline) -> dict[str, float]:
    """How this frame differs from the baseline, in scale-free units.

    Ratios for the proportions (-0.1 = 10 % less than baseline), differences for the
    angles, and the vertical moves of shoulders (``rise``, up = positive) and ears
    (``sink``, down = positive) in baseline shoulder widths.
    """
    b = baseline.median
    f = {
        "d_gap": _head_height_change(metrics, b),
        "d_eye_gap": _rel(metrics.eye_gap, b.get("eye_gap", metrics.eye_gap)),
        "d_face": _rel(metrics.face_width, b["face_width"]),
        # Ear-to-ear width, when both ears are seen now and at calibration; else the face.
        "d_ear": (
            _rel(metrics.ear_width, b["ear_width"])
            if math.isfinite(metrics.ear_width) and b.get("ear_width", 0) > 0
            else _rel(metrics.face_width, b["face_width"])
        ),
        "d_pitch": _pitch_change(metrics, b),
        "abs_yaw": abs(metrics.yaw - b["yaw"]),
        "abs_roll": abs(_line_turn(metrics.roll, b["roll"])),
        "d_tilt": abs(_line_turn(metrics.shoulder_tilt, b.get("shoulder_tilt", 0.0))),
    }
    # The setup, as the baseline shows it: a camera below the eyes puts the nose above the
    # ear line (negative pitch), a far camera makes the face small. The same neck movement
    # looks different from different setups, so the model may weigh changes by these.
    f["b_pitch"] = b["pitch"]
    f["b_face"] = b["face_width"]
    f["b_gap"] = b["ear_gap"]
    # The same changes in the head's own units: the ear gap in face widths (a forward head
    # loses height and gains face size at once, so their ratio moves more than either), and
    # how far the eye line moved against the ear line (a nod moves the eyes, a slump both).
    f["d_gap_face"] = (1.0 + f["d_gap"]) / (1.0 + f["d_face"]) - 1.0
    f["d_eyes_ears"] = f["d_eye_gap"] - f["d_gap"]
    if baseline.has_position():
        sw = b["shoulder_width"]
        scale = metrics.shoulder_width / sw
        f["d_scale"] = scale - 1.0
        # Where shoulders and ears would be if the person had only moved nearer or further
        # (drifting in the chair): offsets from the image centre grow with the scale. What
        # is left is a real rise of the shoulders or sinking of the head.
        f["rise"] = -(metrics.shoulder_y - _scaled(b["shoulder_y"], scale)) / metrics.shoulder_width
        f["sink"] = (metrics.ear_y - _scaled(b["ear_y"], scale)) / metrics.shoulder_width
        # ... in eye widths, the unit of the head's own movements.
        f["rise_face"] = f["rise"] / metrics.face_width
        f["sink_face"] = f["sink"] / metrics.face_width
        # Where the camera sees the person: high or low in the frame, near or far. At half
        # a metre a small lean changes the picture as much as a slump does at a metre.
        f["b_shoulder_y"] = b["shoulder_y"]
        f["b_ear_y"] = b["ear_y"]
        f["b_near"] = sw
    if baseline.slouch:
        f.update(slouch_features(f, baseline.slouch))
    return f


def slouch_features(f: dict[str, float], slouch: dict[str, float]) -> dict[str, float]:
    """This frame's change measured against the user's own deliberate slouch.

    The same upright-to-slouch change looks different at every desk: at a laptop camera
    half a metre away a slouch mostly grows the face, at a monitor camera it mostly lowers
    the ears. Knowing this user's slouch turns "the face grew 6 %" into "two thirds of the
    way to your slouch" (``r_*``), and ``proj`` / ``resid`` split the change into the part
    along the slouch's direction and the part across it (leaning, drifting in the chair).
    """
    out: dict[str, float] = {}
    for k in _SLOUCH_RATIOS:
        s = slouch.get(k, math.nan)
        out["r_" + k] = f.get(k, math.nan) / s if abs(s) > 1e-3 else math.nan
    for k in ("d_gap", "d_face", "sink", "d_scale"):
        out["s_" + k] = slouch.get(k, math.nan)
    pairs = [(f.get(k, math.nan), slouch.get(k, math.nan)) for k in _SLOUCH_DIRECTION]
    pairs = [(a, b) for a, b in pairs if math.isfinite(a) and math.isfinite(b)]
    norm2 = sum(b * b for _, b in pairs)
    if norm2 > 1e-6:
        p = sum(a * b for a, b in pairs) / norm2
        out["proj"] = p
        try:
            out["resid"] = math.sqrt(sum((a - p * b) ** 2 for a, b in pairs) / norm2)
        except OverflowError:  # a change no float can square (a profile's tiny face width)
            out["resid"] = math.inf
    else:
        out["proj"] = out["resid"] = math.nan
    return out


@dataclass(frozen=True)
class Tree:
    """One regression tree, flattened into arrays (compact: a model holds ~600 of them).

    Node i is a leaf when ``feature[i] < 0`` (its value in ``value[i]``); otherwise x goes
    to ``left[i]`` when x[feature] <= threshold[i] (or when x is missing and
    ``missing_left[i]``) and to ``right[i]`` otherwise.
    """

    feature: array
    threshold: array
    left: array
    right: array
    missing_left: array
    value: array

    def predict(self, x: list[float]) -> float:
        i = 0
        feature, threshold, left, right = self.feature, self.threshold, self.left, self.right
        while feature[i] >= 0:
            v = x[feature[i]]
            if v != v:  # nan: a measure this frame could not take
                i = left[i] if self.missing_left[i] else right[i]
            else:
                i = left[i] if v <= threshold[i] else right[i]
        return self.value[i]

    @classmethod
    def from_json(cls, data: dict) -> Tree:
        return cls(
            feature=array("i", data["feature"]),
            threshold=array("d", data["threshold"]),
            left=array("i", data["left"]),
            right=array("i", data["right"]),
            missing_left=array("b", data["missing_left"]),
            value=array("d", data["value"]),
        )


@dataclass(frozen=True)
class TreeModel:
    """Gradient-boosted trees over relative features, fitted by calibration/fit.py.

    Why trees: how a forward head shows from the front depends on the desk (a laptop camera
    below the chin sees leaning in as an ear gap that grows, a monitor camera sees it
    shrink), and trees learn those setup-dependent rules where a linear model averaged them
    away. Evaluating ~600 small trees in plain Python costs well under a millisecond,
    against ~20 ms for the pose model itself.
    """

    features: tuple[str, ...]
    classes: tuple[str, ...]
    base: tuple[float, ...]  # the starting logit of each class
    trees: tuple[tuple[Tree, ...], ...]  # [round][class]

    def probabilities(self, feats: dict[str, float]) -> dict[str, float]:
        x = [feats.get(name, math.nan) for name in self.features]
        logits = list(self.base)
        for round_ in self.trees:
            for k, tree in enumerate(round_):
                logits[k] += tree.predict(x)
        return _softmax(self.classes, logits)

    @classmethod
    def from_json(cls, data: dict) -> TreeModel:
        return cls(
            features=tuple(data["features"]),
            classes=tuple(data["classes"]),
            base=tuple(float(v) for v in data["base"]),
            trees=tuple(tuple(Tree.from_json(t) for t in r) for r in data["trees"]),
        )


def _softmax(classes: tuple[str, ...], logits: list[float]) -> dict[str, float]:
    top = max(logits)
    exps = [math.exp(v - top) for v in logits]
    total = sum(exps)
    return {c: e / total for c, e in zip(classes, exps)}


def model_from_json(data: dict) -> TreeModel:
    """The model a ``model-NAME.json.gz`` file describes."""
    if data.get("kind") != "trees":
        raise ValueError(f"unknown model kind {data.get('kind')!r}")
    return TreeModel.from_json(data)


MODEL_NAMES = ("calibrated", "slouch", "population")


@cache
def bundled_model(name: str = "calibrated") -> TreeModel:
    """A fitted model shipped in the package, by :func:`model_name`. One file per model:
    a running monitor parses only the one its profile needs."""
    if name not in MODEL_NAMES:
        raise ValueError(f"no bundled model {name!r}; there are {MODEL_NAMES}")
    return model_from_json(_data_file(f"model-{name}.json.gz"))


@dataclass(frozen=True)
class Smoothing:
    """Temporal rules: ``tau`` seconds of memory and the share a label needs to win.

    A state takes over when its share of recent votes reaches ``enter`` and leads the
    current state's share by ``margin``: the lead is the hysteresis that stops flapping.
    No single frame weighs more than ``max_weight``, however long the gap before it: while
    the posture is steady frames are seconds apart, and one misread frame (a dropped frame, a
    wild landmark) must not decide alone; it only makes the sampler look again sooner.

    Faults that are only a problem when held (tilt) use a longer memory. ``absent_tau``
    makes a person who leaves register within a few seconds while a single dropped frame
    never does. Someone who is not the user counts as nobody only after
    ``stranger_grace`` seconds in view: a passer-by changes nothing. A user the frame edge
    cuts off (face or shoulders out of the picture, as when leaning in close to a laptop
    camera) is there but cannot be measured: the state holds (the frame votes only against
    absent, so the odd frame with no pose at all does not add up to it). While the part
    still in view is at least ``near_scale`` times its size at calibration (the user leaned
    in), it holds for ``near_grace`` seconds, so reading close up is not logged as leaving
    the desk; other cut-off frames (a part smaller than the user's, or no calibrated size to compare
    with) hold for ``partial_grace`` seconds before the state turns absent. The cap is
    for a pose that never goes: a detection stuck on the chair must not keep an empty
    desk "sitting" all day. The graces count watched time only: a pause between frames of
    more than ``max_gap`` seconds (the camera released while coaching was snoozed, a
    laptop asleep; the log's ``store.MAX_GAP`` is this number) saw nothing, so a user leaning in
    before it and after it has not been cut off all that while.

    ``offset_tau``: memory of the camera's vertical offset. Tilting the screen moves the
    whole picture up or down, and then a shrug's shoulders-up looks like a slump's
    ears-down. While a frame reads clearly good (ear gap within ``offset_gap`` of the
    baseline), the part of the shoulders' and ears' move that they share is taken as the
    camera's, and the baseline positions follow it. "Clearly" means the model gives
    neither forward head nor raised shoulders more than ``offset_doubt``.

    ``fh_entry_floor``: while the state is not forward head, a frame's forward-head vote
    is only the part of its probability above this floor (rescaled to 0-1; the rest
    votes good). A forward head reads 0.99 or more, frame after frame; a person's ordinary
    sway around their upright posture reads 0.6-0.95 for a while, and under plain votes
    such a while entered forward head and then held it. Once in forward head the plain
    probability votes again, so a held slump does not flicker out. 0.85, from
    ``python -m calibration.tune --floor`` on the tune people with the models fitted on
    8000 people: false alarms 10 at 0.8, 2 at 0.85, 1 at 0.9, while balanced accuracy went
    0.962, 0.962, 0.960 and the median latency 4.6, 4.65, 5.0 s. (The models fitted on 4000
    people had their knee at 0.8, those on 2000 at 0.85.)
    """

    tau: float = 2.5
    enter: float = 0.5
    margin: float = 0.4  # python -m calibration.tune: fewer false alarms, same latency
    max_weight: float = 0.35
    tilt_tau: float = 6.0
    absent_tau: float = 2.5
    stranger_grace: float = 10.0
    partial_grace: float = 30.0
    near_grace: float = 600.0
    near_scale: float = 0.9
    max_gap: float = 30.0
    offset_tau: float = 20.0
    offset_gap: float = 0.06
    offset_doubt: float = 0.2
    fh_entry_floor: float = 0.85


@dataclass(frozen=True)
class Reading:
    """One frame judged against the baseline: the instantaneous label and its evidence."""

    label: PostureState
    present: bool
    is_user: bool = True
    gate: str = ""  # "look_aside" (forward head not judged) / "look_down" (judged by the model)
    partial: bool = False  # the user is in view, but the frame edge cuts off face or shoulders
    near: bool = False  # ... and what is in view is as big as the user's (leaning in)
    evidence: dict[str, float] = field(default_factory=dict)
    votes: dict[PostureState, float] = field(default_factory=dict)

    def vote(self) -> dict[PostureState, float]:
        """The frame's weight for each state: the model's probabilities where it spoke,
        else all on the label. Soft votes let a frame that is half-sure count as half."""
        return self.votes or {self.label: 1.0}


def _rel(value: float, base: float) -> float:
    return value / base - 1.0 if base else 0.0


def _line_turn(angle: float, base: float) -> float:
    """How far a line (the eye line, the shoulder line) turned from ``base``, in degrees,
    in (-90, 90]. A line's angle is only known up to 180 degrees (features._angle), and a
    profile calibrated in a mirrored view by an earlier version holds angles near 180."""
    return line_angle(angle - base)


def _scaled(position: float, scale: float) -> float:
    """A baseline position in the frame (0-1) seen from ``scale`` times nearer."""
    return 0.5 + (position - 0.5) * scale


def _head_height_change(metrics: Metrics, b: dict[str, float]) -> float:
    """Relative change of the ear-above-shoulders height, like compared with like.

    Seen ears against the baseline's seen ears; when the ears are hidden now or were at
    calibration, the eye line's move stands in for the ear line's (in baseline ear gaps).
    """
    seen, base_seen = metrics.ear_gap_seen, b.get("ear_gap_seen", math.nan)
    if math.isfinite(seen) and math.isfinite(base_seen) and base_seen > 0:
        return _rel(seen, base_seen)
    if "eye_gap" in b:
        return (metrics.eye_gap - b["eye_gap"]) / b["ear_gap"]
    return _rel(metrics.ear_gap, b["ear_gap"])


def _pitch_change(metrics: Metrics, b: dict[str, float]) -> float:
    """Head pitch change against the same reference line as the baseline's."""
    for key in ("pitch_ears", "pitch_mouth"):
        now, then = getattr(metrics, key), b.get(key, math.nan)
        if math.isfinite(now) and math.isfinite(then):
            return now - then
    return metrics.pitch - b["pitch"]


def assess(
    metrics: Optional[Metrics],
    baseline: Baseline,
    th: Thresholds = Thresholds(),
    model: Optional[TreeModel] = None,
) -> Reading:
    """Judge one frame. ``None`` metrics (nobody, or no usable upper body) read absent."""
    if metrics is None:
        return Reading(PostureState.ABSENT, present=False)
    b = baseline.median
    if baseline.has_position():
        scale = metrics.shoulder_width / b["shoulder_width"]
        shift = abs(metrics.center_x - b["center_x"]) / max(b["shoulder_width"], 1e-6)
        if scale < 1 / th.other_person_scale or shift > th.other_person_shift:
            return Reading(PostureState.ABSENT, present=True, is_user=False)

    feats = relative_features(metrics, baseline)
    d_yaw = metrics.yaw - b["yaw"]
    d_roll = _line_turn(metrics.roll, b["roll"])
    if model is None:
        model = bundled_model(model_name(baseline))
    probs = model.probabilities(feats)
    ev = dict(feats)
    ev["d_roll"] = d_roll
    ev["p_fh"] = probs.get(PostureState.FORWARD_HEAD.value, 0.0)
    ev["p_shrug"] = probs.get(PostureState.RAISED_SHOULDERS.value, 0.0)

    gate = ""
    if abs(d_yaw) > th.look_aside:
        gate = "look_aside"
    elif feats["d_pitch"] > th.look_down:
        gate = "look_down"

    judge_fh = gate != "look_aside"
    votes: dict[PostureState, float] = {}
    if not gate and abs(d_roll) > th.tilt:
        label = PostureState.HEAD_TILT
    elif ev["p_shrug"] > th.raised_shoulders:
        label = PostureState.RAISED_SHOULDERS
    elif judge_fh and ev["p_fh"] > th.forward_head:
        label = PostureState.FORWARD_HEAD
    else:
        label = PostureState.GOOD
    if label is not PostureState.HEAD_TILT:
        fh = ev["p_fh"] if judge_fh else 0.0
        votes = {
            PostureState.FORWARD_HEAD: fh,
            PostureState.RAISED_SHOULDERS: ev["p_shrug"],
            PostureState.GOOD: max(0.0, 1.0 - fh - ev["p_shrug"]),
        }
    return Reading(label, present=True, gate=gate, evidence=ev, votes=votes)


@dataclass(frozen=True)
class EngineState:
    """Everything :func:`step` remembers between frames."""

    state: Optional[PostureState] = None
    shares: tuple[tuple[PostureState, float], ...] = ()
    last_t: Optional[float] = None
    #: since when the frames have not shown the user measurably: someone else in view, or
    #: the user cut off by the frame edge
    hidden_since: Optional[float] = None
    offset: float = 0.0  # the camera's vertical offset since calibration (frame heights)
    frame_t: Optional[float] = None  # the last frame's time, whether it voted or not


def _tau(label: PostureState, sm: Smoothing) -> float:
    if label is PostureState.HEAD_TILT:
        return sm.tilt_tau
    if label is PostureState.ABSENT:
        return sm.absent_tau
    return sm.tau


def step(
    prev: EngineState,
    t: float,
    reading: Reading,
    metrics: Optional[Metrics] = None,
    sm: Smoothing = Smoothing(),
) -> tuple[EngineState, Decision]:
    """Fold one reading into the smoothed state; return the new state and its decision."""
    if prev.state is None:
        # First frame: start from good (or absent). A fault must earn its share over
        # time like any later change, so a session never opens with a false alarm.
        start = PostureState.GOOD if reading.present else PostureState.ABSENT
        prev = EngineState(state=start, shares=((start, 1.0),), last_t=t)
        first = True
    else:
        first = False
    hidden_since = None
    votes = reading.vote()
    if reading.present and (not reading.is_user or reading.partial):
        # Someone else in view (a passer-by behind the user, or MediaPipe briefly locking
        # on to them): their posture is not the user's, so the frame casts no vote. Only
        # a stranger who stays (someone else at the desk) turns the state to absent. The
        # user cut off by the frame edge is there, but unmeasured: the state holds longer.
        hidden_since = prev.hidden_since if prev.hidden_since is not None else t
        gap = t - prev.frame_t if prev.frame_t is not None else 0.0
        if prev.hidden_since is not None and gap > sm.max_gap:
            hidden_since += gap  # nobody watched meanwhile: not time seen cut off
        if not reading.is_user:
            grace = sm.stranger_grace
        else:
            grace = sm.near_grace if reading.near else sm.partial_grace
        if t - hidden_since < grace and not first:
            values = {k: round(v, 4) for k, v in reading.evidence.items()}
            kept = replace(prev, hidden_since=hidden_since, frame_t=t)
            if reading.is_user:
                # The user cut off is there, posture unknown: the frame votes only against
                # absent. Over minutes of leaning in, the odd frame in which MediaPipe
                # finds no pose at all must not add up to "away" (three in 20 s did), and
                # a forward head on its way in is still on its way when the face is back.
                kept = replace(kept, shares=_present_again(prev, t, sm))
            decision = Decision(t=t, state=prev.state, metrics=values, cut_off=reading.partial)
            return kept, decision
    if prev.state is not PostureState.FORWARD_HEAD:
        votes = _entry_votes(votes, sm.fh_entry_floor)
    dt = _since(prev, t)
    shares = dict(prev.shares)
    for label in PostureState:
        hit = votes.get(label, 0.0)
        alpha = _weight(dt, _tau(label, sm), sm)
        shares[label] = shares.get(label, 0.0) + alpha * (hit - shares.get(label, 0.0))

    state = prev.state
    best = max(shares, key=lambda k: shares[k])
    if (
        best is not state
        and shares[best] >= sm.enter
        and shares[best] >= shares.get(state, 0.0) + sm.margin
    ):
        state = best
    changed = first or state is not prev.state
    offset = _track_offset(prev.offset, dt, reading, metrics, sm)
    values = metrics.as_dict() if metrics is not None else {}
    values.update({k: round(v, 4) for k, v in reading.evidence.items()})
    # A measure this frame could not take (nan: an ear under hair) is left out here, once,
    # so no sink ever sees it: the states lines stay strict JSON, stored medians numbers.
    values = {k: v for k, v in values.items() if math.isfinite(v)}
    decision = Decision(t=t, state=state, metrics=values, changed=changed, cut_off=reading.partial)
    new = EngineState(
        state=state,
        shares=tuple(shares.items()),
        last_t=t,
        hidden_since=hidden_since,
        offset=offset,
        frame_t=t,
    )
    return new, decision


def _since(prev: EngineState, t: float) -> float:
    """Seconds from the last frame that voted to ``t`` (0 for the first)."""
    return max(0.0, t - prev.last_t) if prev.last_t is not None else 0.0


def _weight(dt: float, tau: float, sm: Smoothing) -> float:
    """How much a frame ``dt`` seconds after the last one moves a memory of ``tau``
    seconds: at most ``sm.max_weight`` (see :class:`Smoothing`)."""
    return min(sm.max_weight, 1.0 - math.exp(-dt / tau)) if dt > 0 else 0.0


def _present_again(prev: EngineState, t: float, sm: Smoothing) -> tuple:
    """``prev``'s shares after one frame of the user present, posture unknown: the absent
    share decays as a frame of someone present would decay it, and what it loses goes to
    the state held. Every other share (a forward head on its way in) stays as it was."""
    if prev.state is PostureState.ABSENT:
        return prev.shares
    alpha = _weight(_since(prev, t), sm.absent_tau, sm)
    shares = dict(prev.shares)
    moved = alpha * shares.get(PostureState.ABSENT, 0.0)
    shares[PostureState.ABSENT] = shares.get(PostureState.ABSENT, 0.0) - moved
    shares[prev.state] = shares.get(prev.state, 0.0) + moved
    return tuple(shares.items())


def _entry_votes(votes: dict[PostureState, float], floor: float) -> dict[PostureState, float]:
    """The votes of a frame while the state is not forward head: only the part of the
    forward-head probability above ``floor`` counts (see ``Smoothing.fh_entry_floor``)."""
    fh = votes.get(PostureState.FORWARD_HEAD, 0.0)
    if fh <= 0.0 or floor <= 0.0:
        return votes
    sure = max(0.0, (fh - floor) / (1.0 - floor))
    out = dict(votes)
    out[PostureState.FORWARD_HEAD] = sure
    out[PostureState.GOOD] = out.get(PostureState.GOOD, 0.0) + fh - sure
    return out


def _track_offset(
    offset: float, dt: float, reading: Reading, metrics: Optional[Metrics], sm: Smoothing
) -> float:
    """Follow the camera's vertical offset while the frame reads clearly good.

    A tilted screen shifts shoulders and ears alike; a shrug or a slump moves one of them
    and changes the gap between them, so frames with a changed gap, or any doubt, teach
    nothing. ``rise`` and ``sink`` are measured against the already shifted baseline, so
    what is learnt is the part still unexplained.
    """
    ev = reading.evidence
    if (
        metrics is None
        or dt <= 0
        or reading.label is not PostureState.GOOD
        or reading.gate
        or "rise" not in ev
        or abs(ev.get("d_gap", 1.0)) > sm.offset_gap
        or ev.get("p_fh", 1.0) > sm.offset_doubt
        or ev.get("p_shrug", 1.0) > sm.offset_doubt
    ):
        return offset
    shared = metrics.shoulder_width * (ev["sink"] - ev["rise"]) / 2  # + = picture moved down
    alpha = _weight(dt, sm.offset_tau, sm)
    return offset + alpha * shared


def leaned_in(cut: CutOff, baseline: Baseline, sm: Smoothing = Smoothing()) -> bool:
    """Whether the part a cut-off frame still shows is at least ``sm.near_scale`` times as
    big as the same part of the user at calibration: the user leaned in toward the
    camera. False without a calibrated size (the population defaults)."""
    if not baseline.has_position():
        return False
    b = baseline.median
    ref = b["shoulder_width"]
    if cut.part == "face":
        ref *= b.get("face_width", math.nan)  # eye width per shoulder width
    return math.isfinite(ref) and ref > 0 and cut.size >= sm.near_scale * ref


def shifted(baseline: Baseline, offset: float) -> Baseline:
    """The baseline with its positions in the frame moved down by ``offset`` frame heights."""
    if not offset or not baseline.has_position():
        return baseline
    median = dict(baseline.median)
    median["shoulder_y"] += offset
    median["ear_y"] += offset
    return replace(baseline, median=median)


def at_top_edge(metrics: Metrics, baseline: Baseline, band: float = FOREHEAD_EYE_WIDTHS) -> bool:
    """Whether a measured face is too near the top of the picture to be trusted: its eyes
    within ``band`` eye widths of the edge (by default
    :data:`~posture_guard.features.FOREHEAD_EYE_WIDTHS`), for a user whose
    eyes sat lower at calibration. MediaPipe may have placed eyes that left the picture
    there (it did for two of five real people), and judged, that guess reads as a fault:
    such a frame is a user cut off, whose state is held. A user whose eyes sit that high
    even when upright is measured as ever: their view has nothing else to offer, and a
    calibration that would refuse them would help no one. Without calibration nobody's
    own framing is known, and the rule holds for everyone."""
    keys = ("shoulder_y", "eye_gap", "shoulder_width", "face_width")
    if eyes_below_top(*(getattr(metrics, k) for k in keys)) >= band:
        return False
    med = baseline.median
    if not all(k in med for k in keys):
        return True
    return eyes_below_top(*(med[k] for k in keys)) >= band


class Decider:
    """Convenience wrapper holding the engine state for a loop: ``decide(t, metrics)``."""

    def __init__(
        self,
        baseline: Baseline,
        thresholds: Thresholds = Thresholds(),
        smoothing: Smoothing = Smoothing(),
    ):
        self.baseline = baseline
        self.thresholds = thresholds
        self.smoothing = smoothing
        self.engine = EngineState()
        self.last_reading: Optional[Reading] = None

    def decide(
        self, t: float, metrics: Optional[Metrics], cut: Optional[CutOff] = None
    ) -> Decision:
        """Judge one frame. ``cut``: no metrics because the frame edge cuts the user off
        (see :func:`~posture_guard.features.cut_off_view`), not because nobody is there.
        A face at the top edge (:func:`at_top_edge`) counts as cut off too."""
        if metrics is not None and at_top_edge(metrics, self.baseline, self.thresholds.top_edge):
            metrics, cut = None, CutOff("shoulders", metrics.shoulder_width)
        if metrics is None and cut is not None:
            near = leaned_in(cut, self.baseline, self.smoothing)
            reading = Reading(PostureState.ABSENT, present=True, partial=True, near=near)
        else:
            reading = assess(metrics, shifted(self.baseline, self.engine.offset), self.thresholds)
        self.last_reading = reading
        self.engine, decision = step(self.engine, t, reading, metrics, self.smoothing)
        return decision
