"""The coaching engine's timing rules, on a fake clock (decisions with made-up times)."""

from __future__ import annotations

import io
import json
import math
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from posture_guard.coach import (
    Action,
    Coach,
    CoachMemory,
    CoachSettings,
    CoachSink,
    CoachState,
    DiaryCheckIn,
    Event,
    Note,
    Notify,
    Observation,
    load_settings,
)
from posture_guard.diary import Diary, Headache
from posture_guard.errors import UserError
from posture_guard.exercises import load_library
from posture_guard.notify import Click, Delivery, Message, PrintingNotifier
from posture_guard.sinks import SessionInfo
from posture_guard.states import Decision, PostureState
from tests.buttons import ButtonNotifier

GOOD = PostureState.GOOD
FWD = PostureState.FORWARD_HEAD
SHRUG = PostureState.RAISED_SHOULDERS
TILT = PostureState.HEAD_TILT
AWAY = PostureState.ABSENT
T0 = datetime(2024, 3, 4, 9, 0, 0)  # a Monday morning, far from the 17:30 check-in


@dataclass
class Run:
    """Everything a scripted session produced, with times in seconds since T0."""

    coach: Coach
    state: CoachState
    t: float = 0.0
    notifies: list[tuple[float, Notify]] = field(default_factory=list)
    events: list[tuple[float, Event]] = field(default_factory=list)
    notes: list[tuple[float, Note]] = field(default_factory=list)
    timeline: list[tuple[float, PostureState]] = field(default_factory=list)

    def feed(
        self,
        state: PostureState,
        seconds: float,
        hz: float = 1.0,
        paused: bool = False,
        snooze_until: Optional[datetime] = None,
        cut_off: bool = False,
        control_updated: Optional[datetime] = None,
    ) -> Run:
        """Decisions in ``state`` every 1/hz s for ``seconds`` (fake clock); ``cut_off``:
        the frame edge cuts the user off meanwhile (the state is held, not seen)."""
        n = int(round(seconds * hz))
        for _ in range(n):
            self.step(
                state,
                paused=paused,
                snooze_until=snooze_until,
                cut_off=cut_off,
                control_updated=control_updated,
            )
            self.t += 1.0 / hz
        return self

    def step(self, state: PostureState, actions: tuple[Action, ...] = (), **kw) -> list:
        now = T0 + timedelta(seconds=self.t)
        self.timeline.append((self.t, state))
        self.state, fx = self.coach.step(self.state, Observation(now, state, actions=actions, **kw))
        for e in fx:
            if isinstance(e, Notify):
                self.notifies.append((self.t, e))
            elif isinstance(e, Event):
                self.events.append((self.t, e))
            else:
                self.notes.append((self.t, e))
        return fx

    def skip(self, seconds: float) -> Run:
        """No decisions for a while (camera busy, laptop asleep)."""
        self.t += seconds
        return self

    def kinds(self, kind: str) -> list[tuple[float, Notify]]:
        return [(t, n) for t, n in self.notifies if n.kind == kind]

    def event_kinds(self, kind: str) -> list[tuple[float, Event]]:
        return [(t, e) for t, e in self.events if e.kind == kind]


def make(settings: Optional[CoachSettings] = None, **changes) -> Run:
    changes.setdefault("checkin_time", None)
    cfg = settings or CoachSettings(**changes)
    coach = Coach(cfg, load_library())
    return Run(coach, coach.initial())


# --------------------------------------------------------------------------- posture alerts
def test_forward_head_held_for_most_of_the_hold_fires_one_alert_at_the_right_moment():
    run = make().feed(GOOD, 60).feed(FWD, 300)
    cfg = run.coach.settings
    alerts = run.kinds("posture")
    assert len(alerts) == 1
    t, note = alerts[0]
    # bad from t=60; the alert comes when 70 % of the 90 s window has been bad
    assert t == 60 + math.ceil(cfg.alert_bad_share * cfg.alert_hold_s)
    assert note.title == "Your head has drifted forward"
    assert note.exercise == "chin_tuck"
    assert "Chin tuck: Sit tall" in note.body and "10 x 10 s hold" in note.body
    assert dict(note.buttons) == {"done": "Done", "snooze": "Snooze 15 min"}
    fired = run.event_kinds("alert")
    assert [(t, e.payload["fault"]) for t, e in fired] == [(alerts[0][0], "forward_head")]
    assert fired[0][1].payload["prompt"] == note.prompt_id
    prompted = run.event_kinds("exercise_prompted")
    assert prompted[0][1].payload == {
        "exercise": "chin_tuck",
        "for": "forward_head",
        "prompt": note.prompt_id,
    }


def test_a_slump_shorter_than_the_hold_share_never_alerts():
    cfg = CoachSettings()
    too_short = cfg.alert_bad_share * cfg.alert_hold_s - 5
    run = make()
    for _ in range(10):
        run.feed(GOOD, 60).feed(FWD, too_short)
    assert run.kinds("posture") == []


def test_mostly_bad_fires_but_half_bad_does_not():
    mostly = make()
    for _ in range(60):
        mostly.feed(FWD, 4).feed(GOOD, 1)  # 80 % bad, never 90 s in a row
    assert len(mostly.kinds("posture")) >= 1
    half = make()
    for _ in range(360):
        half.feed(FWD, 5).feed(GOOD, 5)  # 50 % bad for an hour
    assert half.kinds("posture") == []


def test_no_alert_while_the_current_sample_is_good():
    # bad for 80 s while paused; when the pause ends the user has already sat up
    run = make().feed(FWD, 80, paused=True).feed(GOOD, 5)
    assert run.kinds("posture") == []
    run.feed(FWD, 1)
    assert [t for t, _ in run.kinds("posture")] == [85]


def test_cooldown_and_hourly_cap_space_the_alerts():
    run = make().feed(FWD, 3 * 3600)
    cfg = run.coach.settings
    times = [t for t, _ in run.kinds("posture")]
    assert len(times) >= 3
    assert all(b - a >= cfg.alert_cooldown_s for a, b in zip(times, times[1:]))
    for t in times:
        in_hour = [u for u in times if t - 3600 < u <= t]
        assert len(in_hour) <= cfg.max_alerts_per_hour


def test_the_hourly_cap_binds_when_the_cooldown_is_short():
    run = make(alert_cooldown_s=300, max_alerts_per_hour=3).feed(FWD, 3600 + 200)
    times = [t for t, _ in run.kinds("posture")]
    first = times[0]
    assert times[:3] == [first, first + 300, first + 600]
    # the fourth waits until the first has left the rolling hour, not 300 s after the third
    assert times[3] > first + 3600 - 1
    assert times[3] <= first + 3600 + 1


def test_the_exercise_fits_the_fault_and_rotates_without_repeats():
    run = make(alert_cooldown_s=120, max_alerts_per_hour=30)
    run.feed(SHRUG, 150)
    run.feed(FWD, 500)
    run.feed(TILT, 300)
    alerts = run.kinds("posture")
    exercises = [n.exercise for _, n in alerts]
    assert exercises[0] in ("upper_trapezius_stretch", "relaxation_breathing")
    assert alerts[0][1].title == "Your shoulders have crept up"
    fwd = [n.exercise for _, n in alerts if n.title == "Your head has drifted forward"]
    assert fwd[0] == "chin_tuck" and len(set(fwd)) == len(fwd)
    lib = run.coach.library
    for _, n in alerts:
        fault = {
            "Your head has drifted forward": "forward_head",
            "Your shoulders have crept up": "raised_shoulders",
            "Your head is tilted to one side": "head_tilt",
        }[n.title]
        assert fault in lib.by_id(n.exercise).targets
    assert all(a != b for a, b in zip(exercises, exercises[1:]))


def test_the_fault_named_is_the_one_held_longest_in_the_window():
    run = make().feed(GOOD, 10).feed(SHRUG, 20).feed(FWD, 60)
    ((t, note),) = run.kinds("posture")
    assert note.title == "Your head has drifted forward"


def test_good_posture_after_an_alert_gets_a_quiet_note_and_no_notification():
    run = make().feed(FWD, 100)
    assert len(run.notifies) == 1
    alert_id = run.notifies[0][1].prompt_id
    run.feed(GOOD, 30).feed(FWD, 5)  # not long enough to count as corrected
    assert run.notes == []
    run.feed(GOOD, 61)
    assert len(run.notes) == 1
    assert len(run.notifies) == 1  # still only the alert
    ((t, ev),) = run.event_kinds("posture_corrected")
    assert ev.payload["prompt"] == alert_id
    run.feed(GOOD, 600)
    assert len(run.notes) == 1  # once per alert


