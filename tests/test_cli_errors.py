"""The last line of defence: what the system refuses, and bugs, end in one line, never a
traceback (the project's rule), with the exit status telling the two apart."""

from __future__ import annotations

import sys

import pytest

from posture_guard import cli
from posture_guard.notify import Message, PrintingNotifier


def test_a_folder_that_cannot_be_made_is_named_in_one_line(monkeypatch, capsys):
    # /dev/null is a file, so no data folder can be made below it
    monkeypatch.setenv("POSTURE_GUARD_HOME", "/dev/null")
    status = cli.main(["headache", "list"])
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("posture-guard: /dev/null: a file where posture-guard needs a folder")
    assert "/dev/null/data" in err  # and which folder it blocks
    assert "Traceback" not in err and err.count("\n") == 1


def test_output_that_cannot_be_written_is_named_as_standard_output(monkeypatch, capsys):
    with open("/dev/full", "w") as full:  # every write to it fails: a full disk
        monkeypatch.setattr(sys, "stdout", full)
        status = cli.main(["headache", "list"])
        monkeypatch.undo()  # before the file closes: capsys reads the real stdout again
    err = capsys.readouterr().err
    assert status == 2
    assert "posture-guard: standard output: No space left on device" in err


def _broken_demo(args):
    raise RuntimeError("a bug for the test")


def test_a_bug_is_one_line_that_says_so_and_the_traceback_only_with_verbose(monkeypatch, capsys):
    # A bug cannot be summoned on demand in working code, so a command is replaced by one
    # that fails the way a bug does.
    monkeypatch.setattr(cli, "cmd_demo", _broken_demo)
    assert cli.main(["demo"]) == cli.EXIT_BUG
    err = capsys.readouterr().err
    assert "internal error (RuntimeError: a bug for the test)" in err
    assert "this is a bug" in err and "-v" in err
    assert "Traceback" not in err

    assert cli.main(["-v", "demo"]) == cli.EXIT_BUG
    assert "Traceback" in capsys.readouterr().err


def test_printed_prompts_with_the_output_closed_are_reported_not_shown(monkeypatch):
    # `posture-guard demo >&-`: Python sets sys.stdout to None
    monkeypatch.setattr(sys, "stdout", None)
    delivery = PrintingNotifier().send(Message("Time for a short break", "Stand up."))
    assert not delivery.shown
    assert "no output" in delivery.reason


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (OSError(28, "No space left on device", "/tmp/report.pdf"), "/tmp/report.pdf: No space"),
        (
            OSError(18, "Invalid cross-device link", "/a", None, "/b"),
            "/a -> /b: Invalid cross-device",
        ),
        (OSError("disk gone"), "disk gone"),
    ],
)
def test_os_problems_name_their_files(exc, expected):
    assert cli.os_problem(exc).startswith(expected)


@pytest.mark.parametrize(
    "argv, said",
    [
        (["summary", "--date", "2026-11-31"], "--date '2026-11-31' is no day of the calendar ("),
        (["headache", "add", "--intensity", "4", "--date", "2026-02-29"], "'2026-02-29' is no day"),
        (["headache", "list", "--from", "2026-13-01"], "--from '2026-13-01' is no day"),
    ],
)
def test_a_date_written_right_that_is_no_day_is_told_so(argv, said, capsys):
    # "--date '2026-11-31' is not a date like 2024-03-04": the two look alike; November
    # has 30 days, which the message did not say
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert said in err and "not a date like" not in err and err.count("\n") == 1


_LONG = "1" + "0" * 5000  # more digits than Python turns from text (4300)
_DEEP = "[" * 2000 + "]" * 2000  # deeper than Python's recursion limit


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (_LONG, "line 2: a number of more than 4300 digits"),
        (_DEEP, "arrays or tables nested too deep for a reader to hold"),
    ],
)
@pytest.mark.parametrize("where", ["config.toml", "exercises.toml", "plan.toml"])
def test_toml_that_python_cannot_hold_is_not_valid_toml_naming_the_file(
    where, value, said, tmp_path, capsys
):
    # tomllib lets a ValueError (int from text over 4300 digits, which told the user to
    # call sys.set_int_max_str_digits()) and a RecursionError out: `config`, `run` and
    # `plan import` ended in "internal error"
    from posture_guard import paths

    if where == "plan.toml":
        path = tmp_path / where
        argv = ["plan", "import", str(path)]
    else:
        path = paths.config_dir() / where
        argv = ["config"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# a hand edit\nbreak_interval_min = {value}\n", encoding="utf-8")
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{path} is not valid TOML: {said}" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["replay", "--landmarks", ""],  # was "internal error (TypeError ...)"
        ["calibrate", "--video", ""],  # reached for the camera: "no camera could be opened"
        ["record", "--landmarks-out", "out.jsonl", "--video", ""],  # the same
        ["checkin", "--none", "--date", "2026-01-06", "--db", ""],  # the user's own database
        ["done", "chin_tuck", "--db", ""],
        ["plan", "import", ""],  # "cannot read plan .: Is a directory"
    ],
)
def test_an_empty_file_name_is_refused_not_read_as_the_option_left_out(argv, capsys):
    # `--db "$DB"` with the variable unset: the option was taken as not given
    from posture_guard import paths
    from posture_guard.store import Store

    with Store.open(paths.database_file()):  # the user's own database, empty
        pass
    before = paths.database_file().read_bytes()
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    option = argv[argv.index("") - 1]
    shown = "file" if option == "import" else option
    assert f"argument {shown}: an empty file name" in err and "Traceback" not in err
    assert paths.database_file().read_bytes() == before


@pytest.mark.parametrize("option", ["--csv", "--html"])
def test_an_output_that_is_a_symbolic_link_loop_is_named_in_one_line(option, tmp_path, capsys):
    # the check that an output is not an input resolved the name, and Path.resolve raised
    # RuntimeError("Symlink loop ..."): "internal error", exit 70
    loop = tmp_path / "a"
    loop.symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(loop)
    assert cli.main(["report", option, str(loop)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(loop) in err
    assert "Too many levels of symbolic links" in err and "internal error" not in err


def test_a_therapist_pdf_on_a_full_disk_is_named_in_one_line(capsys):
    # every write to /dev/full fails as on a full disk: the failed write came out of
    # matplotlib's close as zlib.error "Error -2 while flushing", an "internal error"
    assert cli.main(["report", "--therapist", "--pdf", "/dev/full"]) == 2
    err = capsys.readouterr().err
    assert err == "posture-guard: cannot write PDF /dev/full: No space left on device\n"


@pytest.mark.parametrize(
    "args",
    [
        ["record", "--landmarks-out", "{tmp}/rec.jsonl"],
        ["calibrate", "--no-preview"],
    ],
)
def test_a_camera_index_past_any_webcams_is_no_camera_not_an_internal_error(
    args, tmp_path, monkeypatch, capsys
):
    # OpenCV takes an index as a C int: one past it ended `record` and `calibrate` in
    # "internal error (TypeError)", where `run` said no camera could be opened there
    monkeypatch.setenv("POSTURE_GUARD_HOME", str(tmp_path / "home"))
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    assert cli.main([*argv, "--camera", "99999999999999999999999"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("posture-guard: no camera could be opened at index 99999999999999999")
    assert "internal error" not in err and not (tmp_path / "rec.jsonl").exists()
