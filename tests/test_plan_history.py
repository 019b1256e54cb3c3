"""The plan history: a plan revised at week 3 leaves the first weeks judged by the first
plan (doses, adherence, target), in the therapist's PDF and CSV, from a real database."""

from __future__ import annotations

import csv
import os
import re
import stat
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from posture_guard import cli
from posture_guard.errors import UserError
from posture_guard.plan import (
    active_plan_path,
    clear_plan,
    import_plan,
    load_plan_file,
    parse_plan_text,
    plan_history,
    plan_history_dir,
    prescribed_count,
    schedule_day,
)
from posture_guard.states import PostureState
from posture_guard.store import Span, Store
from tests.test_therapist import EXAMPLE, needs_poppler, pdf_text

FIRST, REVISED, LAST = date(2024, 3, 4), date(2024, 3, 18), date(2024, 3, 31)
SECOND = """schema = 1
patient = "RM-03"
start = {start}
end = 2024-04-14
workday = "08:30-17:30"
quiet_hours = "12:00-13:00"
[target]
forward_head_max_share = 0.10
[[exercise]]
id = "chin_tuck"
times_per_day = 4
"""
FH_MIN = 9  # of each day's hour at the desk: 15 %, met under the first plan's 20 %
# target, missed under the second's 10 %


def _days(first: date = FIRST, last: date = LAST) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _second(tmp_path: Path, start: date = REVISED) -> Path:
    path = tmp_path / f"second-{start}.toml"
    path.write_text(SECOND.format(start=start), encoding="utf-8")
    return path


def _dose_prompted_and_done(store: Store, d: date, slot, prompt: int, **done: str) -> None:
    """One plan dose as the coach logs it: prompted at its slot, done two minutes later."""
    at = datetime.combine(d, slot.at)
    store.log_event(
        "exercise_prompted", at, {"exercise": slot.exercise, "for": "plan", "prompt": prompt}
    )
    store.log_event(
        "exercise_done",
        at + timedelta(minutes=2),
        {"exercise": slot.exercise, "prompt": prompt, **done},
    )


def _populate(db: Path, second: Path) -> None:
    """An hour at the desk a day, and every dose of the plan in force that day prompted
    (as the coach did) and done."""
    plans = (load_plan_file(EXAMPLE), load_plan_file(second))
    prompt = 0
    with Store.open(db) as store:
        for d in _days():
            t0 = datetime.combine(d, time(9)).timestamp()
            store.add_spans(
                [
                    Span(PostureState.FORWARD_HEAD, t0, t0 + FH_MIN * 60),
                    Span(PostureState.GOOD, t0 + FH_MIN * 60, t0 + 3600),
                ]
            )
            for slot in schedule_day(plans[d >= REVISED], d):
                prompt += 1
                _dose_prompted_and_done(store, d, slot, prompt, kind="exercise")


def _report(db: Path, tmp_path: Path, *extra: str) -> tuple[str, str, list[dict[str, str]]]:
    pdf, days = tmp_path / "r.pdf", tmp_path / "r.csv"
    rc = cli.main(
        ["report", "--therapist", "--pdf", str(pdf), "--csv", str(days), "--db", str(db), *extra]
        + ["--force"]  # the same files, report after report
    )
    assert rc == 0
    with days.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return " ".join(pdf_text(pdf, 1).split()), " ".join(pdf_text(pdf).split()), rows


def _first_plan_doses(d: date) -> int:
    plan = load_plan_file(EXAMPLE)
    return sum(prescribed_count(plan, p.id, d) for p in plan.prescriptions)


def _assert_each_day_by_its_plan(page1: str, rows: list[dict[str, str]]) -> None:
    by_day = {r["date"]: r for r in rows}
    for d in _days():
        row = by_day[d.isoformat()]
        want = _first_plan_doses(d) if d < REVISED else 4
        assert int(row["exercises_prescribed"]) == want, d
        if want:
            assert float(row["adherence"]) == 1.0, d
        assert row["target_met"] == ("yes" if d < REVISED else "no"), d
    assert re.search(r"Exercise adherence 100\.0 % 100\.0 %", page1), page1
    assert "forward head <= 20 %, then 10 % of desk time): met on 14 of 28 monitored days" in page1


@needs_poppler
def test_a_plan_revised_at_week_3_leaves_the_first_weeks_judged_by_the_first(
    tmp_path: Path,
) -> None:
    second = _second(tmp_path)
    db = tmp_path / "p.sqlite3"
    _populate(db, second)
    import_plan(EXAMPLE, now=datetime.combine(FIRST, time(8)))
    import_plan(second, now=datetime.combine(REVISED, time(8)))

    page1, text, rows = _report(db, tmp_path, "--from", str(FIRST), "--to", str(LAST))
    _assert_each_day_by_its_plan(page1, rows)
    assert "Plans: 2 periods" in page1
    assert "03-04..03-17: 2024-03-04 to 2024-03-31, 3 exercises" in page1
    assert "03-18..03-31: 2024-03-18 to 2024-04-14, 1 exercise" in page1
    # each window's share beside the target that judged it, not the revision's beside both
    assert (
        "Forward head, % desk time 15.0 % 15.0 % target it was judged by <= 20 % <= 10 % "
        "Good posture"
    ) in page1
    # the plan pages list each period, the first plan's wall angel with it
    first_at = text.index("In force 2024-03-04 to 2024-03-17 of this report")
    second_at = text.index("In force 2024-03-18 to 2024-03-31 of this report")
    assert first_at < text.index("[wall_angel]", first_at) < second_at

    # no --from/--to: from the first plan's start, not the revision's
    page1, _, rows = _report(db, tmp_path)
    assert "Period: 2024-03-04 to 2024-04-14 (42 days)" in page1
    assert rows[0]["date"] == "2024-03-04"