# --------------------------------------------------------------------------- breaks
def test_long_sitting_prompts_a_break_with_a_break_exercise_then_repeats():
    run = make().feed(GOOD, 3 * 3600)
    cfg = run.coach.settings
    breaks = run.kinds("break")
    assert breaks[0][0] == cfg.break_after_s
    lib = run.coach.library
    for _, n in breaks:
        assert "break" in lib.by_id(n.exercise).targets
        assert n.title == "Time for a short break"
    assert "You've been at the desk for 45 min." in breaks[0][1].body
    assert len({n.exercise for _, n in breaks}) > 1
    assert [t for t, _ in run.event_kinds("break_prompted")] == [t for t, _ in breaks]


def test_an_ignored_break_prompt_comes_back_later_each_time_up_to_an_hour():
    """Someone who never gets up got a break prompt every 20 min all day (46 in a 16-hour
    day): now 20, then 40, then every 60 min after the first."""
    run = make().feed(GOOD, 5 * 3600)
    gaps = [b - a for (a, _), (b, _) in zip(run.kinds("break"), run.kinds("break")[1:])]
    assert run.kinds("break")[0][0] == 45 * 60
    assert [g / 60 for g in gaps] == [20, 40, 60, 60, 60]
    # a break_repeat_s set longer than the back-off's cap holds as set
    run = make(break_repeat_s=90 * 60).feed(GOOD, 6 * 3600)
    gaps = [b - a for (a, _), (b, _) in zip(run.kinds("break"), run.kinds("break")[1:])]
    assert gaps and all(g == 90 * 60 for g in gaps)


def test_the_break_back_off_starts_again_after_a_break_taken():
    # three prompts ignored (45, 65, 105 min), then 3 min away, then at the desk again
    run = make().feed(GOOD, 106 * 60).feed(AWAY, 3 * 60).feed(GOOD, 2 * 3600)
    back = 109 * 60
    after = [t - back for t, _ in run.kinds("break") if t > back]
    assert [t / 60 for t in after] == [45, 65, 105]  # 20, 40 again, not 60


def test_done_on_a_break_prompt_restarts_the_sitting_clock_and_the_back_off():
    """ "Done" on the break prompt: the user took the break (perhaps standing in view), so
    the next prompt comes 45 min later, not 20 (as for a prompt ignored)."""
    run = make().feed(GOOD, 45 * 60 + 1)
    ((t_break, brk),) = run.kinds("break")
    run.t = 50 * 60
    run.step(GOOD, actions=(Action(brk.prompt_id, "done", "break", brk.exercise),))
    run.t += 1
    run.feed(GOOD, 2 * 3600)
    later = [t for t, _ in run.kinds("break") if t > t_break]
    assert [(t - 50 * 60) / 60 for t in later] == [45, 65, 105]


def test_three_minutes_away_is_a_break_and_resets_the_clock():
    run = make().feed(GOOD, 30 * 60).feed(AWAY, 3 * 60).feed(GOOD, 60 * 60)
    ((t_taken, ev),) = run.event_kinds("break_taken")
    assert t_taken == 30 * 60 + 3 * 60
    assert ev.payload["away_s"] == 180 and ev.payload["sat_min"] == 30
    back = 33 * 60
    assert [t for t, _ in run.kinds("break")] == [back + 45 * 60]


def test_a_short_absence_does_not_reset_the_sitting_clock():
    run = make().feed(GOOD, 30 * 60).feed(AWAY, 2 * 60).feed(GOOD, 30 * 60)
    assert run.event_kinds("break_taken") == []
    assert [t for t, _ in run.kinds("break")] == [45 * 60]


def test_an_unobserved_gap_restarts_the_sitting_clock_without_claiming_a_break():
    run = make().feed(GOOD, 40 * 60).skip(10 * 60).feed(GOOD, 50 * 60)
    assert run.event_kinds("break_taken") == []
    ((t, ev),) = run.event_kinds("sitting_reset")
    # last decision at 40 min - 1 s, next at 50 min; the first 30 s count as observed
    cfg = run.coach.settings
    assert t == 50 * 60 and ev.payload["gap_s"] == 10 * 60 + 1 - cfg.max_sample_gap_s
    assert [u for u, _ in run.kinds("break")] == [50 * 60 + 45 * 60]


def test_a_due_break_prompt_takes_precedence_and_starts_the_posture_cooldown():
    run = make().feed(GOOD, 44 * 60).feed(FWD, 10 * 60)
    kinds = [n.kind for _, n in run.notifies]
    assert kinds == ["break"]  # no posture alert right after the break prompt


def test_never_two_notifications_within_the_minimum_gap():
    cfg = CoachSettings(checkin_time=time(9, 45), micro_prompts=True)
    run = make(cfg).feed(FWD, 2 * 3600)
    times = [t for t, _ in run.notifies]
    assert len(times) > 5
    assert all(b - a >= cfg.min_gap_s for a, b in zip(times, times[1:]))


# --------------------------------------------------------------------------- silence
def test_an_alert_and_a_break_prompt_are_never_minutes_apart():
    """Slumped from 09:43, the alert came at 09:44 and the break prompt, due at 09:45, a
    minute later: two notifications a minute apart. Now the break prompt waits 5 min; an
    alert that waited and whose fault is over by then is dropped, not shown late."""
    run = make().feed(GOOD, 43 * 60).feed(FWD, 15 * 60)
    [(t_alert, _)] = run.kinds("posture")
    [(t_break, _)] = run.kinds("break")
    assert t_alert < 45 * 60 and t_break - t_alert == 5 * 60
    # the other way round: an alert due a minute after the break prompt waits for the
    # gap, and a fault over by then gets no alert at all
    run = make(alert_cooldown_s=60).feed(GOOD, 45 * 60 + 1).feed(FWD, 3 * 60).feed(GOOD, 9 * 60)
    assert [n.kind for _, n in run.notifies] == ["break"]


