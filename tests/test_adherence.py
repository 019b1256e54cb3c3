"""Adherence: done / skipped / ignored from events, and `posture-guard done` on a real DB."""

from __future__ import annotations

import csv
import json
import sqlite3
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from posture_guard import adherence, cli, plan
from posture_guard.errors import UserError
from posture_guard.exercises import load_library
from posture_guard.store import Event, Store

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "docs" / "plan-example.toml"
DAY = date(2024, 3, 4)  # a Monday inside the example plan


def at(hh: int, mm: int = 0, day: date = DAY) -> float:
    return datetime.combine(day, time(hh, mm)).timestamp()


def prompt(t: float, ex: str, pid: int) -> Event:
    return Event(t, "exercise_prompted", {"exercise": ex, "for": "plan", "prompt": pid})


def test_button_done_snooze_and_silence_are_told_apart() -> None:
    events = [
        prompt(at(9), "chin_tuck", 1),
        Event(at(9, 2), "exercise_done", {"exercise": "chin_tuck", "prompt": 1}),
        prompt(at(11), "chin_tuck", 2),
        Event(at(11, 1), "snooze", {"source": "button", "prompt": 2, "until": ""}),
        prompt(at(14), "chin_tuck", 3),  # never answered
    ]
    a = adherence.account(events, DAY, DAY)
    c = a.total("chin_tuck")
    assert (c.prompted, c.done, c.done_after_prompt, c.skipped, c.ignored, c.pending) == (
        3, 1, 1, 1, 1, 0,
    )  # fmt: skip


def test_cli_done_answers_the_latest_open_prompt_within_the_window() -> None:
    events = [
        prompt(at(9), "chin_tuck", 1),
        Event(at(9, 30), "exercise_done", {"exercise": "chin_tuck", "pain": 3, "via": "cli"}),
        prompt(at(12), "chin_tuck", 2),
        # 91 minutes later: too late to count as an answer, but still a done exercise
        Event(at(13, 31), "exercise_done", {"exercise": "chin_tuck", "pain": 5, "via": "cli"}),
    ]
    c = adherence.account(events, DAY, DAY).total("chin_tuck")
    assert (c.done, c.done_after_prompt, c.ignored) == (2, 1, 1)
    assert c.pains == [3, 5]


def test_a_new_prompt_supersedes_an_unanswered_one() -> None:
    events = [
        prompt(at(9), "neck_rotation", 1),
        prompt(at(9, 30), "neck_rotation", 2),
        Event(at(9, 31), "exercise_done", {"exercise": "neck_rotation", "prompt": 2}),
    ]
    c = adherence.account(events, DAY, DAY).total("neck_rotation")
    assert (c.prompted, c.ignored, c.done_after_prompt) == (2, 1, 1)


def test_prompts_still_in_their_window_are_pending_not_ignored() -> None:
    events = [prompt(at(16), "chin_tuck", 1)]
    now = at(16, 30)
    c = adherence.account(events, DAY, DAY, horizon=now).total("chin_tuck")
    assert (c.ignored, c.pending) == (0, 1)
    c = adherence.account(events, DAY, DAY).total("chin_tuck")  # the day is over
    assert (c.ignored, c.pending) == (1, 0)


def test_adherence_is_capped_per_day_against_the_prescription() -> None:
    p = plan.load_plan_file(EXAMPLE)  # chin_tuck 3 a day, Mon-Fri
    tue = DAY + timedelta(days=1)
    events = [
        Event(at(9 + i), "exercise_done", {"exercise": "chin_tuck", "via": "cli"}) for i in range(5)
    ]  # five on Monday, none on Tuesday
    a = adherence.account(events, DAY, tue, p)
    assert a.total("chin_tuck").prescribed == 6
    assert a.total("chin_tuck").done == 5
    assert a.share("chin_tuck") == pytest.approx(3 / 6)  # Monday's extra two don't count
    assert a.share("chin_tuck", DAY) == 1.0 and a.share("chin_tuck", tue) == 0.0
    assert a.exercises[:3] == ["chin_tuck", "upper_trapezius_stretch", "wall_angel"]


