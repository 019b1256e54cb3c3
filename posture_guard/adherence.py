"""Did the patient do the exercises? Done / skipped / ignored, from the store's events.

Why count more than "done": up to 65 % of patients do their home exercises only partly or
not at all, and a therapist needs to know which: a prompt that was *skipped* (the patient
saw it and declined: the prompt's Snooze button or ``done EXERCISE --skipped``) says
something different from one that was *ignored* (no answer at all).

The events (written by the coach and by ``posture-guard done``):

==================== ===============================================================
exercise_prompted    the coach suggested an exercise: exercise, for ("plan" for a
                     prescribed dose, else the fault or "break"), prompt
exercise_done        done: exercise, and either prompt (the Done button) or
                     pain (0-10, optional) and via = "cli" (``posture-guard done``);
                     ``done --date`` of a past day adds day (that day, the event is
                     at its noon) and recorded (when it was entered)
exercise_skipped     declined: exercise, via = "cli"
snooze               with source = "button" and a prompt: the prompt was declined
==================== ===============================================================

Matching rules (:func:`account`, a pure function of the events):

* A Done or a skip answers the prompt it names (button) or, from the command line, the
  latest unanswered prompt of the same exercise that is at most ``window_s`` old and not
  superseded, an open dose of the plan before a posture alert's or break prompt's
  suggestion of the same exercise. A button names its prompt, so it is honoured even when
  a newer prompt of the same exercise came in between (a plan dose at 10:00, a posture
  alert suggesting the same exercise at 10:20, Done pressed on the 10:00 notification
  answers the 10:00 prompt). A Done button on a posture alert's or break prompt's
  suggestion of an exercise whose dose is open answers the dose, as the command line's
  done does (pressed at 10:25 on the 10:20 alert, it answers the 10:00 dose): the patient
  did the prescribed exercise, and the suggestion stays open.
* A prompt nobody answered within ``window_s`` (default 90 min: prescribed doses are
  1-3 h apart) counts as ignored. A newer prompt of the same exercise supersedes an
  unanswered older one (a suggestion supersedes no dose of the plan, though): the older
  one no longer takes command-line answers, only its own button, and is ignored unless
  that button answers it within the window. Prompts that could still be answered at the
  horizon ("now") are *pending*, not ignored.
* An answer counts on the day of the prompt it answers, a Done without a prompt on its own
  day: a break prompt at 23:50 done at 00:05 is Monday's dose, done and answered on Monday.
  So each day's prompts add up (prompted = done after prompt + skipped + ignored +
  pending) and no day shows an answered prompt without the Done that answered it. The
  daily summary's "exercises done" (:func:`posture_guard.summary.summarize_range`) and
  ``done``'s own count take the day from here too, so a report's row does not count the
  Done on Tuesday in one column and on Monday in the next.
* Every Done counts as done, prompted or not (a patient may exercise on their own).
* A Done entered afterwards for a past day (``done --date``, payload ``day``) answers no
  prompt: the patient did the exercise that day, away from the desk or without logging
  it, but did not answer that day's prompts, which stay as they were (ignored or
  skipped); it counts as done on its day, judged by that day's plan.
* The prompts of the plan's doses ("for": "plan") are also counted apart (``doses_*``):
  a posture alert or a break prompt may suggest a prescribed exercise, and one left
  unanswered is an ignored prompt, not an ignored dose. A dose due that no prompt
  announced (no monitor running then, the patient away, prompts silenced, or a dose the
  coach's limits on notifications left no room for, see ``coach._plan_rule``) is *not
  prompted*: not done, and not the patient's refusal either.
* A dose is counted once however often its slot was prompted (``slot`` in the payload):
  a monitor of an earlier version prompted a dose again at each restart within the hour
  after its slot, and so does each replay of consecutive stretches (``replay --notify``
  from 09:28, then from 09:35); counted per prompt, a day of 2 doses showed 8 doses
  prompted and ignored. The slot's prompts are still prompts (``prompted``, ``ignored``);
  as a dose it is skipped by the first answer that declines one of them, ignored when the
  last of them goes unanswered, none of that once one of them is done.
* Adherence of a prescribed exercise = doses done, capped at each day's prescription,
  over doses prescribed: doing 6 chin tucks on Monday does not make up for Tuesday. On a
  day not over at the horizon only the doses already due count as prescribed (see
  :func:`account`), so a report that includes today does not count this afternoon's
  doses as missed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Optional

from .errors import UserError
from .notify import RESPONSE_WINDOW_S
from .store import Event, Store

PROMPT_KIND = "exercise_prompted"
DONE_KIND = "exercise_done"
SKIP_KIND = "exercise_skipped"


@dataclass
class ExerciseDay:
    """One exercise on one local day."""

    prescribed: int = 0
    prompted: int = 0
    done: int = 0
    done_after_prompt: int = 0
    skipped: int = 0
    ignored: int = 0
    pending: int = 0
    pains: list[int] = field(default_factory=list)
    # The same counts for the prompts of the plan's doses alone ("for": "plan"): a posture
    # alert or a break prompt may suggest a prescribed exercise too, and left unanswered
    # it is an ignored prompt, not an ignored dose.
    doses_prompted: int = 0
    doses_skipped: int = 0
    doses_ignored: int = 0
    doses_pending: int = 0

    @property
    def done_capped(self) -> int:
        return min(self.done, self.prescribed)

    @property
    def doses_not_prompted(self) -> int:
        """Doses due that the coach never prompted: the monitor was not running (or the
        patient was away, or it was silenced, or the coach's pacing left no room) at their
        time. Not the patient's refusal."""
        return max(0, self.prescribed - self.doses_prompted)


@dataclass
class Adherence:
    """Counts per (day, exercise) for ``first``..``last``, and the exercises involved."""

    first: date
    last: date
    cells: dict[tuple[date, str], ExerciseDay] = field(default_factory=dict)
    prescribed_ids: tuple[str, ...] = ()
    # what the latest Done answered: the prompt's "for" ("plan", a fault, "break"), "" for
    # none; `done` tells the running coach when it answered a break prompt
    last_done_for: str = ""
    # when the prompt the latest Done answered was shown (POSIX seconds), None for none:
    # a Done at 00:03 answering a prompt of 23:55 counts on the prompt's day, and `done`
    # tells that day's count, not today's (it said "0 of 2 prescribed today")
    last_done_prompt_at: Optional[float] = None

    def cell(self, day: date, exercise: str) -> ExerciseDay:
        return self.cells.setdefault((day, exercise), ExerciseDay())

    @property
    def exercises(self) -> list[str]:
        """Prescribed exercises first (plan order), then any other exercise seen."""
        others = sorted({ex for _, ex in self.cells} - set(self.prescribed_ids))
        return list(self.prescribed_ids) + others

    @property
    def days(self) -> list[date]:
        n = (self.last - self.first).days + 1
        return [self.first + timedelta(days=i) for i in range(n)]

    def total(self, exercise: Optional[str] = None, day: Optional[date] = None) -> ExerciseDay:
        """Sum over the cells of one exercise and/or one day (None = all)."""
        out = ExerciseDay()
        for (d, ex), c in self.cells.items():
            if (exercise is not None and ex != exercise) or (day is not None and d != day):
                continue
            out.prescribed += c.prescribed
            out.prompted += c.prompted
            out.done += c.done
            out.done_after_prompt += c.done_after_prompt
            out.skipped += c.skipped
            out.ignored += c.ignored
            out.pending += c.pending
            out.pains += c.pains
            out.doses_prompted += c.doses_prompted
            out.doses_skipped += c.doses_skipped
            out.doses_ignored += c.doses_ignored
            out.doses_pending += c.doses_pending
        return out

    def not_prompted(self, exercise: Optional[str] = None, day: Optional[date] = None) -> int:
        """Doses due but never prompted, per cell (a day with a dose prompted twice does
        not make up for a day the monitor was off)."""
        return sum(
            c.doses_not_prompted
            for (d, ex), c in self.cells.items()
            if (exercise is None or ex == exercise) and (day is None or d == day)
        )

    def share(self, exercise: Optional[str] = None, day: Optional[date] = None) -> Optional[float]:
        """Prescribed doses done (capped per day and exercise), or None if none prescribed."""
        prescribed = done = 0
        for (d, ex), c in self.cells.items():
            if (exercise is not None and ex != exercise) or (day is not None and d != day):
                continue
            prescribed += c.prescribed
            done += c.done_capped
        return done / prescribed if prescribed else None

    def mean_pain(
        self, exercise: Optional[str] = None, day: Optional[date] = None
    ) -> Optional[float]:
        pains = self.total(exercise, day).pains
        return statistics.fmean(pains) if pains else None


@dataclass
class _Open:
    at: float
    exercise: str
    prompt: Optional[int]
    day: date
    for_: str = ""  # the prompt's "for": "plan", a fault, or "break"
    superseded: bool = False  # a newer prompt of the exercise came: only its button answers
    slot: Optional[tuple[date, str, str]] = None  # (day, exercise, slot) of a plan dose

    @property
    def dose(self) -> bool:
        """A dose of the plan, not a posture alert's or a break prompt's suggestion."""
        return self.for_ == "plan"


def _day(at: float) -> date:
    return datetime.fromtimestamp(at).date()


def _midnight(day: date) -> float:
    return datetime.combine(day, datetime.min.time()).timestamp()


def _prescribed(plan: Any, exercise_id: str, day: date, horizon: float) -> int:
    """Doses of ``exercise_id`` prescribed on ``day`` as of ``horizon``.

    A day over by the horizon counts its whole prescription. On a day not over yet, a dose
    counts once its scheduled slot (:func:`plan.schedule_day`, the time the coach prompts
    it) has come: before that the patient could not be expected to have done it. A dose
    done ahead of its slot is not lost, it only waits for the slot to count (done is capped
    at the prescription, so an early dose never lowers adherence).
    """
    from .plan import prescribed_count, schedule_day

    if _midnight(day + timedelta(days=1)) <= horizon:
        return prescribed_count(plan, exercise_id, day)
    return sum(
        1
        for slot in schedule_day(plan, day)
        if slot.exercise == exercise_id and datetime.combine(day, slot.at).timestamp() <= horizon
    )


def account(
    events: Sequence[Event],
    first: date,
    last: date,
    plan: Optional[Any] = None,
    window_s: float = RESPONSE_WINDOW_S,
    horizon: Optional[float] = None,
    plan_for: Optional[Callable[[date], Optional[Any]]] = None,
    plan_ends: Optional[Mapping[date, float]] = None,
) -> Adherence:
    """Done / skipped / ignored per day and exercise (pure: events and plan in, counts out).

    ``plan`` (a :class:`posture_guard.plan.Plan`) gives the prescribed doses per day;
    ``plan_for``, instead, the plan in force on a day (None: none), for a range over which
    the plan was revised: each day's doses are its own plan's, not today's plan's;
    ``plan_ends``, the moment (POSIX seconds) a day's plan was cleared that day: only
    the doses due before it count as prescribed (the coach prompted none after it);
    ``horizon`` is "now" in POSIX seconds: the counts are as of that moment. Prompts that
    could still be answered then are pending, doses not yet due are not prescribed, and
    events after it are left out, so that the same events up to the horizon always give
    the same counts whatever was loaded beyond it. Default: ``window_s`` after the end of
    ``last``, when every prompt of the range has been answered or ignored (past days are
    final, including a prompt late on the last evening answered after midnight).
    """
    if horizon is None:
        horizon = _midnight(last + timedelta(days=1)) + window_s
    result = Adherence(first, last)
    if plan_for is None and plan is not None:
        plan_for = lambda day: plan  # noqa: E731 - one plan judges every day
    if plan_for is not None:
        ids: list[str] = []
        for d in result.days:
            today = plan_for(d)
            for ex_id in () if today is None else [p.id for p in today.prescriptions]:
                if ex_id not in ids:
                    ids.append(ex_id)
                ends = (plan_ends or {}).get(d)
                n = _prescribed(today, ex_id, d, horizon if ends is None else min(horizon, ends))
                if n:
                    result.cell(d, ex_id).prescribed = n
        result.prescribed_ids = tuple(ids)
    open_prompts: list[_Open] = []
    # the dose slots prompted, and those whose dose an answer settled (see the module doc)
    slots_prompted: set[tuple[date, str, str]] = set()
    slots_settled: set[tuple[date, str, str]] = set()

    def in_range(day: date) -> bool:
        return first <= day <= last

    def last_of_dose(o: _Open) -> bool:
        """Whether ``o`` (no longer open) ends its dose unanswered: a dose of the plan
        whose slot no answer settled and no other prompt of which is still open."""
        if not o.dose:
            return False
        if o.slot is None:
            return True
        if o.slot in slots_settled or any(x.slot == o.slot for x in open_prompts):
            return False
        slots_settled.add(o.slot)
        return True

    def settle(o: _Open) -> bool:
        """Settle the dose ``o`` answered; whether it was still open as a dose."""
        if o.slot is None:
            return o.dose
        if o.slot in slots_settled:
            return False
        slots_settled.add(o.slot)
        return o.dose

    def decline(answered: Optional[_Open]) -> None:
        """A prompt declined (``done --skipped``, its Snooze button): skipped, and its
        dose with it unless an answer to another prompt of its slot settled that."""
        if answered is None:
            return
        declined = settle(answered)
        if in_range(answered.day):
            c = result.cell(answered.day, answered.exercise)
            c.skipped += 1
            c.doses_skipped += declined

    def expire(now: float) -> None:
        for o in [o for o in open_prompts if now - o.at > window_s]:
            open_prompts.remove(o)
            if in_range(o.day):
                c = result.cell(o.day, o.exercise)
                c.ignored += 1
                c.doses_ignored += last_of_dose(o)

    def take(exercise: Optional[str], prompt: Optional[int], done: bool = False) -> Optional[_Open]:
        """The open prompt a reply answers: the one it names (superseded or not), else the
        latest current dose of its exercise, else its latest current prompt. A dose first:
        a posture alert or a break prompt that suggests the prescribed exercise after its
        dose came does not make the dose's `done` an answer to the suggestion, leaving the
        dose ignored while the patient did it. So too for a ``done`` button on such a
        suggestion: the patient did the prescribed exercise, so it answers the open dose
        (as ``done EXERCISE`` does), and the suggestion stays open; a Snooze button
        declines only the prompt it names."""
        candidates = [
            o
            for o in open_prompts
            if (exercise is None or o.exercise == exercise)
            and (o.prompt == prompt if prompt is not None else not o.superseded)
        ]
        if not candidates:
            return None
        chosen = max(candidates, key=lambda o: (prompt is None and o.dose, o.at))
        if done and not chosen.dose:
            doses = [
                o
                for o in open_prompts
                if o.dose and o.exercise == chosen.exercise and not o.superseded
            ]
            chosen = max(doses, key=lambda o: o.at, default=chosen)
        open_prompts.remove(chosen)
        return chosen

    for ev in sorted(events, key=lambda e: e.at):
        if ev.at > horizon:
            break
        expire(ev.at)
        p = ev.payload if isinstance(ev.payload, dict) else {}
        exercise = p.get("exercise") if isinstance(p.get("exercise"), str) else None
        prompt = p.get("prompt") if isinstance(p.get("prompt"), int) else None
        day = _day(ev.at)
        if ev.kind == PROMPT_KIND and exercise:
            for_ = str(p.get("for"))
            dose = for_ == "plan"
            slot_at = p.get("slot")
            slot = (day, exercise, slot_at) if dose and isinstance(slot_at, str) else None
            for o in open_prompts:
                # a suggestion (an alert's, a break's) supersedes no dose of the plan
                if o.exercise == exercise and (dose or not o.dose):
                    o.superseded = True
            open_prompts.append(_Open(ev.at, exercise, prompt, day, for_, slot=slot))
            if in_range(day):
                c = result.cell(day, exercise)
                c.prompted += 1
                c.doses_prompted += dose and slot not in slots_prompted
            if slot is not None:
                slots_prompted.add(slot)
        elif ev.kind == DONE_KIND and exercise:
            # a done entered for a past day (`done --date`) answers none of its prompts
            answered = None if "day" in p else take(exercise, prompt, done=True)
            result.last_done_for = answered.for_ if answered is not None else ""
            result.last_done_prompt_at = answered.at if answered is not None else None
            if answered is not None:
                settle(answered)
            credit_day = answered.day if answered is not None else day
            if in_range(credit_day):
                c = result.cell(credit_day, exercise)
                c.done += 1
                if answered is not None:
                    c.done_after_prompt += 1
                pain = p.get("pain")
                if isinstance(pain, int) and not isinstance(pain, bool):
                    c.pains.append(pain)
        elif ev.kind == SKIP_KIND and exercise:
            decline(take(exercise, None))
        elif ev.kind == "snooze" and p.get("source") == "button" and prompt is not None:
            decline(take(None, prompt))
    expire(horizon)
    pending = list(open_prompts)
    for o in pending:
        open_prompts.remove(o)  # each prompt of a slot sees the later ones still open
        if in_range(o.day):
            c = result.cell(o.day, o.exercise)
            c.pending += 1
            c.doses_pending += last_of_dose(o)
    return result


def load(
    store: Store,
    first: date,
    last: date,
    plan: Optional[Any] = None,
    window_s: float = RESPONSE_WINDOW_S,
    horizon: Optional[float] = None,
    plan_for: Optional[Callable[[date], Optional[Any]]] = None,
    plan_ends: Optional[Mapping[date, float]] = None,
) -> Adherence:
    """:func:`account` over the stored events of ``first``..``last``, plus the window before
    (so a prompt shortly before midnight of the day before is not lost) and after (so a
    prompt late on the last day can be answered after midnight).

    ``horizon`` defaults to now, but at most the window after the end of ``last``: a range
    that includes today counts a prompt from minutes ago as pending, not ignored, and
    only the doses already due today as prescribed.
    """
    t0 = _midnight(first) - window_s
    t1 = _midnight(last + timedelta(days=1)) + window_s
    if horizon is None:
        horizon = min(datetime.now().timestamp(), t1)
    kinds = (PROMPT_KIND, DONE_KIND, SKIP_KIND, "snooze")
    events = store.events(t0, t1, kinds)
    return account(events, first, last, plan, window_s, horizon, plan_for, plan_ends)


# --------------------------------------------------------------------------- recording
def record(
    store: Store,
    exercise: str,
    at: datetime,
    pain: Optional[int] = None,
    skipped: bool = False,
    plan: Optional[Any] = None,
    library: Optional[Any] = None,
    recorded: Optional[datetime] = None,
    earlier: Sequence[Any] = (),
) -> int:
    """Log a done (or skipped) exercise; the id must be in the plan or the library, or in
    ``earlier``, plans in force earlier that day (see :func:`_replaced_on`).

    ``recorded``, when the answer is entered: a done for a past day (``at`` on an earlier
    day than ``recorded``) is marked with its day, so it answers none of its prompts."""
    from .exercises import load_library

    known: list[str] = []
    for p in () if plan is None else plan.prescriptions:
        known.append(p.id)
    for p in [p for e in earlier for p in e.prescriptions]:
        if p.id not in known:
            known.append(p.id)
    lib = library or load_library()
    known += [ex.id for ex in lib.exercises if ex.id not in known]
    if exercise not in known:
        raise UserError(f"unknown exercise {exercise!r} (known: {', '.join(known)})")
    if pain is not None:
        if skipped:
            raise UserError("--pain goes with a done exercise, not with --skipped")
        if isinstance(pain, bool) or not isinstance(pain, int) or not 0 <= pain <= 10:
            raise UserError(f"--pain must be a whole number from 0 to 10, not {pain!r}")
    if skipped and not _open_prompt(store, exercise, at):
        # A skip declines a prompt; with none open it would be stored and counted nowhere
        # (the report counts prompts), while the patient was told it was recorded.
        minutes = RESPONSE_WINDOW_S / 60
        raise UserError(
            f"no prompt for {exercise} in the last {minutes:g} min to skip; a dose you do "
            "not do shows in the report as not done"
        )
    payload: dict[str, Any] = {"exercise": exercise, "via": "cli"}
    if pain is not None:
        payload["pain"] = pain
    if recorded is not None and at.date() < recorded.date():
        payload["day"] = at.date().isoformat()
        payload["recorded"] = recorded.isoformat(timespec="seconds")
    return store.log_event(SKIP_KIND if skipped else DONE_KIND, at, payload)


def _open_prompt(store: Store, exercise: str, at: datetime) -> bool:
    """Whether a prompt for ``exercise`` is still open at ``at`` (unanswered, within its
    window, not superseded), as :func:`account` pairs answers with prompts."""
    now = at.timestamp()
    kinds = (PROMPT_KIND, DONE_KIND, SKIP_KIND, "snooze")
    events = store.events(now - RESPONSE_WINDOW_S, now + 1e-6, kinds)
    first = date.fromtimestamp(now - RESPONSE_WINDOW_S)
    return account(events, first, at.date(), horizon=now).total(exercise).pending > 0


def cmd_done(args: argparse.Namespace) -> int:
    """``posture-guard done EXERCISE [--pain 0-10] [--skipped] [--date D]``."""
    from .exercises import load_library
    from .plan import prescribed_count
    from .store import open_for_adding

    now = datetime.now()
    day = done_day(getattr(args, "date", None), now.date())
    past = day < now.date()
    if past and args.skipped:
        # a skip declines a prompt open now; a past day's prompts are over
        raise UserError(
            f"--skipped declines a prompt of the last {RESPONSE_WINDOW_S / 60:g} min; "
            f"it takes no past --date ({day})"
        )
    # exercises.toml first: one it cannot use (a dose an older version took, hold_s = 0.5)
    # refuses the done in one line; read after the plan, it was warned of as the plan's
    # fault, "recorded without the plan", and then refused, nothing recorded
    library = load_library()
    plan, until = _plan_on(day, now.date())
    earlier = _replaced_on(day, plan)
    # a past day's done is put at its noon (a moment of that day in every time zone and
    # DST change), and marked with its day, so it answers none of that day's prompts
    at = datetime.combine(day, time(12)) if past else now
    store = open_for_adding(getattr(args, "db", None))
    try:
        record(
            store,
            args.exercise,
            at,
            args.pain,
            args.skipped,
            plan,
            library,
            recorded=now,
            earlier=earlier,
        )
        horizon = None if past else now.timestamp()
        counts = load(store, day, day, plan, horizon=horizon)
        # a done at 00:03 answering the prompt of 23:55 counts on the prompt's day, as the
        # report and the summary count it: tell that day's doses (it told today's, "0 of 2
        # prescribed today", the done nowhere in them)
        prompt_at = None if past or args.skipped else counts.last_done_prompt_at
        counted_on = day if prompt_at is None else _day(prompt_at)
        break_done = not past and not args.skipped and counts.last_done_for == "break"
        moved = counted_on != day
        if moved:
            day = counted_on
            plan, until = _plan_on(day, now.date())
            counts = load(store, day, day, plan, horizon=horizon)
    finally:
        store.close()
    if break_done:
        # only a done of now took the break the coach waits for
        _tell_monitor_break_done(now)
    c = counts.total(args.exercise)
    # the whole day's prescription, not only the doses due by now: the patient wants to
    # know how many are left today; on the day the plan was cleared (today or a past
    # day), the doses due before the clear, as the report counts them (the coach
    # prompted none after it), and said so
    if plan is None:
        prescribed = 0
    elif until is not None:
        # at the times the coach prompted them, around the patient's own quiet hours when
        # the plan sets none, as the report counts them (at the plan's bare times, the
        # count told could differ from the report's)
        from .plan import own_quiet_hours, scheduled_plan

        timed = scheduled_plan(plan, own_quiet_hours())
        prescribed = _prescribed(timed, args.exercise, day, until.timestamp())
    else:
        prescribed = prescribed_count(plan, args.exercise, day)
    what = "skipped" if args.skipped else "done"
    when = f"on {day}" if past else f"at {now:%H:%M}"
    pain = "" if args.pain is None else f", pain {args.pain}/10"
    if moved and prompt_at is not None:
        pain += (
            f", counted on {day}, the day of the "
            f"{datetime.fromtimestamp(prompt_at):%H:%M} prompt it answers"
        )
    that_day = "that day" if day < now.date() else "today"
    cleared = "" if until is None else f" until the plan was cleared at {until:%H:%M}"
    # done beyond the prescription is said apart: "4 of 3 prescribed" beside the report's
    # 3 of 3 (it counts the doses done of those prescribed) read as a miscount
    more = f", and {c.done - prescribed} more" if c.done > prescribed else ""
    done = min(c.done, prescribed)
    dose = f" ({done} of {prescribed} prescribed {that_day}{cleared}{more})" if prescribed else ""
    print(f"{args.exercise}: {what} {when}{pain}{dose}")
    return 0


# How far back `done --date` goes: a week covers a weekend away or a forgotten few days,
# and the therapist sees each week's doses; a done recalled later than that is a guess.
DONE_DAYS_BACK = 7


def done_day(text: Optional[str], today: date) -> date:
    """The day a ``done --date`` is for: today (the default) or up to
    :data:`DONE_DAYS_BACK` days before; a day to come is refused (nobody has done it yet)."""
    from .dates import parse_day

    if text is None:
        return today
    day = parse_day(text)
    if day > today:
        raise UserError(f"--date {day} is in the future; a done is for today or a past day")
    if (today - day).days > DONE_DAYS_BACK:
        raise UserError(
            f"--date {day} is more than {DONE_DAYS_BACK} days ago; a done goes back at most "
            f"to {today - timedelta(days=DONE_DAYS_BACK)}"
        )
    return day


def _plan_on(day: date, today: date) -> tuple[Optional[Any], Optional[datetime]]:
    """(the plan in force on ``day`` (plan history), the moment it was cleared that day
    or None), which judge a done for that day: an exercise of an earlier plan is still
    accepted for its days, and its count is that day's prescription, up to the clear
    (today too: a plan cleared this morning judges this morning's doses). A
    plan that cannot be read only warns: the answer is the patient's and is kept; only
    the plan's count of doses is lost."""
    from .plan import load_active_plan, plan_in_force, plan_periods

    current: Optional[Any] = None
    problem: Optional[UserError] = None
    try:
        current = load_active_plan()
    except UserError as exc:
        problem = exc
    until: Optional[datetime] = None
    try:
        # today: the plan the coach follows, the one a plan imported to start later replaces
        if day == today:
            plan = plan_in_force(day)
            if plan is None:
                # none now, but a plan cleared earlier today judges the day up to the
                # clear, as the report counts it: its exercises answer its doses
                period = plan_periods(day, day, current)[0]
                if period.until is not None:
                    plan, until = period.plan, period.until
        else:
            period = plan_periods(day, day, current)[0]
            plan, until = period.plan, period.until
    except UserError as exc:
        plan, problem = None, exc
    if plan is None and problem is not None:
        print(f"warning: {problem}; recorded without the plan", file=sys.stderr)
    return plan, until


def _replaced_on(day: date, plan: Optional[Any]) -> list[Any]:
    """The plans in force earlier on ``day`` than ``plan``, the one that judges it, when
    an import that day replaced them: the plan in force as the day began, and those
    imported during it (active that day). Their exercises are still taken for the day,
    as a cleared plan's are (:func:`_plan_on`), the day still judged by ``plan``, as the
    report judges it. Why: with the plan revised at an afternoon session, the custom
    exercise of the old plan done that morning was "unknown exercise" from then on, with
    or without --date: the patient could not record a dose done as prescribed. A history
    that cannot be read gives none: the plan's exercises are still taken."""
    from .plan import plan_history, plan_periods

    try:
        entries = [e for e in plan_history() if not e.cleared and e.at.date() == day]
        if not entries:
            return []
        period = plan_periods(day - timedelta(days=1), day - timedelta(days=1), None)[0]
        found = [] if period.until is not None else [period.plan]
        found += [e.load() for e in entries]
    except UserError:
        return []
    return [p for p in found if p is not None and p is not plan and p.active_on(day)]


def _tell_monitor_break_done(now: datetime) -> None:
    """The done answered a break prompt: the user took the break, so the running coach
    starts the sitting clock and the break prompt's back-off again, as for the prompt's
    Done button (without this, a break prompt answered from the terminal, as the printed
    prompt says to, came back as if ignored). The answer is already recorded, so a control
    file that cannot be written only warns."""
    from . import control

    try:
        control.break_done(now.timestamp())
    except UserError as exc:
        print(f"warning: {exc}; the running monitor was not told of the break", file=sys.stderr)