def test_a_dense_plan_with_alerts_and_breaks_stays_within_six_prompts_an_hour():
    """Doses every 10 min (the densest plan allowed), a slumped user who never gets up,
    eye rests on: 16 notifications came in one hour (doses outside any cap). Now at most
    6 an hour, at least 5 min apart, and the dose due while another prompt holds waits
    for the gap instead of being dropped or stacked."""
    slots = tuple((time(9 + m // 60, m % 60), "chin_tuck") for m in range(2, 8 * 60, 10))
    run = make(plan_slots=lambda d: slots, micro_prompts=True).feed(FWD, 8 * 3600)
    times = [t for t, _ in run.notifies]
    assert max(len([u for u in times if t <= u < t + 3600]) for t in times) == 6
    assert min(b - a for a, b in zip(times, times[1:])) >= 5 * 60
    kinds = {n.kind for _, n in run.notifies}
    assert {"exercise", "posture", "break"} <= kinds
    # the alert at 09:01:03, the dose due at 09:02: the dose waits for the gap, no more
    first = [(t, n.kind) for t, n in run.notifies][:2]
    assert first[0][1] == "posture" and first[1] == (first[0][0] + 5 * 60, "exercise")


def test_the_daily_checkin_is_not_crowded_out_when_the_hourly_cap_is_full():
    """Eye rests every 10 min fill the hour's 6 prompts; the check-in due at 10:30 must
    still come then, not wait behind each eye rest as the cap frees a place."""
    run = make(checkin_time=time(10, 30), micro_prompts=True, micro_every_s=10 * 60)
    run.feed(GOOD, 3 * 3600)
    assert [t for t, _ in run.kinds("checkin")] == [90 * 60]


def test_a_control_snooze_silences_prompts_until_it_ends():
    until = T0 + timedelta(minutes=30)
    run = make().feed(FWD, 20 * 60, snooze_until=until)
    assert run.notifies == []
    ((t, ev),) = run.event_kinds("snooze")
    assert t == 0 and ev.payload == {"until": until.isoformat(), "source": "control"}
    run.feed(FWD, 11 * 60, snooze_until=until)
    # still bad when the snooze ends at 30 min: the alert comes right then
    assert [t for t, _ in run.kinds("posture")] == [30 * 60]


def test_pause_silences_until_resume_and_both_are_logged():
    run = make().feed(FWD, 5 * 60, paused=True).feed(FWD, 5)
    assert [e.kind for _, e in run.events][:2] == ["pause", "resume"]
    assert [t for t, _ in run.events[:2]] == [0, 5 * 60]
    assert run.notifies[0][0] == 5 * 60 and run.notifies[0][1].kind == "posture"


def test_lifting_a_snooze_early_logs_a_resume():
    until = T0 + timedelta(hours=1)
    run = make().feed(GOOD, 60, snooze_until=until).feed(GOOD, 10)
    assert [e.kind for _, e in run.events] == ["snooze", "resume"]


def test_the_snooze_button_silences_for_its_time_and_done_is_logged():
    run = make().feed(FWD, 100)
    ((t_alert, alert),) = run.kinds("posture")
    press = (
        Action(alert.prompt_id, "done", "posture", alert.exercise),
        Action(alert.prompt_id, "snooze", "posture", alert.exercise),
    )
    run.step(FWD, actions=press)
    pressed_at = run.t
    run.t += 1
    run.feed(FWD, 3 * 3600)
    done = run.event_kinds("exercise_done")
    assert [e.payload for _, e in done] == [
        {"prompt": alert.prompt_id, "kind": "posture", "exercise": "chin_tuck"}
    ]
    ((t, ev),) = run.event_kinds("snooze")
    assert ev.payload["source"] == "button"
    nxt = [t for t, n in run.notifies if t > t_alert][0]
    assert nxt >= pressed_at + run.coach.settings.snooze_button_s


@pytest.mark.parametrize("resumed", [False, True])
def test_resume_lifts_a_snooze_button_too(resumed: bool) -> None:
    """`posture-guard resume` after a Snooze button: the control file then asks for neither
    pause nor snooze, as before, so the engine saw no change and kept silent for the
    button's 15 minutes (here a break prompt due at 45 min came at 55), while the command
    had said "Coaching resumed."."""
    run = make()
    cfg = run.coach.settings
    run.feed(GOOD, 40 * 60)
    run.step(GOOD, actions=(Action(1, "snooze", "break", None),))
    pressed = T0 + timedelta(seconds=run.t)
    run.t += 1
    # the control file: written by a `resume` a minute after the press, or an hour before
    written = pressed + timedelta(minutes=1 if resumed else -60)
    run.feed(GOOD, 60).feed(GOOD, 30 * 60, control_updated=written)
    (t_break,) = [t for t, _ in run.kinds("break")][:1]
    if resumed:
        assert t_break == cfg.break_after_s
        assert [e.kind for _, e in run.events].count("resume") == 1
    else:
        assert t_break >= 40 * 60 + cfg.snooze_button_s
        assert [e.kind for _, e in run.events].count("resume") == 0


def test_a_snooze_typed_after_a_snooze_button_replaces_the_buttons() -> None:
    """A 15-min Snooze button, then `posture-guard snooze 5m` a minute later: the latest
    snooze asked wins, as a `snooze` replaces an earlier one, and the button's is dropped
    when the typed one is read. Before, the button's held on beside it until the typed one
    ran out, and was then lifted as by a `resume`: a "resume" was logged that nobody typed
    (and the heartbeat reported the button's end meanwhile)."""
    run = make(alert_cooldown_s=60)
    cfg = run.coach.settings
    assert cfg.snooze_button_s == 15 * 60
    run.feed(GOOD, 60).feed(FWD, 100)
    ((t_alert, alert),) = run.kinds("posture")
    run.step(FWD, actions=(Action(alert.prompt_id, "snooze", "posture", alert.exercise),))
    pressed = run.t
    run.t += 1
    run.feed(FWD, 59)
    typed = T0 + timedelta(seconds=pressed + 60)  # `snooze 5m`, a minute after the press
    until = typed + timedelta(minutes=5)
    run.feed(FWD, 20 * 60, snooze_until=until, control_updated=typed)
    (t_next,) = [t for t, _ in run.kinds("posture") if t > t_alert][:1]
    assert t_next == pressed + 60 + 5 * 60  # the forward head held: alerted as it ends
    assert [e.payload["source"] for _, e in run.event_kinds("snooze")] == ["button", "control"]
    assert run.event_kinds("resume") == []
    # a snooze typed before the press is not replaced by it: the button's holds
    run = make(alert_cooldown_s=60).feed(GOOD, 60).feed(FWD, 100)
    ((t_alert, alert),) = run.kinds("posture")
    earlier = T0 + timedelta(seconds=run.t - 30)
    run.step(FWD, actions=(Action(alert.prompt_id, "snooze", "posture", alert.exercise),))
    pressed = run.t
    run.t += 1
    short = T0 + timedelta(seconds=pressed + 5 * 60)
    run.feed(FWD, 20 * 60, snooze_until=short, control_updated=earlier)
    (t_next,) = [t for t, _ in run.kinds("posture") if t > t_alert][:1]
    assert t_next >= pressed + cfg.snooze_button_s


def test_between_decisions_pause_and_buttons_count_when_read_and_the_timeline_waits():
    """The camera released: no decision comes, but the control file and the buttons are
    still read (Coach.idle), at that moment and by the step's rules; posture is not
    assumed meanwhile, so the next decision finds an unobserved gap."""
    run = make().feed(FWD, 100)
    ((_, alert),) = run.kinds("posture")
    coach, st = run.coach, run.state
    last_t, sitting_since = st.last_t, st.sitting_since

    def at(seconds: float) -> datetime:
        return T0 + timedelta(seconds=seconds)

    def events(fx: list) -> list[tuple[str, datetime]]:
        return [(e.kind, e.at) for e in fx if isinstance(e, Event)]

    st, fx = coach.idle(st, at(200), paused=True)
    assert events(fx) == [("pause", at(200))]
    done = Action(alert.prompt_id, "done", "posture", alert.exercise)
    snooze = Action(alert.prompt_id, "snooze", "posture", alert.exercise)
    st, fx = coach.idle(st, at(300), paused=True, actions=(done, snooze))
    assert events(fx) == [("exercise_done", at(300)), ("snooze", at(300))]
    # the Snooze button sets its snooze during a pause too...
    assert st.button_snooze_until == at(300 + coach.settings.snooze_button_s)
    st, fx = coach.idle(st, at(400))
    assert events(fx) == [("resume", at(400))]
    assert st.button_snooze_until is None  # ...and a resume lifts it, as in a step
    assert (st.last_t, st.sitting_since) == (last_t, sitting_since)
    st, fx = coach.step(st, Observation(at(500), GOOD))
    assert ("sitting_reset", at(500)) in events(fx)


def test_the_sink_logs_a_press_between_decisions_and_at_close_when_it_is_read(store):
    """A Done pressed while no decisions flow is logged at the poll that reads it, and
    one pressed after the last poll at close, at the latest moment the sink saw, not at
    the last decision (where the pipeline ends a session)."""
    notifier = ButtonNotifier()
    session = SessionInfo(start=T0, profile="p", live=True)
    sink = CoachSink(session, notifier, CoachSettings(checkin_time=None), on_event=store.log_event)
    for k in range(100):
        sink.on_decision(Decision(float(k), FWD, changed=k == 0))
    (alert,) = notifier.shown
    notifier.pending.append(Click(alert.prompt_id, "done"))
    sink.poll(700.0)  # the camera was released at 100 s
    notifier.pending.append(Click(alert.prompt_id, "snooze"))
    sink.close(99.0)
    logged = {e.kind: e for e in store.events(T0, T0 + timedelta(hours=1))}
    assert logged["exercise_done"].at == session.wall(700.0).timestamp()
    assert logged["exercise_done"].payload["prompt"] == alert.prompt_id
    assert logged["snooze"].at == session.wall(700.0).timestamp()
    assert logged["snooze"].payload["source"] == "button"


def test_quiet_hours_silence_prompts_across_midnight():
    cfg = CoachSettings(checkin_time=None, quiet_hours=(time(22, 0), time(7, 0)))
    coach = Coach(cfg, load_library())
    run = Run(coach, coach.initial())
    start = datetime(2024, 3, 4, 21, 50)
    run.t = (start - T0).total_seconds()
    run.feed(FWD, 10 * 3600)
    for t, _ in run.notifies:
        moment = (T0 + timedelta(seconds=t)).time()
        assert time(7, 0) <= moment < time(22, 0)
    assert run.notifies, "prompts return after the quiet hours end"


# --------------------------------------------------------------------------- check-in
def test_one_checkin_per_day_at_the_configured_time_when_present():
    cfg = CoachSettings(checkin_time=time(17, 30))
    coach = Coach(cfg, load_library())
    run = Run(coach, coach.initial())
    run.t = (datetime(2024, 3, 4, 17, 0) - T0).total_seconds()
    run.feed(GOOD, 20 * 60).feed(AWAY, 15 * 60).feed(GOOD, 60 * 60)
    checkins = run.kinds("checkin")
    assert len(checkins) == 1
    at = T0 + timedelta(seconds=checkins[0][0])
    assert at == datetime(2024, 3, 4, 17, 35)  # away at 17:30; asked on return
    assert "headache" in checkins[0][1].body
    assert dict(checkins[0][1].buttons) == {
        "no_headache": "No headache",
        "headache": "I had a headache",
    }
    ((t, ev),) = run.event_kinds("checkin_prompted")
    assert ev.payload["day"] == "2024-03-04"
    # the next day it asks again
    run.t = (datetime(2024, 3, 5, 17, 29) - T0).total_seconds()
    run.feed(GOOD, 5 * 60)
    assert [T0 + timedelta(seconds=t) for t, _ in run.kinds("checkin")][1] == datetime(
        2024, 3, 5, 17, 30
    )


def test_a_checkin_already_made_today_is_not_repeated_after_a_restart():
    cfg = CoachSettings(checkin_time=time(17, 30))
    coach = Coach(cfg, load_library())
    run = Run(coach, coach.initial(CoachMemory(last_checkin_day=date(2024, 3, 4))))
    run.t = (datetime(2024, 3, 4, 18, 0) - T0).total_seconds()
    run.feed(GOOD, 30 * 60)
    assert run.kinds("checkin") == []


def test_checkin_answers_are_logged():
    cfg = CoachSettings(checkin_time=time(9, 0))
    coach = Coach(cfg, load_library())
    run = Run(coach, coach.initial())
    run.feed(GOOD, 5)
    ((_, n),) = run.kinds("checkin")
    run.step(GOOD, actions=(Action(n.prompt_id, "headache", "checkin"),))
    ((_, ev),) = run.event_kinds("checkin_answered")
    assert ev.payload == {"answer": "headache", "prompt": n.prompt_id, "day": "2024-03-04"}


def test_no_headache_pressed_after_midnight_records_the_day_the_checkin_asked_about():
    cfg = CoachSettings(checkin_time=time(23, 30))
    coach = Coach(cfg, load_library())
    run = Run(coach, coach.initial())
    run.t = (datetime(2024, 3, 4, 23, 40) - T0).total_seconds()
    run.feed(GOOD, 5)
    ((_, n),) = run.kinds("checkin")
    run.t = (datetime(2024, 3, 5, 0, 15) - T0).total_seconds()
    fx = run.step(GOOD, actions=(Action(n.prompt_id, "no_headache", "checkin"),))
    assert [e for e in fx if isinstance(e, DiaryCheckIn)] == [
        DiaryCheckIn(n.prompt_id, date(2024, 3, 4))
    ]
    ((_, ev),) = run.event_kinds("checkin_answered")
    assert ev.payload["day"] == "2024-03-04"


def test_i_had_a_headache_says_at_once_how_to_add_the_entry():
    cfg = CoachSettings(checkin_time=time(9, 0))
    coach = Coach(cfg, load_library())
    run = Run(coach, coach.initial())
    run.feed(GOOD, 5)
    ((_, n),) = run.kinds("checkin")
    fx = run.step(GOOD, actions=(Action(n.prompt_id, "headache", "checkin"),))
    (reply,) = [e for e in fx if isinstance(e, Notify)]
    assert reply.kind == "diary" and reply.buttons == ()
    assert "posture-guard headache add --date 2024-03-04 --intensity" in reply.body
    assert not any(isinstance(e, DiaryCheckIn) for e in fx)


# --------------------------------------------------------------------------- plan doses
def test_plan_doses_missed_while_away_are_not_caught_up_one_a_minute():
    """Back from an hour away, the coach prompted every dose of that hour that was under
    an hour late, a minute apart (the same chin tuck twice among them); the schedule keeps
    doses at least 10 min apart. Now only the latest due dose is prompted, on return."""
    slots = (
        (time(10, 0), "chin_tuck"),
        (time(10, 20), "chin_tuck"),
        (time(10, 40), "neck_rotation"),
        (time(11, 0), "chin_tuck"),
    )
    run = make(plan_slots=lambda day: slots, break_after_s=4 * 3600)
    run.feed(GOOD, 55 * 60).feed(AWAY, 55 * 60).feed(GOOD, 40 * 60)  # away 09:55-10:50
    prompted = [
        ((T0 + timedelta(seconds=t)).strftime("%H:%M"), n.exercise)
        for t, n in run.kinds("exercise")
    ]
    assert prompted == [("10:50", "neck_rotation"), ("11:00", "chin_tuck")]


def test_a_break_prompt_right_after_a_plan_dose_suggests_another_exercise():
    """The plan's 10:00 chin tuck, then the break prompt due at 10:00:30 (shown the
    minimum gap after the dose): it suggested the chin tuck again, the first break exercise, as if
    the dose had not just been prompted (never the same twice in a row, README)."""
    run = make(plan_slots=lambda day: ((time(10, 0), "chin_tuck"),))
    run.t = 15 * 60 + 30.0  # sitting since 09:15:30: the break is due at 10:00:30
    run.feed(GOOD, 50 * 60)
    assert [n.kind for _, n in run.notifies] == ["exercise", "break"]
    (plan_t, dose), (break_t, brk) = run.notifies
    assert break_t - plan_t == run.coach.settings.min_gap_s
    assert dose.exercise == "chin_tuck" and brk.exercise != "chin_tuck"


# --------------------------------------------------------------------------- micro prompts
def test_micro_prompts_are_off_by_default_and_every_20_min_when_on():
    assert make().feed(GOOD, 44 * 60).notifies == []
    run = make(micro_prompts=True).feed(GOOD, 44 * 60)
    micro = run.kinds("micro")
    assert [t for t, _ in micro] == [20 * 60, 40 * 60]
    assert all(n.exercise == "eye_rest" and n.title == "Rest your eyes" for _, n in micro)


def test_often_out_of_the_picture_gets_one_framing_prompt_a_day():
    # 4 min cut off, then seen, then 1 min more within 30 min: the prompt comes when the
    # fifth minute is reached, says how long, and advises setting the camera back
    run = make().feed(GOOD, 60).feed(GOOD, 240, cut_off=True).feed(GOOD, 600)
    assert run.kinds("framing") == []
    run.feed(GOOD, 90, cut_off=True)
    [(t, note)] = run.kinds("framing")
    assert t == 60 + 240 + 600 + 60  # the 300th cut-off second
    assert "For 5 min of the last 30 min" in note.body and "further back" in note.body
    [(_, ev)] = run.event_kinds("framing_prompted")
    assert ev.payload["cut_off_s"] == 300 and ev.payload["prompt"] == note.prompt_id
    # not again that day, however long the user stays cut off
    run.feed(GOOD, 3 * 3600, cut_off=True)
    assert len(run.kinds("framing")) == 1
    # the next day, once more
    run.t = 24 * 3600.0
    run.feed(GOOD, 301, cut_off=True)
    assert [round(t) for t, _ in run.kinds("framing")] == [960, 24 * 3600 + 300]


def test_cut_off_time_older_than_the_window_or_turned_off_never_prompts():
    # 4 min cut off every 40 min: never 5 min within 30
    run = make()
    for _ in range(4):
        run.feed(GOOD, 240, cut_off=True).feed(GOOD, 36 * 60)
    assert run.kinds("framing") == []
    assert make(framing_prompts=False).feed(GOOD, 3600, cut_off=True).kinds("framing") == []
    # a gap without decisions counts as cut off for at most max_sample_gap_s
    run = make().feed(GOOD, 200, cut_off=True).skip(600).feed(GOOD, 60, cut_off=True)
    assert run.kinds("framing") == []


def test_a_user_cut_off_since_sitting_down_reads_absent_but_still_gets_the_framing_prompt():
    # Sat down too close: the state held as absent, frames cut off. Only the framing
    # prompt speaks (no break, no check-in), and it says the time counts as away.
    run = make(micro_prompts=True).feed(AWAY, 120).feed(AWAY, 2 * 3600, cut_off=True)
    [(t, note)] = run.kinds("framing")
    assert t == 120 + 300
    assert "counts as away from the desk" in note.body
    assert len(run.notifies) == 1
    # An empty desk (absent, nothing cut off) never hears from the coach, however long.
    assert make(micro_prompts=True).feed(AWAY, 8 * 3600).notifies == []
    # Snoozed, the cut-off user is not told either.
    snoozed = make().feed(AWAY, 900, cut_off=True, snooze_until=T0 + timedelta(hours=1))
    assert snoozed.kinds("framing") == []


def test_leaning_in_past_the_hold_is_no_break_and_the_break_prompt_still_comes():
    # Leaned in out of the picture for 20 min: the decision holds the state for 10 min,
    # then reads absent, still cut off. The user never left, so no break is logged and
    # the sitting clock runs on: the break prompt comes once they are back in view.
    run = make().feed(GOOD, 30 * 60).feed(GOOD, 10 * 60, cut_off=True)
    run.feed(AWAY, 10 * 60, cut_off=True).feed(GOOD, 10 * 60)
    assert run.event_kinds("break_taken") == []
    assert [t for t, _ in run.kinds("break")] == [50 * 60]  # back in view, 50 min sat
    assert "at the desk for 50 min" in run.kinds("break")[0][1].body


def test_an_absence_ends_when_the_user_comes_back_too_close_to_be_seen():
    # Away 5 min (nobody in the picture), then back so close the frame edge cuts them
    # off: the break was real and is logged once, at the return, with its length.
    run = make().feed(GOOD, 30 * 60).feed(AWAY, 5 * 60).feed(AWAY, 30 * 60, cut_off=True)
    ((t, ev),) = run.event_kinds("break_taken")
    assert t == 33 * 60  # credited once the absence reached 3 min, as always
    assert ev.payload["sat_min"] == 30
    # Away 1 min, then back too close: no break, and the clock did not restart.
    short = make().feed(GOOD, 30 * 60).feed(AWAY, 60).feed(AWAY, 20 * 60, cut_off=True)
    short.feed(GOOD, 5 * 60)
    assert short.event_kinds("break_taken") == []
    assert [t for t, _ in short.kinds("break")] == [51 * 60]  # the 30 + 1 + 20 min sat


# --------------------------------------------------------------------------- robustness
def test_time_running_backwards_does_not_break_the_engine():
    run = make().feed(FWD, 50)
    run.t -= 30
    run.feed(FWD, 60)
    assert len(run.kinds("posture")) == 1


def test_nobody_at_the_desk_is_never_prompted():
    run = make(micro_prompts=True, checkin_time=time(9, 30)).feed(AWAY, 5 * 3600)
    assert run.notifies == []


# --------------------------------------------------------------------------- properties
SEGMENTS = st.lists(
    st.tuples(st.sampled_from([GOOD, FWD, SHRUG, TILT, AWAY]), st.integers(1, 400)),
    min_size=1,
    max_size=25,
)


def _bad_share(timeline: list[tuple[float, PostureState]], t: float, cfg: CoachSettings) -> float:
    """Independent recomputation: fraction of (t - hold, t) spent in bad states, 1 Hz."""
    start = t - cfg.alert_hold_s
    bad = 0.0
    for (a, s), (b, _) in zip(timeline, timeline[1:]):
        if b > t:
            break
        if s.is_bad:
            bad += max(0.0, min(b, t) - max(a, start))
    return bad / cfg.alert_hold_s


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SEGMENTS, st.booleans())
def test_no_prompt_outside_the_rules(segments, micro):
    cfg = CoachSettings(checkin_time=None, micro_prompts=micro, micro_every_s=600)
    run = make(cfg)
    for state, seconds in segments:
        run.feed(state, seconds)
    states_at = dict(run.timeline)
    times = [t for t, _ in run.notifies]
    assert all(b - a >= cfg.min_gap_s for a, b in zip(times, times[1:]))
    for t in times:
        assert len([u for u in times if t - 3600 < u <= t]) <= cfg.max_prompts_per_hour
    alerts = [t for t, _ in run.kinds("posture")]
    assert all(b - a >= cfg.alert_cooldown_s for a, b in zip(alerts, alerts[1:]))
    for t in alerts:
        assert len([u for u in alerts if t - 3600 < u <= t]) <= cfg.max_alerts_per_hour
        assert states_at[t].is_bad
        assert _bad_share(run.timeline, t, cfg) >= cfg.alert_bad_share - 1e-9
    for t, _ in run.notifies:
        assert states_at[t] is not AWAY
    neck = [n.exercise for _, n in run.notifies if n.kind in ("posture", "break")]
    assert all(a != b for a, b in zip(neck, neck[1:]))


# --------------------------------------------------------------------------- settings
def test_settings_from_a_config_table():
    cfg = CoachSettings.from_mapping(
        {
            "alert_hold_s": "2m",
            "alert_cooldown_s": 1200,
            "break_after_s": "40m",
            "micro_prompts": True,
            "checkin_time": "18:15",
            "quiet_hours": "22:00-07:00",
            "max_alerts_per_hour": 2,
        }
    )
    assert cfg.alert_hold_s == 120 and cfg.alert_cooldown_s == 1200
    assert cfg.break_after_s == 2400 and cfg.micro_prompts is True
    assert cfg.checkin_time == time(18, 15)
    assert cfg.quiet_hours == (time(22, 0), time(7, 0))
    assert CoachSettings.from_mapping({"checkin_time": "off"}).checkin_time is None
    assert CoachSettings.from_mapping({}) == CoachSettings()


@pytest.mark.parametrize(
    "mapping, needle",
    [
        ({"hold": 90}, "unknown key 'hold'"),
        ({"alert_hold_s": "soon"}, "'alert_hold_s'"),
        ({"alert_hold_s": 0}, "'alert_hold_s' must be longer than zero"),
        ({"alert_bad_share": 1.5}, "'alert_bad_share'"),
        ({"max_alerts_per_hour": 0}, "'max_alerts_per_hour'"),
        ({"max_alerts_per_hour": 2.5}, "'max_alerts_per_hour'"),
        ({"max_prompts_per_hour": 0}, "'max_prompts_per_hour' must be at least 1"),
        ({"max_prompts_per_hour": "6"}, "'max_prompts_per_hour' must be a whole number"),
        ({"break_repeat_max_s": 0}, "'break_repeat_max_s' must be longer than zero"),
        ({"micro_prompts": "yes"}, "'micro_prompts'"),
        ({"framing_prompts": "on"}, "'framing_prompts'"),
        ({"framing_after_s": "45m"}, "'framing_after_s' is longer than 'framing_window_s'"),
        ({"checkin_time": "25:00"}, "'checkin_time'"),
        ({"quiet_hours": "22:00"}, "'quiet_hours'"),
        ({"quiet_hours": "17:00-19:00"}, "falls in 'quiet_hours'"),
        ({"break_reset_s": True}, "'break_reset_s'"),
    ],
)
def test_bad_settings_are_user_errors_naming_the_key(mapping, needle):
    with pytest.raises(UserError) as info:
        CoachSettings.from_mapping(mapping)
    assert needle in str(info.value)


@pytest.mark.parametrize(
    "mapping, needle",
    [
        ({"alert_hold_s": math.inf}, "'alert_hold_s' must be a finite number of seconds"),
        ({"min_gap_s": math.nan}, "'min_gap_s' must be a finite number of seconds"),
        ({"min_gap_s": math.inf}, "'min_gap_s' must be a finite number of seconds"),
        ({"alert_hold_s": "99999999h"}, "'alert_hold_s' must be at most 24 h"),
        ({"break_after_s": 86401}, "'break_after_s' must be at most 24 h"),
        ({"min_gap_s": "25h"}, "'min_gap_s' must be at most 24 h"),
        (
            {"snooze_button_s": "9" * 400 + "h"},
            "'snooze_button_s' '99999999999999999999'... is too long",
        ),
    ],
)
def test_non_finite_and_absurd_durations_are_refused(mapping, needle):
    """Such values passed validation and then overflowed the date arithmetic partway
    through a session, losing it; they are refused when the settings are read."""
    with pytest.raises(UserError) as info:
        CoachSettings.from_mapping(mapping)
    assert needle in str(info.value)


@pytest.mark.parametrize(
    ("value", "got"),
    [(1e300, "got 1e+300 s)"), ("99999999999999999999h", "got 3.6e+23 s)"), ("48h", "got 48 h)")],
)
def test_a_refused_huge_duration_is_said_in_a_few_characters(value, got):
    # 1e300 was said as "got 2777...(300 digits) h 36 min", and "99999999999999999999h"
    # as "got 99999999999999995339 h 39 min", a number the user never typed
    with pytest.raises(UserError) as info:
        CoachSettings.from_mapping({"break_after_s": value})
    message = str(info.value)
    assert message == f"coach settings: 'break_after_s' must be at most 24 h ({got}"


def test_a_day_is_the_longest_duration_setting():
    from posture_guard.coach import MAX_SETTING_S

    cfg = CoachSettings.from_mapping({"break_after_s": "24h", "min_gap_s": 0})
    assert cfg.break_after_s == MAX_SETTING_S == 24 * 3600 and cfg.min_gap_s == 0


@pytest.mark.parametrize(
    "text, needle",
    [
        ("[coch]\nalert_hold_s = 5\n", "unknown table [coch] (known: [coach])"),
        ("alert_hold_s = 5\n[coach]\n", "setting 'alert_hold_s' is outside any table"),
        ("[coach]\nalert_hold_s = inf\n", "line 2: [coach] 'alert_hold_s' must be a finite"),
        # it was taken, and the button read "Snooze 0 s"
        (
            '[coach]\nsnooze_button_s = "0.5s"\n',
            "line 2: [coach] 'snooze_button_s' must be from 1 min to 24 h (got 0.5 s)",
        ),
    ],
)
def test_config_file_problems_name_the_file_and_what_is_wrong(tmp_path, text, needle):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UserError) as info:
        load_settings(path)
    assert str(path) in str(info.value) and needle in str(info.value)


def test_demo_with_an_infinite_setting_stops_before_it_starts(tmp_path, capsys):
    """It used to crash partway (OverflowError) and leave no span in the database."""
    from posture_guard.cli import main
    from posture_guard.paths import config_file

    path = config_file()
    path.write_text("[coach]\nalert_hold_s = inf\n", encoding="utf-8")
    db = tmp_path / "demo.sqlite3"
    assert main(["demo", "--db", str(db), "--start", "2026-11-10T09:00"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "'alert_hold_s'" in err and "internal error" not in err
    path.write_text("[coach]\nalert_hold_s = 120\n", encoding="utf-8")
    assert main(["demo", "--db", str(db), "--start", "2026-11-10T09:00"]) == 0


# --------------------------------------------------------------------------- the sink's clock
def _quiet_sink(start: datetime, store, **settings) -> CoachSink:
    return CoachSink(
        SessionInfo(start=start, profile="p", live=True),
        PrintingNotifier(io.StringIO()),
        settings=CoachSettings(**settings),
        on_event=store.log_event,
    )


def test_events_after_the_dst_change_are_logged_at_their_real_time(berlin, store):
    """A session started before the clocks go back: an alert the next morning is stored
    at the real moment (not an hour late), and the 17:30 check-in comes at 17:30 local
    time, because the sink counts real seconds and reads them on the local clock."""
    start = datetime(2026, 10, 24, 20, 0)  # naive local, as datetime.now() gives it (CEST)
    sink = _quiet_sink(start, store, checkin_time=time(17, 30))

    def real(hour: int, minute: int = 0) -> float:
        return datetime(2026, 10, 25, hour, minute, tzinfo=berlin).timestamp()

    t_slouch = real(10) - start.timestamp()
    for k in range(300):
        sink.on_decision(Decision(t_slouch + k, FWD, changed=k == 0))
    t_evening = real(17, 0) - start.timestamp()
    for k in range(0, 3600, 2):
        sink.on_decision(Decision(t_evening + k, GOOD))
    sink.close(t_evening + 3600)
    logged = {e.kind: e.at for e in store.events(real(0), real(23))}
    cfg = sink.coach.settings
    assert real(10) + cfg.alert_bad_share * cfg.alert_hold_s <= logged["alert"]
    assert logged["alert"] <= real(10) + cfg.alert_hold_s
    assert real(17, 30) <= logged["checkin_prompted"] <= real(17, 30) + 2
    (checkin,) = [e for e in sink.events if e.kind == "checkin_prompted"]
    assert checkin.payload["day"] == "2026-10-25"


def test_stream_time_and_wall_time_agree_across_the_spring_change(berlin):
    """Summer time starts 2026-03-29 02:00 -> 03:00: an hour of stream time from 01:30
    is 03:30 on the clock, and the datetime the sink reads counts real seconds."""
    session = SessionInfo(start=datetime(2026, 3, 29, 1, 30), profile="p", live=True)
    later = session.wall(3600.0)
    assert (later.hour, later.minute) == (3, 30)
    assert later.timestamp() - session.start.timestamp() == 3600.0
    assert (later - session.wall(0.0)).total_seconds() == 3600.0


# --------------------------------------------------------------------------- check-in buttons
class PressingNotifier(PrintingNotifier):
    """Prints like the console backend; the user presses ``answer`` on every check-in."""

    def __init__(self, answer: str):
        super().__init__(io.StringIO())
        self.answer = answer
        self.pending: list[Click] = []

    def send(self, message: Message) -> Delivery:
        if message.kind == "checkin":
            self.pending.append(Click(message.prompt_id, self.answer))
        return super().send(message)

    def poll_clicks(self) -> list[Click]:
        out, self.pending = self.pending, []
        return out


def _evening_with_checkin(store, answer: str) -> CoachSink:
    """17:00-17:45 at the desk; the 17:30 check-in is answered with ``answer``."""
    sink = CoachSink(
        SessionInfo(start=datetime(2024, 3, 4, 17, 0), profile="p", live=False),
        PressingNotifier(answer),
        settings=CoachSettings(),
        on_event=store.log_event,
    )
    for k in range(0, 45 * 60, 2):
        sink.on_decision(Decision(float(k), GOOD, changed=k == 0))
    sink.close(45 * 60.0)
    return sink


def test_the_no_headache_button_makes_the_day_headache_free_in_the_diary(store):
    day = date(2024, 3, 4)
    assert Diary(store).days(day, day)[day].status == "unknown"
    sink = _evening_with_checkin(store, "no_headache")
    assert Diary(store).days(day, day)[day].status == "none"
    assert any(str(day) in note and "headache-free" in note for note in sink.notes)


class EntryFirstNotifier(PressingNotifier):
    """The user adds a headache entry for the day while the check-in is on screen, then
    presses its "No headache" (a day with an entry by the check-in time is not asked)."""

    def __init__(self, store):
        super().__init__("no_headache")
        self.store = store

    def send(self, message: Message) -> Delivery:
        if message.kind == "checkin":
            Diary(self.store).add(Headache(day=date(2024, 3, 4), intensity=5))
        return super().send(message)


def test_no_headache_on_a_day_with_an_entry_is_a_quiet_note_not_a_crash(store):
    day = date(2024, 3, 4)
    sink = CoachSink(
        SessionInfo(start=datetime(2024, 3, 4, 17, 0), profile="p", live=False),
        EntryFirstNotifier(store),
        settings=CoachSettings(),
        on_event=store.log_event,
    )
    for k in range(0, 45 * 60, 2):
        sink.on_decision(Decision(float(k), GOOD, changed=k == 0))
    sink.close(45 * 60.0)
    assert Diary(store).days(day, day)[day].status == "headache"
    (note,) = [n for n in sink.notes if "not recorded" in n]
    assert str(day) in note and "already has headache entry" in note
    logged = store.events(datetime(2024, 3, 4), datetime(2024, 3, 5))
    assert [e.kind for e in logged if e.kind.startswith("checkin")] == [
        "checkin_prompted",
        "checkin_answered",
    ]


def test_no_headache_pressed_in_a_replay_without_a_database_points_to_no_user_diary():
    # A replay without --db logs nothing: its note must not tell the user to record the
    # replayed day in their own diary with a bare `checkin --none`.
    sink = CoachSink(
        SessionInfo(start=datetime(2024, 3, 4, 17, 0), profile="p", live=False),
        PressingNotifier("no_headache"),
        settings=CoachSettings(),
    )
    for k in range(0, 45 * 60, 2):
        sink.on_decision(Decision(float(k), GOOD, changed=k == 0))
    sink.close(45 * 60.0)
    (note,) = [n for n in sink.notes if "No headache" in n]
    assert "2024-03-04" in note and "this replay logs to no database" in note
    assert "posture-guard" not in note


# --------------------------------------------------------------------------- restarts
def _live_session(tmp_path, start: datetime, state: PostureState, seconds: int, **kw):
    """A live-style sink (with the coach's memory file) fed ``state`` once a second."""
    kw.setdefault("checkin_time", None)
    sink = CoachSink(
        SessionInfo(start=start, profile="p", live=True),
        PrintingNotifier(io.StringIO()),
        CoachSettings(**kw),
        memory_file=tmp_path / "coach.json",
    )
    for k in range(seconds):
        sink.on_decision(Decision(float(k), state, changed=k == 0))
    sink.close(float(seconds))
    return sink


def test_a_restart_keeps_the_alert_cooldown_and_the_hourly_cap(tmp_path):
    """A monitor restarted (a crash, a log-out and in) must not alert again at once: the
    cool-down and the hourly cap count the alerts of the session before."""
    first = _live_session(tmp_path, T0, FWD, 300)
    assert [n.kind for n, _ in first.sent] == ["posture"]
    alert_at = first.events[0].at
    # restarted 5 minutes later, still slumped for 5 minutes: within the 15 min cool-down
    second = _live_session(tmp_path, T0 + timedelta(minutes=5), FWD, 300)
    assert second.sent == []
    # once the cool-down is over the coach alerts again, as within one session
    third = _live_session(tmp_path, T0 + timedelta(minutes=16), FWD, 300)
    [(alert, _)] = third.sent
    assert alert.kind == "posture"
    # and the hourly cap counts across sessions: with a 1 min cool-down and a cap of 2,
    # the two alerts already made this hour leave none
    fourth = _live_session(
        tmp_path, T0 + timedelta(minutes=25), FWD, 600, alert_cooldown_s=60, max_alerts_per_hour=2
    )
    assert fourth.sent == []
    assert alert_at < third.events[0].at


def test_a_restart_keeps_the_cap_on_all_prompts_of_the_hour(tmp_path):
    """The prompts of the last hour count against max_prompts_per_hour after a restart
    too (coach.json's "notified"); a file written before it still loads."""
    kw = dict(alert_cooldown_s=60, max_alerts_per_hour=30, min_gap_s=60, max_prompts_per_hour=3)
    first = _live_session(tmp_path, T0, FWD, 300, **kw)
    assert [n.kind for n, _ in first.sent] == ["posture"] * 3
    saved = json.loads((tmp_path / "coach.json").read_text())
    assert saved["notified"] == [e.at.timestamp() for e in first.events if e.kind == "alert"]
    second = _live_session(tmp_path, T0 + timedelta(minutes=6), FWD, 600, **kw)
    assert second.sent == []
    # an hour after the first, the cap has room again
    third = _live_session(tmp_path, T0 + timedelta(minutes=60), FWD, 300, **kw)
    assert [n.kind for n, _ in third.sent][:1] == ["posture"]
    # a coach.json of an earlier version, without "notified", is no damaged file: its
    # alerts still hold the alerts' own hourly cap
    del saved["notified"]
    (tmp_path / "coach.json").write_text(json.dumps(saved))
    kw["max_alerts_per_hour"] = 3
    fourth = _live_session(tmp_path, T0 + timedelta(minutes=6), FWD, 600, **kw)
    assert fourth.sent == []


def test_a_restart_keeps_the_framing_prompt_to_once_a_day(tmp_path):
    def cut_session(start: datetime) -> CoachSink:
        sink = CoachSink(
            SessionInfo(start=start, profile="p", live=True),
            PrintingNotifier(io.StringIO()),
            CoachSettings(checkin_time=None),
            memory_file=tmp_path / "coach.json",
        )
        for k in range(400):
            sink.on_decision(Decision(float(k), GOOD, changed=k == 0, cut_off=k >= 60))
        sink.close(400.0)
        return sink

    assert [n.kind for n, _ in cut_session(T0).sent] == ["framing"]
    assert cut_session(T0 + timedelta(hours=2)).sent == []
    assert [n.kind for n, _ in cut_session(T0 + timedelta(days=1)).sent] == ["framing"]


def test_a_restart_keeps_a_cooldown_longer_than_an_hour(tmp_path):
    """``alert_cooldown_s`` may be set up to a day; coach.json kept only the alerts of the
    last hour, so a monitor restarted 70 min into a 2 h cool-down alerted a minute later.
    Written once the alert had left the hour (the memory changes then), and read again
    from the file, the last alert still holds the cool-down; an older file without it
    reads as before."""
    kw = dict(alert_cooldown_s=2 * 3600, break_after_s=8 * 3600)
    first = _live_session(tmp_path, T0, FWD, 300, **kw)
    [(alert, _)] = first.sent
    assert alert.kind == "posture"
    alert_at = next(e.at for e in first.events if e.kind == "alert")
    # still slumped when the first session ends at 65 min: the hour's alert is gone
    # from the memory, which is written again without it
    _live_session(tmp_path, T0 + timedelta(minutes=5), FWD, 60 * 60, **kw)
    assert json.loads((tmp_path / "coach.json").read_text())["alerts"] == []
    second = _live_session(tmp_path, T0 + timedelta(minutes=70), FWD, 30 * 60, **kw)
    assert second.sent == []
    third = _live_session(tmp_path, T0 + timedelta(hours=2), FWD, 300, **kw)
    [(again, _)] = third.sent
    assert again.kind == "posture"
    assert next(e.at for e in third.events if e.kind == "alert") - alert_at >= timedelta(hours=2)


def test_a_restart_keeps_the_cooldown_a_break_prompt_started(tmp_path):
    """A break prompt starts the posture cool-down (it carries a stretch); a monitor
    restarted 2 min after it alerted a minute later (the cool-down was forgotten)."""
    first = _live_session(tmp_path, T0, GOOD, 46 * 60)
    [(brk, _)] = first.sent
    assert brk.kind == "break"
    break_at = next(e.at for e in first.events if e.kind == "break_prompted")
    second = _live_session(tmp_path, T0 + timedelta(minutes=47), FWD, 20 * 60)
    assert [n.kind for n, _ in second.sent][:1] == ["posture"]  # slumped all along
    alert_at = next(e.at for e in second.events if e.kind == "alert")
    assert alert_at - break_at >= timedelta(seconds=second.coach.settings.alert_cooldown_s)


def test_a_restart_does_not_prompt_a_plan_dose_again(tmp_path):
    """A plan dose prompted at 10:00 is not prompted again by a monitor restarted within
    the hour it may come late in: a crash loop restarting every 2 minutes repeated the
    same "Time for your chin tuck" after each restart, about 30 times for one dose."""
    slots = ((time(10, 0), "chin_tuck"), (time(11, 0), "neck_rotation"))
    day = datetime(2024, 3, 4)
    prompted: list[tuple[datetime, str]] = []
    start = day.replace(hour=9, minute=58)
    while start < day.replace(hour=11, minute=10):
        sink = _live_session(tmp_path, start, GOOD, 120, plan_slots=lambda d: slots)
        prompted += [
            (e.at, e.payload["exercise"]) for e in sink.events if e.kind == "exercise_prompted"
        ]
        start += timedelta(seconds=125)  # each session ends after 2 min; back 5 s later
    assert [(at.strftime("%H:%M"), ex) for at, ex in prompted] == [
        ("10:00", "chin_tuck"),
        ("11:00", "neck_rotation"),
    ]


def test_a_restart_keeps_the_snooze_button_silent_for_its_time(tmp_path):
    """Snooze pressed on a plan dose at 10:00: a monitor restarted 2 min later forgot it
    and prompted the 10:10 dose on time, inside the 15 min the user asked for."""
    slots = ((time(10, 0), "chin_tuck"), (time(10, 10), "neck_rotation"))
    cfg = CoachSettings(checkin_time=None, plan_slots=lambda d: slots)

    def session(start: datetime, seconds: int, snooze_at: Optional[int] = None) -> CoachSink:
        notifier = ButtonNotifier()
        sink = CoachSink(
            SessionInfo(start=start, profile="p", live=True),
            notifier,
            cfg,
            memory_file=tmp_path / "coach.json",
        )
        for k in range(0, seconds, 2):
            if k == snooze_at:
                notifier.press("exercise", "snooze")
            sink.on_decision(Decision(float(k), GOOD, changed=k == 0))
        sink.close(float(seconds))
        return sink

    first = session(datetime(2024, 3, 4, 9, 59), 120, snooze_at=90)
    [snoozed] = [e for e in first.events if e.kind == "snooze"]
    until = datetime.fromisoformat(snoozed.payload["until"])
    second = session(datetime(2024, 3, 4, 10, 1, 5), 30 * 60)
    [prompted] = [e for e in second.events if e.kind == "exercise_prompted"]
    assert prompted.payload["exercise"] == "neck_rotation"
    assert until <= prompted.at < until + timedelta(seconds=5)


def test_a_restart_goes_on_with_the_rotation_of_exercises(tmp_path):
    """Every session began the rotation again: a monitor restarted between two alerts
    suggested the chin tuck in both (never the same twice in a row, README)."""
    first = _live_session(tmp_path, T0, FWD, 300)
    second = _live_session(tmp_path, T0 + timedelta(minutes=16), FWD, 300)
    [(a, _)] = first.sent
    [(b, _)] = second.sent
    assert (a.kind, b.kind) == ("posture", "posture")
    assert a.exercise == "chin_tuck" and b.exercise != a.exercise


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        "[]",
        '{"alerts": ["yesterday"]}',
        '{"last_framing_day": "2024-13-45"}',
        # a Snooze button that is no pair
        '{"button_snooze": 5}',
        '{"recent_exercises": [3]}',
    ],
)
def test_a_damaged_memory_file_starts_the_coach_afresh(tmp_path, text):
    (tmp_path / "coach.json").write_text(text)
    sink = _live_session(tmp_path, T0, FWD, 300)
    assert [n.kind for n, _ in sink.sent] == ["posture"]
    # and the file is whole again for the next start
    saved = json.loads((tmp_path / "coach.json").read_text())
    assert saved["alerts"] == [sink.events[0].at.timestamp()]


def test_a_clock_set_back_keeps_the_limits_of_the_prompts_before_it(tmp_path):
    """The clock set back (NTP correcting it, or by hand) starts a new session at the new
    time, as a restart does, and the prompts stamped by the clock before were after its
    start: they were dropped, so a user still slumped was alerted again a minute after
    the alert, and the hour's prompts counted from none. Taken as shown at the start,
    each limit holds for its own length from there."""
    first = _live_session(tmp_path, T0, FWD, 300)
    [(alert, _)] = first.sent
    # at 09:05 the clock is set back 10 min: the new session starts at 08:55
    restart = T0 - timedelta(minutes=5)
    second = _live_session(tmp_path, restart, FWD, 20 * 60)
    [(again, _)] = second.sent
    assert again.kind == "posture"
    alert_at = next(e.at for e in second.events if e.kind == "alert")
    cfg = second.coach.settings
    assert alert_at.timestamp() - restart.timestamp() >= cfg.alert_cooldown_s


@pytest.mark.parametrize(
    "stamps",
    [
        # an alert a day ahead (a file edited by hand, a clock a day off)
        {"alerts": [1], "last_notified_at": 1, "notified": [1]},
        # a Snooze button pressed a day ahead, for 15 min
        {"button_snooze": [1, 1 + 15 * 60]},
    ],
)
def test_a_prompt_stamped_ahead_holds_its_limit_for_its_own_length_only(tmp_path, stamps):
    ahead = T0.timestamp() + 86400

    def moved(value):
        return [moved(v) for v in value] if isinstance(value, list) else ahead + value - 1

    (tmp_path / "coach.json").write_text(json.dumps({k: moved(v) for k, v in stamps.items()}))
    sink = _live_session(tmp_path, T0, FWD, 20 * 60)
    assert [n.kind for n, _ in sink.sent] == ["posture"]
    alert_at = next(e.at for e in sink.events if e.kind == "alert")
    assert 15 * 60 <= alert_at.timestamp() - T0.timestamp() < 16 * 60


def test_a_memory_file_of_an_earlier_version_still_holds_the_checkin_day(tmp_path):
    (tmp_path / "coach.json").write_text('{"last_checkin_day": "2024-03-04"}')
    sink = _live_session(
        tmp_path, datetime(2024, 3, 4, 17, 29), GOOD, 120, checkin_time=time(17, 30)
    )
    assert sink.sent == []


# --------------------------------------------------------------------------- a locked diary
def _locked_evening(
    db, release_at: Optional[float], capsys, notifier: Optional[PrintingNotifier] = None
) -> tuple[CoachSink, str]:
    """17:00-17:45 at the desk with the database held by another program from the start
    until ``release_at`` seconds (None: to the end); "No headache" pressed at 17:30 unless
    another ``notifier`` is given."""
    from posture_guard.store import Store

    store = Store.open(db, lock_timeout=0.05)
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another program holds the database
    sink = CoachSink(
        SessionInfo(start=datetime(2024, 3, 4, 17, 0), profile="p", live=False),
        notifier or PressingNotifier("no_headache"),
        settings=CoachSettings(),
        on_event=store.log_event,
    )
    for k in range(0, 45 * 60, 2):
        if release_at is not None and k == release_at:
            other.execute("ROLLBACK")
        sink.on_decision(Decision(float(k), GOOD, changed=k == 0))
    sink.close(45 * 60.0)
    if release_at is None:
        other.execute("ROLLBACK")
    other.close()
    store.close()
    return sink, capsys.readouterr().err


def test_no_headache_pressed_while_the_database_is_locked_is_recorded_once_it_is_free(
    tmp_path, capsys
):
    db = tmp_path / "p.sqlite3"
    sink, err = _locked_evening(db, release_at=32 * 60, capsys=capsys)
    day = date(2024, 3, 4)
    assert any("not recorded yet" in n and "locked" in n for n in sink.notes)
    assert any(str(day) in n and "headache-free" in n for n in sink.notes)
    assert sink.checkins_due == [] and "could not be recorded" not in err
    from posture_guard.store import Store

    with Store.open(db) as store:
        assert Diary(store).days(day, day)[day].status == "none"


def test_a_lock_that_outlasts_the_session_says_how_to_record_the_answer(tmp_path, capsys):
    sink, err = _locked_evening(tmp_path / "p.sqlite3", release_at=None, capsys=capsys)
    assert sink.checkins_due == [date(2024, 3, 4)]
    assert "'No headache' for 2024-03-04 could not be recorded" in err
    assert "checkin --none --date 2024-03-04" in err
    # one note when it was pressed, none for each failed retry
    assert sum("not recorded" in n for n in sink.notes) == 1
    assert "posture-guard: 2 coach events could not be logged" in err  # asked, answered


def test_one_coach_event_that_could_not_be_logged_is_named_in_the_singular(tmp_path, capsys):
    # The check-in asked and left unanswered: one event, which read "1 coach event(s)".
    quiet = PrintingNotifier(io.StringIO())
    sink, err = _locked_evening(tmp_path / "p.sqlite3", None, capsys, notifier=quiet)
    assert [e.kind for e in sink.unlogged] == ["checkin_prompted"]
    assert "posture-guard: 1 coach event could not be logged\n" in err


def test_a_checkin_tells_the_notifier_the_day_it_asks_about():
    """A notifier that cannot show buttons names the commands instead, and they need the
    day: answered after midnight, `checkin --none` alone would record the next day."""
    notifier = ButtonNotifier()
    sink = CoachSink(
        SessionInfo(start=datetime(2024, 3, 4, 17, 0), profile="p", live=False),
        notifier,
        settings=CoachSettings(),
    )
    for k in range(0, 45 * 60, 2):
        sink.on_decision(Decision(float(k), GOOD, changed=k == 0))
    sink.close(45 * 60.0)
    (checkin,) = [m for m in notifier.shown if m.kind == "checkin"]
    assert checkin.day == date(2024, 3, 4)
    assert all(m.day is None for m in notifier.shown if m.kind != "checkin")


@pytest.mark.parametrize(
    ("length", "label", "typed"), [(45 * 60, "45 min", "45m"), (5400, "1 h 30 min", "1h30m")]
)
def test_the_snooze_button_and_its_command_say_the_length_it_snoozes(length, label, typed):
    # snooze_button_s = "45m" in config.toml: the button read "Snooze 15 min" and, where no
    # button can be shown, the prompt said "Snooze 15 min: posture-guard snooze 15m"
    # while the button snoozed 45 min
    from posture_guard.control import parse_duration
    from posture_guard.notify import without_buttons

    notifier = ButtonNotifier()
    session = SessionInfo(start=T0, profile="p", live=True)
    cfg = CoachSettings(checkin_time=None, snooze_button_s=float(length))
    sink = CoachSink(session, notifier, cfg)
    for k in range(100):
        sink.on_decision(Decision(float(k), FWD, changed=k == 0))
    (alert,) = notifier.shown
    assert dict(alert.buttons)["snooze"] == f"Snooze {label}"
    assert f"Snooze {label}: posture-guard snooze {typed})" in without_buttons(alert).body
    assert parse_duration(typed) == length  # the command, as `snooze` reads it
    notifier.press("posture", "snooze")
    sink.on_decision(Decision(100.0, FWD))
    (snoozed,) = [e for e in sink.events if e.kind == "snooze"]
    assert datetime.fromisoformat(snoozed.payload["until"]) == session.wall(100.0) + timedelta(
        seconds=length
    )
    sink.close(100.0)


def test_a_plan_prompt_keeps_the_capitals_of_an_exercise_name(tmp_path):
    """The prompt's title lowercased the whole exercise name: "SCM stretch" read "Time
    for your scm stretch" and a German "Nacken-Dehnung ü" lost its nouns' capitals. Only
    a plain capitalized phrase ("Doorway chest stretch") has its first letter lowercased."""
    from posture_guard.exercises import bundled_path

    text = bundled_path().read_text(encoding="utf-8")
    text = text.replace('name = "Chin tuck"', 'name = "SCM stretch"')
    text = text.replace('name = "Neck rotation"', 'name = "Nacken-Dehnung ü"')
    own = tmp_path / "exercises.toml"
    own.write_text(text, encoding="utf-8")
    slots = (
        (time(10, 0), "chin_tuck"),
        (time(10, 20), "neck_rotation"),
        (time(10, 40), "doorway_pectoral_stretch"),
    )
    sink = CoachSink(
        SessionInfo(start=datetime(2024, 3, 4, 9, 59), profile="p", live=True),
        PrintingNotifier(io.StringIO()),
        CoachSettings(checkin_time=None, plan_slots=lambda d: slots),
        library=load_library(own),
        memory_file=tmp_path / "coach.json",
    )
    for k in range(0, 45 * 60, 2):
        sink.on_decision(Decision(float(k), GOOD, changed=k == 0))
    sink.close(45 * 60.0)
    titles = [n.title for n, _ in sink.sent if n.kind == "exercise"]
    assert titles == [
        "Time for your SCM stretch",
        "Time for your Nacken-Dehnung ü",
        "Time for your doorway chest stretch",
    ]