@needs_poppler
def test_a_revision_keeping_the_start_date_does_not_rejudge_the_past_weeks(
    tmp_path: Path,
) -> None:
    second = _second(tmp_path, start=FIRST)  # 4 chin tucks a day from 03-04 on paper
    db = tmp_path / "p.sqlite3"
    _populate(db, second)
    import_plan(EXAMPLE, now=datetime.combine(FIRST, time(8)))
    import_plan(second, now=datetime.combine(REVISED, time(8)))

    page1, _, rows = _report(db, tmp_path, "--from", str(FIRST), "--to", str(LAST))
    _assert_each_day_by_its_plan(page1, rows)

    # an explicit --plan judges the whole range by that one plan, as before
    _, _, rows = _report(
        db, tmp_path, "--from", str(FIRST), "--to", str(LAST), "--plan", str(second)
    )
    assert all(int(r["exercises_prescribed"]) == 4 for r in rows)


@needs_poppler
def test_a_plan_imported_by_an_earlier_version_is_kept_when_the_next_one_comes(
    tmp_path: Path,
) -> None:
    """No history yet: the plan file an earlier version wrote goes into it, dated by its
    file, before the new plan replaces it."""
    second = _second(tmp_path)
    db = tmp_path / "p.sqlite3"
    _populate(db, second)
    active = active_plan_path()
    active.parent.mkdir(parents=True, exist_ok=True)
    active.write_bytes(EXAMPLE.read_bytes())
    at = datetime.combine(FIRST, time(8)).timestamp()
    os.utime(active, (at, at))
    assert plan_history() == []

    import_plan(second, now=datetime.combine(REVISED, time(8)))
    page1, _, rows = _report(db, tmp_path, "--from", str(FIRST), "--to", str(LAST))
    _assert_each_day_by_its_plan(page1, rows)
    for entry in plan_history():
        assert stat.S_IMODE(entry.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(entry.path.parent.stat().st_mode) == 0o700


def test_days_after_a_clear_have_no_plan_and_the_history_says_so(tmp_path: Path) -> None:
    from posture_guard.plan import plan_periods

    import_plan(EXAMPLE, now=datetime.combine(FIRST, time(8)))
    cleared = datetime.combine(date(2024, 3, 11), time(18))
    assert clear_plan(now=cleared)
    assert not clear_plan(now=datetime.combine(date(2024, 3, 12), time(18)))  # nothing left
    periods = plan_periods(FIRST, date(2024, 3, 17), None)
    # the day of the clear is the plan's up to the clear
    assert [(p.first, p.last, p.plan is None, p.until) for p in periods] == [
        (FIRST, date(2024, 3, 11), False, cleared),
        (date(2024, 3, 12), date(2024, 3, 17), True, None),
    ]
    assert periods[0].plan == parse_plan_text(EXAMPLE.read_bytes(), periods[0].plan.origin)


@needs_poppler
def test_the_day_a_plan_is_cleared_is_judged_by_it_up_to_the_clear(tmp_path: Path) -> None:
    """Cleared on Monday 03-11 at 12:30: the morning's three doses, prompted and done
    under the plan, count (they were dropped, the day judged by no plan: nothing
    prescribed, no target), the afternoon's doses due after the clear do not, and the
    day after has no plan."""
    monday = date(2024, 3, 11)
    db = tmp_path / "p.sqlite3"
    plan = load_plan_file(EXAMPLE)
    with Store.open(db) as store:
        t0 = datetime.combine(monday, time(9)).timestamp()
        store.add_spans([Span(PostureState.GOOD, t0, t0 + 3600)])
        morning = [s for s in schedule_day(plan, monday) if s.at < time(12, 30)]
        for prompt, slot in enumerate(morning, start=1):
            _dose_prompted_and_done(store, monday, slot, prompt)
    assert len(morning) == 3 < len(schedule_day(plan, monday))
    import_plan(EXAMPLE, now=datetime.combine(FIRST, time(8)))
    assert clear_plan(now=datetime.combine(monday, time(12, 30)))

    page1, _, rows = _report(
        db, tmp_path, "--from", str(monday), "--to", str(monday + timedelta(days=1))
    )
    by_day = {r["date"]: r for r in rows}
    assert int(by_day["2024-03-11"]["exercises_prescribed"]) == 3
    assert float(by_day["2024-03-11"]["adherence"]) == 1.0
    assert by_day["2024-03-11"]["target_met"] == "yes"
    assert int(by_day["2024-03-12"]["exercises_prescribed"]) == 0
    assert "cleared 2024-03-11 12:30, doses due after it not counted" in page1


def test_the_history_and_the_active_plan_have_their_folders_synced(fsynced) -> None:
    """A history entry and the active plan are synced files renamed into their folders;
    the folders were never synced, so after a power cut the import could be gone from
    the history a report judges past days by. Now each folder is synced after its
    file is there."""
    from posture_guard.plan import plan_history_dir

    import_plan(EXAMPLE, now=datetime.combine(FIRST, time(8)))
    (entry,) = plan_history()
    history = [names for p, names in fsynced if p == plan_history_dir().resolve()]
    assert history and entry.path.name in history[-1]
    active = [names for p, names in fsynced if p == active_plan_path().parent.resolve()]
    assert active and active_plan_path().name in active[-1]


def test_a_plan_that_cannot_be_saved_leaves_no_history_entry(tmp_path: Path) -> None:
    """The history must not claim an import that did not happen."""
    import_plan(EXAMPLE, now=datetime.combine(FIRST, time(8)))
    active = active_plan_path()
    active.unlink()
    active.mkdir()  # a folder where the plan file goes: saving the plan fails
    with pytest.raises(UserError, match="is a folder, not a plan file; move it away"):
        import_plan(_second(tmp_path), now=datetime.combine(REVISED, time(8)))
    assert [e.at.date() for e in plan_history()] == [FIRST]


def test_a_kept_plan_a_later_rule_rejects_is_named_only_when_its_days_are_reported(
    tmp_path: Path,
) -> None:
    from posture_guard.plan import plan_periods

    import_plan(EXAMPLE, now=datetime.combine(FIRST, time(8)))
    import_plan(_second(tmp_path), now=datetime.combine(REVISED, time(8)))
    first = plan_history()[0]
    first.path.write_text("schema = 1\nstart = 2024-03-04\n", encoding="utf-8")  # damaged
    later = plan_periods(REVISED, LAST, None)
    assert [(p.first, p.last, p.plan.start) for p in later] == [(REVISED, LAST, REVISED)]
    with pytest.raises(UserError, match="the plan imported on 2024-03-04 08:00 cannot be used"):
        plan_periods(FIRST, LAST, None)


def _copy_by_hand(source: Path, at: datetime) -> None:
    """plan.toml replaced without `plan import` (copied in, restored from a backup), the
    file dated ``at``."""
    active = active_plan_path()
    active.write_bytes(source.read_bytes())
    os.utime(active, (at.timestamp(), at.timestamp()))


@needs_poppler
def test_the_first_plan_restored_by_hand_judges_the_days_from_its_restore(
    tmp_path: Path,
) -> None:
    """The week-1 plan copied back over the revision at 03-25 (no `plan import`): the
    coach follows it from then, so the report judges 03-25..03-31 by it, and a later
    import keeps that period in the history rather than losing it."""
    second = _second(tmp_path)
    db = tmp_path / "p.sqlite3"
    _populate(db, second)
    import_plan(EXAMPLE, now=datetime.combine(FIRST, time(8)))
    import_plan(second, now=datetime.combine(REVISED, time(8)))
    restored = date(2024, 3, 25)
    _copy_by_hand(EXAMPLE, datetime.combine(restored, time(9)))

    page1, _, rows = _report(db, tmp_path, "--from", str(FIRST), "--to", str(LAST))
    by_day = {r["date"]: r for r in rows}
    for d in _days(restored, LAST):
        assert int(by_day[d.isoformat()]["exercises_prescribed"]) == _first_plan_doses(d), d
        assert by_day[d.isoformat()]["target_met"] == "yes", d
    assert "Plans: 3 periods" in page1
    assert "03-25..03-31: 2024-03-04 to 2024-03-31, 3 exercises" in page1

    import_plan(second, now=datetime.combine(date(2024, 3, 28), time(8)))
    history = plan_history()
    assert [e.at for e in history][2:] == [
        datetime.combine(restored, time(9)),
        datetime.combine(date(2024, 3, 28), time(8)),
    ]
    assert history[2].path.read_bytes() == EXAMPLE.read_bytes()


def test_a_plan_restored_by_hand_with_its_old_date_counts_from_when_it_is_noticed(
    tmp_path: Path,
) -> None:
    """A restore that keeps the file's old date (cp -p, a backup tool) says nothing of
    when it happened: the history records it when it is noticed, never before the plan
    it replaced was imported; a plan.toml that does not validate is not recorded."""
    from posture_guard.plan import plan_periods, record_unrecorded_change

    import_plan(EXAMPLE, now=datetime.combine(FIRST, time(8)))
    import_plan(_second(tmp_path), now=datetime.combine(REVISED, time(8)))
    _copy_by_hand(EXAMPLE, datetime.combine(FIRST, time(7)))
    noticed = datetime.combine(date(2024, 3, 27), time(10))
    assert record_unrecorded_change(noticed) is not None
    assert record_unrecorded_change(noticed + timedelta(hours=1)) is None  # once
    periods = plan_periods(REVISED, LAST, None)
    assert [(p.first, p.plan.start) for p in periods] == [
        (REVISED, REVISED),
        (noticed.date(), FIRST),
    ]

    active_plan_path().write_text("schema = 1\n", encoding="utf-8")  # broken by hand
    assert record_unrecorded_change(noticed + timedelta(days=1)) is None
    active_plan_path().unlink()  # removed by hand: no plan from when it is noticed
    assert record_unrecorded_change(noticed + timedelta(days=2)) is not None
    assert plan_history()[-1].cleared
    assert plan_periods(LAST, LAST, None)[0].plan is None


def test_an_import_corrected_the_same_day_judges_no_day(tmp_path: Path) -> None:
    """The plan imported on Wednesday 09:00 with a mistyped start (a year early) and 3
    chin tucks, corrected at 09:30: Monday and Tuesday, before the history, take the
    corrected plan, and the report's default first day is its start, not the typo's."""
    from posture_guard.plan import plan_course_start, plan_periods

    wednesday = FIRST + timedelta(days=2)
    typo = tmp_path / "typo.toml"
    typo.write_text(SECOND.format(start="2023-03-18").replace("= 4", "= 3"), encoding="utf-8")
    import_plan(typo, now=datetime.combine(wednesday, time(9)))
    import_plan(_second(tmp_path, start=FIRST), now=datetime.combine(wednesday, time(9, 30)))

    periods = plan_periods(FIRST, wednesday, None)
    assert [(p.first, p.last, p.plan.start) for p in periods] == [(FIRST, wednesday, FIRST)]
    assert prescribed_count(periods[0].plan, "chin_tuck", FIRST) == 4
    assert plan_course_start() == FIRST


def test_the_same_plan_cleared_and_imported_again_is_one_period(tmp_path: Path) -> None:
    """Cleared and imported again the same day, then imported again a week on: the same
    prescription all along, so the report has one plan period (not the plan listed and
    described twice, as if revised); a clear that held for days still splits it."""
    from posture_guard.plan import plan_periods

    import_plan(EXAMPLE, now=datetime.combine(FIRST, time(8)))
    assert clear_plan(now=datetime.combine(date(2024, 3, 11), time(10)))
    import_plan(EXAMPLE, now=datetime.combine(date(2024, 3, 11), time(10, 5)))
    import_plan(EXAMPLE, now=datetime.combine(REVISED, time(8)))
    periods = plan_periods(FIRST, LAST, None)
    assert [(p.first, p.last, p.since) for p in periods] == [
        (FIRST, LAST, datetime.combine(FIRST, time(8)))
    ]

    assert clear_plan(now=datetime.combine(date(2024, 3, 25), time(10)))
    import_plan(EXAMPLE, now=datetime.combine(date(2024, 3, 28), time(10)))
    periods = plan_periods(FIRST, LAST, None)
    assert [(p.first, p.plan is None) for p in periods] == [
        (FIRST, False),  # to the clear's morning
        (date(2024, 3, 26), True),
        (date(2024, 3, 28), False),
    ]


def test_a_plan_imported_to_start_later_leaves_the_current_one_in_force_till_then(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The next block sent on Friday to start on Monday and imported at once: the plan
    in force stays so until Monday, for the coach, `done`, `plan show` and the report
    (the new plan replaced it at once, leaving no plan over the weekend); a clear still
    ends it at once."""
    from posture_guard.plan import coach_overrides, plan_periods

    today = date.today()
    monday = today + timedelta(days=3)
    running = tmp_path / "running.toml"  # the example: 3 exercises, wall_angel every day
    running.write_text(
        re.sub(r'(?m)^days = \["mon", "wed", "fri"\]\n', "", EXAMPLE.read_text(encoding="utf-8"))
        .replace("2024-03-04", str(today - timedelta(days=7)))
        .replace("2024-03-31", str(today + timedelta(days=20))),
        encoding="utf-8",
    )
    later = tmp_path / "later.toml"  # 4 chin tucks a day, no wall_angel
    later.write_text(
        SECOND.format(start=monday)
        .replace("2024-04-14", str(today + timedelta(days=30)))
        .replace("12:00-13:00", "13:00-14:00"),
        encoding="utf-8",
    )
    db = ["--db", str(tmp_path / "p.sqlite3")]
    from posture_guard.store import Store

    Store.open(tmp_path / "p.sqlite3").close()  # a --db that names no database is refused
    # imported at last week's session (one imported today would be named as maybe a
    # mistake, see test_a_plan_imported_instead_of_a_mistake_today_leaves_the_mistake_no_day)
    import_plan(running, now=datetime.combine(today - timedelta(days=7), time(9)))

    assert cli.main(["plan", "import", str(later)]) == 0
    out = capsys.readouterr().out
    assert (
        f"this plan starts on {monday}; the current plan ({today - timedelta(days=7)} to "
        f"{today + timedelta(days=20)}) stays in force until then\n"
    ) in out
    assert "warning" not in out
    # the coach: the running plan's quiet hours till Monday, the new plan's from then
    assert coach_overrides(today)[0].quiet_hours == (time(12), time(13))
    assert coach_overrides(monday - timedelta(days=1))[0].quiet_hours == (time(12), time(13))
    assert coach_overrides(monday)[0].quiet_hours == (time(13), time(14))
    # the report: each day by the plan in force then
    periods = plan_periods(today, monday, None)
    assert [(p.first, p.last) for p in periods] == [(today, monday - timedelta(days=1))] + [
        (monday, monday)
    ]
    assert prescribed_count(periods[0].plan, "wall_angel", today) == 1
    assert prescribed_count(periods[1].plan, "chin_tuck", monday) == 4
    # `done` today: the running plan's exercise, its count today
    assert cli.main(["done", "wall_angel", *db]) == 0
    assert "1 of 1" in capsys.readouterr().out
    # `plan show`: what is in force now, and what comes when
    assert cli.main(["plan", "show"]) == 0
    shown = capsys.readouterr().out
    now_at = shown.index(f"In force now, until {monday}:")
    next_at = shown.index(f"Scheduled from {monday}")
    assert now_at < shown.index("[wall_angel]") < next_at
    assert shown.index(f"{monday} to {today + timedelta(days=30)} (not started yet)") > next_at
    assert cli.main(["config"]) == 0
    assert (
        f"# plan: the plan in force until {monday}, when {active_plan_path()} starts, is "
        f"active today ({today - timedelta(days=7)}..{today + timedelta(days=20)})"
    ) in capsys.readouterr().out

    # a clear ends the plan in force at once, and the one to come with it
    assert cli.main(["plan", "clear"]) == 0
    assert coach_overrides(today) == (None, None)
    assert coach_overrides(monday) == (None, None)
    assert [p.plan for p in plan_periods(today + timedelta(days=1), monday, None)] == [None]


def test_a_plan_imported_to_start_later_with_no_plan_before_says_none_holds_till_then(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With no plan in force (the first plan, or after a clear), a plan that starts later
    leaves none till then, and the import says so."""
    from posture_guard.plan import coach_overrides

    today = date.today()
    later = tmp_path / "later.toml"
    later.write_text(
        SECOND.format(start=today + timedelta(days=3)).replace(
            "2024-04-14", str(today + timedelta(days=30))
        ),
        encoding="utf-8",
    )
    assert cli.main(["plan", "import", str(later)]) == 0
    assert (
        f"warning: this plan starts on {today + timedelta(days=3)}; until then no plan is in force"
    ) in capsys.readouterr().out
    assert coach_overrides(today) == (None, None)
    assert coach_overrides(today + timedelta(days=3))[0] is not None


@pytest.mark.parametrize("running", [False, True])
def test_a_plan_imported_to_start_after_another_still_to_come_says_each_holds_in_turn(
    running: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Yesterday a plan to start in 3 days; today one to start in 7: no plan till the
    first starts, the first from then till the second starts, and the import says so, as
    the coach follows them (it said "until then no plan is in force"). So too with a
    plan running now: it holds till the first starts (it said: till the second)."""
    from posture_guard.plan import coach_overrides

    today = date.today()
    yesterday = datetime.combine(today - timedelta(days=1), time(9))
    three, seven = today + timedelta(days=3), today + timedelta(days=7)
    if running:
        before = _today_plan(tmp_path, "running.toml", today - timedelta(days=7), 2, "12:00-13:00")
        import_plan(before, now=yesterday - timedelta(days=7))
    first = _today_plan(tmp_path, "first.toml", three, 3, "13:00-14:00")
    second = _today_plan(tmp_path, "second.toml", seven, 5, "14:00-15:00")
    import_plan(first, now=yesterday)
    assert cli.main(["plan", "import", str(second)]) == 0
    now = (
        f"the current plan ({today - timedelta(days=7)} to {today + timedelta(days=23)}) "
        f"stays in force until {three}"
        if running
        else f"no plan is in force until {three} (the coach keeps to your own settings, and "
        "a report prescribes no doses those days)"
    )
    assert capsys.readouterr().out.endswith(
        f"{'' if running else 'warning: '}this plan starts on {seven}; {now}, then the plan "
        f"{three} to {three + timedelta(days=30)}, imported before, holds from {three} until "
        f"{seven}\n"
    )
    today_quiet = coach_overrides(today)[0]
    assert (today_quiet and today_quiet.quiet_hours) == ((time(12), time(13)) if running else None)
    assert coach_overrides(three)[0].quiet_hours == (time(13), time(14))
    assert coach_overrides(seven - timedelta(days=1))[0].quiet_hours == (time(13), time(14))
    assert coach_overrides(seven)[0].quiet_hours == (time(14), time(15))


@pytest.mark.parametrize("running", [False, True])
def test_plan_show_shows_each_plan_to_come_before_the_active_ones_start(
    running: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A plan imported to start in 3 days, then one to start in 7: `plan show` tells
    what holds when, as the coach follows it: the running plan (or none) till the first
    starts, the first till the second starts, then the second. It showed the second
    alone (or the running plan "until" the second's start), the first nowhere."""
    today = date.today()
    three, seven = today + timedelta(days=3), today + timedelta(days=7)
    if running:
        before = _today_plan(tmp_path, "running.toml", today - timedelta(days=7), 2, "12:00-13:00")
        import_plan(before, now=datetime.combine(today - timedelta(days=7), time(9)))
    import_plan(_today_plan(tmp_path, "first.toml", three, 3, "13:00-14:00"))
    import_plan(_today_plan(tmp_path, "second.toml", seven, 5, "14:00-15:00"))
    capsys.readouterr()
    assert cli.main(["plan", "show"]) == 0
    shown = capsys.readouterr().out
    now = (
        [f"In force now, until {three}:", f"Plan for RM-03: {today - timedelta(days=7)} to "]
        if running
        else [f"No plan in force now, until {three} (the coach keeps to your own settings)."]
    )
    said = [
        *now,
        f"In force from {three} until {seven}:",
        f"Plan for RM-03: {three} to {three + timedelta(days=30)} (not started yet)",
        f"Scheduled from {seven} (imported last; it then replaces the above):",
        f"Plan for RM-03: {seven} to {seven + timedelta(days=30)} (not started yet)",
    ]
    at = [shown.find(line) for line in said]
    assert -1 not in at and at == sorted(at), shown
    assert shown.count("Plan for RM-03: ") == sum(line.startswith("Plan ") for line in said)


def test_config_says_the_running_plan_holds_till_a_plan_to_come_starts_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A plan running, one imported to start in 3 days, then one to start in 7:
    `config` says the running plan is in force until the first starts (it said until
    the second's start, when plan.toml starts)."""
    today = date.today()
    three, seven = today + timedelta(days=3), today + timedelta(days=7)
    running = _today_plan(tmp_path, "running.toml", today - timedelta(days=7), 2, "12:00-13:00")
    import_plan(running, now=datetime.combine(today - timedelta(days=7), time(9)))
    import_plan(_today_plan(tmp_path, "first.toml", three, 3, "13:00-14:00"))
    import_plan(_today_plan(tmp_path, "second.toml", seven, 5, "14:00-15:00"))
    capsys.readouterr()
    assert cli.main(["config"]) == 0
    assert (
        f"# plan: the plan in force until {three} is active today "
        f"({today - timedelta(days=7)}..{today + timedelta(days=23)})"
    ) in capsys.readouterr().out


def test_a_plan_imported_to_start_tomorrow_after_a_clear_today_brings_back_no_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The running plan cleared today, then the next block imported to start tomorrow:
    no plan holds for the rest of today, for the coach, `plan show` and the import's
    words, as `plan clear` said (the cleared plan came back in force till tomorrow: the
    coach prompted its doses again and the import said it "stays in force until then").
    The report still judges today by it up to the clear."""
    from posture_guard.plan import coach_overrides, plan_periods

    today = date.today()
    tomorrow = today + timedelta(days=1)
    running = _today_plan(tmp_path, "running.toml", today - timedelta(days=7), 2, "12:00-13:00")
    import_plan(running, now=datetime.combine(today - timedelta(days=7), time(9)))
    nxt = _today_plan(tmp_path, "next.toml", tomorrow, 5, "14:00-15:00")
    assert cli.main(["plan", "clear"]) == 0
    assert cli.main(["plan", "import", str(nxt)]) == 0
    assert capsys.readouterr().out.endswith(
        f"warning: this plan starts on {tomorrow}; until then no plan is in force (the coach "
        "keeps to your own settings, and a report prescribes no doses those days)\n"
    )
    assert coach_overrides(today) == (None, None)
    assert coach_overrides(tomorrow)[0].quiet_hours == (time(14), time(15))
    assert cli.main(["plan", "show"]) == 0
    shown = capsys.readouterr().out
    assert "In force now" not in shown and f"Plan for RM-03: {today - timedelta(days=7)}" not in (
        shown
    )
    (period,) = plan_periods(today, today, None)
    assert period.until == plan_history()[-2].at
    assert prescribed_count(period.plan, "chin_tuck", today) == 2


def _today_plan(tmp_path: Path, name: str, start: date, times: int, quiet: str) -> Path:
    """A plan of ``times`` chin tucks a day from ``start`` for a month, ``quiet`` hours."""
    path = tmp_path / name
    path.write_text(
        SECOND.format(start=start)
        .replace("2024-04-14", str(start + timedelta(days=30)))
        .replace("times_per_day = 4", f"times_per_day = {times}")
        .replace("12:00-13:00", quiet),
        encoding="utf-8",
    )
    return path


def test_a_plan_imported_instead_of_a_mistake_today_leaves_the_mistake_no_day(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The running plan (since last week), then today a plan typed to start today by
    mistake, corrected by a copy that starts on Monday: imported plainly, the mistake
    holds till Monday (a first block imported with the next at one session must), and
    the import names --instead; imported again with --instead, the mistake held on no
    day, for the coach, `plan show`, `done` and the report: the running plan holds till
    Monday. It kept the mistake in force until Monday, with no way to say it was one."""
    from posture_guard.plan import coach_overrides, plan_periods

    today = date.today()
    monday = today + timedelta(days=7 - today.weekday())
    running = _today_plan(tmp_path, "running.toml", today - timedelta(days=7), 2, "12:00-13:00")
    mistake = _today_plan(tmp_path, "mistake.toml", today, 3, "13:00-14:00")
    corrected = _today_plan(tmp_path, "corrected.toml", monday, 5, "14:00-15:00")
    import_plan(running, now=datetime.combine(today - timedelta(days=7), time(9)))
    Store.open(tmp_path / "p.sqlite3").close()
    db = ["--db", str(tmp_path / "p.sqlite3")]

    assert cli.main(["plan", "import", str(mistake)]) == 0
    out = capsys.readouterr().out
    assert "--instead" not in out  # it starts today: nothing held
    assert ", 1 exercise; a running monitor" in out  # it read "1 exercise(s)"
    assert cli.main(["plan", "import", str(corrected)]) == 0
    out = capsys.readouterr().out
    at = f"{plan_history()[-2].at:%H:%M}"
    assert (
        f"this plan starts on {monday}; the current plan ({today} to "
        f"{today + timedelta(days=30)}) stays in force until then; if the plan imported at "
        f"{at} was a mistake, import this one again with --instead so that it never held\n"
    ) in out
    assert coach_overrides(today)[0].quiet_hours == (time(13), time(14))  # as before

    assert cli.main(["plan", "import", str(corrected), "--instead"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        f"imported plan {corrected} in place of the plan imported at {at} today (withdrawn: "
        f"it held on no day): {monday} to {monday + timedelta(days=30)}, 1 exercise;"
    )
    assert (
        f"this plan starts on {monday}; the current plan ({today - timedelta(days=7)} to "
        f"{today + timedelta(days=23)}) stays in force until then\n"
    ) in out
    # the coach: the running plan till Monday, the corrected one from then
    assert coach_overrides(today)[0].quiet_hours == (time(12), time(13))
    assert coach_overrides(monday - timedelta(days=1))[0].quiet_hours == (time(12), time(13))
    assert coach_overrides(monday)[0].quiet_hours == (time(14), time(15))
    # the report: today to Sunday by the running plan, then the corrected one
    periods = plan_periods(today, monday, None)
    assert [(p.first, p.last) for p in periods] == [
        (today, monday - timedelta(days=1)),
        (monday, monday),
    ]
    assert prescribed_count(periods[0].plan, "chin_tuck", today) == 2
    assert prescribed_count(periods[1].plan, "chin_tuck", monday) == 5
    # `done` today counts the running plan's doses
    assert cli.main(["done", "chin_tuck", *db]) == 0
    assert "1 of 2 prescribed today" in capsys.readouterr().out
    # `plan show`: the running plan now, the corrected one from Monday
    assert cli.main(["plan", "show"]) == 0
    shown = capsys.readouterr().out
    assert (
        shown.index(f"In force now, until {monday}:")
        < shown.index(f"Plan for RM-03: {today - timedelta(days=7)} to")
        < shown.index(f"Scheduled from {monday}")
    )
    assert f"Plan for RM-03: {today} to" not in shown
    # the mistake's copy stays in the history folder, set apart, as a record
    assert [e.path.name for e in plan_history()][-1].endswith(".toml")
    assert len(plan_history()) == 3
    kept = [p.read_bytes() for p in plan_history()[0].path.parent.glob("*.withdrawn.toml")]
    assert kept == [mistake.read_bytes()]


def test_instead_with_nothing_imported_today_to_replace_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--instead replaces an import of today; with none to replace it is refused, the
    plan and the history unchanged: no plan ever imported, the last import days ago,
    this same plan the only one today, the active plan copied in by hand since (no
    import to undo), the plan cleared since."""
    today = date.today()
    first = _today_plan(tmp_path, "first.toml", today - timedelta(days=7), 2, "12:00-13:00")
    second = _today_plan(tmp_path, "second.toml", today + timedelta(days=3), 3, "13:00-14:00")

    def refused(why: str) -> None:
        history = plan_history()
        active = active_plan_path().read_bytes() if active_plan_path().exists() else None
        assert cli.main(["plan", "import", str(second), "--instead"]) == 2
        out, err = capsys.readouterr()
        assert out == "" and err.count("\n") == 1
        assert f"--instead replaces {why}; import {second} without --instead" in err
        assert plan_history() == history
        assert (active_plan_path().read_bytes() if active_plan_path().exists() else None) == (
            active
        )

    refused("a plan imported earlier today, and none was")
    import_plan(first, now=datetime.combine(today - timedelta(days=2), time(9)))
    refused(
        "a plan imported earlier today, and the plan was last imported on "
        f"{today - timedelta(days=2)}"
    )
    assert cli.main(["plan", "import", str(second)]) == 0
    capsys.readouterr()
    refused("a plan imported earlier today, and only this same plan was, so it replaces none")
    active_plan_path().write_bytes(first.read_bytes())  # copied in by hand: no import
    refused(
        f"the plan imported earlier today, but the active plan {active_plan_path()} was "
        "changed since by other means (copied in, restored or removed by hand)"
    )
    assert cli.main(["plan", "clear"]) == 0
    capsys.readouterr()
    refused(
        "the plan imported earlier today, but the plan was cleared at "
        f"{plan_history()[-1].at:%H:%M}, so none is in force to replace"
    )


@needs_poppler
def test_a_plan_imported_on_friday_to_start_on_monday_leaves_the_weekend_to_the_first(
    tmp_path: Path,
) -> None:
    """The revision imported on Friday 03-15 to start on Monday 03-18: the therapist
    report judges Friday to Sunday by the first plan, its doses and target, as the coach
    followed it (they were judged by the revision, not started: no doses, no target)."""
    second = _second(tmp_path)
    db = tmp_path / "p.sqlite3"
    _populate(db, second)
    import_plan(EXAMPLE, now=datetime.combine(FIRST, time(8)))
    import_plan(second, now=datetime.combine(REVISED - timedelta(days=3), time(16)))

    page1, _, rows = _report(db, tmp_path, "--from", str(FIRST), "--to", str(LAST))
    _assert_each_day_by_its_plan(page1, rows)
    assert "03-04..03-17: 2024-03-04 to 2024-03-31, 3 exercises" in page1


@needs_poppler
def test_a_baseline_before_the_plan_is_shown_beside_no_target(tmp_path: Path) -> None:
    """The report reaches back two weeks before the plan (to show the baseline): no
    target judged the baseline, and page 1 says so rather than putting the plan's
    target beside it."""
    second = _second(tmp_path)
    db = tmp_path / "p.sqlite3"
    _populate(db, second)
    import_plan(second, now=datetime.combine(REVISED, time(8)))

    page1, _, _ = _report(db, tmp_path, "--from", str(FIRST), "--to", str(LAST))
    assert (
        "Forward head, % desk time 15.0 % 15.0 % target it was judged by none <= 10 % Good posture"
    ) in page1
    # a window that starts before the plan and ends in it names both, in order
    page1, _, _ = _report(db, tmp_path, "--from", "2024-03-15", "--to", str(LAST))
    assert "target it was judged by none then <= 10 % <= 10 % Good posture" in page1


def test_a_backdated_plan_cleared_the_day_it_is_imported_still_judges_the_days_before(
    tmp_path: Path,
) -> None:
    """The therapist's plan began last week (03-04) and is imported on 03-11 at 09:00:
    the report judges 03-04..03-10 by it (2 of 4 chin tucks done on 03-05). Cleared at
    12:30 that day, those days read "no plan" (nothing prescribed, no adherence): the
    clear, the day's last entry, undid the days the plan judged before it."""
    from posture_guard.plan import plan_periods

    monday = date(2024, 3, 11)
    plan_file = _second(tmp_path, FIRST)
    db = tmp_path / "p.sqlite3"
    plan = load_plan_file(plan_file)
    with Store.open(db) as store:
        for d in _days(FIRST, monday):
            t0 = datetime.combine(d, time(9)).timestamp()
            store.add_spans([Span(PostureState.GOOD, t0, t0 + 3600)])
        for prompt, slot in enumerate(schedule_day(plan, date(2024, 3, 5))[:2], start=1):
            _dose_prompted_and_done(store, date(2024, 3, 5), slot, prompt)
    import_plan(plan_file, now=datetime.combine(monday, time(9)))
    cleared = datetime.combine(monday, time(12, 30))
    assert clear_plan(now=cleared)

    periods = plan_periods(FIRST, monday + timedelta(days=1), None)
    assert [(p.first, p.last, p.plan is None, p.until) for p in periods] == [
        (FIRST, monday, False, cleared),
        (monday + timedelta(days=1), monday + timedelta(days=1), True, None),
    ]
    days, pdf = tmp_path / "r.csv", tmp_path / "r.pdf"
    rc = cli.main(
        ["report", "--therapist", "--pdf", str(pdf), "--csv", str(days), "--db", str(db)]
        + ["--from", str(FIRST), "--to", str(monday)]
    )
    assert rc == 0
    with days.open(newline="", encoding="utf-8") as fh:
        by_day = {r["date"]: r for r in csv.DictReader(fh)}
    assert int(by_day["2024-03-05"]["exercises_prescribed"]) == 4
    assert float(by_day["2024-03-05"]["adherence"]) == 0.5
    assert int(by_day["2024-03-08"]["exercises_prescribed"]) == 4


@pytest.mark.parametrize("running", [False, True])
def test_a_clear_names_the_plan_to_come_it_cancels_and_how_to_keep_it(
    running: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A plan imported to start in 3 days (a plan running now, or none): `plan clear`
    ends both, as a clear ends every plan at once, and says so, naming the plan to come
    and its copy to import again (it said only "active plan removed", and `plan show`
    then "no active plan": the plan to come was gone unnamed)."""
    from posture_guard.plan import coach_overrides

    today = date.today()
    three = today + timedelta(days=3)
    if running:
        before = _today_plan(tmp_path, "running.toml", today - timedelta(days=7), 2, "12:00-13:00")
        import_plan(before, now=datetime.combine(today - timedelta(days=7), time(9)))
    import_plan(_today_plan(tmp_path, "next.toml", three, 5, "14:00-15:00"))
    capsys.readouterr()
    assert cli.main(["plan", "clear"]) == 0
    said = capsys.readouterr().out
    now = (
        f"the plan in force ({today - timedelta(days=7)} to {today + timedelta(days=23)}) ends now"
        if running
        else "no plan was in force"
    )
    (copy,) = [e.path for e in plan_history() if not e.cleared and e.at.date() == today]
    assert said == (
        f"active plan removed: {now}, and the plan to start on {three} (to "
        f"{three + timedelta(days=30)}) is cancelled before it starts; the coach uses its "
        f"own settings again; to keep it, import its copy again: `posture-guard plan "
        f"import {copy}`\n"
    )
    assert coach_overrides(three) == (None, None)
    # the copy named brings the plan to come back, and it alone
    assert cli.main(["plan", "import", str(copy)]) == 0
    assert coach_overrides(today) == (None, None)
    assert coach_overrides(three)[0].quiet_hours == (time(14), time(15))


@pytest.mark.parametrize("number", ["99999999999999999999", "1" + "0" * 30, "2534023008000000"])
@pytest.mark.parametrize("command", ["report", "clear"])
def test_a_hand_made_history_name_with_no_time_is_named_in_the_one_line(
    tmp_path: Path, capsys, number: str, command: str
) -> None:
    """A file put in plan-history/ by hand, named like an entry but with a time no
    system can hold: `report --therapist` and `plan clear` said only "Value too large
    for defined data type" (or an internal error), naming no file to move."""
    plan_file = _second(tmp_path, FIRST)
    import_plan(plan_file, now=datetime.combine(FIRST, time(9)))
    odd = plan_history_dir() / f"0002-{number}.cleared"
    odd.touch()
    db = tmp_path / "p.sqlite3"
    with Store.open(db) as store:
        t0 = datetime.combine(FIRST, time(9)).timestamp()
        store.add_spans([Span(PostureState.GOOD, t0, t0 + 3600)])
    if command == "report":
        argv = ["report", "--therapist", "--pdf", str(tmp_path / "r.pdf"), "--db", str(db)]
    else:
        argv = ["plan", "clear"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(odd) in err[0] and "move it away" in err[0], err
    assert odd.exists() and active_plan_path().exists()  # nothing removed or cleared


def _replay_prompts(start: datetime, tmp_path: Path) -> tuple[str, list[str]]:
    """`replay --notify --db` of the bundled demo stream from ``start``, in its own
    process as a user runs it: (its standard output, the plan doses it logged)."""
    import json
    import sqlite3
    import subprocess
    import sys

    db = tmp_path / f"replay-{start:%Y%m%d%H%M}.sqlite3"
    stream = Path(cli.__file__).parent / "data" / "demo-stream.jsonl.gz"
    done = subprocess.run(
        [sys.executable, "-m", "posture_guard", "replay", "--landmarks", str(stream),
         "--calibrate-seconds", "20", "--slouch-seconds", "15", "--quiet", "--notify",
         "--notifier", "print", "--db", str(db), "--start", start.isoformat()],
        text=True, capture_output=True, env=dict(os.environ), timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(db) as con:
        payloads = [json.loads(p) for (p,) in con.execute(
            "SELECT payload FROM events WHERE kind = 'exercise_prompted'")]  # fmt: skip
    return done.stdout, [p["exercise"] for p in payloads if p["for"] == "plan"]


def test_a_replay_of_a_past_day_coaches_by_the_plan_in_force_that_day_after_a_clear(
    tmp_path: Path,
) -> None:
    """Imported on 03-04, cleared on Wednesday 03-20 at 12:30: a replay of Monday 03-11
    prompts the plan's 09:10 chin tuck, as it did before the clear (it prompted none
    after it: the coach asked the active plan alone, gone since), and the day of the
    clear is the plan's up to the clear, as the report judges it, and no plan's after."""
    import_plan(EXAMPLE, now=datetime.combine(FIRST, time(8)))
    assert clear_plan(now=datetime.combine(date(2024, 3, 20), time(12, 30)))
    assert schedule_day(load_plan_file(EXAMPLE), date(2024, 3, 11))[0].at == time(9, 10)

    out, doses = _replay_prompts(datetime(2024, 3, 11, 9, 8), tmp_path)
    assert doses == ["chin_tuck"] and "Time for your chin tuck" in out
    assert "From your therapist's plan" in out

    _, doses = _replay_prompts(datetime(2024, 3, 20, 9, 8), tmp_path)
    assert doses == ["chin_tuck"]
    afternoon = schedule_day(load_plan_file(EXAMPLE), date(2024, 3, 20))[-1]
    assert afternoon.at > time(12, 30)
    at = datetime.combine(date(2024, 3, 20), afternoon.at) - timedelta(minutes=2)
    _, doses = _replay_prompts(at, tmp_path)
    assert doses == []


@needs_poppler
def test_a_report_without_dates_after_a_clear_covers_the_plan_it_ended(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Imported on 03-04, cleared on 03-20: with no plan active, a report without dates
    covered the last 4 weeks up to today, which held none of the plan's days; it covers
    the days the plan was in force, its start to the clear, and says so."""
    db = tmp_path / "p.sqlite3"
    _populate(db, _second(tmp_path))
    import_plan(EXAMPLE, now=datetime.combine(FIRST, time(8)))
    assert clear_plan(now=datetime.combine(date(2024, 3, 20), time(18)))
    capsys.readouterr()
    page1, _, rows = _report(db, tmp_path)
    said = " ".join(capsys.readouterr().out.split())
    assert "Period: 2024-03-04 to 2024-03-20 (17 days)" in page1
    assert (rows[0]["date"], rows[-1]["date"]) == ("2024-03-04", "2024-03-20")
    assert "Days monitored: 17 of 17" in page1
    assert (
        "no plan is active: the report covers the last plan in force, 2024-03-04 to "
        "2024-03-31, cleared on 2024-03-20 18:00; --from and --to choose other days"
    ) in said
    # dates given: as asked, and nothing said
    _report(db, tmp_path, "--from", "2024-03-10", "--to", "2024-03-12")
    assert "no plan is active" not in capsys.readouterr().out


@needs_poppler
def test_the_plan_periods_say_which_days_came_before_the_plans_start(tmp_path: Path) -> None:
    """The days before the first plan known take it (plan_periods), yet it judges none
    of them before its start: the list read "02-26..03-20: 2024-03-04 to 2024-03-31", as
    if the plan had judged the week before it began."""
    db = tmp_path / "p.sqlite3"
    Store.open(db).close()
    import_plan(EXAMPLE, now=datetime.combine(FIRST, time(8)))
    assert clear_plan(now=datetime.combine(date(2024, 3, 20), time(18)))
    page1, _, rows = _report(db, tmp_path, "--from", "2024-02-26", "--to", "2024-03-24")
    assert "Plans: 3 periods, each day judged by the plan in force then:" in page1
    assert (
        "02-26..03-03: the plan 2024-03-04 to 2024-03-31 not started (adherence and target "
        "not judged) 03-04..03-20: 2024-03-04 to 2024-03-31, 3 exercises"
    ) in page1
    assert "03-21..03-24: no plan (adherence and target not judged)" in page1
    assert all(r["exercises_prescribed"] == "0" for r in rows if r["date"] < "2024-03-04")
