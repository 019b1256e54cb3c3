"""How many notifications the coach sends in a day, for a few kinds of desk worker.
Prints the figures README's "Coaching" section quotes.

Why: every pacing rule of the coach (cool-down, hourly caps, the gap between two
notifications, the break prompt's repeat, the therapist plan's doses) is tested one at a
time; what a user meets is all of them together over a working day. This replays a
simulated day through the real engine (``coach.Coach``, pure, on a fake clock: one
decision a second) and counts what it would have shown.

    python -m benchmarks.bench_spam

Users (each a deterministic script; the restless ones from a fixed seed):

- ``sitter``: at the desk 08:00-18:00, good posture, never gets up.
- ``sitter 16 h``: the same, 06:00-22:00.
- ``slumper``: at the desk 08:00-18:00 with the head forward all day, never gets up.
- ``restless``: 08:00-18:00, posture changing every 30 s to 6 min (good, forward head,
  raised shoulders, tilt), out of view for 1-2 min now and then (too short for a break),
  lunch 12:00-12:45, 20-20-20 eye-rest prompts on.
- ``plan 3/h``: the restless user (eye rests off) under a plan of 3 exercises 9 times a
  day over the default working day 08:30-17:30: 27 doses, 3 an hour, the most a plan
  gets without `plan import` warning that doses will come late or be missed.
- ``dense plan``: the restless user at the desk 06:00-22:00 under a therapist's plan of
  8 exercises 12 times a day (96 doses, the most a valid plan allows over that working
  day), eye-rest prompts on.

Printed per user: notifications in the day, the most in any 60 minutes, the shortest gap
between two, and how many of each kind (for the plan: doses prompted of those scheduled).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Optional

from posture_guard import plan as plan_mod
from posture_guard.coach import Coach, CoachSettings, Notify, Observation
from posture_guard.exercises import Library, load_library
from posture_guard.states import PostureState

DAY = date(2024, 3, 4)  # a Monday
GOOD = PostureState.GOOD
AWAY = PostureState.ABSENT
BAD = (PostureState.FORWARD_HEAD, PostureState.RAISED_SHOULDERS, PostureState.HEAD_TILT)

# (state, seconds) segments from the first moment at the desk
Script = list[tuple[PostureState, int]]

PLAN_EXERCISES = (
    "chin_tuck",
    "upper_trapezius_stretch",
    "relaxation_breathing",
    "suboccipital_release",
    "levator_scapulae_stretch",
    "doorway_pectoral_stretch",
    "scapular_retraction",
    "neck_rotation",
)


@dataclass(frozen=True)
class User:
    name: str
    start: time
    script: Script
    settings: CoachSettings
    library: Optional[Library] = None
    scheduled_doses: int = 0


@dataclass(frozen=True)
class DayFigures:
    name: str
    total: int
    max_per_hour: int
    min_gap_s: Optional[float]
    kinds: dict[str, int]
    scheduled_doses: int


def still(state: PostureState, start: time, end: time) -> Script:
    a = datetime.combine(DAY, start)
    b = datetime.combine(DAY, end)
    return [(state, int((b - a).total_seconds()))]


def restless(start: time, end: time, seed: int, lunch: Optional[tuple[time, time]]) -> Script:
    """Posture changing every 30 s to 6 min; 1-2 min out of view now and then; a lunch."""
    rng = random.Random(seed)
    t = datetime.combine(DAY, start)
    stop = datetime.combine(DAY, end)
    out: Script = []
    while t < stop:
        if lunch and lunch[0] <= t.time() < lunch[1]:
            secs = int((datetime.combine(DAY, lunch[1]) - t).total_seconds())
            out.append((AWAY, secs))
        else:
            roll = rng.random()
            if roll < 0.05:
                state, secs = AWAY, rng.randint(60, 120)
            elif roll < 0.55:
                state, secs = GOOD, rng.randint(30, 360)
            else:
                state, secs = rng.choice(BAD), rng.randint(30, 360)
            secs = min(secs, int((stop - t).total_seconds()))
            out.append((state, secs))
        t += timedelta(seconds=out[-1][1])
    return out


def plan_user(
    name: str, workday: tuple[time, time], exercises: int, times: int, micro: bool
) -> User:
    """The restless user at the desk over ``workday`` under a plan of ``exercises``
    library exercises, each ``times`` a day."""
    doc = {
        "schema": 1,
        "start": DAY,
        "end": DAY + timedelta(days=27),
        "workday": f"{workday[0]:%H:%M}-{workday[1]:%H:%M}",
        "exercise": [{"id": ex, "times_per_day": times} for ex in PLAN_EXERCISES[:exercises]],
    }
    plan = plan_mod.parse_plan(doc, f"bench {name}")
    settings = plan_mod.coach_settings(plan, CoachSettings(micro_prompts=micro))
    return User(
        name,
        workday[0],
        restless(*workday, seed=7, lunch=(time(12, 0), time(12, 45))),
        settings,
        plan_mod.library_with(plan, load_library()),
        scheduled_doses=len(plan_mod.schedule_day(plan, DAY)),
    )


def users() -> list[User]:
    office = (time(8, 0), time(18, 0))
    return [
        User("sitter", office[0], still(GOOD, *office), CoachSettings()),
        User("sitter 16 h", time(6, 0), still(GOOD, time(6, 0), time(22, 0)), CoachSettings()),
        User(
            "slumper",
            office[0],
            still(PostureState.FORWARD_HEAD, *office),
            CoachSettings(),
        ),
        User(
            "restless",
            office[0],
            restless(*office, seed=3, lunch=(time(12, 0), time(12, 45))),
            CoachSettings(micro_prompts=True),
        ),
        plan_user("plan 3/h", (time(8, 30), time(17, 30)), 3, 9, micro=False),
        plan_user("dense plan", (time(6, 0), time(22, 0)), 8, 12, micro=True),
    ]


def run_day(user: User) -> DayFigures:
    """Replay ``user``'s day through the engine, one decision a second."""
    coach = Coach(user.settings, user.library or load_library())
    st = coach.initial()
    now = datetime.combine(DAY, user.start)
    shown: list[tuple[datetime, Notify]] = []
    for state, secs in user.script:
        for _ in range(secs):
            st, fx = coach.step(st, Observation(now, state))
            shown += [(now, e) for e in fx if isinstance(e, Notify)]
            now += timedelta(seconds=1)
    times = [t for t, _ in shown]
    per_hour = max(
        (sum(1 for u in times if t <= u < t + timedelta(hours=1)) for t in times), default=0
    )
    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:])]
    return DayFigures(
        user.name,
        len(shown),
        per_hour,
        min(gaps) if gaps else None,
        dict(Counter(n.kind for _, n in shown)),
        user.scheduled_doses,
    )


def describe(f: DayFigures) -> str:
    gap = "-" if f.min_gap_s is None else f"{f.min_gap_s / 60:g} min"
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(f.kinds.items()))
    line = (
        f"{f.name:<12} {f.total:>4} a day  max {f.max_per_hour:>2} in an hour  "
        f"shortest gap {gap:<8}  ({kinds})"
    )
    if f.scheduled_doses:
        line += f"; plan doses prompted {f.kinds.get('exercise', 0)} of {f.scheduled_doses}"
    return line


def main() -> None:
    d = CoachSettings()
    limits = (
        "min_gap_s",
        "max_prompts_per_hour",
        "max_alerts_per_hour",
        "break_after_s",
        "break_repeat_s",
        "break_repeat_max_s",
    )
    print("coach defaults: " + ", ".join(f"{k} {getattr(d, k):g}" for k in limits if hasattr(d, k)))
    for user in users():
        print(describe(run_day(user)))


def with_settings(user: User, **changes: object) -> User:
    """``user`` under other coach settings (for comparisons by hand)."""
    return replace(user, settings=replace(user.settings, **changes))


if __name__ == "__main__":
    main()