def test_done_command_records_into_the_real_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "p.sqlite3"
    Store.open(db).close()  # a --db that names no database is refused
    assert cli.main(["done", "chin_tuck", "--pain", "4", "--db", str(db)]) == 0
    prompted_at = datetime.now() - timedelta(minutes=5)
    with Store.open(db) as store:  # the coach prompted neck_rotation five minutes ago
        store.log_event(
            "exercise_prompted",
            prompted_at,
            {"exercise": "neck_rotation", "for": "plan", "prompt": 7},
        )
    assert cli.main(["done", "neck_rotation", "--skipped", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "chin_tuck: done at" in out and "pain 4/10" in out
    assert "neck_rotation: skipped at" in out
    conn = sqlite3.connect(str(db))
    rows = conn.execute("SELECT kind, payload FROM events ORDER BY id").fetchall()
    conn.close()
    assert [(k, json.loads(p)) for k, p in rows] == [
        ("exercise_done", {"exercise": "chin_tuck", "pain": 4, "via": "cli"}),
        ("exercise_prompted", {"exercise": "neck_rotation", "for": "plan", "prompt": 7}),
        ("exercise_skipped", {"exercise": "neck_rotation", "via": "cli"}),
    ]
    # (a skip counts on the day of its prompt, which is yesterday just after midnight)
    with Store.open(db) as store:
        days = adherence.load(store, prompted_at.date(), date.today())
    assert days.total("neck_rotation").skipped == 1


def test_a_skip_without_an_open_prompt_is_refused_not_stored_and_lost(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A skip declines a prompt. With none open (never prompted, or the prompt's window
    is over) it was stored, counted nowhere, and the patient told "skipped at 09:12"."""
    db = tmp_path / "p.sqlite3"
    with Store.open(db) as store:  # a prompt too old to answer
        store.log_event(
            "exercise_prompted",
            datetime.now() - timedelta(seconds=adherence.RESPONSE_WINDOW_S + 60),
            {"exercise": "neck_rotation", "for": "plan", "prompt": 7},
        )
    for ex in ("neck_rotation", "chin_tuck"):
        assert cli.main(["done", ex, "--skipped", "--db", str(db)]) == 2
        err = capsys.readouterr().err
        assert f"no prompt for {ex} in the last 90 min to skip" in err
        assert err.count("\n") == 1
    with Store.open(db) as store:
        assert [e.kind for e in store.events(0, 4e9)] == ["exercise_prompted"]


def test_done_help_says_skipped_declines_an_open_prompt_as_done_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The help said "--skipped  record it as skipped instead": a user who chose not to do
    # a dose, with no prompt open, was refused, the help having promised a record.
    with pytest.raises(SystemExit):
        cli.main(["done", "--help"])
    said = " ".join(capsys.readouterr().out.split())
    start = said.index("--skipped ")  # its line under options, after the usage
    help_text = said[start : said.index("--date DATE", start)]
    assert "record it as skipped" not in help_text
    minutes = adherence.RESPONSE_WINDOW_S / 60
    assert f"decline its prompt of the last {minutes:g} min" in help_text
    assert "refused with none open" in help_text
    db = tmp_path / "p.sqlite3"
    Store.open(db).close()
    assert cli.main(["done", "chin_tuck", "--skipped", "--db", str(db)]) == 2  # as it says
    assert f"no prompt for chin_tuck in the last {minutes:g} min" in capsys.readouterr().err
    with Store.open(db) as store:  # a prompt open: declined, as the help says
        store.log_event(
            "exercise_prompted",
            datetime.now() - timedelta(minutes=5),
            {"exercise": "chin_tuck", "for": "plan", "prompt": 1},
        )
    assert cli.main(["done", "chin_tuck", "--skipped", "--db", str(db)]) == 0
    with Store.open(db) as store:
        days = adherence.load(store, date.today(), date.today())
    assert days.total("chin_tuck").skipped == 1


def test_done_help_points_to_a_list_of_the_ids_also_without_a_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The help sent the user to `plan show` for the ids: without a plan it lists none,
    # while done takes every id of the exercise library; the refusal of one not known
    # lists them all, so the help says so.
    assert cli.main(["plan", "show"]) == 0
    assert "chin_tuck" not in capsys.readouterr().out  # no plan: no ids there
    with pytest.raises(SystemExit):
        cli.main(["done", "--help"])
    said = " ".join(capsys.readouterr().out.split())
    assert "refused with the list of all" in said and "library" in said
    db = tmp_path / "p.sqlite3"
    Store.open(db).close()
    assert cli.main(["done", "no_such_exercise", "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert all(ex.id in err for ex in load_library().exercises)


def test_done_accepts_custom_plan_exercises_and_rejects_unknown_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "p.sqlite3"
    Store.open(db).close()  # a --db that names no database is refused
    assert cli.main(["done", "wall_angel", "--db", str(db)]) == 2  # no plan: not known
    assert "unknown exercise 'wall_angel'" in capsys.readouterr().err
    assert cli.main(["plan", "import", str(EXAMPLE)]) == 0
    assert cli.main(["done", "wall_angel", "--db", str(db)]) == 0
    for bad in (["--pain", "11"], ["--pain", "-1"], ["--pain", "3", "--skipped"]):
        capsys.readouterr()
        assert cli.main(["done", "chin_tuck", *bad, "--db", str(db)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("posture-guard: ") and err.count("\n") == 1
    with Store.open(db) as store:
        kinds = [e.kind for e in store.events(0, 4e9)]
    assert kinds == ["exercise_done"]  # the rejected entries recorded nothing


def test_record_refuses_bad_pain_without_touching_the_store(tmp_path: Path) -> None:
    with Store.open(tmp_path / "p.sqlite3") as store:
        with pytest.raises(UserError, match="--pain must be a whole number from 0 to 10"):
            adherence.record(store, "chin_tuck", datetime(2024, 3, 4, 9), pain=True)  # type: ignore[arg-type]
        assert store.events(0, 4e9) == []


def _counts(c: adherence.ExerciseDay) -> tuple[int, ...]:
    return (c.prompted, c.done, c.done_after_prompt, c.skipped, c.ignored, c.pending)


def test_a_done_button_answers_its_own_prompt_after_a_newer_one_came() -> None:
    """A plan dose at 10:00, an alert suggesting the same exercise at 10:20, Done pressed on
    the 10:00 notification: the button names its prompt, so that one was answered."""
    events = [
        prompt(at(10), "chin_tuck", 1),
        Event(at(10, 20), "exercise_prompted", {"exercise": "chin_tuck", "for": "forward_head",
                                                "prompt": 2}),
        Event(at(10, 25), "exercise_done", {"exercise": "chin_tuck", "prompt": 1}),
    ]  # fmt: skip
    c = adherence.account(events, DAY, DAY).total("chin_tuck")
    assert (c.prompted, c.done, c.done_after_prompt, c.ignored) == (2, 1, 1, 1)
    # the same holds for the Snooze button, and a superseded prompt left alone is ignored
    events[2] = Event(at(10, 25), "snooze", {"source": "button", "prompt": 1, "until": ""})
    c = adherence.account(events, DAY, DAY).total("chin_tuck")
    assert (c.skipped, c.ignored) == (1, 1)
    c = adherence.account(events[:2], DAY, DAY).total("chin_tuck")
    assert (c.prompted, c.ignored, c.pending) == (2, 2, 0)


def test_a_superseded_prompt_takes_no_command_line_answer() -> None:
    events = [
        prompt(at(10), "chin_tuck", 1),
        prompt(at(10, 20), "chin_tuck", 2),
        Event(at(10, 25), "exercise_done", {"exercise": "chin_tuck", "via": "cli"}),
        Event(at(10, 30), "exercise_done", {"exercise": "chin_tuck", "via": "cli"}),
    ]
    c = adherence.account(events, DAY, DAY).total("chin_tuck")
    # the first `done` answers the newer prompt; the older one is not answered by the second
    assert (c.done, c.done_after_prompt, c.ignored) == (2, 1, 1)


def test_an_answer_after_midnight_counts_on_the_day_of_its_prompt() -> None:
    """A break prompt at 23:50, done at 00:05: the done and its answer land on one day, so
    each day's prompts add up and no day shows an answer without its done."""
    tue = DAY + timedelta(days=1)
    events = [
        Event(at(23, 50), "exercise_prompted", {"exercise": "chin_tuck", "for": "break",
                                                "prompt": 1}),
        Event(at(0, 5, tue), "exercise_done", {"exercise": "chin_tuck", "pain": 2, "via": "cli"}),
        Event(at(9, 0, tue), "exercise_done", {"exercise": "chin_tuck", "via": "cli"}),
    ]  # fmt: skip
    a = adherence.account(events, DAY, tue)
    mon_c, tue_c = a.cell(DAY, "chin_tuck"), a.cell(tue, "chin_tuck")
    assert (mon_c.prompted, mon_c.done, mon_c.done_after_prompt, mon_c.pains) == (1, 1, 1, [2])
    assert (tue_c.prompted, tue_c.done, tue_c.done_after_prompt, tue_c.pains) == (0, 1, 0, [])
    for c in (mon_c, tue_c):
        assert c.prompted == c.done_after_prompt + c.skipped + c.ignored + c.pending
        assert c.done >= c.done_after_prompt
    # a report of Monday alone gives Monday the same numbers (the window after is read)
    assert _counts(adherence.account(events, DAY, DAY).cell(DAY, "chin_tuck")) == _counts(mon_c)


def test_counts_do_not_depend_on_events_after_the_range_that_answer_nothing() -> None:
    """A prompt late on the last day is settled the same way whether or not the next
    day's (unrelated) events were loaded: by the default horizon it went unanswered."""
    tue = DAY + timedelta(days=1)
    late = [prompt(at(23), "chin_tuck", 1)]
    more = late + [prompt(at(0, 45, tue), "neck_rotation", 2)]
    alone = adherence.account(late, DAY, DAY).cell(DAY, "chin_tuck")
    with_next = adherence.account(more, DAY, DAY).cell(DAY, "chin_tuck")
    assert _counts(alone) == _counts(with_next)
    assert (alone.ignored, alone.pending) == (1, 0)
    # with "now" at 23:30 it is pending whatever comes later in the list
    now = at(23, 30)
    assert adherence.account(more, DAY, DAY, horizon=now).cell(DAY, "chin_tuck").pending == 1


def test_a_day_not_over_counts_only_the_doses_due_and_recent_prompts_as_pending(
    store: Store,
) -> None:
    """Mid-morning on a plan day (real SQLite): doses still to come are not prescribed yet,
    and a prompt from minutes ago is pending, not ignored."""
    p = plan.load_plan_file(EXAMPLE)
    slots = [s for s in plan.schedule_day(p, DAY) if s.exercise == "chin_tuck"]
    assert len(slots) == 3
    first_at = datetime.combine(DAY, slots[0].at)
    now = first_at + timedelta(minutes=5)
    store.log_event("exercise_prompted", first_at, {"exercise": "chin_tuck", "for": "plan",
                                                    "prompt": 1})  # fmt: skip
    c = adherence.load(store, DAY, DAY, p, horizon=now.timestamp()).total("chin_tuck")
    assert (c.prescribed, c.prompted, c.ignored, c.pending) == (1, 1, 0, 1)
    # once the day is over: the whole prescription, and the prompt was ignored
    c = adherence.load(store, DAY, DAY, p).total("chin_tuck")
    assert (c.prescribed, c.ignored, c.pending) == (3, 1, 0)


def test_load_counts_as_of_now_by_default(store: Store) -> None:
    """Without a horizon, a range that includes today is counted as of the clock."""
    shown = datetime.now() - timedelta(minutes=5)
    store.log_event("exercise_prompted", shown, {"exercise": "chin_tuck", "for": "break",
                                                 "prompt": 1})  # fmt: skip
    c = adherence.load(store, shown.date(), shown.date()).total("chin_tuck")
    assert (c.prompted, c.ignored, c.pending) == (1, 0, 1)


def test_done_beyond_the_prescription_is_said_apart_as_the_report_counts_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A fourth `done` of an exercise prescribed 3 times that day said "(4 of 3 prescribed
    that day)", a share over the whole, while the therapist report counts 3 of 3 doses
    done."""
    day = date.today() - timedelta(days=1)
    text = plan.new_plan_text(day, exercises=("chin_tuck",))
    text = text.replace('days = ["mon", "tue", "wed", "thu", "fri"]', "")  # every day
    f = tmp_path / "plan.toml"
    f.write_text(text, encoding="utf-8")
    assert cli.main(["plan", "import", str(f)]) == 0
    whole = plan.prescribed_count(plan.load_plan_file(f), "chin_tuck", day)
    assert whole >= 2
    db = tmp_path / "p.sqlite3"
    Store.open(db).close()
    capsys.readouterr()
    done = ["done", "chin_tuck", "--date", str(day), "--db", str(db)]
    for _ in range(whole):
        assert cli.main(done) == 0
    assert capsys.readouterr().out.endswith(f"({whole} of {whole} prescribed that day)\n")
    assert cli.main(done) == 0
    told = capsys.readouterr().out
    assert told.endswith(f"({whole} of {whole} prescribed that day, and 1 more)\n"), told
    pdf, days = tmp_path / "r.pdf", tmp_path / "r.csv"
    args = ["report", "--therapist", "--from", str(day), "--to", str(day), "--db", str(db)]
    assert cli.main([*args, "--pdf", str(pdf), "--csv", str(days), "--plan", str(f)]) == 0
    with open(days, newline="", encoding="utf-8") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["exercises_prescribed"] == str(whole)
    assert row["exercises_done_of_prescribed"] == str(whole), str(sorted(row.items()))
    assert row["exercises_done"] == str(whole + 1)


def test_done_command_tells_the_whole_days_prescription(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The patient is told the day's doses, not only those due by now (counted as of now)."""
    today = date.today()
    text = plan.new_plan_text(today, exercises=("chin_tuck",))
    text = text.replace('days = ["mon", "tue", "wed", "thu", "fri"]', "")  # every day
    f = tmp_path / "plan.toml"
    f.write_text(text, encoding="utf-8")
    assert cli.main(["plan", "import", str(f)]) == 0
    whole = plan.prescribed_count(plan.load_plan_file(f), "chin_tuck", today)
    assert whole >= 2
    capsys.readouterr()
    Store.open(tmp_path / "p.sqlite3").close()  # a --db that names no database is refused
    assert cli.main(["done", "chin_tuck", "--db", str(tmp_path / "p.sqlite3")]) == 0
    assert f"(1 of {whole} prescribed today)" in capsys.readouterr().out


def test_a_cli_done_answers_the_open_dose_before_a_later_suggestion_of_its_exercise(
    tmp_path: Path,
) -> None:
    """The plan's chin-tuck dose at 10:00; at 10:20 a posture alert suggests a chin tuck
    too; at 10:25 the patient runs `posture-guard done chin_tuck`. That is the dose done:
    the dose is answered, and the alert's suggestion is the prompt left unanswered (the
    done answered the alert, so the report counted the dose it had done as ignored)."""
    with Store.open(tmp_path / "p.sqlite3") as store:
        store.log_event(
            "exercise_prompted", at(10), {"exercise": "chin_tuck", "for": "plan", "prompt": 1}
        )
        store.log_event(
            "exercise_prompted",
            at(10, 20),
            {"exercise": "chin_tuck", "for": "forward_head", "prompt": 2},
        )
        adherence.record(store, "chin_tuck", datetime.fromtimestamp(at(10, 25)))
        a = adherence.load(store, DAY, DAY, plan.load_plan_file(EXAMPLE))
    c = a.total("chin_tuck")
    assert (c.done, c.done_after_prompt, c.doses_prompted) == (1, 1, 1)
    assert (c.doses_ignored, c.doses_skipped, c.ignored) == (0, 0, 1)


def _every_day_plan(tmp_path: Path, start: date, name: str = "plan.toml") -> Path:
    """chin_tuck and the upper-trapezius stretch every day from ``start`` for 4 weeks."""
    text = plan.new_plan_text(start, exercises=("chin_tuck", "upper_trapezius_stretch"))
    text = text.replace('days = ["mon", "tue", "wed", "thu", "fri"]', "")
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return f


def test_done_for_yesterday_counts_on_yesterday_and_answers_nothing_open_today(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The patient did the chin tucks yesterday away from the desk: `done --date
    yesterday` counts in yesterday's adherence and summary, answers neither the dose
    prompted five minutes ago nor a break prompt open now, and tells the running coach
    nothing (the command had no --date: the done could only be for now)."""
    from posture_guard import control

    today = date.today()
    yesterday = today - timedelta(days=1)
    f = _every_day_plan(tmp_path, today - timedelta(days=10))
    assert cli.main(["plan", "import", str(f)]) == 0
    whole = plan.prescribed_count(plan.load_plan_file(f), "chin_tuck", yesterday)
    db = tmp_path / "p.sqlite3"
    five_ago = datetime.now() - timedelta(minutes=5)
    with Store.open(db) as store:
        # yesterday's 10:00 dose went unanswered (the patient was away)
        store.log_event(
            "exercise_prompted",
            datetime.combine(yesterday, time(10)),
            {"exercise": "chin_tuck", "for": "plan", "prompt": 1},
        )
        store.log_event(
            "exercise_prompted", five_ago, {"exercise": "chin_tuck", "for": "plan", "prompt": 2}
        )
        store.log_event(
            "exercise_prompted",
            five_ago,
            {"exercise": "upper_trapezius_stretch", "for": "break", "prompt": 3},
        )
    capsys.readouterr()
    args = ["--date", "yesterday", "--db", str(db)]
    assert cli.main(["done", "chin_tuck", "--pain", "3", *args]) == 0
    assert f"chin_tuck: done on {yesterday}, pain 3/10 (1 of {whole} prescribed that day)" in (
        capsys.readouterr().out
    )
    assert cli.main(["done", "upper_trapezius_stretch", *args]) == 0
    with Store.open(db) as store:
        past = adherence.load(store, yesterday, yesterday)
        now = adherence.load(store, today, today)
        events = store.events(0, 4e9, ("exercise_done",))
    c = past.total("chin_tuck", yesterday)
    assert (c.done, c.done_after_prompt, c.doses_ignored, c.pains) == (1, 0, 1, [3])
    assert past.total("upper_trapezius_stretch", yesterday).done == 1
    for ex in ("chin_tuck", "upper_trapezius_stretch"):
        c = now.total(ex, today)
        assert (c.done, c.pending) == (0, 1), ex
    assert {adherence._day(e.at) for e in events} == {yesterday}
    assert all(e.payload["day"] == yesterday.isoformat() for e in events)
    assert not control.control_file().exists()  # no break_done for the running coach
    capsys.readouterr()
    assert cli.main(["summary", "--date", "yesterday", "--json", "--db", str(db)]) == 0
    assert json.loads(capsys.readouterr().out)["exercises_done"] == 2


@pytest.mark.parametrize("when", ["tomorrow", "too long ago"])
def test_done_for_a_day_to_come_or_too_long_ago_is_refused_and_records_nothing(
    when: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "p.sqlite3"
    Store.open(db).close()  # a --db that names no database is refused
    days = -1 if when == "tomorrow" else adherence.DONE_DAYS_BACK + 1
    day = date.today() - timedelta(days=days)
    assert cli.main(["done", "chin_tuck", "--date", str(day), "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"posture-guard: --date {day} is ") and err.count("\n") == 1
    assert ("in the future" if days < 0 else f"more than {adherence.DONE_DAYS_BACK} days") in err
    capsys.readouterr()
    yesterday = str(date.today() - timedelta(days=1))
    assert cli.main(["done", "chin_tuck", "--skipped", "--date", yesterday, "--db", str(db)]) == 2
    assert "takes no past --date" in capsys.readouterr().err
    oldest = date.today() - timedelta(days=adherence.DONE_DAYS_BACK)
    assert cli.main(["done", "chin_tuck", "--date", str(oldest), "--db", str(db)]) == 0
    with Store.open(db) as store:
        assert [adherence._day(e.at) for e in store.events(0, 4e9)] == [oldest]


#: what the two plans of a revision share: dates and target
PLAN_HEAD = """schema = 1
start = {start}
end = {end}
[target]
forward_head_max_share = 0.20
"""
OLD_PLAN = (
    PLAN_HEAD
    + """[[exercise]]
id = "chin_tuck"
times_per_day = 3
[[exercise]]
id = "towel_row"
name = "Towel row"
steps = ["Hold a towel at arm's length.", "Pull it to the chest, squeezing the shoulder blades."]
caution = "Stop if the shoulder hurts."
times_per_day = 1
"""
)
NEW_PLAN = (
    PLAN_HEAD
    + """[[exercise]]
id = "chin_tuck"
times_per_day = 5
[[exercise]]
id = "doorway_press"
name = "Doorway press"
steps = ["Stand in a doorway, forearms on the frame.", "Lean forward gently."]
caution = "Stop if the arms tingle."
times_per_day = 2
"""
)


def test_done_for_a_past_day_is_judged_by_the_plan_in_force_that_day(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The therapist revised the plan two days ago: the old plan's custom towel row, done
    four days ago, is accepted for that day and counted against its one dose; the new
    plan's doorway press is not an exercise of that day, but is of yesterday; and the
    chin tucks count against each day's own dose (the command judged every day by the
    current plan: the towel row was unknown, the doorway press accepted for a day it was
    not prescribed, and four days ago told as "1 of 5" chin tucks)."""
    today = date.today()
    revised, before = today - timedelta(days=2), today - timedelta(days=4)
    old, new = tmp_path / "old.toml", tmp_path / "new.toml"
    old.write_text(
        OLD_PLAN.format(start=today - timedelta(days=20), end=today + timedelta(days=20)),
        encoding="utf-8",
    )
    new.write_text(NEW_PLAN.format(start=revised, end=today + timedelta(days=30)), encoding="utf-8")
    plan.import_plan(old, now=datetime.combine(today - timedelta(days=20), time(8)))
    plan.import_plan(new, now=datetime.combine(revised, time(8)))
    db = tmp_path / "p.sqlite3"
    Store.open(db).close()  # a --db that names no database is refused
    capsys.readouterr()

    def done(ex: str, day: date) -> tuple[int, str]:
        rc = cli.main(["done", ex, "--date", str(day), "--db", str(db)])
        out, err = capsys.readouterr()
        return rc, out + err

    assert done("towel_row", before) == (
        0,
        f"towel_row: done on {before} (1 of 1 prescribed that day)\n",
    )
    assert done("chin_tuck", before)[1].endswith("(1 of 3 prescribed that day)\n")
    rc, said = done("doorway_press", before)
    assert rc == 2 and "unknown exercise 'doorway_press'" in said
    yesterday = today - timedelta(days=1)
    rc, said = done("towel_row", yesterday)
    assert rc == 2 and "unknown exercise 'towel_row'" in said
    assert done("doorway_press", yesterday)[1].endswith("(1 of 2 prescribed that day)\n")
    assert done("chin_tuck", yesterday)[1].endswith("(1 of 5 prescribed that day)\n")
    with Store.open(db) as store:
        dones = [(adherence._day(e.at), e.payload["exercise"]) for e in store.events(0, 4e9)]
    assert dones == [
        (before, "towel_row"),
        (before, "chin_tuck"),
        (yesterday, "doorway_press"),
        (yesterday, "chin_tuck"),
    ]


def test_done_on_the_day_of_a_revision_takes_the_replaced_plans_exercises_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The plan revised at an afternoon session, the new one starting that day: the old
    plan's custom towel row, done that morning, is still an exercise of that day (as a
    cleared plan's is), recorded as done though the day is judged by the new plan; the
    day after, it is not. It was "unknown exercise" once the new plan was imported, with
    or without --date: the patient could not record a dose done as prescribed."""
    today = date.today()
    revised = today - timedelta(days=2)
    old, new = tmp_path / "old.toml", tmp_path / "new.toml"
    end = today + timedelta(days=30)
    old.write_text(OLD_PLAN.format(start=today - timedelta(days=20), end=end), "utf-8")
    new.write_text(NEW_PLAN.format(start=revised, end=end), "utf-8")
    plan.import_plan(old, now=datetime.combine(today - timedelta(days=20), time(8)))
    plan.import_plan(new, now=datetime.combine(revised, time(15)))
    db = tmp_path / "p.sqlite3"
    Store.open(db).close()  # a --db that names no database is refused
    capsys.readouterr()

    def done(ex: str, *more: str) -> tuple[int, str]:
        rc = cli.main(["done", ex, *more, "--db", str(db)])
        out, err = capsys.readouterr()
        return rc, out + err

    assert done("towel_row", "--date", str(revised)) == (0, f"towel_row: done on {revised}\n")
    assert done("doorway_press", "--date", str(revised))[1].endswith(
        "(1 of 2 prescribed that day)\n"
    )
    yesterday = str(today - timedelta(days=1))
    rc, said = done("towel_row", "--date", yesterday)
    assert rc == 2 and "unknown exercise 'towel_row'" in said
    # revised again today, back to the old plan: the new one's exercise is still today's
    plan.import_plan(old)
    rc, said = done("doorway_press")
    assert rc == 0 and said.startswith("doorway_press: done at ")
    with Store.open(db) as store:
        dones = [(adherence._day(e.at), e.payload["exercise"]) for e in store.events(0, 4e9)]
    assert dones == [(revised, "towel_row"), (revised, "doorway_press"), (today, "doorway_press")]
    # the day is judged by the plan imported that day, the towel row done beyond it
    row = _report_row(tmp_path, db, revised)
    assert (int(row["exercises_prescribed"]), int(row["exercises_done_of_prescribed"])) == (7, 1)
    assert int(row["exercises_done"]) == 2


def _five_chin_tucks_cleared_at_12_30(tmp_path: Path, today: date, cleared: date) -> Path:
    """Import a plan of 5 chin tucks a day (no quiet hours of its own) as of 20 days ago,
    and clear it on ``cleared`` at 12:30; the plan file."""
    path = tmp_path / "plan.toml"
    path.write_text(
        PLAN_HEAD.format(start=today - timedelta(days=20), end=today + timedelta(days=20))
        + '[[exercise]]\nid = "chin_tuck"\ntimes_per_day = 5\n',
        encoding="utf-8",
    )
    plan.import_plan(path, now=datetime.combine(today - timedelta(days=20), time(8)))
    assert plan.clear_plan(now=datetime.combine(cleared, time(12, 30)))
    return path


def _report_row(tmp_path: Path, db: Path, day: date) -> dict[str, str]:
    """The therapist report's CSV row of ``day`` (the report's own count of its doses)."""
    days = tmp_path / "r.csv"
    rc = cli.main(
        ["report", "--therapist", "--pdf", str(tmp_path / "r.pdf"), "--csv", str(days)]
        + ["--from", str(day), "--to", str(day), "--db", str(db), "--force"]
    )
    assert rc == 0
    with days.open(newline="", encoding="utf-8") as fh:
        (row,) = list(csv.DictReader(fh))
    return row


def test_done_for_the_day_a_plan_was_cleared_counts_the_doses_due_before_the_clear(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The plan (5 chin tucks a day) cleared two days ago at 12:30: a done entered for
    that day is told against the doses due before the clear, as the therapist report
    counts that day (it said "1 of 5", the afternoon's doses counted although the coach
    prompted none of them)."""
    today = date.today()
    cleared = today - timedelta(days=2)
    path = _five_chin_tucks_cleared_at_12_30(tmp_path, today, cleared)
    due = [s.at for s in plan.schedule_day(plan.load_plan_file(path), cleared)]
    before = sum(1 for t in due if t < time(12, 30))
    assert 0 < before < len(due) == 5
    db = tmp_path / "p.sqlite3"
    Store.open(db).close()  # a --db that names no database is refused
    capsys.readouterr()

    assert cli.main(["done", "chin_tuck", "--date", str(cleared), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert out == (
        f"chin_tuck: done on {cleared} (1 of {before} prescribed that day until the plan "
        "was cleared at 12:30)\n"
    )
    # the report's count of that day
    row = _report_row(tmp_path, db, cleared)
    assert int(row["exercises_prescribed"]) == before


def test_done_for_a_cleared_day_counts_the_doses_at_the_coachs_times_around_own_quiet_hours(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The plan (5 chin tucks, no quiet hours of its own) cleared two days ago at 12:30;
    the patient's own quiet hours 09:00-12:00 held, so the coach spread the doses around
    them and one was due before the clear, as the report counts it. The done told "1 of
    2", the doses at the plan's bare times."""
    from posture_guard import paths

    today = date.today()
    cleared = today - timedelta(days=2)
    (paths.config_dir() / "config.toml").write_text(
        '[coach]\nquiet_hours = "09:00-12:00"\n', encoding="utf-8"
    )
    path = _five_chin_tucks_cleared_at_12_30(tmp_path, today, cleared)
    bare = plan.load_plan_file(path)
    timed = plan.scheduled_plan(bare, (time(9), time(12)))
    before = [
        sum(s.at < time(12, 30) for s in plan.schedule_day(p, cleared)) for p in (bare, timed)
    ]
    assert before == [2, 1]  # the case in question
    db = tmp_path / "p.sqlite3"
    Store.open(db).close()  # a --db that names no database is refused
    capsys.readouterr()

    assert cli.main(["done", "chin_tuck", "--date", str(cleared), "--db", str(db)]) == 0
    assert capsys.readouterr().out == (
        f"chin_tuck: done on {cleared} (1 of 1 prescribed that day until the plan was "
        "cleared at 12:30)\n"
    )
    row = _report_row(tmp_path, db, cleared)
    assert int(row["exercises_prescribed"]) == 1


def test_done_today_after_a_clear_this_morning_answers_the_cleared_plans_doses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The plan (its custom towel row and chin tucks, twice a day each) cleared earlier
    today: a `done` typed now, with or without --date, is judged by it as the report
    judges today, against the doses due before the clear (it used no plan: the towel row
    was an unknown exercise, the chin tuck told against no dose, while the report
    counted both doses of the morning as prescribed)."""
    now = datetime.now()
    minute = now.hour * 60 + now.minute
    if not 20 <= minute <= 24 * 60 - 21:
        pytest.skip("needs a working day around now: one dose of each before, one after")
    end = min(24 * 60 - 1, 2 * minute)
    start = 2 * minute - end  # centred on now: the first doses before it, the others after
    today = now.date()
    path = tmp_path / "plan.toml"
    workday = f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"
    path.write_text(
        f'workday = "{workday}"\n'
        + OLD_PLAN.format(start=today - timedelta(days=3), end=today + timedelta(days=20))
        .replace("times_per_day = 3", "times_per_day = 2")
        .replace("times_per_day = 1", "times_per_day = 2"),
        encoding="utf-8",
    )
    plan.import_plan(path, now=datetime.combine(today, time(0)))
    assert cli.main(["plan", "clear"]) == 0
    cleared = plan.plan_history()[-1].at
    due = [(s.at, s.exercise) for s in plan.schedule_day(plan.load_plan_file(path), today)]
    assert sorted(ex for t, ex in due if t <= cleared.time()) == ["chin_tuck", "towel_row"]
    db = tmp_path / "p.sqlite3"
    Store.open(db).close()  # a --db that names no database is refused
    capsys.readouterr()

    told = f"prescribed today until the plan was cleared at {cleared:%H:%M})\n"
    assert cli.main(["done", "towel_row", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("towel_row: done at ") and out.endswith(f" (1 of 1 {told}")
    assert cli.main(["done", "chin_tuck", "--date", str(today), "--db", str(db)]) == 0
    assert capsys.readouterr().out.endswith(f" (1 of 1 {told}")
    with Store.open(db) as store:
        assert [e.payload["exercise"] for e in store.events(0, 4e9)] == ["towel_row", "chin_tuck"]
    # the report counts today the same
    row = _report_row(tmp_path, db, today)
    assert (int(row["exercises_prescribed"]), int(row["exercises_done_of_prescribed"])) == (2, 2)


def test_a_done_button_on_a_suggestion_of_an_exercise_whose_dose_is_open_answers_the_dose(
    tmp_path: Path,
) -> None:
    """The plan's chin-tuck dose at 10:00; at 10:20 a posture alert suggests a chin tuck;
    the patient presses Done on the alert at 10:25. They did the prescribed exercise: the
    dose is done, as for `posture-guard done chin_tuck`, and the alert is the prompt left
    unanswered (the button answered the alert, and the dose counted as ignored). A Snooze
    on the alert the next day declines the alert only, not the dose."""
    tue = DAY + timedelta(days=1)
    with Store.open(tmp_path / "p.sqlite3") as store:
        for day, button in ((DAY, "done"), (tue, "snooze")):
            store.log_event(
                "exercise_prompted",
                datetime.combine(day, time(10)),
                {"exercise": "chin_tuck", "for": "plan", "slot": "10:00", "prompt": 1},
            )
            store.log_event(
                "exercise_prompted",
                datetime.combine(day, time(10, 20)),
                {"exercise": "chin_tuck", "for": "forward_head", "prompt": 2},
            )
            pressed = datetime.combine(day, time(10, 25))
            if button == "done":  # as the coach logs a press of the Done button
                store.log_event(
                    "exercise_done",
                    pressed,
                    {"prompt": 2, "kind": "posture", "exercise": "chin_tuck"},
                )
            else:
                store.log_event("snooze", pressed, {"until": "x", "source": "button", "prompt": 2})
        a = adherence.load(store, DAY, tue, plan.load_plan_file(EXAMPLE))
    mon, nxt = a.total("chin_tuck", DAY), a.total("chin_tuck", tue)
    assert (mon.done, mon.done_after_prompt, mon.doses_prompted, mon.doses_ignored) == (1, 1, 1, 0)
    assert mon.ignored == 1  # the alert, unanswered
    assert a.share("chin_tuck", DAY) == pytest.approx(1 / plan.prescribed_count(
        plan.load_plan_file(EXAMPLE), "chin_tuck", DAY))  # fmt: skip
    assert (nxt.done, nxt.skipped, nxt.doses_skipped, nxt.doses_ignored) == (0, 1, 0, 1)


def test_a_dose_prompted_again_is_one_dose_settled_by_any_answer_to_its_prompts() -> None:
    """The 10:00 dose prompted at 10:00 and again at 10:10 (a restarted monitor of an
    earlier version, the next replay): one dose. Monday the first notification's Done
    button does it (the second prompt stays an unanswered prompt, not an ignored dose);
    Tuesday the second's Snooze declines it; Wednesday nobody answers: one ignored dose;
    Thursday, with the horizon 20 min after the slot, one pending dose."""
    days = [DAY + timedelta(days=i) for i in range(4)]
    events: list[Event] = []
    for i, d in enumerate(days):
        pids = (10 * i + 1, 10 * i + 2)
        for pid, mm in zip(pids, (0, 10)):
            payload = {"exercise": "chin_tuck", "for": "plan", "slot": "10:00", "prompt": pid}
            events.append(Event(at(10, mm, d), "exercise_prompted", payload))
        if i == 0:
            events.append(Event(at(10, 20, d), "exercise_done", {"exercise": "chin_tuck",
                                                                 "prompt": pids[0]}))  # fmt: skip
        elif i == 1:
            events.append(Event(at(10, 20, d), "snooze", {"source": "button", "prompt": pids[1],
                                                          "until": ""}))  # fmt: skip
    a = adherence.account(events, days[0], days[-1], horizon=at(10, 20, days[-1]))
    got = [a.total("chin_tuck", d) for d in days]
    assert [c.prompted for c in got] == [2, 2, 2, 2]  # every notification is a prompt
    assert [c.doses_prompted for c in got] == [1, 1, 1, 1]
    assert [(c.done, c.doses_skipped, c.doses_ignored, c.doses_pending) for c in got] == [
        (1, 0, 0, 0),
        (0, 1, 0, 0),
        (0, 0, 1, 0),
        (0, 0, 0, 1),
    ]
    assert [(c.skipped, c.ignored, c.pending) for c in got] == [
        (0, 1, 0),
        (1, 1, 0),
        (0, 2, 0),
        (0, 0, 2),
    ]


def test_a_done_after_midnight_answering_a_prompt_before_it_counts_on_the_prompts_day_everywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A break prompt suggesting a chin tuck at 23:55; the real `posture-guard done
    chin_tuck` at 00:03 (a fake clock for the command alone) answers it. Adherence counts
    the done on the prompt's day; the summary's "exercises done" and the report's CSV row
    counted it on its own day, so Monday's row read 0 exercises done beside 1 dose done of
    those prescribed (Tuesday's the reverse), and `done` told "0 of 2 prescribed today"
    right after the done. Every reader now counts it on Monday, and the command says so."""
    from posture_guard import control

    today = date.today()
    mon, tue = today - timedelta(days=2), today - timedelta(days=1)
    f = _every_day_plan(tmp_path, today - timedelta(days=10))
    assert cli.main(["plan", "import", str(f)]) == 0
    whole = plan.prescribed_count(plan.load_plan_file(f), "chin_tuck", mon)
    assert whole >= 2
    db = tmp_path / "p.sqlite3"
    prompted = datetime.combine(mon, time(23, 55))
    with Store.open(db) as store:
        store.log_event(
            "exercise_prompted", prompted, {"exercise": "chin_tuck", "for": "break", "prompt": 1}
        )
    done_at = datetime.combine(tue, time(0, 3))

    class Now(datetime):  # the command reads the clock: 00:03 on Tuesday
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def]
            return done_at if tz is None else done_at.astimezone(tz)

    capsys.readouterr()
    with monkeypatch.context() as m:
        m.setattr(adherence, "datetime", Now)
        assert cli.main(["done", "chin_tuck", "--pain", "2", "--db", str(db)]) == 0
    told = capsys.readouterr().out
    assert told == (
        f"chin_tuck: done at 00:03, pain 2/10, counted on {mon}, the day of the 23:55 "
        f"prompt it answers (1 of {whole} prescribed that day)\n"
    )
    # the running monitor is still told the break prompt was answered, at the done
    assert control.read_control().break_done == pytest.approx(done_at.timestamp())

    with Store.open(db) as store:
        a = adherence.load(store, mon, tue)
    assert (a.total(day=mon).done, a.total(day=tue).done) == (1, 0)
    shown = {}
    for day in (mon, tue):
        assert cli.main(["summary", "--date", str(day), "--json", "--db", str(db)]) == 0
        shown[day] = json.loads(capsys.readouterr().out)["exercises_done"]
    assert shown == {mon: 1, tue: 0}
    days = tmp_path / "r.csv"
    args = ["report", "--therapist", "--from", str(mon), "--to", str(tue), "--db", str(db)]
    assert cli.main([*args, "--pdf", str(tmp_path / "r.pdf"), "--csv", str(days)]) == 0
    with days.open(newline="", encoding="utf-8") as fh:
        rows = {r["date"]: r for r in csv.DictReader(fh)}
    got = {d: (rows[d]["exercises_done"], rows[d]["exercises_done_of_prescribed"]) for d in rows}
    assert got == {str(mon): ("1", "1"), str(tue): ("0", "0")}
    # the user's own report (report --csv) gives the same day
    plain = tmp_path / "plain.csv"
    assert cli.main(["report", "--from", str(mon), "--to", str(tue), "--csv", str(plain),
                     "--db", str(db)]) == 0  # fmt: skip
    with plain.open(newline="", encoding="utf-8") as fh:
        assert {r["date"]: r["exercises_done"] for r in csv.DictReader(fh)} == {
            str(mon): "1",
            str(tue): "0",
        }
