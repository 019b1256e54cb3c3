"""The `posture-guard` command line.

Each sub-command is a small function ``cmd_NAME(args) -> int`` that parses nothing itself
and calls into the modules that do the work. Every :class:`UserError` becomes a one-line
message on stderr and exit status 2; Ctrl-C ends with status 130. What the system refuses
(a folder that cannot be made, a full disk, a closed output) is an ``OSError`` that names
its file: one line and status 2 too. Anything else is a bug in posture_guard: the user
sees one line that says so (status 70), and the traceback only with ``-v``, for a report.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shlex
import sys
import traceback
from collections.abc import Sequence
from typing import Any, Callable, Optional

from . import __version__
from .errors import EXIT_REFUSED, UserError
from .sinks import SessionInfo, Sink
from .terminal import keep_streams_printable, typed_text

Handler = Callable[[argparse.Namespace], int]


# --------------------------------------------------------------------------- core: sense and decide
def _seconds(text: str) -> float:
    """An option's duration: a positive, finite number (argparse takes "nan" and "inf")."""
    value = _number(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text!r}")
    return value


def _seconds_or_zero(text: str) -> float:
    """A duration that may be 0 (a step left out), never negative or non-finite."""
    value = _number(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 or a positive number of seconds, not {text!r}")
    return value


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds, not {text!r}")
    return value


def _file_name(text: str) -> str:
    """A file an option names. An empty name (``--db "$DB"`` with the variable unset) was
    read as the option left out: ``replay --landmarks ''`` ended in an internal error,
    ``calibrate``/``record --video ''`` reached for the camera, and ``done``, ``checkin``
    and ``headache add`` with ``--db ''`` wrote to the user's own database."""
    if not text:
        raise argparse.ArgumentTypeError("an empty file name (a shell variable not set?)")
    return text


def _add_core_commands(sub: argparse._SubParsersAction) -> None:
    from . import monitor

    p = sub.add_parser("run", help="monitor posture from the webcam until stopped")
    p.add_argument("--camera", type=int, default=0, help="webcam index (default 0)")
    p.add_argument("--profile", default="default", help="calibration profile name")
    p.add_argument(
        "--wait-for-camera",
        action="store_true",
        help="with no camera on this machine, wait for one to be plugged in instead of "
        "exiting with 75 (what the login entry runs)",
    )
    p.set_defaults(handler=cmd_run)

    upright = monitor.CALIBRATE_SECONDS
    p = sub.add_parser("calibrate", help=f"capture an upright baseline (default {upright:g} s)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--camera", type=int, default=None, help="webcam index (default 0)")
    src.add_argument("--video", type=_file_name, help="video file to calibrate from")
    src.add_argument(
        "--landmarks", type=_file_name, help="landmark stream (JSONL) to calibrate from"
    )
    p.add_argument("--seconds", type=_seconds, default=upright,
                   help=f"baseline duration (default {upright:g})")  # fmt: skip
    p.add_argument(
        "--slouch-seconds",
        type=_seconds_or_zero,
        default=None,
        help="then a deliberate slouch for this long (default 15 with a camera, 0 = none; "
        "with --video/--landmarks only when given)",
    )
    p.add_argument("--profile", default="default", help="profile name (one per desk setup)")
    p.add_argument("--no-preview", action="store_true", help="no live preview window")
    p.set_defaults(handler=cmd_calibrate)

    p = sub.add_parser("record", help="record a landmark stream (numbers only, no images)")
    p.add_argument(
        "--landmarks-out",
        type=_file_name,
        required=True,
        help="output JSONL file (- for standard output)",
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--camera", type=int, default=None, help="webcam index (default 0)")
    src.add_argument("--video", type=_file_name, help="video file or image to read")
    p.add_argument("--seconds", type=_seconds, default=None, help="stop after this long")
    p.set_defaults(handler=monitor.cmd_record)

    p = sub.add_parser("replay", help="run the whole decision on recorded input, fast")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--video", type=_file_name, help="video file or image")
    src.add_argument("--landmarks", type=_file_name, help="landmark stream (JSONL)")
    p.add_argument(
        "--calibrate-seconds",
        type=_seconds,
        default=None,
        help="use the first N seconds of the input as the upright baseline",
    )
    p.add_argument(
        "--slouch-seconds",
        type=_seconds_or_zero,
        default=None,
        help="with --calibrate-seconds: the next N seconds are a deliberate slouch",
    )
    p.add_argument("--profile", default=None, help="calibration profile to judge against")
    p.add_argument(
        "--states-out",
        type=_file_name,
        help="write posture states (JSONL) here (- for standard output)",
    )
    p.add_argument(
        "--every-sample",
        action="store_true",
        help="with --states-out: one line per sample, not only per change",
    )
    p.add_argument(
        "--force", action="store_true", help="with --states-out: overwrite an existing file"
    )
    p.add_argument(
        "--all-frames",
        action="store_true",
        help="analyse every frame instead of following the sampling policy",
    )
    p.add_argument("--quiet", action="store_true", help="print only the final summary")
    _add_replay_sink_options(p, "now; with --db, the moment from which the stream ends now")
    p.set_defaults(handler=cmd_replay)

    p = sub.add_parser("demo", help="the whole pipeline on a bundled landmark stream")
    p.add_argument(
        "--states-out",
        type=_file_name,
        help="also write the posture states (JSONL) here (- for standard output)",
    )
    p.add_argument(
        "--force", action="store_true", help="with --states-out: overwrite an existing file"
    )
    _add_replay_sink_options(p, "09:00 today, or yesterday until today's demo is over")
    p.set_defaults(handler=cmd_demo)


def _add_replay_sink_options(p: argparse.ArgumentParser, default_start: str) -> None:
    """Options of replay/demo that attach further sinks (coach, store). ``default_start``
    says what --start is without it, which differs: demo's help said "now" for its 09:00."""
    # (coach and store options are added here by their modules' sections)
    # store (issue 5): log the replayed spans, as if they had happened from --start
    p.add_argument("--db", type=_file_name, help="log posture spans to this SQLite database")
    p.add_argument(
        "--start",
        help=(
            "with --db or --notify: ISO date-time that stream time 0 corresponds to "
            f"(default {default_start})"
        ),
    )
    # coach (issue 4): send the prompts the session would have produced
    p.add_argument(
        "--notify",
        action="store_true",
        help="show the coach's prompts as desktop notifications (demo prints them anyway)",
    )
    p.add_argument(
        "--notifier",
        choices=("auto", "desktop-notifier", "plyer", "print"),
        default=None,
        help="with --notify: notification backend (default auto: desktop-notifier, else plyer)",
    )


def session_sinks(
    args: argparse.Namespace, session: SessionInfo, coach: tuple[Any, Any] | None = None
) -> list[Sink]:
    """The sinks beyond the states file, for run (live) and replay/demo (recorded).

    ``session.live`` tells them apart: a live run coaches and logs by default, a replay
    only when asked (``--notify``, ``--db``). ``coach``: the (settings, library) the
    coach coaches by, which the live monitor gives (those in force, see ``service.run``);
    without it they are read from the files now.
    """
    sinks: list[Sink] = []
    db = getattr(args, "db", None)
    if db or session.live:  # store (issue 5): live runs always log, replays with --db
        from . import paths
        from .store import Store, StoreSink, session_with_start

        session = session_with_start(session, getattr(args, "start", None))
        # a live session's database held by another program (a session starts after the
        # clock was set, too): the monitor keeps its spans in the side file meanwhile
        store = Store.open(db or paths.database_file(), lock_later=session.live)
        sinks.append(StoreSink(store, session, own_store=True))
    # coach (issue 4): live runs coach by default, replay with --notify, demo always
    from .coach import build_sink, event_logger

    notify, demo = bool(getattr(args, "notify", False)), getattr(args, "command", None) == "demo"
    settings = library = None
    if coach is not None:
        settings, library = coach
    elif session.live:  # plan (issue 6): the coach follows the plan in force
        from .plan import coach_overrides

        settings, library = coach_overrides(session.start.date())
    elif notify or demo:  # a replay of a past day: the plan in force then, as a report
        from .plan import replay_overrides

        settings, library = replay_overrides(session.start)
    coach = build_sink(
        live=session.live,
        notify=notify,
        demo=demo,
        session=session,
        notifier_choice=getattr(args, "notifier", None) or "auto",
        on_event=event_logger(sinks),
        settings=settings,
        library=library,
        db=db,
    )
    if coach is not None:
        sinks.append(coach)
    return sinks


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Calibrate, then say when the login entry starts the monitor with another profile."""
    from . import monitor
    from .autostart import login_profile_note

    status = monitor.cmd_calibrate(args)
    note = login_profile_note(args.profile)
    if note:
        print(note)
    return status


def cmd_run(args: argparse.Namespace) -> int:
    from . import monitor
    from .autostart import refresh_older, start_again

    def older_entry() -> Optional[str]:  # a login entry an older version wrote, refreshed
        return refresh_older(args.profile or "default", args.camera or 0)

    return monitor.run_command(
        args, lambda session, coach: session_sinks(args, session, coach), older_entry, start_again
    )


def cmd_status(args: argparse.Namespace) -> int:
    from . import control
    from .autostart import start_again

    return control.cmd_status(args, start_again)


def refuse_idle_options(args: argparse.Namespace, coaches: bool) -> None:
    """Refuse an option that would change nothing, instead of ignoring it silently: a user
    who adds ``--every-sample`` or ``--start`` expects it to do what it says. ``coaches``:
    the session coaches without ``--notify`` (demo prints its prompts)."""
    if getattr(args, "every_sample", False) and not args.states_out:
        raise UserError("--every-sample says what --states-out holds; add --states-out FILE")
    if args.notifier and not args.notify:
        raise UserError(
            f"--notifier {args.notifier} chooses how --notify shows the prompts; add --notify"
        )
    if args.start and not (args.db or args.notify or coaches):
        raise UserError(
            "--start sets the time of day of the --db log and of the --notify prompts; "
            "add one of them (alone it changes nothing)"
        )


def cmd_replay(args: argparse.Namespace) -> int:
    from . import monitor

    refuse_idle_options(args, coaches=False)
    return monitor.replay_command(args, lambda session: session_sinks(args, session))


def cmd_demo(args: argparse.Namespace) -> int:
    from . import monitor

    refuse_idle_options(args, coaches=True)
    return monitor.demo_command(args, lambda session: session_sinks(args, session))


# --------------------------------------------------------------------------- log, diary, reports
def _add_store_commands(sub: argparse._SubParsersAction) -> None:
    """summary, report, headache add/list/edit/delete, checkin (issue 5)."""
    from . import diary, report, summary

    db_help = "database file (default: the user's posture_guard database)"
    p = sub.add_parser("summary", help="one day's posture: time per state, alerts, breaks")
    p.add_argument("--date", help="YYYY-MM-DD, today or yesterday (default today)")
    p.add_argument("--json", action="store_true", help="JSON with stable keys")
    p.add_argument("--db", type=_file_name, help=db_help)
    p.set_defaults(handler=summary.cmd_summary)

    p = sub.add_parser("report", help="HTML page with charts and/or CSV of daily rows")
    p.add_argument(
        "--from",
        dest="from_",
        help="first day (default: 27 days before --to, 4 weeks in all; with --therapist and "
        "a plan, or none active and one cleared, the plan's first day)",
    )
    p.add_argument(
        "--to",
        help="last day (default today; with --therapist and a plan, its last day if earlier; "
        "none active and one cleared, the day of the clear)",
    )
    p.add_argument("--html", type=_file_name, help="write a self-contained HTML report here")
    p.add_argument("--csv", type=_file_name, help="write one CSV row per day here")
    p.add_argument("--force", action="store_true", help="overwrite an existing report file")
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the shuffles behind the posture-headache p-values (their 95 %% intervals "
        "are worked out, not resampled: no seed changes them, nor the --therapist interval "
        "of the change in forward head, which is Welch's)",
    )
    p.add_argument("--db", type=_file_name, help=db_help)
    p.set_defaults(handler=report.cmd_report)

    p = sub.add_parser("headache", help="the headache diary: add, list, edit, delete")
    hsub = p.add_subparsers(dest="headache_command", metavar="ACTION")
    hsub.required = True
    q = hsub.add_parser("add", help="record a headache")
    diary.add_headache_options(q)
    q.add_argument("--db", type=_file_name, help=db_help)
    q.set_defaults(handler=diary.cmd_headache_add)
    q = hsub.add_parser("list", help="entries and clinical summary (default last 28 days)")
    q.add_argument("--from", dest="from_", help="first day (default: 27 days before --to)")
    q.add_argument("--to", help="last day (default today)")
    q.add_argument("--json", action="store_true", help="JSON output")
    q.add_argument("--db", type=_file_name, help=db_help)
    q.set_defaults(handler=diary.cmd_headache_list)
    q = hsub.add_parser("edit", help="change fields of an entry")
    q.add_argument("id", type=int, help="entry number (see headache list)")
    diary.add_headache_options(q, edit=True)
    q.add_argument("--db", type=_file_name, help=db_help)
    q.set_defaults(handler=diary.cmd_headache_edit)
    q = hsub.add_parser("delete", help="delete an entry")
    q.add_argument("id", type=int, help="entry number (see headache list)")
    q.add_argument("--db", type=_file_name, help=db_help)
    q.set_defaults(handler=diary.cmd_headache_delete)

    p = sub.add_parser("checkin", help="daily diary check-in: headache-free, or a headache")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--none", action="store_true", help="no headache on this day")
    what.add_argument("--headache", action="store_true", help="a headache (give its details)")
    diary.add_headache_options(p, checkin=True)
    p.add_argument("--db", type=_file_name, help=db_help)
    p.set_defaults(handler=diary.cmd_checkin)


# --------------------------------------------------------------------------- coach control
def _add_coach_commands(sub: argparse._SubParsersAction) -> None:
    """snooze, pause, resume, status: act on the running monitor (issue 4); config: the
    settings it coaches by."""
    from . import control

    p = sub.add_parser("snooze", help="no prompts for a while, e.g. `snooze 30m` or `1h`")
    p.add_argument("duration", nargs="+", help="how long: 30m, 1h, 1h30m (or 1h 30m), 90s")
    p.set_defaults(handler=control.cmd_snooze)

    p = sub.add_parser("pause", help="no prompts until `resume`")
    p.set_defaults(handler=control.cmd_pause)

    p = sub.add_parser("resume", help="end a pause or snooze")
    p.set_defaults(handler=control.cmd_resume)

    p = sub.add_parser("status", help="is the monitor running; is coaching paused or snoozed")
    p.set_defaults(handler=cmd_status)

    from . import config_show

    p = sub.add_parser(
        "config", help="where config.toml is; the coach settings in force and where each is from"
    )
    p.add_argument(
        "config_action",
        nargs="?",
        choices=("show", "new"),
        default="show",
        metavar="ACTION",
        help="show (default): the path and the settings in force; new: write the commented "
        "example to config.toml (never over an existing one)",
    )
    p.set_defaults(handler=config_show.cmd_config)


# --------------------------------------------------------------------------- therapists
def _add_therapist_commands(sub: argparse._SubParsersAction) -> None:
    """plan new/import/show/clear, done, assess, report --therapist (issue 6).

    Must run after _add_store_commands: it adds --therapist/--pdf/--plan to `report`.
    """
    from . import adherence, assess, plan, report, therapist

    p = sub.add_parser("plan", help="the therapist's plan: new, import, show, clear")
    psub = p.add_subparsers(dest="plan_command", metavar="ACTION")
    psub.required = True
    q = psub.add_parser(
        "new", help="write a plan to edit (`posture-guard plan example` prints a documented one)"
    )
    q.add_argument("out", nargs="?", type=_file_name, help="plan file to write (default: print it)")
    q.add_argument("--patient", type=typed_text, help="optional label (no other personal data)")
    q.add_argument("--start", help="first day, YYYY-MM-DD (default today)")
    q.add_argument("--weeks", type=int, default=4, help="plan length in weeks (default 4)")
    q.add_argument(
        "--exercise",
        action="append",
        type=typed_text,
        help="library exercise id (repeat; default 2 exercises)",
    )
    q.add_argument("--force", action="store_true", help="overwrite an existing file")
    q.set_defaults(handler=plan.cmd_plan_new)
    q = psub.add_parser(
        "example", help="print the documented example plan, every key explained (> FILE to edit)"
    )
    q.set_defaults(handler=plan.cmd_plan_example)
    q = psub.add_parser("import", help="validate a plan file and make it the active plan")
    q.add_argument("file", type=_file_name, help="plan TOML file")
    q.add_argument(
        "--instead",
        action="store_true",
        help="the plan imported earlier today was a mistake: this one replaces it, and it "
        "never held (until this plan's start, the plan in force before it holds, or none)",
    )
    q.set_defaults(handler=plan.cmd_plan_import)
    q = psub.add_parser("show", help="the active plan, each exercise described CERT-style")
    q.set_defaults(handler=plan.cmd_plan_show)
    q = psub.add_parser("clear", help="remove the active plan")
    q.set_defaults(handler=plan.cmd_plan_clear)

    p = sub.add_parser("done", help="record an exercise as done (optionally with a pain rating)")
    p.add_argument(
        "exercise",
        type=typed_text,  # an id of the library, which may be beyond ASCII ("nacken_ü")
        help="exercise id, e.g. chin_tuck: the active plan's (`plan show`) or the exercise "
        "library's (an id not known is refused with the list of all)",
    )  # without a plan, `plan show` lists none
    p.add_argument("--pain", type=int, help="pain during the exercise, 0-10")
    # "record it as skipped instead" told of a record kept whenever asked: a skip declines a
    # prompt still open, as the prompt's Snooze button does, and is refused with none
    window = adherence.RESPONSE_WINDOW_S / 60
    p.add_argument(
        "--skipped",
        action="store_true",
        help=f"decline its prompt of the last {window:g} min instead (as the prompt's Snooze "
        "button does; refused with none open: a dose not done shows as not done)",
    )
    p.add_argument(
        "--date",
        help="the day it was done: YYYY-MM-DD, today or yesterday, at most "
        f"{adherence.DONE_DAYS_BACK} days back (default today)",
    )
    p.add_argument(
        "--db", type=_file_name, help="database file (default: the user's posture_guard database)"
    )
    p.set_defaults(handler=adherence.cmd_done)

    p = sub.add_parser("assess", help="side-view photo: ear-shoulder angle, head tilt")
    p.add_argument(
        "photo", type=_file_name, help="a side (profile) photo, head and shoulders visible"
    )
    p.add_argument(
        "--out",
        type=_file_name,
        help="also write an annotated copy here (.png/.jpg); never otherwise",
    )
    p.add_argument("--force", action="store_true", help="with --out: overwrite an existing file")
    p.add_argument("--json", action="store_true", help="JSON output")
    p.set_defaults(handler=assess.cmd_assess)

    rp = sub.choices["report"]
    rp.add_argument(
        "--therapist", action="store_true", help="the therapist PDF (with --pdf) and its CSV"
    )
    rp.add_argument("--pdf", type=_file_name, help="with --therapist: write the PDF here")
    rp.add_argument(
        "--plan", type=_file_name, help="with --therapist: plan file (default: the active plan)"
    )

    def cmd_report(args: argparse.Namespace) -> int:
        if args.therapist:
            return therapist.cmd_therapist_report(args)
        if args.pdf or args.plan:
            raise UserError("--pdf and --plan go with --therapist")
        return report.cmd_report(args)

    rp.set_defaults(handler=cmd_report)


# --------------------------------------------------------------------------- run all day
def _add_service_commands(sub: argparse._SubParsersAction) -> None:
    """autostart enable|disable|status, tray (issue 7)."""
    from . import autostart, tray

    p = sub.add_parser("autostart", help="start the monitor at login: enable, disable, status")
    p.add_argument(
        "autostart_action",
        choices=("enable", "disable", "status"),
        metavar="ACTION",
        help="enable (write the login entry), disable (remove it) or status",
    )
    p.add_argument("--profile", default="default", help="with enable: calibration profile")
    p.add_argument("--camera", type=int, default=0, help="with enable: webcam index")
    p.add_argument(
        "--no-manager",
        action="store_true",
        help="only write/remove the file; do not call systemctl/launchctl",
    )
    p.set_defaults(handler=autostart.cmd_autostart)

    p = sub.add_parser("tray", help="tray icon: state colour, pause, snooze, today's report")
    p.set_defaults(handler=tray.cmd_tray)


# --------------------------------------------------------------------------- entry point
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="posture-guard",
        description="Webcam posture coach that stores numbers, never images.",
    )
    parser.add_argument("--version", action="version", version=f"posture-guard {__version__}")
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="run: more log output (console and log file); any command: an internal error's "
        "traceback",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    _add_core_commands(sub)
    _add_store_commands(sub)
    _add_coach_commands(sub)
    _add_therapist_commands(sub)
    _add_service_commands(sub)
    return parser


def _verbose_after_command(argv: list[str]) -> str | None:
    """The refusal of ``-v`` (``-vv``, ``--verbose``) given after the command, which only
    the command line before it takes, with the command that puts it there; None when
    there is none (words after ``--`` are operands)."""
    command = next((i for i, word in enumerate(argv) if not word.startswith("-")), None)
    if command is None:
        return None
    for i in range(command + 1, len(argv)):
        if argv[i] == "--":
            return None
        if re.fullmatch(r"-v+|--verbose", argv[i]):
            rest = argv[:command] + [argv[i]] + argv[command:i] + argv[i + 1 :]
            fixed = " ".join(shlex.quote(word) for word in ["posture-guard", *rest])
            return f"{argv[i]} goes before the command, not after it: {fixed}"
    return None


def _duration_as_operand(argv: list[str]) -> list[str]:
    """``snooze -5m`` with ``--`` before the duration, and ``--duration -1h`` (a
    headache's) as ``--duration=-1h``, so that the command says what is wrong with the
    duration: argparse reads "-5m" as an unknown option and answered that the duration
    was missing ("expected one argument")."""
    joined: list[str] = []
    for word in argv:
        if joined and joined[-1] == "--duration" and re.match(r"-[\d.]", word):
            joined[-1] = f"--duration={word}"
        else:
            joined.append(word)
    argv = joined
    words = [i for i, word in enumerate(argv) if not word.startswith("-")]
    if not words or argv[words[0]] != "snooze" or words[0] + 1 >= len(argv):
        return argv
    i = words[0] + 1
    if argv[i].startswith("-") and argv[i] not in ("-h", "--help", "--"):
        return [*argv[:i], "--", *argv[i:]]
    return argv


def main(argv: Sequence[str] | None = None) -> int:
    keep_streams_printable()
    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    late = _verbose_after_command(words)
    if late is not None:
        # "unrecognized arguments: -v" (argparse) did not say where it goes, while the
        # one line of an internal error asks for "the same command run with -v"
        print(f"posture-guard: {late}", file=sys.stderr)
        return EXIT_REFUSED
    args = parser.parse_args(_duration_as_operand(words))
    status = _handle(args)
    if status == EXIT_REFUSED and args.handler is cmd_run:
        from .autostart import REFUSED_EXIT_ENV

        # launchd tells an exit apart only as zero or not: the LaunchAgent asks for 0
        # here, so a monitor refused for good is not started again every 10 s
        wanted = os.environ.get(REFUSED_EXIT_ENV, "")
        if wanted.isdigit() and int(wanted) <= 255:
            return int(wanted)
    return status


def _handle(args: argparse.Namespace) -> int:
    """The command's exit status, every error said in one line (see :func:`main`)."""
    handler: Handler = args.handler
    try:
        status = handler(args)
        # Flush here, not at exit: output that cannot be written (`summary > /dev/full`)
        # must end in a message, not in Python's own complaint at shutdown.
        if sys.stdout is not None:
            try:
                sys.stdout.flush()
            except BrokenPipeError:
                raise
            except OSError as exc:
                raise OSError(exc.errno, exc.strerror, "standard output") from exc
        return status
    except UserError as exc:
        print(f"posture-guard: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("posture-guard: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output went away (`posture-guard demo | head`): nothing is
        # wrong, and Python's own flush at exit must not complain about the closed pipe.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        print(f"posture-guard: {os_problem(exc)}", file=sys.stderr)
        _discard_stdout()
        return EXIT_REFUSED
    except Exception as exc:  # a bug: say so in one line; the details are for a report
        print(
            f"posture-guard: internal error ({type(exc).__name__}: {exc}); this is a bug in "
            "posture_guard. Nothing recorded before it is lost. Please report it with the "
            "output of the same command run with -v",
            file=sys.stderr,
        )
        if args.verbose:
            traceback.print_exc()
        return EXIT_BUG


#: Exit status for a bug (BSD's EX_SOFTWARE), apart from 2 for what the user can mend.
EXIT_BUG = 70


def os_problem(exc: OSError) -> str:
    """What the system refused, naming the file: "F: No space left on device"."""
    what = exc.strerror or str(exc) or type(exc).__name__
    names = [str(f) for f in (exc.filename, exc.filename2) if f is not None]
    if not names:
        return what
    return f"{' -> '.join(names)}: {what}"


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's flush at exit does not fail
    again on output that could not be written (a full disk, a closed descriptor)."""
    try:
        if sys.stdout is not None:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
