"""The spam benchmark counts what the engine shows: a short scripted day whose prompts
follow from the coach's rules alone is counted as they do. ``python -m
benchmarks.bench_spam`` prints the full days for people to read."""

from __future__ import annotations

from datetime import time

from benchmarks import bench_spam as bs
from posture_guard.coach import CoachSettings
from posture_guard.states import PostureState


def test_a_morning_without_getting_up_is_counted_as_the_break_rule_gives() -> None:
    # at the desk 08:00-10:00, never up: break prompts at 08:45, 09:05 and 09:45
    user = bs.User(
        "sitter", time(8), bs.still(PostureState.GOOD, time(8), time(10)), CoachSettings()
    )
    f = bs.run_day(user)
    assert (f.total, f.kinds) == (3, {"break": 3})
    assert f.max_per_hour == 2 and f.min_gap_s == 20 * 60
    assert "3 a day" in bs.describe(f) and "shortest gap 20 min" in bs.describe(f)


def test_the_dense_plan_is_the_densest_a_plan_may_be_and_is_counted() -> None:
    user = bs.plan_user("dense", (time(6), time(22)), 8, 12, micro=False)
    assert user.scheduled_doses == 96
    # one hour of it: doses at 06:05, 06:15 ... 06:55 and the break prompt due at 06:45;
    # the 06:45 dose waits 5 min for the break, the 06:55 one for the hour's cap of 6
    user = bs.User(
        "dense hour",
        time(6),
        bs.still(PostureState.GOOD, time(6), time(7)),
        user.settings,
        user.library,
        user.scheduled_doses,
    )
    f = bs.run_day(user)
    assert f.kinds == {"exercise": 5, "break": 1}
    assert f.max_per_hour == 6 and f.min_gap_s == 5 * 60
    assert "plan doses prompted 5 of 96" in bs.describe(f)
