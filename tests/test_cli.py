"""The command-line contract of the core: replay, demo, calibrate, record, and errors."""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import shlex
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from calibration import synth
from posture_guard import __version__
from posture_guard.cli import main
from posture_guard.stream import load_stream, write_stream
from tests.cli_run import posture_guard as _posture_guard
from tests.cli_run import posture_guard_ok

from .scenes import NEAR_CAMERA, lean_in_scene

STATES = {"good", "forward_head", "raised_shoulders", "head_tilt", "absent"}


def _write_scene(path: Path, scene: synth.Scene) -> Path:
    """``scene`` rendered and written to ``path`` as a landmark stream."""
    header, labelled = synth.render(scene)
    write_stream(path, header, synth.to_samples(labelled))
    return path


def _clean_stream(
    folder: Path,
    segments: list[tuple[str, float]],
    seed: int,
    camera: synth.Camera = synth.Camera(),
) -> Path:
    """A clean synthetic session at 5 fps of ``segments`` (kind, seconds), as a stream."""
    scene = synth.Scene(
        synth.Person(),
        camera,
        [synth.Segment(kind, seconds) for kind, seconds in segments],
        synth.Nuisance.none(),
        fps=5.0,
        seed=seed,
    )
    return _write_scene(folder / f"session-{seed}.jsonl", scene)


@pytest.fixture(scope="module")
def slump_stream(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """30 s upright, 2 min forward head, 1 min upright."""
    segments = [("upright", 30), ("forward_head", 120), ("upright", 60)]
    return _clean_stream(tmp_path_factory.mktemp("streams"), segments, seed=7)


@pytest.fixture(scope="module")
def slouch_stream(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A calibration with the slouch step (20 s upright, 15 s slouch), then a session."""
    segments = [("upright", 20), ("forward_head", 15), ("upright", 60), ("forward_head", 90),
                ("upright", 60)]  # fmt: skip
    return _clean_stream(tmp_path_factory.mktemp("streams"), segments, seed=8)


def _states(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_replay_writes_state_changes_in_the_contract_format(
    slump_stream: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "states.jsonl"
    code = main(["replay", "--landmarks", str(slump_stream), "--calibrate-seconds", "20",
                 "--states-out", str(out)])  # fmt: skip
    assert code == 0
    lines = _states(out)
    assert all(isinstance(x["t"], (int, float)) and x["state"] in STATES for x in lines)
    assert [x["t"] for x in lines] == sorted(x["t"] for x in lines)
    # One line per change: consecutive lines never repeat a state.
    assert all(a["state"] != b["state"] for a, b in zip(lines, lines[1:]))
    seq = [x["state"] for x in lines]
    assert seq[0] == "good" and "forward_head" in seq and seq[-1] == "good"
    fh = next(x for x in lines if x["state"] == "forward_head")
    assert 30 <= fh["t"] <= 30 + 4 + 10  # transition (<= 4 s) plus detection
    back = next(x for x in lines if x["t"] > fh["t"] and x["state"] == "good")
    assert 150 <= back["t"] <= 150 + 4 + 10
    printed = capsys.readouterr().out
    assert "forward_head" in printed and "monitored" in printed


def test_replay_every_sample_writes_one_line_per_analysed_sample(
    slump_stream: Path, tmp_path: Path
) -> None:
    out = tmp_path / "all.jsonl"
    args = ["--calibrate-seconds", "20", "--every-sample", "--all-frames", "--quiet"]
    assert main(["replay", "--landmarks", str(slump_stream), "--states-out", str(out), *args]) == 0
    _, samples = load_stream(slump_stream)
    lines = _states(out)
    # the first 20 s are calibration, not monitoring: no line for them
    assert len(lines) == sum(s.t >= samples[0].t + 20 for s in samples)
    assert {"ear_gap", "face_width", "pitch"} <= set(lines[0])  # the metrics behind it


def test_a_gz_states_out_is_written_compressed(slump_stream: Path, tmp_path: Path) -> None:
    # `record` writes a .gz name compressed; --states-out wrote plain text under it,
    # which zcat and gzip -d refused as "not in gzip format"
    plain, packed = tmp_path / "states.jsonl", tmp_path / "states.jsonl.gz"
    for out in (plain, packed):
        args = ["--states-out", str(out), "--calibrate-seconds", "20", "--quiet"]
        assert main(["replay", "--landmarks", str(slump_stream), *args]) == 0
    assert gzip.decompress(packed.read_bytes()) == plain.read_bytes()
    assert packed.stat().st_mode & 0o777 == 0o600  # as private as the plain one
    assert any(line["state"] == "forward_head" for line in _states(plain))


def test_adaptive_sampling_analyses_far_fewer_frames(
    slump_stream: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["replay", "--landmarks", str(slump_stream), "--calibrate-seconds", "20", "--quiet"])
    text = capsys.readouterr().out
    analysed, seen = (int(x) for x in text.split("analysed ")[1].split(" frames")[0].split(" of "))
    _, samples = load_stream(slump_stream)
    assert seen == sum(s.t >= samples[0].t + 20 for s in samples)  # after the calibration
    assert analysed < seen / 2


def test_demo_shows_the_states_changing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "demo-states.jsonl"
    assert main(["demo", "--states-out", str(out)]) == 0
    seq = [x["state"] for x in _states(out)]
    assert {"good", "forward_head", "absent"} <= set(seq)
    assert seq.index("forward_head") < seq.index("absent")
    printed = capsys.readouterr().out
    assert "calibrated on the first 20 s" in printed and "then a 15 s slouch" in printed


def test_output_cut_short_by_its_reader_is_no_traceback(tmp_path: Path) -> None:
    # `posture-guard demo | head -1`: the reader closes the pipe after one line.
    import os
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "posture_guard.cli", "demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "POSTURE_GUARD_HOME": str(tmp_path)},
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0
    assert first.startswith(b"posture-guard demo:")
    assert "Traceback" not in err and "BrokenPipe" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["report", "--csv", "-"],
        ["report", "--html", "-"],
        ["demo", "--states-out", "-"],
        ["record", "--seconds", "2", "--landmarks-out", "-"],
    ],
)
def test_a_file_given_as_dash_whose_reader_went_away_is_no_error(
    argv: list[str], grace_hopper: Path, pg_home: Path
) -> None:
    # `posture-guard report --csv - | head -1`, `demo --states-out - | head`: the reader
    # had what it wanted, as for `demo | head -1` above, but these exited 2, "cannot write
    # CSV to standard output: Broken pipe" ("...; the states file is incomplete"; "; the
    # 1 sample recorded before it is kept there"), failing a script under pipefail.
    if argv[0] == "record":
        argv = [*argv, "--video", str(grace_hopper)]
    read, write = os.pipe()
    os.close(read)  # a reader gone before the first line: every write meets a closed pipe
    try:
        done = _posture_guard(argv, pg_home, stdout=write, stderr=subprocess.PIPE)
    finally:
        os.close(write)
    said = [line for line in done.stderr.splitlines() if line.startswith("posture-guard: ")]
    assert (done.returncode, said) == (0, [])
    assert "Broken pipe" not in done.stderr and "Traceback" not in done.stderr


def test_a_demo_whose_reader_went_away_still_logs_it_all(tmp_path: Path, pg_home: Path) -> None:
    # `posture-guard demo --db F | head -1` (a replay's lines piped to a reader that
    # exits): the demo stopped at the first line that met the closed pipe, exit status 0,
    # and F held nothing (its summary: "nothing was monitored on this day"); the
    # --states-out file was cut short the same way
    db, states = tmp_path / "demo.sqlite3", tmp_path / "states.jsonl"
    argv = ["demo", "--db", str(db), "--start", "2026-03-02T09:00", "--states-out", str(states)]
    read, write = os.pipe()
    os.close(read)
    try:
        done = _posture_guard(argv, pg_home, stdout=write, stderr=subprocess.PIPE)
    finally:
        os.close(write)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    # all of it, as the same demo with its lines read logs and writes it
    whole_db, whole = tmp_path / "whole.sqlite3", tmp_path / "whole.jsonl"
    posture_guard_ok([*argv[:1], "--db", str(whole_db), *argv[3:-1], str(whole)], pg_home)

    def day(path: Path) -> dict[str, object]:
        argv = ["summary", "--db", str(path), "--date", "2026-03-02", "--json"]
        return json.loads(posture_guard_ok(argv, pg_home))

    assert day(db)["monitored_minutes"] > 6
    assert day(db) == day(whole_db)
    assert states.read_text() == whole.read_text()


def test_calibrate_asks_for_the_upright_time_the_models_and_the_harness_assume() -> None:
    from posture_guard.cli import build_parser
    from posture_guard.monitor import CALIBRATE_SECONDS

    args = build_parser().parse_args(["calibrate"])
    assert args.seconds == CALIBRATE_SECONDS == synth.CALIBRATION_LEAD


def test_calibrate_from_landmarks_then_replay_with_that_profile(
    slump_stream: Path, tmp_path: Path, pg_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["calibrate", "--landmarks", str(slump_stream), "--seconds", "20",
                 "--profile", "desk-1"]) == 0  # fmt: skip
    profile = pg_home / "config" / "profiles" / "desk-1.json"
    data = json.loads(profile.read_text())
    assert data["samples"] >= 90 and 0 < data["median"]["ear_gap"] < 2
    out = tmp_path / "s.jsonl"
    assert main(["replay", "--landmarks", str(slump_stream), "--profile", "desk-1",
                 "--states-out", str(out), "--quiet"]) == 0  # fmt: skip
    assert "forward_head" in {x["state"] for x in _states(out)}
    assert "population defaults" not in capsys.readouterr().out


def test_a_mistyped_profile_is_refused_naming_the_profiles_saved(
    slump_stream: Path, pg_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `--profile defualt` was told only "run `posture-guard calibrate --profile defualt`
    # first", as if the user had no profile
    for name in ("default", "desk-1"):
        assert main(["calibrate", "--landmarks", str(slump_stream), "--seconds", "20",
                     "--profile", name]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["replay", "--landmarks", str(slump_stream), "--profile", "defualt"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no calibration profile 'defualt'" in err
    assert "saved: 'default', 'desk-1'" in err


def test_replay_without_a_profile_says_how_to_use_the_one_the_user_has(
    slump_stream: Path, pg_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # replay judges a recording, which may come from another desk, by a profile only when
    # asked; with a profile on disk, "run calibrate" would be the wrong advice
    assert main(["replay", "--landmarks", str(slump_stream), "--quiet"]) == 0
    assert "run `posture-guard calibrate`" in capsys.readouterr().out
    assert main(["calibrate", "--landmarks", str(slump_stream), "--seconds", "20"]) == 0
    capsys.readouterr()
    assert main(["replay", "--landmarks", str(slump_stream), "--quiet"]) == 0
    said = capsys.readouterr().out
    assert "population defaults" in said and "--profile default" in said
    assert "run `posture-guard calibrate`" not in said


def test_calibrate_with_the_slouch_step_stores_the_slouch_and_replay_uses_it(
    slouch_stream: Path, tmp_path: Path, pg_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from calibration.baseline import load_profile
    from posture_guard.classify import model_name

    assert main(["calibrate", "--landmarks", str(slouch_stream), "--seconds", "20",
                 "--slouch-seconds", "15", "--profile", "desk-2"]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert "your slouch: ear-shoulder height -" in printed
    data = json.loads((pg_home / "config" / "profiles" / "desk-2.json").read_text())
    # A forward head brings the ears nearer the shoulder line and the face nearer the camera.
    assert data["slouch"]["d_gap"] < -0.03 and data["slouch"]["d_face"] > 0
    assert load_profile("desk-2").slouch == data["slouch"]
    assert model_name(load_profile("desk-2")) == "slouch"
    out = tmp_path / "s.jsonl"
    assert main(["replay", "--landmarks", str(slouch_stream), "--profile", "desk-2",
                 "--states-out", str(out), "--quiet"]) == 0  # fmt: skip
    lines = _states(out)
    # The session's slump (95-185 s) is caught, and left again.
    fh = [x["t"] for x in lines if x["state"] == "forward_head" and x["t"] > 95]
    assert fh and 95 <= fh[0] <= 95 + 4 + 10
    assert lines[-1]["state"] == "good"


def test_replay_can_calibrate_with_the_slouch_step_from_the_stream(
    slouch_stream: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--calibrate-seconds", "20", "--slouch-seconds", "15", "--quiet"]
    assert main(["replay", "--landmarks", str(slouch_stream), *args]) == 0
    assert "calibrated on the first 20 s (101 usable frames), then a 15 s slouch" in (
        capsys.readouterr().out
    )


def test_a_slouch_step_spent_upright_keeps_the_upright_profile_and_says_why(
    slump_stream: Path, pg_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # slump_stream is upright for its first 30 s: a "slouch" at 10-25 s is no slouch.
    assert main(["calibrate", "--landmarks", str(slump_stream), "--seconds", "10",
                 "--slouch-seconds", "15", "--profile", "desk-3"]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert "slouch step not used: the slouch looked like your upright posture" in printed
    data = json.loads((pg_home / "config" / "profiles" / "desk-3.json").read_text())
    assert "slouch" not in data and data["samples"] >= 45


def test_calibrating_from_a_recording_advises_a_slouch_step_the_user_can_give(
    slump_stream: Path, pg_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The tip after a recording's upright-only calibration read "add the step with
    # --slouch-seconds 15": on the same recording, upright for its first 30 s (as a clip of
    # someone sitting well is), that step is the upright seconds after and is not used.
    argv = ["calibrate", "--landmarks", str(slump_stream), "--seconds", "10", "--profile", "rec"]
    assert main(argv) == 0
    tip = capsys.readouterr().out
    assert main([*argv, "--slouch-seconds", "15"]) == 0
    assert "slouch step not used" in capsys.readouterr().out  # following the old tip
    assert "no slouch step: judged with the upright-only model" in tip
    assert "add the step with --slouch-seconds 15" not in tip
    assert "calibrate live (`posture-guard calibrate` asks for your slouch too)" in tip
    assert "a recording that holds 15 s of your slouch right after the upright part" in tip


def test_slouch_seconds_that_cannot_work_are_clear_errors(
    slouch_stream: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["calibrate", "--landmarks", str(slouch_stream), "--slouch-seconds", "4"]) == 2
    assert "--slouch-seconds must be 0 (no slouch step) or at least 10" in capsys.readouterr().err
    assert main(["replay", "--landmarks", str(slouch_stream), "--slouch-seconds", "15"]) == 2
    assert "--slouch-seconds needs --calibrate-seconds" in capsys.readouterr().err
    args = ["--calibrate-seconds", "200", "--slouch-seconds", "150"]
    assert main(["replay", "--landmarks", str(slouch_stream), *args]) == 2
    assert "calibration asks for 200 s and a 150 s slouch" in capsys.readouterr().err


def test_a_profile_with_a_broken_slouch_is_a_clear_error(
    slouch_stream: Path, pg_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["calibrate", "--landmarks", str(slouch_stream), "--seconds", "20",
                 "--slouch-seconds", "15", "--profile", "desk-4"]) == 0  # fmt: skip
    path = pg_home / "config" / "profiles" / "desk-4.json"
    good = json.loads(path.read_text())
    for slouch, why in (({"d_face": 0.05}, "'slouch' lacks d_gap"),
                        (dict(good["slouch"], d_gap="far"), "slouch.d_gap is not a number"),
                        ("slumped", "'slouch' must be a table")):  # fmt: skip
        path.write_text(json.dumps(dict(good, slouch=slouch)))
        capsys.readouterr()
        assert main(["replay", "--landmarks", str(slouch_stream), "--profile", "desk-4"]) == 2
        err = capsys.readouterr().err
        assert why in err and "desk-4.json" in err and "Traceback" not in err


def test_without_a_profile_replay_says_it_uses_population_defaults(
    slump_stream: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", "--landmarks", str(slump_stream), "--quiet"]) == 0
    assert "population defaults" in capsys.readouterr().out


def test_replay_refuses_a_profile_beside_calibrate_seconds(
    slump_stream: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the README lists both for replay; given both, the stream's first seconds were the
    # baseline and --profile was dropped without a word (even one that does not exist),
    # so the user believed the replay judged against their saved profile
    argv = ["replay", "--landmarks", str(slump_stream), "--calibrate-seconds", "5"]
    assert main([*argv, "--profile", "nobody", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "--profile" in err and "--calibrate-seconds" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert main([*argv, "--quiet"]) == 0  # either alone runs


def _corrupt_copy(src: Path, dst: Path, lineno: int, text: str) -> Path:
    lines = src.read_text().splitlines()
    lines[lineno - 1] = text
    dst.write_text("\n".join(lines) + "\n")
    return dst


@pytest.mark.parametrize(
    ("cmd", "lineno"),
    # a 5 fps stream: its header, then the first 5 s are lines 2-27 (t = 0.0 to 5.0)
    [("replay", 40), ("calibrate", 10)],
)
def test_a_corrupt_line_is_a_clear_error_naming_the_line(
    slump_stream: Path,
    tmp_path: Path,
    pg_home: Path,
    capsys: pytest.CaptureFixture[str],
    cmd: str,
    lineno: int,
) -> None:
    bad = _corrupt_copy(slump_stream, tmp_path / "bad.jsonl", lineno, '{"t": 7.8, "landmarks": [[1')
    seconds = (
        ["--calibrate-seconds", "5"] if cmd == "replay" else ["--seconds", "5", "--profile", "desk"]
    )
    assert main([cmd, "--landmarks", str(bad), *seconds]) == 2
    err = capsys.readouterr().err
    assert f"line {lineno}" in err and "not JSON" in err and "Traceback" not in err
    assert err.count("\n") == 1
    assert not (pg_home / "config" / "profiles" / "desk.json").exists()  # nothing saved


def test_calibrate_reads_only_its_seconds_so_a_corrupt_line_after_them_is_never_reached(
    slump_stream: Path, tmp_path: Path, pg_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _corrupt_copy(slump_stream, tmp_path / "bad.jsonl", 40, '{"t": 7.8, "landmarks": [[1')
    assert main(["calibrate", "--landmarks", str(bad), "--seconds", "5", "--profile", "desk"]) == 0
    assert capsys.readouterr().err == ""
    saved = json.loads((pg_home / "config" / "profiles" / "desk.json").read_text())
    assert saved["samples"] == 26  # t = 0.0, 0.2, ... 5.0 s at 5 fps: lines 2-27


def test_broken_profile_and_bad_names_are_clear_errors(
    slump_stream: Path, pg_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profiles = pg_home / "config" / "profiles"
    profiles.mkdir(parents=True)
    (profiles / "broken.json").write_text("{ this is not json")
    assert main(["replay", "--landmarks", str(slump_stream), "--profile", "broken"]) == 2
    assert "broken.json" in capsys.readouterr().err
    assert main(["replay", "--landmarks", str(slump_stream), "--profile", "../etc"]) == 2
    assert "not allowed" in capsys.readouterr().err
    assert main(["replay", "--landmarks", str(slump_stream), "--profile", "nobody"]) == 2
    assert "calibrate --profile nobody" in capsys.readouterr().err


# A profile as `calibrate` saved it before 2026-11-29 (da77737, rounded): format 1, and
# none of the measures of the ears and mouth as seen at calibration that later ones keep.
OLD_PROFILE = """{
 "format": 1, "name": "desk", "note": "calibrated from demo-stream.jsonl.gz", "samples": 75,
 "median": {"ear_gap": 0.619, "eye_gap": 0.7408, "face_width": 0.2957, "ear_width": 0.399,
  "pitch": -0.1052, "yaw": -0.0125, "roll": -1.3988, "shoulder_tilt": 0.8366,
  "shoulder_y": 0.693, "ear_y": 0.3445, "center_x": 0.4607, "shoulder_width": 0.5623},
 "spread": {"ear_gap": 0.0066, "eye_gap": 0.0089, "face_width": 0.0019, "ear_width": 0.0032,
  "pitch": 0.0153, "yaw": 0.0244, "roll": 0.3326, "shoulder_tilt": 0.1173,
  "shoulder_y": 0.002, "ear_y": 0.0035, "center_x": 0.0007, "shoulder_width": 0.0097}
}"""


def test_a_profile_saved_before_the_seen_ears_measures_still_judges_and_says_to_recalibrate(
    slump_stream: Path, pg_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Judged with such a profile, the bundled demo stream of its day read 37 s of forward
    head where a calibration of today on the same seconds reads 2 min 1 s; nothing said so."""
    profiles = pg_home / "config" / "profiles"
    profiles.mkdir(parents=True)
    (profiles / "desk.json").write_text(OLD_PROFILE, encoding="utf-8")
    (profiles / "default.json").write_text(OLD_PROFILE, encoding="utf-8")
    for name, command in (("desk", "calibrate --profile desk`"), ("default", "calibrate`")):
        assert main(["replay", "--landmarks", str(slump_stream), "--profile", name,
                     "--quiet"]) == 0  # fmt: skip
        out = capsys.readouterr().out
        assert f"profile {name!r} was saved by an older posture_guard" in out
        assert f"`posture-guard {command}" in out and "forward_head" in out


def test_a_profile_of_this_version_without_the_seen_ears_measures_is_no_old_one(
    slump_stream: Path, pg_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ears and mouth hidden throughout a calibration leave those measures out of a new
    profile too; calibrating again would not add them, so no note asks for it. A profile
    that has them, saved before its format said so, is no old one either."""
    assert main(["calibrate", "--landmarks", str(slump_stream), "--seconds", "20",
                 "--profile", "hair"]) == 0  # fmt: skip
    path = pg_home / "config" / "profiles" / "hair.json"
    saved = json.loads(path.read_text())
    assert saved["format"] == 2 and {"ear_gap_seen", "pitch_ears"} <= set(saved["median"])
    (path.parent / "seen.json").write_text(json.dumps(dict(saved, format=1)))
    for key in ("ear_gap_seen", "pitch_ears", "pitch_mouth"):
        del saved["median"][key]
    path.write_text(json.dumps(saved))
    capsys.readouterr()
    for name in ("hair", "seen"):
        assert main(["replay", "--landmarks", str(slump_stream), "--profile", name,
                     "--quiet"]) == 0  # fmt: skip
        assert "older posture_guard" not in capsys.readouterr().out


def test_a_profile_of_a_newer_format_is_refused_naming_the_file(
    slump_stream: Path, pg_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A newer posture_guard may keep a profile's measures otherwise; read as this
    version's format, its numbers judged the user against a baseline they do not
    describe, without a word. The file is named and left as it is."""
    assert main(["calibrate", "--landmarks", str(slump_stream), "--seconds", "20",
                 "--profile", "desk"]) == 0  # fmt: skip
    path = pg_home / "config" / "profiles" / "desk.json"
    saved = json.loads(path.read_text())
    path.write_text(json.dumps(dict(saved, format=saved["format"] + 1)))
    written = path.read_bytes()
    capsys.readouterr()
    assert main(["replay", "--landmarks", str(slump_stream), "--profile", "desk"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"calibration profile {path} was written by a newer posture_guard" in captured.err
    assert captured.err.count("\n") == 1 and path.read_bytes() == written
    # a format that is no number is a damaged file, not an old one
    path.write_text(json.dumps(dict(saved, format="2")))
    assert main(["replay", "--landmarks", str(slump_stream), "--profile", "desk"]) == 2
    assert "'format' '2' is not a whole number" in capsys.readouterr().err


def test_missing_input_and_too_short_calibration(
    slump_stream: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", "--landmarks", str(tmp_path / "nope.jsonl")]) == 2
    assert "cannot open" in capsys.readouterr().err
    assert main(["replay", "--video", str(tmp_path / "nope.mp4")]) == 2
    assert "not found" in capsys.readouterr().err
    assert main(["replay", "--landmarks", str(slump_stream), "--calibrate-seconds", "999"]) == 2
    assert "holds only" in capsys.readouterr().err


def test_a_video_or_photo_that_is_a_link_loop_is_called_one(
    tmp_path: Path, pg_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `replay --video LOOP` said "video file not found" of a name that is there, and a
    # photo "not found or not an image OpenCV can read"
    for name, what in (("clip.mp4", "video file"), ("still.png", "image")):
        loop = tmp_path / name
        loop.symlink_to(loop)
        for argv in (["replay", "--video", str(loop)],
                     ["calibrate", "--video", str(loop), "--no-preview"]):  # fmt: skip
            assert main(argv) == 2
            assert capsys.readouterr().err == (
                f"posture-guard: {what} {loop} is a link that leads back to itself (a link loop)\n"
            )


def test_a_calibration_of_too_few_frames_names_the_option_of_the_command_given(
    slump_stream: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # replay was told to calibrate for longer with "--seconds", an option it has not
    argv = ["--landmarks", str(slump_stream)]
    assert main(["replay", *argv, "--calibrate-seconds", "1"]) == 2  # 6 frames at 5 fps
    err = capsys.readouterr().err
    assert "frames to calibrate on" in err and "longer (--calibrate-seconds)" in err
    assert main(["calibrate", *argv, "--seconds", "1", "--profile", "short"]) == 2
    assert "longer (--seconds)" in capsys.readouterr().err


def test_an_input_too_short_to_calibrate_on_names_the_option_to_lower_and_a_value_that_fits(
    slump_stream: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # "the input holds only 209.8 s but calibration asks for 300 s" named no option; and
    # when only the slouch did not fit, nothing said it was the slouch to shorten.
    argv = ["calibrate", "--landmarks", str(slump_stream), "--profile", "short"]
    assert main([*argv, "--seconds", "300"]) == 2
    err = capsys.readouterr().err
    said = re.search(r"asks for 300 s: give a longer input, or --seconds (\d+)$", err.strip())
    assert said is not None, err
    assert main([*argv, "--seconds", said.group(1)]) == 0  # the value told fits
    capsys.readouterr()
    assert main([*argv, "--seconds", "180", "--slouch-seconds", "60"]) == 2
    err = capsys.readouterr().err
    said = re.search(r"give a longer input, or --slouch-seconds (\d+) \(0 for none\)", err)
    assert said is not None and "--seconds " not in err, err
    assert main([*argv, "--seconds", "180", "--slouch-seconds", said.group(1)]) == 0
    capsys.readouterr()
    assert main([*argv, "--seconds", "205", "--slouch-seconds", "40"]) == 2  # 4 s left
    assert "or --slouch-seconds 0 (no slouch step)" in capsys.readouterr().err
    assert main([*argv, "--seconds", "250", "--slouch-seconds", "30"]) == 2
    assert "or --seconds 209 and --slouch-seconds 0" in capsys.readouterr().err
    replay = ["replay", "--landmarks", str(slump_stream), "--calibrate-seconds", "999"]
    assert main(replay) == 2
    assert "give a longer input, or --calibrate-seconds 209" in capsys.readouterr().err


def test_an_unreadable_video_is_told_before_any_profile_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # "note: no calibration profile; judging against population defaults ..." was
    # printed first, then the error: a note about a replay that never ran.
    video = tmp_path / "x.mp4"
    video.write_bytes(b"not a video\n" * 100)
    assert main(["replay", "--video", str(video)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "calibration profile" not in err
    assert err.startswith(f"posture-guard: {video}: OpenCV cannot read this file as a video")
    assert err.count("\n") == 1


@pytest.mark.parametrize("command", ["replay", "record"])
def test_a_folder_given_as_the_video_is_named_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    # "posture-guard: clips: OpenCV cannot read this file as a video", of a folder
    folder = tmp_path / "clips"
    folder.mkdir()
    out = tmp_path / "rec.jsonl"
    extra = ["--landmarks-out", str(out)] if command == "record" else []
    assert main([command, "--video", str(folder), *extra]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"posture-guard: {folder} is a folder, not a video file\n"
    assert not out.exists()


def _mp4_cut_before_its_index(tmp_path: Path) -> tuple[Path, Path]:
    """A real clip, and its first half: OpenCV's mp4 writer puts the index (the moov
    atom) last, so the half is a download or copy cut short that FFmpeg cannot open."""
    import cv2
    import numpy as np

    whole = tmp_path / "whole.mp4"
    writer = cv2.VideoWriter(str(whole), cv2.VideoWriter_fourcc(*"mp4v"), 10, (64, 48))
    for i in range(20):
        writer.write(np.full((48, 64, 3), 10 * i, np.uint8))
    writer.release()
    data = whole.read_bytes()
    assert data.find(b"moov") > len(data) // 2
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    return whole, cut


def test_a_broken_video_is_our_one_line_without_ffmpegs_own(tmp_path: Path) -> None:
    # FFmpeg wrote "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55...] moov atom not found" straight to
    # the terminal, before our line: a memory address and a second voice for one error.
    _, cut = _mp4_cut_before_its_index(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "posture_guard", "replay", "--video", str(cut)],
        capture_output=True,
        text=True,
        env={**os.environ, "POSTURE_GUARD_HOME": str(tmp_path / "home")},
        timeout=120,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1
    assert proc.stderr.startswith(f"posture-guard: {cut}: OpenCV cannot read this file as a video")
    assert "@ 0x" not in proc.stderr and "[mov," not in proc.stderr


def test_after_a_broken_video_the_terminal_is_ours_again_and_a_good_one_replays(
    tmp_path: Path, pg_home: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    whole, cut = _mp4_cut_before_its_index(tmp_path)
    assert main(["replay", "--video", str(cut)]) == 2
    os.write(2, b"written after\n")  # descriptor 2 leads to the terminal again
    err = capfd.readouterr().err
    assert err.splitlines()[1:] == ["written after"] and "@ 0x" not in err
    assert main(["replay", "--video", str(whole)]) == 0
    assert "analysed" in capfd.readouterr().out


def _mp4_damaged_after_its_start(tmp_path: Path) -> tuple[Path, Path]:
    """A real 10 s clip (100 frames at 10 fps), and a copy with an eighth of its bytes
    overwritten in the middle: the index is whole, so the copy opens and decodes until
    the damage, where FFmpeg's decoder complains and then gives up."""
    import cv2
    import numpy as np

    whole = tmp_path / "whole.mp4"
    writer = cv2.VideoWriter(str(whole), cv2.VideoWriter_fourcc(*"mp4v"), 10, (160, 120))
    rng = np.random.default_rng(0)
    for _ in range(100):
        writer.write(rng.integers(0, 255, (120, 160, 3), dtype=np.uint8))
    writer.release()
    data = bytearray(whole.read_bytes())
    n = len(data)
    data[n // 2 : n // 2 + n // 8] = bytes(n // 8)
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(bytes(data))
    return whole, damaged


def test_a_video_damaged_after_its_start_is_one_note_and_the_part_decoded_is_logged(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # FFmpeg wrote thousands of "[mpeg4 @ 0x55...] marker does not match f_code" lines
    # to the terminal, and the totals then gave the 4 s decoded as if that were the clip.
    whole, damaged = _mp4_damaged_after_its_start(tmp_path)
    db = tmp_path / "log.db"
    args = ["replay", "--video", str(damaged), "--quiet", "--db", str(db)]
    assert main([*args, "--start", "2026-01-05T09:00"]) == 0
    out, err = capfd.readouterr()
    assert "@ 0x" not in out + err and not any(line.startswith("[") for line in err.splitlines())
    notes = [line for line in out.splitlines() if line.startswith(f"note: {damaged} is damaged")]
    assert len(notes) == 1, out
    decoded = int(notes[0].split("decoding stopped after ")[1].split()[0])
    assert 0 < decoded < 100 and "of the 100 frames it states" in notes[0]
    assert "(the decoder said: " in notes[0]
    assert f"of {decoded} frames" in out
    # the frames that decoded are logged: their time, not the clip's stated 10 s
    from posture_guard.store import Store

    with Store.open(str(db), create=False, read_only=True) as store:
        spans = store.spans(datetime(2026, 1, 5, 8), datetime(2026, 1, 5, 10))
    assert spans and abs(spans[-1].end - spans[0].start - (decoded - 1) / 10) < 0.2
    # a whole clip draws no note
    assert main(["replay", "--video", str(whole), "--quiet"]) == 0
    out, err = capfd.readouterr()
    assert "is damaged" not in out and "of 100 frames" in out


def test_a_replay_of_a_video_damaged_half_way_names_the_time_it_logged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its last line named the end the file states: "logged to F: 09:00:00 to 09:00:10",
    under "monitored 00:00:04", with 4 s in the log."""
    from posture_guard.store import Store

    _, damaged = _mp4_damaged_after_its_start(tmp_path)
    db = tmp_path / "log.db"
    argv = ["replay", "--video", str(damaged), "--quiet", "--db", str(db)]
    assert main([*argv, "--start", "2026-01-05T09:00"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    with Store.open(str(db), create=False, read_only=True) as store:
        spans = store.spans(datetime(2026, 1, 5, 8), datetime(2026, 1, 5, 10))
    end = datetime.fromtimestamp(round(spans[-1].end))  # the totals' rounding
    assert spans[-1].end < datetime(2026, 1, 5, 9, 0, 8).timestamp()  # damaged before 8 s
    assert last.startswith(f"logged to {db}: 2026-01-05 09:00:00 to {end:%H:%M:%S} ("), last


def _noise_clip(path: Path, fourcc: str) -> bytearray:
    """Write a real 3 s clip of noise at 10 fps (30 frames of 160x120) to ``path``, and
    return its bytes to damage."""
    import cv2
    import numpy as np

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), 10, (160, 120))
    rng = np.random.default_rng(0)
    for _ in range(30):
        writer.write(rng.integers(0, 255, (120, 160, 3), dtype=np.uint8))
    writer.release()
    return bytearray(path.read_bytes())


def _clip_damaged_on_opening(tmp_path: Path, kind: str) -> Path:
    """A real 3 s clip that opens and decodes to its end, but whose damage FFmpeg finds
    while it is opened: its first frame's bytes partly zeroed (an AVI), or an MP4 index
    stating 1000 frames in a chunk that holds 30."""
    import struct

    path = tmp_path / ("first.avi" if kind == "first-frame" else "index.mp4")
    data = _noise_clip(path, "XVID" if kind == "first-frame" else "mp4v")
    if kind == "first-frame":
        chunk = data.find(b"00dc", data.find(b"movi"))  # the first frame's chunk
        middle = chunk + 8 + struct.unpack("<I", data[chunk + 4 : chunk + 8])[0] // 2
        data[middle : middle + 64] = bytes(64)
    else:
        stsc = data.find(b"stsc")  # sample-to-chunk: its one entry's samples per chunk
        data[stsc + 16 : stsc + 20] = struct.pack(">I", 1000)
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("kind", ["first-frame", "index"])
def test_a_video_damaged_on_opening_is_one_note_not_ffmpegs_lines(
    tmp_path: Path, pg_home: Path, capfd: pytest.CaptureFixture[str], kind: str
) -> None:
    # FFmpeg's lines written while the file was opened reached the terminal unchanged
    # ("[mpeg4 @ 0x55...] ac-tex damaged at 8 3", "[mov,mp4,... @ 0x55...] wrong sample
    # count"), twice (the replay opens the file twice), and no note said it was damaged
    clip = _clip_damaged_on_opening(tmp_path, kind)
    assert main(["replay", "--video", str(clip), "--quiet"]) == 0
    out, err = capfd.readouterr()
    assert "@ 0x" not in out + err and not any(line.startswith("[") for line in err.splitlines())
    damage = [line for line in out.splitlines() if line.startswith(f"note: {clip} is damaged")]
    assert len(damage) == 1 and damage[0].startswith(
        f"note: {clip} is damaged from about 00:00:00 (frame 1): the frames from there on "
        "were used as decoded, some perhaps garbled (the decoder said: "
    )
    assert "of 30 frames" in out
    records = tmp_path / "rec.jsonl"
    assert main(["record", "--video", str(clip), "--landmarks-out", str(records)]) == 0
    out, err = capfd.readouterr()
    assert "@ 0x" not in err and f"note: {clip} is damaged from about 00:00:00" in out
    assert len(load_stream(records)[1]) == 30


def _mp4_with_a_damaged_time_scale(tmp_path: Path, kind: str) -> Path:
    """A real 3 s clip at 10 fps (30 frames) whose track header (mdhd) states a time
    scale FFmpeg refuses ("invalid": -1, "defaulting to 1", and then 0.001 fps; "one":
    the same with each frame 1 tick long, 1 fps), or a tiny one it takes (0.002 fps)."""
    import struct

    path = tmp_path / f"{kind}.mp4"
    data = _noise_clip(path, "mp4v")
    mdhd = data.find(b"mdhd")  # version 0: flags, two dates, then the time scale
    data[mdhd + 16 : mdhd + 20] = struct.pack(">I", 2 if kind == "tiny" else 0xFFFFFFFF)
    if kind == "one":
        stts = data.find(b"stts")  # time-to-sample: its one entry's ticks per frame
        data[stts + 16 : stts + 20] = struct.pack(">I", 1)
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("kind", ["invalid", "tiny", "one"])
def test_a_video_stating_an_impossible_frame_rate_is_timed_at_25_fps_saying_so(
    tmp_path: Path, pg_home: Path, capfd: pytest.CaptureFixture[str], kind: str
) -> None:
    # a damaged time scale made OpenCV state 0.001 fps, which was taken: frames 17
    # minutes apart, "decoding stopped after 1 of the 60 frames it states (00:17:04 of
    # 17:04:00)", and a replay into a database checked hours of the log for overlap
    clip = _mp4_with_a_damaged_time_scale(tmp_path, kind)
    assert main(["replay", "--video", str(clip), "--quiet"]) == 0
    out, err = capfd.readouterr()
    assert "@ 0x" not in out + err
    notes = [line for line in out.splitlines() if line.startswith(f"note: {clip}")]
    assert len(notes) == 1 and "so its times assume 25 fps" in notes[0]
    assert "of 00:00:01)" in notes[0]  # 30 frames at 25 fps
    records = tmp_path / "rec.jsonl"
    assert main(["record", "--video", str(clip), "--landmarks-out", str(records)]) == 0
    assert "so its times assume 25 fps" in capfd.readouterr().out
    header, samples = load_stream(records)
    assert header.fps == 25.0 and samples and samples[-1].t < 1.2


def test_a_gif_of_two_seconds_a_frame_is_timed_as_it_states(
    tmp_path: Path, pg_home: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # below 1 fps it was called damaged, "the frame rate it states (0.5 fps) cannot be
    # right", and timed at 25 fps: its 18 s read as 00:00:00
    import numpy as np
    from PIL import Image

    gif = tmp_path / "slides.gif"
    rng = np.random.default_rng(0)
    frames = [
        Image.fromarray(rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)) for _ in range(10)
    ]
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=2000, loop=0)
    assert main(["replay", "--video", str(gif), "--quiet"]) == 0
    out = capfd.readouterr().out
    assert "is damaged" not in out and "monitored 00:00:18" in out
    records = tmp_path / "rec.jsonl"
    assert main(["record", "--video", str(gif), "--landmarks-out", str(records)]) == 0
    header, samples = load_stream(records)
    assert header.fps == 0.5 and [s.t for s in samples] == [2.0 * i for i in range(10)]


def _mjpeg_avi_stating_no_frame_rate(tmp_path: Path, kind: str) -> Path:
    """A real 3 s MJPEG AVI (30 frames) whose stream header states a rate of 0 frames
    per 1 tick ("zero") or per 0 ticks ("none"), and whose format names a codec FFmpeg
    has no decoder for, so OpenCV's own AVI reader reads it: that one gives 0 fps for
    the first, NaN for the second (FFmpeg, for a rate of 0, states 25 fps of its own)."""
    import struct

    path = tmp_path / f"{kind}.avi"
    data = _noise_clip(path, "MJPG")
    strh = data.find(b"strh") + 8  # type, handler, flags, priority, language, initial,
    data[strh + 20 : strh + 28] = struct.pack("<II", 0 if kind == "none" else 1, 0)  # scale, rate
    strf = data.find(b"strf") + 8  # BITMAPINFOHEADER: its compression at byte 16
    data[strf + 16 : strf + 20] = b"ZZZZ"
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("kind", ["zero", "none"])
def test_a_video_stating_no_frame_rate_is_timed_at_25_fps_saying_so(
    tmp_path: Path, pg_home: Path, capfd: pytest.CaptureFixture[str], kind: str
) -> None:
    # 0 fps was timed at 25 fps without a word (a rate below 1 fps drew a note), and a
    # rate of no number said "the frame rate it states (nan fps) cannot be right"
    clip = _mjpeg_avi_stating_no_frame_rate(tmp_path, kind)
    assert main(["replay", "--video", str(clip), "--quiet"]) == 0
    out = capfd.readouterr().out
    notes = [line for line in out.splitlines() if line.startswith(f"note: {clip}")]
    assert len(notes) == 1 and "so its times assume 25 fps" in notes[0], out
    assert "nan" not in notes[0] and "of 30 frames" in out
    records = tmp_path / "rec.jsonl"
    assert main(["record", "--video", str(clip), "--landmarks-out", str(records)]) == 0
    assert "so its times assume 25 fps" in capfd.readouterr().out
    header, samples = load_stream(records)
    assert header.fps == 25.0 and len(samples) == 30 and samples[-1].t == pytest.approx(29 / 25)


def _clip_stating_no_length(tmp_path: Path, kind: str) -> Path:
    """A real 3 s clip at 10 fps (30 frames) that states no length OpenCV can give: a
    Matroska file without its Duration (as a browser's MediaRecorder writes WebM; OpenCV
    then states -9.2e16 frames), or an AVI whose stream header states 4294967295 frames."""
    import struct

    path = tmp_path / ("clip.mkv" if kind == "none" else "clip.avi")
    data = _noise_clip(path, "mp4v" if kind == "none" else "XVID")
    if kind == "none":
        at = data.find(bytes([0x44, 0x89]))  # Duration: ID, size (0x88: 8 bytes), float
        assert data[at + 2] == 0x88
        data[at : at + 11] = bytes([0xEC, 0x89]) + bytes(9)  # a Void element as long
    else:
        strh = data.find(b"strh") + 8  # ... scale, rate, start, then its length
        data[strh + 32 : strh + 36] = struct.pack("<I", 0xFFFFFFFF)
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("kind", ["none", "impossible"])
def test_a_video_stating_no_length_is_logged_up_to_now_not_past_it(
    tmp_path: Path, pg_home: Path, capfd: pytest.CaptureFixture[str], kind: str
) -> None:
    # its span was taken as 0 s, or 13.6 years: a replay into a database without --start
    # (which ends now) logged the 3 s up to 3 s after now, or in 2013
    import time

    from posture_guard.store import Store

    clip = _clip_stating_no_length(tmp_path, kind)
    db = tmp_path / "log.db"
    assert main(["replay", "--video", str(clip), "--quiet", "--db", str(db)]) == 0
    done = time.time()
    with Store.open(str(db), create=False, read_only=True) as store:
        spans = store.spans(0, 2e10)
    assert spans and spans[-1].end - spans[0].start == pytest.approx(2.9, abs=0.01)
    assert done - 600 < spans[-1].end <= done
    out = capfd.readouterr().out
    # "logged to F: 2026-12-02 06:18:53 to 06:18:53": the span it said was the one it took
    logged = next(line for line in out.splitlines() if line.startswith("logged to "))
    begin, end = logged.split(": ", 1)[1].split(" (")[0].split(" to ")
    first = datetime.fromisoformat(begin)
    last = datetime.fromisoformat(end if " " in end else f"{first:%Y-%m-%d} {end}")
    assert (last - first) % timedelta(days=1) == timedelta(seconds=3)  # 2.9 s, as rounded
    assert "is damaged" not in out  # every frame it has was read


def test_a_phone_video_is_turned_as_its_rotation_says(
    tmp_path: Path, pg_home: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # a phone keeps a clip filmed upright as landscape pixels and a rotation to show them
    # by: OpenCV left them unturned, and the person was analysed lying on their side
    # (calibrate: "the ears are not above the shoulders ... on its side?")
    import struct

    import cv2
    import numpy as np

    from posture_guard.capture import VideoFileSource

    clip = tmp_path / "phone.mp4"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"mp4v"), 10, (160, 120))
    stored = np.zeros((120, 160, 3), np.uint8)
    stored[:, :40] = 255  # a band down its left side, as stored
    for _ in range(10):
        writer.write(stored)
    writer.release()
    data = bytearray(clip.read_bytes())
    matrix = data.find(b"tkhd") + 44  # version 0: ..., then the display matrix
    one, minus_one = 0x10000, 0xFFFF0000  # turned a quarter clockwise, as phones state it
    data[matrix : matrix + 36] = struct.pack(">9I", 0, one, 0, minus_one, 0, 0, 0, 0, 1 << 30)
    clip.write_bytes(bytes(data))
    source = VideoFileSource(clip)
    try:
        frame = source.read()
        assert frame is not None and (source.width, source.height) == (120, 160)
        assert frame.image[:30].min() > 200 and frame.image[50:].max() < 50  # the band on top
    finally:
        source.close()
    records = tmp_path / "rec.jsonl"
    assert main(["record", "--video", str(clip), "--landmarks-out", str(records)]) == 0
    header, _ = load_stream(records)
    assert (header.image_width, header.image_height) == (120, 160)
    assert not any(line.startswith("[") for line in capfd.readouterr().err.splitlines())


def test_calibrate_from_a_video_damaged_on_opening_says_so_once(
    shared_media: Path, tmp_path: Path, pg_home: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # the real clip with bytes of its first frame zeroed (a copy in the test's folder):
    # FFmpeg's lines reached the terminal as the file opened, calibrate said nothing else
    clip = tmp_path / "first.mp4"
    data = bytearray((shared_media / "frontal_upright_woman_mediapipe_samples.mp4").read_bytes())
    mdat = data.find(b"mdat")
    data[mdat + 3000 : mdat + 3400] = bytes(400)
    clip.write_bytes(bytes(data))
    args = ["calibrate", "--video", str(clip), "--seconds", "5", "--no-preview"]
    main([*args, "--slouch-seconds", "0", "--profile", "desk"])
    out, err = capfd.readouterr()
    assert "@ 0x" not in err and not any(line.startswith("[") for line in err.splitlines())
    assert out.count(f"note: {clip} is damaged from about 00:00:00 (frame 1)") == 1


def test_calibrating_on_a_video_damaged_in_its_first_seconds_is_refused(
    shared_media: Path, tmp_path: Path, pg_home: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # the real clip with 32 bytes zeroed a quarter in (a copy in the test's folder): the
    # decoder complains from frame 49 of the 5 s calibrated on, and the baseline fitted on
    # those frames as decoded was saved as the profile (replay --calibrate-seconds judged
    # the rest by it), the damage said in a note after it
    clip = tmp_path / "damaged.mp4"
    data = bytearray((shared_media / "frontal_upright_woman_mediapipe_samples.mp4").read_bytes())
    data[len(data) // 4 : len(data) // 4 + 32] = bytes(32)
    clip.write_bytes(bytes(data))
    args = ["calibrate", "--video", str(clip), "--seconds", "5", "--no-preview"]
    assert main([*args, "--slouch-seconds", "0", "--profile", "desk"]) == 2
    out, err = capfd.readouterr()
    assert err.startswith(f"posture-guard: {clip} is damaged from about 00:00:02 (frame 49)")
    assert "profile 'desk' was not changed" in err and "note: " + str(clip) not in out
    assert not (pg_home / "config" / "profiles" / "desk.json").exists()
    db = tmp_path / "log.db"
    replay = ["replay", "--video", str(clip), "--quiet", "--db", str(db)]
    assert main([*replay, "--start", "2026-01-05T09:00", "--calibrate-seconds", "5"]) == 2
    err = capfd.readouterr().err
    assert err.startswith(f"posture-guard: {clip} is damaged") and "--profile NAME" in err
    assert not db.exists()  # nothing logged: no database made for a failed calibration
    # without calibrating on it, the replay goes on, saying where the damage is
    assert main([*replay, "--start", "2026-01-05T10:00"]) == 0
    assert f"note: {clip} is damaged from about 00:00:02 (frame 49)" in capfd.readouterr().out


def test_record_holds_a_photo_for_the_seconds_asked(tmp_path: Path, pg_home: Path) -> None:
    # it was held for replay's 10 s whatever --seconds said: "recorded 20 samples" of 30 s
    import cv2
    import numpy as np

    photo, out = tmp_path / "desk.png", tmp_path / "rec.jsonl"
    assert cv2.imwrite(str(photo), np.full((120, 160, 3), 90, np.uint8))
    args = ["record", "--video", str(photo), "--landmarks-out", str(out)]
    assert main([*args, "--seconds", "30"]) == 0
    times = [s.t for s in load_stream(out)[1]]
    assert times[-1] == 30.0 and len(times) == 61  # 2 frames a second, 0 s to 30 s
    assert main([*args, "--force"]) == 0  # without --seconds: held 10 s, as replay holds it
    assert load_stream(out)[1][-1].t == 9.5


def test_replay_holds_a_photo_for_the_seconds_it_calibrates_on_then_monitors_it(
    grace_hopper: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A photo was held 10 s whatever --calibrate-seconds asked: `replay --video PHOTO
    --calibrate-seconds 20`, the replay the no-camera message suggests, was refused as
    "the input holds only 9.5 s", where calibrate and record hold it as long as asked."""
    db = tmp_path / "p.db"
    argv = ["replay", "--video", str(grace_hopper), "--calibrate-seconds", "20", "--quiet"]
    assert main([*argv, "--db", str(db), "--start", "2026-01-05T09:00"]) == 0, capsys.readouterr()
    out = capsys.readouterr().out
    assert "monitoring from 00:00:20" in out and "monitored 00:00:10;" in out
    start = datetime(2026, 1, 5, 9, 0).timestamp()
    spans = _spans(db)
    # the 10 s after the calibration are logged, as a photo replayed without it is
    assert (spans[0][1] - start, spans[-1][2] - start) == pytest.approx((20.0, 29.5))
    assert main(argv[:3] + ["--quiet"]) == 0  # without calibrating, held 10 s as before
    assert "monitored 00:00:10;" in capsys.readouterr().out


def test_on_opening_only_ffmpegs_lines_are_taken_for_damage(
    capfd: pytest.CaptureFixture[str],
) -> None:
    # OpenCV warns of its backends as a file opens (GStreamer's, where it is built in):
    # nothing of the file's damage, so passed on as written; FFmpeg's line is the note's
    from posture_guard.capture import _FFMPEG, NativeStderrHeld, _DecoderLog

    log = _DecoderLog()
    try:
        with NativeStderrHeld() as held:
            os.write(2, b"[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55d2c70d0340] wrong sample count\n")
            os.write(2, b"[ WARN:0@0.011] global cap_gstreamer.cpp:2784 handleMessage\n")
        log.keep(0, held, _FFMPEG)
    finally:
        log.close()
    assert capfd.readouterr().err == "[ WARN:0@0.011] global cap_gstreamer.cpp:2784 handleMessage\n"
    assert log.first == 0 and log.words.endswith(b"wrong sample count\n")


NOT_UTF8 = pytest.mark.skipif(
    sys.platform != "linux" or sys.getfilesystemencoding() != "utf-8",
    reason="file names of bytes that are not UTF-8 (Linux)",
)


@NOT_UTF8
def test_a_video_or_photo_whose_name_is_not_utf8_is_read(tmp_path: Path) -> None:
    """A file named in Latin-1 ("caf\xe9.avi", from an old camera or a USB stick): OpenCV
    takes names as UTF-8, and replay, record and calibrate of it died of a segmentation
    fault, no message. (Run as a process of its own: the crash took the caller with it.)"""
    import cv2
    import numpy as np

    clip, photo = tmp_path / os.fsdecode(b"caf\xe9.avi"), tmp_path / os.fsdecode(b"ph\xf6to.png")
    plain = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(plain), cv2.VideoWriter_fourcc(*"MJPG"), 10, (160, 120))
    for i in range(30):
        writer.write(np.full((120, 160, 3), 8 * i, np.uint8))
    writer.release()
    plain.rename(clip)
    assert cv2.imwrite(str(tmp_path / "photo.png"), np.full((120, 160, 3), 90, np.uint8))
    (tmp_path / "photo.png").rename(photo)
    for path, frames in ((clip, 30), (photo, 20)):
        proc = subprocess.run(
            [sys.executable, "-m", "posture_guard", "replay", "--video", str(path), "--quiet"],
            capture_output=True,
            text=True,
            env={**os.environ, "POSTURE_GUARD_HOME": str(tmp_path / "home")},
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        assert f" of {frames} frames" in proc.stdout


@NOT_UTF8
def test_a_replay_into_a_database_of_a_file_whose_name_is_not_utf8_is_logged(
    slump_stream: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the name is logged as each span's source, and SQLite takes only text: it ended in
    # "internal error (UnicodeEncodeError: ... surrogates not allowed)", nothing logged
    from posture_guard.store import Store

    stream = tmp_path / os.fsdecode(b"s\xe9ance.jsonl")
    stream.write_bytes(slump_stream.read_bytes())
    db = tmp_path / "p.db"
    assert main(["replay", "--landmarks", str(stream), *REPLAY_INTO_DB, "--db", str(db)]) == 0
    with Store.open(str(db), create=False, read_only=True) as store:
        spans = store.spans(0, 2e10)
    assert spans and {sp.source for sp in spans} == {str(tmp_path / "s\ufffdance.jsonl")}
    assert main(["summary", "--date", "2026-01-05", "--db", str(db)]) == 0
    assert "monitored" in capsys.readouterr().out


def test_our_own_lines_between_reads_of_a_damaged_video_reach_the_terminal(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # descriptor 2 is held only while OpenCV reads: a message (or a traceback) of ours
    # written between two frames is not taken for the decoder's and is not held back
    from posture_guard.capture import VideoFileSource

    _, damaged = _mp4_damaged_after_its_start(tmp_path)
    source = VideoFileSource(damaged)
    try:
        while source.read() is not None:
            os.write(2, b"[ours] between frames\n")
        assert source.damage() is not None
    finally:
        source.close()
    err = capfd.readouterr().err
    assert set(err.splitlines()) == {"[ours] between frames"}


@pytest.mark.parametrize("name", ["rec.jsonl", "rec.jsonl.gz"])
def test_a_stream_of_only_its_header_is_refused_naming_it_and_nothing_is_written(
    slump_stream: Path,
    tmp_path: Path,
    pg_home: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
) -> None:
    # A recording stopped before its first frame: a replay said "analysed 0 of 0 frames"
    # with exit 0, and with --db made an empty database, as if something had been watched.
    header_line = slump_stream.read_text().splitlines()[0] + "\n"
    stream = tmp_path / name
    stream.write_bytes(
        gzip.compress(header_line.encode()) if name.endswith(".gz") else header_line.encode()
    )
    db, states = tmp_path / "new.db", tmp_path / "states.jsonl"
    for extra in ([], ["--calibrate-seconds", "5"], ["--db", str(db), "--states-out", str(states)]):
        assert main(["replay", "--landmarks", str(stream), *extra]) == 2
        captured = capsys.readouterr()
        assert captured.err == (
            f"posture-guard: {stream}: the landmark stream holds no frames, only its header: "
            "nothing to replay\n"
        )
        assert "analysed" not in captured.out
    assert not db.exists() and not states.exists()
    # a database that holds a replay already is left as it was
    old = tmp_path / "old.db"
    assert (
        main(["replay", "--landmarks", str(slump_stream), *REPLAY_INTO_DB, "--db", str(old)]) == 0
    )
    before = old.read_bytes()
    assert main(["replay", "--landmarks", str(stream), *REPLAY_INTO_DB, "--db", str(old)]) == 2
    assert old.read_bytes() == before
    # calibrate refused it already, but without saying which file held nothing
    capsys.readouterr()
    assert (
        main(["calibrate", "--landmarks", str(stream), "--seconds", "5", "--profile", "desk"]) == 2
    )
    assert capsys.readouterr().err == (
        f"posture-guard: {stream}: the landmark stream holds no frames, only its header: "
        "nothing to calibrate on\n"
    )
    assert not (pg_home / "config" / "profiles" / "desk.json").exists()


def test_record_writes_numbers_only_from_a_real_video(shared_media: Path, tmp_path: Path) -> None:
    out = tmp_path / "rec.jsonl"
    clip = shared_media / "frontal_upright_man_intel.gif"
    assert main(["record", "--video", str(clip), "--landmarks-out", str(out)]) == 0
    header, samples = load_stream(out)
    assert (header.image_width, header.image_height) == (480, 270)
    assert len(samples) == 62 and all(s.landmarks is not None for s in samples)
    assert out.stat().st_size < 62 * 4000  # numbers, not pixels


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs resource limits (POSIX)")
@pytest.mark.parametrize("name", ["rec.jsonl", "rec.jsonl.gz"])
def test_record_onto_a_full_disk_names_the_file_and_keeps_whole_samples(
    tmp_path: Path, name: str
) -> None:
    """The disk filled mid-recording: it said only "posture-guard: File too large" (or "No
    space left on device"), naming neither the file nor what was kept, and the plain-text
    recording ended in a sample cut half-way, for which a replay refused all of it. The
    kernel refuses the writes for real: a file size limit, as a full disk would."""
    import errno
    import resource

    import cv2
    import numpy as np

    clip = tmp_path / "gray.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 10, (160, 120))
    for _ in range(30):
        writer.write(np.full((120, 160, 3), 100, np.uint8))
    writer.release()
    out = tmp_path / name

    def limit() -> None:  # the header and about ten samples; SIGXFSZ Python ignores
        resource.setrlimit(resource.RLIMIT_FSIZE, (400, 400))

    proc = subprocess.run(
        [sys.executable, "-m", "posture_guard", "record", "--video", str(clip),
         "--landmarks-out", str(out)],
        capture_output=True, text=True, preexec_fn=limit, timeout=300,
        env={**os.environ, "POSTURE_GUARD_HOME": str(tmp_path / "home")},
    )  # fmt: skip
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    prefix = f"posture-guard: cannot write {out}: {os.strerror(errno.EFBIG)}; the "
    assert proc.stderr.startswith(prefix) and proc.stderr.endswith(
        " samples recorded before it are kept there\n"
    ), proc.stderr
    n = int(proc.stderr[len(prefix) :].split()[0])
    assert 0 < n < 30
    if name.endswith(".gz"):
        return  # cut off without gzip's ending: its reader names that and the way out
    header, samples = load_stream(out)  # whole lines only: the stream replays
    assert len(samples) == n and out.read_bytes().endswith(b"\n")
    assert main(["replay", "--landmarks", str(out), "--quiet"]) == 0


def test_record_of_a_one_frame_clip_counts_one_sample(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # it said "recorded 1 samples to ..."
    import cv2
    import numpy as np

    clip = tmp_path / "one.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 10, (160, 120))
    writer.write(np.full((120, 160, 3), 100, np.uint8))
    writer.release()
    out = tmp_path / "rec.jsonl"
    assert main(["record", "--video", str(clip), "--landmarks-out", str(out)]) == 0
    assert f"recorded 1 sample to {out} (landmarks only" in capsys.readouterr().out
    assert len(load_stream(out)[1]) == 1


def test_run_without_a_camera_points_to_demo(capsys: pytest.CaptureFixture[str]) -> None:
    from posture_guard.capture import no_camera_on_this_machine

    if not no_camera_on_this_machine():
        pytest.skip("this machine has a camera device (or is not Linux)")
    # 75, not the 2 of a refusal for good: at login a webcam may come later (see autostart)
    assert main(["run"]) == 75
    err = capsys.readouterr().err
    assert "no camera" in err and "posture-guard demo" in err and "Traceback" not in err


def test_calibrate_without_a_camera_says_so_without_opencvs_own_chatter(
    capfd: pytest.CaptureFixture[str],
) -> None:
    from posture_guard.capture import no_camera_on_this_machine

    if not no_camera_on_this_machine():
        pytest.skip("this machine has a camera device (or is not Linux)")
    assert main(["calibrate"]) == 2
    err = capfd.readouterr().err  # the file descriptor: OpenCV writes from C++
    assert "no camera" in err and "posture-guard demo" in err
    assert "[ WARN" not in err and "[ERROR" not in err and err.count("\n") == 1


def test_record_and_calibrate_without_a_camera_name_their_own_way_from_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # both were told to try `posture-guard demo` or `replay --video FILE`, which neither
    # record nor calibrate, while each takes a video file itself
    from posture_guard.capture import no_camera_on_this_machine

    if not no_camera_on_this_machine():
        pytest.skip("this machine has a camera device (or is not Linux)")
    out = tmp_path / "rec.jsonl"
    assert main(["record", "--landmarks-out", str(out), "--seconds", "1"]) == 2
    err = capsys.readouterr().err
    assert "no camera" in err and "`posture-guard record --video FILE" in err
    assert "replay" not in err and not out.exists()
    assert main(["calibrate", "--no-preview"]) == 2
    err = capsys.readouterr().err
    assert "no camera" in err and "`posture-guard calibrate --video FILE`" in err
    assert "replay" not in err


def test_calibrate_warns_a_user_who_fills_the_picture_that_leaning_in_will_cut_them_off(
    tmp_path: Path, pg_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from posture_guard.features import compute_metrics, partly_in_view

    said, cut = {}, {}
    for name, camera in (("far", synth.Camera()), ("near", NEAR_CAMERA)):
        header, labelled = synth.render(lean_in_scene(camera))
        samples = synth.to_samples(labelled)
        path = tmp_path / f"{name}.jsonl"
        write_stream(path, header, samples)
        cut[name] = sum(compute_metrics(s, header) is None and partly_in_view(s) for s in samples)
        assert main(["calibrate", "--landmarks", str(path), "--seconds", "20",
                     "--profile", name]) == 0  # fmt: skip
        said[name] = capsys.readouterr().out
        # Calibrating inside a replay gives the same advice.
        assert main(["replay", "--landmarks", str(path), "--calibrate-seconds", "20",
                     "--quiet"]) == 0  # fmt: skip
        said[name + " replay"] = capsys.readouterr().out
    # The reason for the advice: near the camera, leaning in leaves the picture.
    assert cut["near"] > 0 == cut["far"]
    assert "note: you fill much of the picture" in said["near"] and "further back" in said["near"]
    assert "fill much of the picture" not in said["far"]
    assert "note: you fill much of the picture" in said["near replay"]
    assert "fill much of the picture" not in said["far replay"]
    assert "saved profile 'near'" in said["near"]  # advice, not a refusal


def test_a_session_often_cut_off_by_the_frame_edge_ends_with_that_time_and_advice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from calibration.evaluate import Rendered
    from posture_guard.monitor import ReplayOptions, calibrate_samples, replay

    said, cut, totals = {}, {}, {}
    for name, camera in (("far", synth.Camera()), ("near", NEAR_CAMERA)):
        rendered = Rendered(lean_in_scene(camera))
        header, samples = rendered.header, rendered.samples
        path = tmp_path / f"{name}.jsonl"
        write_stream(path, header, samples)
        assert main(["replay", "--landmarks", str(path), "--calibrate-seconds", "20"]) == 0
        said[name] = capsys.readouterr().out
        # Every frame analysed: each cut-off frame stands for one frame's time (a face
        # at the top edge counts too, see classify.at_top_edge).
        baseline, _ = calibrate_samples(header, iter(samples), 20, 0, io.StringIO())
        cut[name] = sum(rendered.cut_off(i, baseline) for i in range(len(samples))) / header.fps
        options = ReplayOptions(calibrate_seconds=20, all_frames=True)
        totals[name] = replay(header, samples, [], options, io.StringIO())
    assert totals["far"].cut_off == 0 == cut["far"]
    assert "cut off by the frame edge" not in said["far"] and "note:" not in said["far"]
    # (to within the stream's last frame, whose time runs to the end of the stream only)
    assert totals["near"].cut_off == pytest.approx(cut["near"], abs=0.3) and cut["near"] > 5
    near = said["near"]
    assert "of all that, cut off by the frame edge (posture not judged)" in near
    assert "often out of the picture" in near and "further back" in near


def test_framing_advice_names_the_span_and_needs_a_position() -> None:
    from calibration.baseline import CROWDED_SPAN, framing_advice
    from posture_guard.classify import POPULATION_BASELINE, Baseline

    def at(span: float) -> Baseline:
        return Baseline(median={"shoulder_y": 0.75, "ear_y": 0.75 - span, "center_x": 0.5,
                                "shoulder_width": 0.6})  # fmt: skip

    assert framing_advice(at(CROWDED_SPAN - 0.01)) is None
    assert "take 52% of its height" in (framing_advice(at(0.52)) or "")
    assert framing_advice(POPULATION_BASELINE) is None  # no position in the frame to judge


def test_time_cut_off_in_a_logged_session_reaches_the_daily_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from posture_guard.store import Store

    path = _write_scene(tmp_path / "near.jsonl", lean_in_scene(NEAR_CAMERA))
    db = tmp_path / "log.sqlite3"
    assert main(["replay", "--landmarks", str(path), "--calibrate-seconds", "20",
                 "--db", str(db), "--start", "2024-03-04T09:00"]) == 0  # fmt: skip
    said = capsys.readouterr().out
    # What the session's totals printed as cut off is what the log holds, span by span.
    line = next(x for x in said.splitlines() if "cut off by the frame edge" in x)
    h, m, s = (int(v) for v in line.split(": ")[1].split()[0].split(":"))
    with Store.open(db) as store:
        logged = sum(sp.cut_off for sp in store.spans(0, 2e10))
    assert logged == pytest.approx(h * 3600 + m * 60 + s, abs=0.5) and logged > 5
    assert main(["summary", "--date", "2024-03-04", "--db", str(db), "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["cut_off_minutes"] == round(logged / 60, 1)
    assert main(["summary", "--date", "2024-03-04", "--db", str(db)]) == 0
    text = capsys.readouterr().out
    assert "of which not judged (cut off by the frame edge)" in text and "further back" in text


def test_a_start_with_an_offset_in_the_hour_the_clocks_go_back_is_logged_at_that_instant(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, berlin
) -> None:
    """On 2026-10-25 Berlin's clocks go back at 03:00 to 02:00, so 02:20 comes twice: at
    +02:00, then at +01:00. A replay given ``--start 2026-10-25T02:20+01:00`` was logged at
    the first 02:20, an hour early, and refused as overlapping one logged at +02:00."""
    from datetime import timezone

    from posture_guard.store import Store

    monkeypatch.setenv("POSTURE_GUARD_HOME", str(tmp_path / "home"))
    path = _write_scene(tmp_path / "far.jsonl", lean_in_scene(synth.Camera()))
    db = tmp_path / "log.sqlite3"
    starts = {}
    for offset in ("+02:00", "+01:00"):
        start = f"2026-10-25T02:20{offset}"
        assert main(["replay", "--landmarks", str(path), "--db", str(db), "--start", start,
                     "--quiet", "--calibrate-seconds", "20"]) == 0, capsys.readouterr()  # fmt: skip
        capsys.readouterr()
        starts[offset] = datetime.fromisoformat(start).timestamp()
    assert starts["+01:00"] - starts["+02:00"] == 3600
    with Store.open(db) as store:
        spans = store.spans(0, 2e10)
    firsts = sorted(
        min(sp.start for sp in spans if t <= sp.start < t + 3600) for t in starts.values()
    )
    # each replay's first span begins at its own instant (the stream's first sample), in UTC
    utc = [datetime.fromtimestamp(t, timezone.utc) for t in firsts]
    assert [f"{u:%H:%M}" for u in utc] == ["00:20", "01:20"]


def test_a_replay_across_the_clocks_going_forward_names_the_hours_it_logged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], berlin
) -> None:
    """On 2026-03-29 Berlin's clocks go forward at 02:00 to 03:00. The demo from 01:58
    logs its 7 minutes to 03:04:50, yet its last line said "to 02:04:50", a time that day
    never had: the end was --start plus the seconds on the wall clock, not the instant."""
    db = tmp_path / "log.sqlite3"
    assert main(["demo", "--db", str(db), "--start", "2026-03-29T01:58"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    end = datetime.fromtimestamp(_spans(db)[-1][2])
    assert f"{end:%H}" == "03"  # what the log holds, and the summary shows
    # the UTC offsets as the clocks changed between (see the test of their going back)
    assert last.startswith(f"logged to {db}: 2026-03-29 01:58:35+01:00 to {end:%H:%M}:")
    assert f"{datetime.fromtimestamp(round(_spans(db)[-1][2])):%H:%M:%S}+02:00 (" in last


def test_a_replay_across_the_clocks_going_back_names_its_hours_with_their_offsets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], berlin
) -> None:
    """On 2026-10-25 Berlin's clocks go back at 03:00 to 02:00. The demo from 02:58 (the
    first 02:58, summer time) logs to the second 02:04:50, and its last line said
    "02:58:35 to 02:04:50", as if it ended before it began; the refusal to log the same
    time again named it so too."""
    db = tmp_path / "log.sqlite3"
    args = ["demo", "--db", str(db), "--start", "2026-10-25T02:58"]
    assert main(args) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    hours = "2026-10-25 02:58:35+02:00 to 02:04:50+01:00"
    assert last.startswith(f"logged to {db}: {hours} (")
    assert main(args) == 2
    assert f"already holds posture logged from {hours}, " in capsys.readouterr().err


def test_a_replay_in_the_hour_the_clocks_go_back_names_which_pass_it_logged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], berlin
) -> None:
    """02:30 comes twice in Berlin on 2026-10-25: the demo logged in the first pass said
    "02:30:35 to 02:36:50", naming neither; its offsets say which (and an ordinary hour
    of the same day still reads without them)."""
    db = tmp_path / "log.sqlite3"
    for start, hours in (
        ("2026-10-25T02:30+02:00", "2026-10-25 02:30:35+02:00 to 02:36:50+02:00"),
        ("2026-10-25T02:30+01:00", "2026-10-25 02:30:35+01:00 to 02:36:50+01:00"),
        ("2026-10-25T09:30", "2026-10-25 09:30:35 to 09:36:50"),
    ):
        assert main(["demo", "--db", str(db), "--start", start]) == 0
        last = capsys.readouterr().out.strip().splitlines()[-1]
        assert last.startswith(f"logged to {db}: {hours} ("), last


def test_a_replay_up_to_the_clocks_going_back_at_midnight_names_only_its_day(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Santiago's clocks go back at midnight on 2026-04-04 to 23:00: the demo from 23:57
    logs to the second 23:03:50 of 04-04, yet its last line said `--date 2026-04-05`
    shows it too (the end was --start plus the seconds on the wall clock), a day whose
    summary then said nothing was monitored."""
    db = tmp_path / "log.sqlite3"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TZ", "America/Santiago")
        time.tzset()
        try:
            assert main(["demo", "--db", str(db), "--start", "2026-04-04T23:57"]) == 0
            last = capsys.readouterr().out.strip().splitlines()[-1]
            days = {
                f"{datetime.fromtimestamp(t):%Y-%m-%d}" for _, s, e in _spans(db) for t in (s, e)
            }
        finally:
            mp.undo()
            time.tzset()
    assert days == {"2026-04-04"}  # what the log holds
    hours = "2026-04-04 23:57:35-03:00 to 23:03:50-04:00"
    assert last.startswith(f"logged to {db}: {hours} (`posture-guard summary"), last
    assert last.endswith("--date 2026-04-04` shows that day)"), last


def test_time_judged_without_a_profile_is_logged_so_and_the_summary_says_what_it_costs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from posture_guard.classify import POPULATION_PROFILE
    from posture_guard.store import Store

    monkeypatch.setenv("POSTURE_GUARD_HOME", str(tmp_path / "home"))
    path = _write_scene(tmp_path / "far.jsonl", lean_in_scene(synth.Camera()))
    db = tmp_path / "log.sqlite3"
    # Calibrated on the stream: logged as a replay. Without a profile: as population.
    for start, calibrate in (("2024-03-04T09:00", ["--calibrate-seconds", "20"]),
                             ("2024-03-05T09:00", [])):  # fmt: skip
        assert main(["replay", "--landmarks", str(path), "--db", str(db), "--start", start,
                     "--quiet", *calibrate]) == 0  # fmt: skip
        said = capsys.readouterr().out
        assert ("miss most forward-head postures" in said) == (not calibrate)
    with Store.open(db) as store:
        profiles = {sp.profile for sp in store.spans(0, 2e10)}
    assert profiles == {"replay", POPULATION_PROFILE}
    for day, bare in (("2024-03-04", False), ("2024-03-05", True)):
        assert main(["summary", "--date", day, "--db", str(db)]) == 0
        text = capsys.readouterr().out
        assert ("judged without calibration" in text) == bare
        assert ("run `posture-guard calibrate`" in text) == bare
    # The name is reserved: no calibration can be saved under it, and that is said before
    # anything is captured (the missing recording is not even looked for).
    assert main(["calibrate", "--landmarks", str(path), "--profile", POPULATION_PROFILE]) == 2
    assert "reserved" in capsys.readouterr().err
    missing = str(tmp_path / "missing.jsonl")
    assert main(["calibrate", "--landmarks", missing, "--profile", POPULATION_PROFILE]) == 2
    err = capsys.readouterr().err
    assert "'population' is reserved" in err and "missing.jsonl" not in err


def test_a_user_long_out_of_the_picture_is_told_once_while_it_happens(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTURE_GUARD_HOME", str(tmp_path / "home"))
    path = _write_scene(tmp_path / "near.jsonl", lean_in_scene(NEAR_CAMERA, lean_in=420.0))
    # at 09:00: a replay of now would meet the 17:30 check-in some afternoons, and the
    # coach's 5 minutes between two notifications would hold this prompt back
    assert main(["replay", "--landmarks", str(path), "--calibrate-seconds", "20", "--notify",
                 "--notifier", "print", "--start", "2024-03-04T09:00"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    prompts = [
        line for line in out.splitlines() if "coach: You are often out of the picture" in line
    ]
    assert len(prompts) == 1
    # sent within the lean-in (30 s upright first), once 5 minutes of it were cut off
    h, m, s = (int(v) for v in prompts[0].strip()[1:9].split(":"))
    assert 30 + 300 <= h * 3600 + m * 60 + s <= 30 + 420
    assert "set the camera or screen further back" in out.split(prompts[0])[1]


def test_a_user_who_sits_down_too_close_reads_away_but_is_told_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Upright, a minute away, then back but leaning in: the frame edge cuts them off from
    # the moment they return, so the state stays absent; the coach still says so.
    monkeypatch.setenv("POSTURE_GUARD_HOME", str(tmp_path / "home"))
    segments = [("upright", 30.0), ("away", 60.0), ("lean_in", 420.0)]
    path = _clean_stream(tmp_path, segments, seed=1, camera=NEAR_CAMERA)
    db = tmp_path / "log.sqlite3"
    assert main(["replay", "--landmarks", str(path), "--calibrate-seconds", "20",
                 "--notify", "--notifier", "print", "--db", str(db),
                 "--start", "2024-03-04T09:00"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    states = [line[11:].split()[0] for line in out.splitlines() if line[:1] == "["]
    assert [x for x in states if x != "coach:"] == ["good", "absent"]  # never seen again
    [prompt] = [line for line in out.splitlines() if "coach: You are often out of" in line]
    h, m, s = (int(v) for v in prompt.strip()[1:9].split(":"))
    assert 90 + 300 <= h * 3600 + m * 60 + s <= 90 + 420
    assert "this time counts as away from the desk" in out.split(prompt)[1]
    # The day's summary shows that time apart from an empty desk, advises setting the
    # camera back, and logs no break: a minute away, then seven at the desk unseen.
    assert main(["summary", "--date", "2024-03-04", "--db", str(db), "--json"]) == 0
    day = json.loads(capsys.readouterr().out)
    assert 6.0 <= day["cut_off_away_minutes"] <= 7.0
    assert day["breaks"] == 0
    assert main(["summary", "--date", "2024-03-04", "--db", str(db)]) == 0
    text = capsys.readouterr().out
    assert "of which cut off by the edge" in text and "further back" in text


# ------------------------------------------------------------------ outputs never destroy inputs
def _spans(db: Path) -> list[tuple[str, float, float]]:
    """Every logged span of a real database file, (state, start, end) in time order."""
    import sqlite3

    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT state, start, end FROM spans ORDER BY start").fetchall()


REPLAY_INTO_DB = ["--calibrate-seconds", "10", "--quiet", "--start", "2026-01-05T09:00"]


def test_replay_to_a_database_logs_state_changes(slump_stream: Path, tmp_path: Path) -> None:
    # What the tests below rely on: the slump is logged as several spans.
    db = tmp_path / "p.db"
    assert main(["replay", "--landmarks", str(slump_stream), *REPLAY_INTO_DB, "--db", str(db)]) == 0
    assert len({state for state, _, _ in _spans(db)}) >= 2


@pytest.mark.parametrize(
    "how",
    ["states-out is the stream", "states-out by another name", "states-out is the db",
     "db is the stream"],
)  # fmt: skip
def test_an_output_that_is_an_input_is_refused_before_anything_is_written(
    slump_stream: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    stream = tmp_path / "rec.jsonl"
    stream.write_bytes(slump_stream.read_bytes())
    db = tmp_path / "p.db"
    assert main(["replay", "--landmarks", str(stream), *REPLAY_INTO_DB, "--db", str(db)]) == 0
    before = {p: p.read_bytes() for p in (stream, db)}
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.jsonl").symlink_to(stream)
    out, names = {
        "states-out is the stream": (["--states-out", str(stream)], "--landmarks"),
        "states-out by another name": (
            ["--states-out", str(tmp_path / "sub" / ".." / "link.jsonl")],
            "--landmarks",
        ),
        "states-out is the db": (["--states-out", str(db), "--db", str(db)], "--db"),
        "db is the stream": (["--db", str(stream)], "--landmarks"),
    }[how]
    capsys.readouterr()
    assert main(["replay", "--landmarks", str(stream), "--calibrate-seconds", "10", *out]) == 2
    err = capsys.readouterr().err
    assert "same file as" in err and names in err and "Traceback" not in err
    assert {p: p.read_bytes() for p in before} == before


def test_states_out_keeps_a_states_file_unless_forced_and_never_replaces_a_recording(
    slump_stream: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An existing states file was written over without a word, while every other output
    # (report --html, record, plan new, assess --out) is kept unless --force.
    states, fresh = tmp_path / "states.jsonl", tmp_path / "fresh.jsonl"
    args = ["replay", "--landmarks", str(slump_stream), "--calibrate-seconds", "10", "--quiet"]
    assert main([*args, "--states-out", str(states)]) == 0
    first = states.read_text()
    capsys.readouterr()
    assert main([*args, "--every-sample", "--states-out", str(states)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"posture-guard: --states-out {states} already exists; choose another name or add --force\n"
    )
    assert states.read_text() == first
    assert main([*args, "--every-sample", "--states-out", str(states), "--force"]) == 0
    assert main([*args, "--every-sample", "--states-out", str(fresh)]) == 0
    assert states.read_text() == fresh.read_text() != first
    # A recording given by mistake (a swapped name) is another matter, plain or packed,
    # even with --force.
    other = tmp_path / "yesterday.jsonl"
    other.write_bytes(slump_stream.read_bytes())
    packed = tmp_path / "yesterday.jsonl.gz"
    packed.write_bytes(gzip.compress(slump_stream.read_bytes()))
    for recording in (other, packed):
        before = recording.read_bytes()
        capsys.readouterr()
        assert main([*args, "--states-out", str(recording), "--force"]) == 2
        err = capsys.readouterr().err
        assert f"--states-out {recording} is a landmark recording" in err
        assert recording.read_bytes() == before


def test_demo_keeps_an_existing_states_file_unless_forced(tmp_path: Path, pg_home: Path) -> None:
    """`demo --states-out F` wrote over an existing F without --force; it is kept, the
    one line naming the option. Standard output needs none: `--states-out -` redirected
    to a file the shell has just made, and /dev/null, are written as before."""
    states = tmp_path / "states.jsonl"
    states.write_text("kept\n")
    done = _posture_guard(["demo", "--states-out", str(states)], pg_home, capture_output=True)
    assert done.returncode == 2
    assert done.stderr == (
        f"posture-guard: --states-out {states} already exists; choose another name or add --force\n"
    )
    assert states.read_text() == "kept\n"
    with open(states, "w", encoding="utf-8") as out:  # `> states.jsonl`: the shell makes it
        done = _posture_guard(
            ["demo", "--states-out", "-"], pg_home, stdout=out, stderr=subprocess.PIPE
        )
    assert done.returncode == 0, done.stderr
    assert states.read_text().startswith('{"t": ')
    done = _posture_guard(["demo", "--states-out", os.devnull], pg_home, capture_output=True)
    assert done.returncode == 0, done.stderr
    states.write_text("kept\n")
    done = _posture_guard(
        ["demo", "--states-out", str(states), "--force"], pg_home, capture_output=True
    )
    assert done.returncode == 0, done.stderr
    assert states.read_text().startswith('{"t": ')


def test_record_keeps_an_existing_recording_unless_forced(
    grace_hopper: Path, slump_stream: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "rec.jsonl"
    out.write_bytes(slump_stream.read_bytes())
    argv = ["record", "--video", str(grace_hopper), "--landmarks-out", str(out)]
    assert main(argv) == 2
    assert f"{out} already exists; choose another name or add --force" in capsys.readouterr().err
    assert out.read_bytes() == slump_stream.read_bytes()
    assert main([*argv, "--force"]) == 0
    header, _ = load_stream(out)
    assert header.source == f"image:{grace_hopper.name}"


@pytest.mark.parametrize("name", ["-", "/dev/stdout"])
def test_states_out_to_standard_output_keeps_the_commands_own_lines_out_of_it(
    name: str,
    slump_stream: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    # `--states-out -` wrote a file named "-"; `--states-out /dev/stdout` wrote the
    # states over the replay's own lines (standard output opened again from its start)
    if name != "-" and not Path(name).exists():
        pytest.skip(f"no {name}")
    monkeypatch.chdir(tmp_path)
    args = ["replay", "--landmarks", str(slump_stream), "--calibrate-seconds", "20"]
    assert main([*args, "--states-out", str(tmp_path / "states.jsonl"), "--quiet"]) == 0
    capfd.readouterr()
    assert main([*args, "--states-out", name]) == 0
    out, err = capfd.readouterr()
    assert not (tmp_path / "-").exists()
    assert out == (tmp_path / "states.jsonl").read_text()
    assert "forward_head" in err and "monitored" in err
    assert main(["demo", "--states-out", name]) == 0
    out, err = capfd.readouterr()
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines and all(x["state"] in STATES for x in lines)
    assert "posture-guard demo: replaying" in err and "monitored" in err


@pytest.mark.skipif(not Path("/dev/stdout").exists(), reason="no /dev/stdout")
def test_record_to_standard_output_keeps_its_own_lines_out_of_the_stream(
    grace_hopper: Path, tmp_path: Path, pg_home: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # "recorded 3 samples to /dev/stdout" ended the stream on a pipe, and standard
    # output redirected to a file (as here) was refused: "/dev/stdout already exists"
    argv = ["record", "--video", str(grace_hopper), "--seconds", "1"]
    assert main([*argv, "--landmarks-out", "/dev/stdout"]) == 0
    out, err = capfd.readouterr()
    stream = tmp_path / "out.jsonl"
    stream.write_text(out, encoding="utf-8")
    header, samples = load_stream(stream)
    assert header.source == f"image:{grace_hopper.name}" and len(samples) == 3
    assert "recorded 3 samples to /dev/stdout" in err
    proc = _posture_guard(  # on a pipe
        [*argv, "--landmarks-out", "/dev/stdout"], pg_home, capture_output=True
    )
    assert proc.returncode == 0 and proc.stdout == out and "recorded 3" in proc.stderr


@pytest.mark.skipif(not Path("/dev/stdout").exists(), reason="no /dev/stdout")
def test_states_out_dash_never_writes_into_a_recording_standard_output_goes_to(
    slump_stream: Path, tmp_path: Path, pg_home: Path
) -> None:
    # as /dev/stdout is refused there: `--states-out - >> rec.jsonl` added the states to
    # the recording replayed (or to another recording)
    # (or to another recording, a gzip one too: read as plain text, it was not seen)
    replayed, other = tmp_path / "rec.jsonl", tmp_path / "other.jsonl"
    packed = tmp_path / "other.jsonl.gz"
    for path in (replayed, other):
        path.write_bytes(slump_stream.read_bytes())
    packed.write_bytes(gzip.compress(slump_stream.read_bytes()))
    argv = ["replay", "--landmarks", str(replayed), "--calibrate-seconds", "20", "--quiet"]
    recording = "a landmark recording"
    for target, where in (
        (replayed, f"--landmarks {replayed}"),
        (other, recording),
        (packed, recording),
    ):
        kept = target.read_bytes()
        with target.open("ab") as out:
            proc = _posture_guard(
                [*argv, "--states-out", "-"], pg_home, stdout=out, stderr=subprocess.PIPE
            )
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr == (
            f"posture-guard: --states-out - is standard output, which goes to {where}: the "
            "posture states would be written into it; send standard output elsewhere\n"
        )
        assert target.read_bytes() == kept


@pytest.mark.skipif(not Path("/dev/stdout").exists(), reason="no /dev/stdout")
@pytest.mark.parametrize("name", ["-", "/dev/stdout"])
@pytest.mark.parametrize("packed", [False, True], ids=["jsonl", "jsonl.gz"])
def test_record_to_standard_output_appended_to_a_recording_is_refused_and_it_kept(
    name: str, packed: bool, slump_stream: Path, grace_hopper: Path, tmp_path: Path, pg_home: Path
) -> None:
    # `record --landmarks-out /dev/stdout >> existing.jsonl` appended a second header and
    # its samples to the recording, which then did not replay; `>> existing.jsonl.gz`
    # was not caught (read as plain text, its header was not seen), and the plain text
    # after the compressed data left it "damaged gzip data" to replay
    recording = tmp_path / ("rec.jsonl.gz" if packed else "rec.jsonl")
    kept = gzip.compress(slump_stream.read_bytes()) if packed else slump_stream.read_bytes()
    recording.write_bytes(kept)
    argv = ["record", "--video", str(grace_hopper), "--seconds", "1", "--landmarks-out", name]
    with recording.open("ab") as out:
        proc = _posture_guard(argv, pg_home, stdout=out, stderr=subprocess.PIPE)
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr.splitlines()
    assert len(err) == 1 and f"--landmarks-out {name} is standard output" in err[0], err
    assert "landmark recording" in err[0]
    assert recording.read_bytes() == kept


def _own_files(tmp_path: Path) -> dict[str, Path]:
    """The user's database (a check-in in it), active plan and config.toml, made."""
    from posture_guard import paths
    from posture_guard.plan import active_plan_path

    assert main(["checkin", "--none"]) == 0
    assert main(["plan", "new", str(tmp_path / "p.toml")]) == 0
    assert main(["plan", "import", str(tmp_path / "p.toml")]) == 0
    paths.config_file().write_text('[coach]\nquiet_hours = "22:00-07:00"\n', encoding="utf-8")
    return {
        "the database": paths.database_file(),
        "the active plan": active_plan_path(),
        "the config file": paths.config_file(),
    }


def test_an_output_naming_the_users_database_is_refused_even_with_force(
    slump_stream: Path,
    grace_hopper: Path,
    tmp_path: Path,
    pg_home: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`demo --states-out DB` (a states file is written afresh, with no --force) and
    `record --landmarks-out DB --force` wrote over the user's database: the whole posture
    log and headache diary lost (the active plan and config.toml likewise). Refused, as
    `plan new` refuses them."""
    own = _own_files(tmp_path)
    capsys.readouterr()
    replay = ["replay", "--landmarks", str(slump_stream), "--calibrate-seconds", "20"]
    record = ["record", "--video", str(grace_hopper), "--seconds", "1", "--force"]
    for named, path in own.items():
        before = path.read_bytes()
        for argv, option in (
            (["demo"], "--states-out"),
            (replay, "--states-out"),
            (record, "--landmarks-out"),
        ):
            assert main([*argv, option, str(path)]) == 2, (argv, named)
            err = capsys.readouterr().err
            assert f"{option} {path} is the same file as {named} {path}" in err, err
            assert err.count("\n") == 1 and path.read_bytes() == before


@pytest.mark.skipif(not Path("/dev/stdout").exists(), reason="no /dev/stdout")
def test_standard_output_going_to_the_users_database_is_refused(
    grace_hopper: Path, tmp_path: Path, pg_home: Path
) -> None:
    """`demo --states-out - >> DB`, `record --landmarks-out - >> DB`: what is written
    would go into the user's database, as into a recording (refused there already)."""
    db = _own_files(tmp_path)["the database"]
    before = db.read_bytes()
    commands = {
        "--states-out": (["demo"], "the posture states"),
        "--landmarks-out": (
            ["record", "--video", str(grace_hopper), "--seconds", "1"],
            "the landmark stream",
        ),
    }
    for option, (argv, what) in commands.items():
        with db.open("ab") as out:
            proc = _posture_guard([*argv, option, "-"], pg_home, stdout=out, stderr=subprocess.PIPE)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr == (
            f"posture-guard: {option} - is standard output, which goes to the database {db}: "
            f"{what} would be written into it; send standard output elsewhere\n"
        )
        assert db.read_bytes() == before


@pytest.mark.skipif(not Path("/dev/stdout").exists(), reason="no /dev/stdout")
@pytest.mark.parametrize("name", ["-", "/dev/stdout"])
def test_standard_output_closed_is_refused_and_the_recording_kept(
    name: str, slump_stream: Path, grace_hopper: Path, tmp_path: Path, pg_home: Path
) -> None:
    # started with standard output closed (>&-), descriptor 1 is the first file the
    # command opens: `--states-out /dev/stdout` wrote the states over the recording
    work = tmp_path / "work"
    work.mkdir()
    recording = work / "rec.jsonl"
    recording.write_bytes(slump_stream.read_bytes())
    commands = {
        "--states-out": ["replay", "--landmarks", str(recording), "--calibrate-seconds", "20"],
        "--landmarks-out": ["record", "--video", str(grace_hopper), "--seconds", "1"],
    }
    for option, argv in commands.items():
        proc = _posture_guard(
            [*argv, option, name],
            pg_home,
            stderr=subprocess.PIPE,
            cwd=work,
            preexec_fn=lambda: os.close(1),
        )
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr == (
            f"posture-guard: {option} {name} is standard output, which is closed (the command "
            "was started with >&-); name a file to write\n"
        )
        assert recording.read_bytes() == slump_stream.read_bytes()
        assert [p.name for p in work.iterdir()] == ["rec.jsonl"]


def test_record_to_dash_writes_the_stream_to_standard_output(
    grace_hopper: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    # "-" stands for standard output, as for `replay --states-out`: a file named "-"
    # was written, and "recorded 3 samples to -" printed
    monkeypatch.chdir(tmp_path)
    argv = ["record", "--video", str(grace_hopper), "--seconds", "1", "--landmarks-out", "-"]
    assert main(argv) == 0
    out, err = capfd.readouterr()
    assert not (tmp_path / "-").exists()
    stream = tmp_path / "out.jsonl"
    stream.write_text(out, encoding="utf-8")
    header, samples = load_stream(stream)
    assert header.source == f"image:{grace_hopper.name}" and len(samples) == 3
    assert "recorded 3 samples to standard output (landmarks only, no images)" in err


def _analysed_of_seen(out: str) -> tuple[int, int]:
    line = next(x for x in out.splitlines() if x.startswith("monitored "))
    words = line.split("analysed ")[1].split()
    return int(words[0]), int(words[2])


def _still_clip(photo_path: Path, tmp_path: Path) -> Path:
    """A real MJPG clip of 80 frames of one photo at 10 fps (8 s), written by OpenCV."""
    import cv2

    photo = cv2.imread(str(photo_path))
    clip = tmp_path / "still.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 10.0,
                             (photo.shape[1], photo.shape[0]))  # fmt: skip
    for _ in range(80):
        writer.write(photo)
    writer.release()
    return clip


def test_a_photo_calibrates_with_the_default_seconds(
    grace_hopper: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    # A photo was held for 10 s, as a replay holds it: `calibrate --video photo.jpg`
    # always ended in "the input holds only 9.5 s but calibration asks for 20 s".
    from calibration.baseline import load_profile

    monkeypatch.setenv("POSTURE_GUARD_HOME", str(tmp_path / "home"))
    assert main(["calibrate", "--video", str(grace_hopper), "--no-preview"]) == 0, (
        capsys.readouterr().err
    )
    assert "saved profile 'default'" in capsys.readouterr().out
    assert load_profile("default").samples >= 20 * 2 * 0.9  # 20 s of the photo at 2 fps


def test_a_video_replay_counts_the_frames_it_skipped(
    grace_hopper: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The schedule skips most frames of a recording before decoding them; the totals
    # said "analysed 15 of 15 frames" for a 195-frame clip, as if none had been skipped.
    clip = _still_clip(grace_hopper, tmp_path)  # 8 s at 10 fps
    assert main(["replay", "--video", str(clip), "--quiet"]) == 0
    analysed, seen = _analysed_of_seen(capsys.readouterr().out)
    assert seen == 80 and 0 < analysed < seen
    # a photo is replayed as 10 s of itself at 2 frames a second
    assert main(["replay", "--video", str(grace_hopper), "--quiet"]) == 0
    analysed, seen = _analysed_of_seen(capsys.readouterr().out)
    assert seen == 20 and 0 < analysed < seen


def test_a_video_replay_counts_to_the_clips_end_as_its_landmark_replay_does(
    grace_hopper: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The frames after the last analysed one are skipped unread: the video replay's time
    # ended at that frame, up to 3.5 s before the clip's end, while the landmark replay
    # of the same clip counts to its last sample. Both now log the same posture time.
    clip = _still_clip(grace_hopper, tmp_path)  # 8 s at 10 fps: the last frame at 7.9 s
    stream = tmp_path / "still.jsonl"
    assert main(["record", "--video", str(clip), "--landmarks-out", str(stream)]) == 0
    start = datetime(2026, 1, 5, 9, 0).timestamp()
    logged = {}
    for kind, path in (("video", clip), ("landmarks", stream)):
        db = tmp_path / f"{kind}.sqlite3"
        capsys.readouterr()
        assert main(["replay", f"--{kind}", str(path), "--quiet", "--db", str(db),
                     "--start", "2026-01-05T09:00"]) == 0  # fmt: skip
        assert "monitored 00:00:08;" in capsys.readouterr().out
        spans = _spans(db)
        logged[kind] = (spans[0][1] - start, spans[-1][2] - start)
    assert logged["video"] == pytest.approx((0.0, 7.9))
    assert logged["landmarks"] == pytest.approx((0.0, 7.9))


def test_record_never_writes_over_its_own_input(
    grace_hopper: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(grace_hopper.read_bytes())
    argv = ["record", "--video", str(photo), "--landmarks-out", str(tmp_path / "." / "photo.jpg")]
    assert main([*argv, "--force"]) == 2
    err = capsys.readouterr().err
    assert "same file as --video" in err and "Traceback" not in err
    assert photo.read_bytes() == grace_hopper.read_bytes()


# ------------------------------------------------------------------ damaged input, full disk
def test_a_damaged_stream_logs_nothing_and_once_mended_is_logged_once(
    slump_stream: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = slump_stream.read_text().splitlines()
    late = len(lines) - 10  # past the slump and the commits of its spans
    bad = _corrupt_copy(slump_stream, tmp_path / "bad.jsonl", late, '{"t": 7.8, "landm')
    db, states = tmp_path / "p.db", tmp_path / "states.jsonl"
    states.write_text("kept\n")
    argv = ["replay", *REPLAY_INTO_DB, "--db", str(db), "--states-out", str(states), "--force"]
    assert main([*argv, "--landmarks", str(bad)]) == 2
    assert f"line {late}" in capsys.readouterr().err
    assert _spans(db) == [] and states.read_text() == "kept\n"
    # The user mends the file and replays it again: the time is logged once.
    bad.write_bytes(slump_stream.read_bytes())
    assert main([*argv, "--landmarks", str(bad)]) == 0
    once = tmp_path / "once.db"
    assert (
        main(["replay", "--landmarks", str(slump_stream), *REPLAY_INTO_DB, "--db", str(once)]) == 0
    )
    assert _spans(db) == _spans(once)


def test_a_replay_whose_calibration_fails_makes_no_database_and_keeps_the_states_file(
    slump_stream: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The outputs were opened before the calibration: one that failed (here, 300 s asked
    of a 210 s stream) left an empty --db database, as if something had been monitored,
    and the --states-out file emptied."""
    db, states = tmp_path / "p.db", tmp_path / "states.jsonl"
    states.write_text("kept\n")
    argv = ["replay", "--landmarks", str(slump_stream), "--quiet", "--states-out", str(states)]
    argv.append("--force")  # the file is there to be written, once the calibration holds
    assert main([*argv, "--calibrate-seconds", "300", "--db", str(db)]) == 2
    assert "calibration asks for 300 s" in capsys.readouterr().err
    assert not db.exists() and states.read_text() == "kept\n"
    # a calibration that succeeds writes both, as before
    assert main([*argv, *REPLAY_INTO_DB, "--db", str(db)]) == 0
    assert _spans(db) and states.read_text().startswith('{"t": 10')


def test_a_replay_never_logs_time_the_database_already_holds(
    slump_stream: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The same recording replayed again from the same --start logged its time twice:
    # the summary then said 7 min monitored of a 3.5-minute recording.
    db = tmp_path / "p.db"
    argv = ["replay", "--landmarks", str(slump_stream), *REPLAY_INTO_DB, "--db", str(db)]
    assert main(argv) == 0
    logged = _spans(db)
    capsys.readouterr()
    later = argv[:-4] + ["--start", "2026-01-05T09:02", "--db", str(db)]  # overlaps the end
    for again in (argv, later):
        assert main(again) == 2
        err = capsys.readouterr().err
        assert f"--db {db} already holds posture logged from 2026-01-05 09:0" in err
        assert "another --start" in err and err.count("\n") == 1
        assert _spans(db) == logged
    # a start after the logged time is another stretch of the day: logged
    after = argv[:-4] + ["--start", "2026-01-05T09:10", "--db", str(db)]
    assert main(after) == 0
    assert len(_spans(db)) == 2 * len(logged)
    capsys.readouterr()
    assert main(["summary", "--db", str(db), "--date", "2026-01-05", "--json"]) == 0
    day = json.loads(capsys.readouterr().out)
    stream_minutes = json.loads(slump_stream.read_text().splitlines()[-1])["t"] / 60
    # each replay logs all but the 10 s it calibrates on (REPLAY_INTO_DB)
    assert day["monitored_minutes"] == pytest.approx(2 * (stream_minutes - 10 / 60), abs=0.2)


def test_a_replay_whose_calibration_alone_overlaps_the_logged_time_is_logged(
    slump_stream: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The seconds a replay calibrates on are not logged (28af714), yet the check for time
    logged twice took them in: a replay starting 5 s before the last one ended, its 10 s
    of calibration overlapping only that, was refused as "already holds posture"."""
    db = tmp_path / "p.db"
    first = ["replay", "--landmarks", str(slump_stream), *REPLAY_INTO_DB, "--db", str(db)]
    assert main(first) == 0
    logged = _spans(db)
    end = datetime.fromtimestamp(logged[-1][2])
    start = (end - timedelta(seconds=5)).isoformat(timespec="seconds")
    capsys.readouterr()
    assert main([*first[:-4], "--start", start, "--db", str(db)]) == 0, capsys.readouterr().err
    spans = _spans(db)
    assert len(spans) == 2 * len(logged)
    assert all(a[2] <= b[1] + 1e-6 for a, b in zip(spans, spans[1:]))  # no time twice
    # the demo too: its 35 s of calibration may overlap the demo logged before it
    demo = tmp_path / "demo.db"
    assert main(["demo", "--db", str(demo), "--start", "2026-01-05T09:00"]) == 0
    end = datetime.fromtimestamp(_spans(demo)[-1][2])
    again = (end - timedelta(seconds=20)).isoformat(timespec="seconds")
    capsys.readouterr()
    assert main(["demo", "--db", str(demo), "--start", again]) == 0, capsys.readouterr().err
    spans = _spans(demo)
    assert all(a[2] <= b[1] + 1e-6 for a, b in zip(spans, spans[1:]))


def test_a_stream_too_long_to_end_now_names_its_length_not_a_start_never_given(
    slump_stream: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A stream whose times run on for decades (the reader takes up to 1e9 s), logged as
    ending now, would begin before 2000: it was refused as "--start 1998-05-26 is outside
    the dates posture_guard accepts", a --start the user never gave."""
    header, samples = load_stream(slump_stream)
    far = tmp_path / "far.jsonl"
    write_stream(far, header, [*samples[:50], replace(samples[50], t=9e8)])
    db = tmp_path / "p.db"
    assert main(["replay", "--landmarks", str(far), "--quiet", "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert "--start 1998" not in err and err.count("\n") == 1
    assert "28.5 years after its start" in err and "give --start" in err
    assert not db.exists()


def test_the_demo_logs_its_morning_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "demo.db"
    assert main(["demo", "--db", str(db)]) == 0
    logged = _spans(db)
    assert logged
    assert main(["demo", "--db", str(db)]) == 2
    assert "already holds posture logged" in capsys.readouterr().err
    assert _spans(db) == logged


@pytest.mark.parametrize("start", ["2026-01-05T09:00", "2026-01-05T23:58"])
def test_a_refused_replay_names_the_logged_time_as_the_replay_that_logged_it_did(
    start: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The refusal read "to 09:06:49" where the demo that logged the time had said
    "to 09:06:50" (its last frame is at 409.8 s), and across midnight
    "to 2026-01-06 00:04:49.800000"."""
    import re

    db = tmp_path / "demo.db"
    argv = ["demo", "--db", str(db), "--start", start]
    assert main(argv) == 0
    said = re.search(r"^logged to .*?: (.+?) to (.+?) \(", capsys.readouterr().out, re.M)
    assert said is not None
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"already holds posture logged from {said[1]} to {said[2]}, " in err


def test_a_replay_into_a_database_names_the_day_it_logged_and_the_summary_of_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`demo --db F` played as yesterday's morning (until today's is over) and `replay
    --db F` as ending now, without a word: `summary --db F` then said "nothing was
    monitored on this day". The last line names the day and the summary that shows it."""
    import re
    import shlex

    from posture_guard.monitor import demo_stream_path

    db = tmp_path / "my demo.db"
    replay = ["replay", "--landmarks", str(demo_stream_path()), "--quiet"]
    for command in (
        ["demo", "--db", str(db)],
        [*replay, "--db", str(db), "--start", "2026-01-05T23:58"],
    ):
        assert main(command) == 0
        printed = capsys.readouterr().out.splitlines()
        said = re.fullmatch(
            rf"logged to {re.escape(str(db))}: (\S+) (\d\d:\d\d:\d\d) to (\S+ )?\d\d:\d\d:\d\d "
            r"\(`(posture-guard summary [^`]*)`(?: shows that day| and `--date (\S+)` show those "
            r"days)\)",
            printed[-1],
        )
        assert said, printed[-1]
        days = [shlex.split(said[4])[1:]]
        if said[5]:
            days.append([*days[0][:-1], said[5]])
        # the days named hold all the replay monitored: a replay across midnight named only
        # its first day, whose summary showed 2 of its 7 minutes
        (monitored,) = [line for line in printed if line.startswith("monitored ")]
        h, m, sec = (int(x) for x in monitored.split()[1].rstrip(";").split(":"))
        minutes = 0.0
        for argv in days:
            assert main([*argv, "--json"]) == 0
            minutes += json.loads(capsys.readouterr().out)["monitored_minutes"]
        assert minutes == pytest.approx(h * 60 + m + sec / 60, abs=0.1)
        assert main(days[0]) == 0
        shown = capsys.readouterr().out
        assert f"Posture on {said[1]}" in shown and "nothing was monitored" not in shown
    assert said[1] == "2026-01-05" and said[2] == "23:58:00" and said[3] == "2026-01-06 "
    assert said[5] == "2026-01-06"


def test_the_demo_says_when_it_plays_and_never_plays_a_morning_still_to_come(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """demo's --help said its --start defaults to now (replay's), while it plays as 09:00;
    and before today's demo morning was over, `demo --db` logged posture still to come."""
    from datetime import datetime

    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "default now" not in help_text and "(default 09:00 today" in help_text
    from posture_guard.monitor import demo_morning, demo_stream_path, open_landmarks

    _, samples = open_landmarks(demo_stream_path())
    last = max(sample.t for sample in samples)
    span = (0.0, last)
    for now, morning in (
        (datetime(2026, 3, 4, 8, 30), datetime(2026, 3, 3, 9, 0)),
        (datetime(2026, 3, 4, 9, 5), datetime(2026, 3, 3, 9, 0)),
        (datetime(2026, 3, 4, 10, 0), datetime(2026, 3, 4, 9, 0)),
        (datetime(2026, 3, 4, 23, 59), datetime(2026, 3, 4, 9, 0)),
    ):
        played = demo_morning(now, span)
        assert played == morning
        assert played.timestamp() + last <= now.timestamp()


def test_a_time_far_in_the_future_is_refused_and_not_logged(
    slump_stream: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = slump_stream.read_text().splitlines()
    last = json.loads(lines[-1])
    bad = _corrupt_copy(slump_stream, tmp_path / "bad.jsonl", len(lines),
                        json.dumps(dict(last, t=1e300)))  # fmt: skip
    db = tmp_path / "p.db"
    assert main(["replay", "--landmarks", str(bad), *REPLAY_INTO_DB, "--db", str(db)]) == 2
    assert f"line {len(lines)}" in capsys.readouterr().err
    assert _spans(db) == []


def test_a_stream_piped_to_replay_is_refused_saying_why(slump_stream: Path, tmp_path: Path) -> None:
    # `... | posture-guard replay --landmarks /dev/stdin`: the pipe was read to its end
    # to check every line, then found empty: "the stream is empty (no header line)"
    proc = subprocess.run(
        [sys.executable, "-m", "posture_guard", "replay", "--landmarks", "/dev/stdin"],
        input=slump_stream.read_text(),
        capture_output=True,
        text=True,
        env={**os.environ, "POSTURE_GUARD_HOME": str(tmp_path / "home")},
        timeout=120,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == (
        "posture-guard: /dev/stdin is a pipe or a device, not a file: a replay reads the "
        "landmark stream twice (first every line, so that a damaged one stops it before "
        "anything is written); save the stream to a file and replay that\n"
    )


def test_a_cut_off_gzip_stream_is_a_clear_error(
    slump_stream: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    packed = gzip.compress(slump_stream.read_bytes())
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    assert main(["replay", "--landmarks", str(cut), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"{cut}: the gzip stream is cut off after line" in err and "Traceback" not in err


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_a_full_disk_under_states_out_is_named_and_the_database_keeps_every_span(
    slump_stream: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import errno
    import os

    db, clean = tmp_path / "p.db", tmp_path / "clean.db"
    argv = ["replay", "--landmarks", str(slump_stream), *REPLAY_INTO_DB]
    assert main([*argv, "--db", str(db), "--states-out", "/dev/full", "--every-sample"]) == 2
    err = capsys.readouterr().err
    assert "cannot write --states-out /dev/full" in err and os.strerror(errno.ENOSPC) in err
    assert f"logged to {db} in full" in err and "Traceback" not in err
    assert main([*argv, "--db", str(clean)]) == 0
    assert _spans(db) == _spans(clean) != []


# ------------------------------------------------------------------ numbers of seconds
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-2", "soon"])
@pytest.mark.parametrize(
    ("command", "option"),
    [
        (["replay", "--landmarks", "s.jsonl"], "--calibrate-seconds"),
        (["replay", "--landmarks", "s.jsonl", "--calibrate-seconds", "10"], "--slouch-seconds"),
        (["calibrate", "--landmarks", "s.jsonl"], "--seconds"),
        (["calibrate", "--landmarks", "s.jsonl"], "--slouch-seconds"),
        (["record", "--video", "v.mp4", "--landmarks-out", "r.jsonl"], "--seconds"),
    ],
)
def test_seconds_that_are_no_duration_are_refused_by_name(
    command: list[str], option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*command, f"{option}={value}"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}: " in err and repr(value) in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("command", "option"),
    [
        (["replay", "--landmarks", "s.jsonl"], "--calibrate-seconds"),
        (["calibrate", "--landmarks", "s.jsonl"], "--seconds"),
        (["record", "--video", "v.mp4", "--landmarks-out", "r.jsonl"], "--seconds"),
    ],
)
def test_durations_that_must_be_positive_refuse_zero(
    command: list[str], option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main([*command, f"{option}=0"])
    assert f"argument {option}: must be a positive number of seconds" in capsys.readouterr().err


# ------------------------------------------------------------------ what --help says
def _help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit):
        main([*argv, "--help"])
    return " ".join(capsys.readouterr().out.split())  # argparse's wrapping undone


def test_help_says_what_the_commands_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    # `autostart --help` named its argument ACTION and no action
    assert "ACTION enable (write the login entry), disable (remove it) or status" in _help(
        ["autostart"], capsys
    )
    # `headache edit` keeps the entry's day unless told; its help said "default today"
    edit = _help(["headache", "edit"], capsys)
    assert "--date DATE move the entry to this day (YYYY-MM-DD)" in edit
    assert "default today" not in edit.split("--date DATE")[1].split("--start")[0]
    # the report's default first day is what the help says (it said "4 weeks before --to",
    # a day earlier than the report begins)
    days = int(_help(["report"], capsys).split("first day (default: ")[1].split()[0])
    out = tmp_path / "r.csv"
    assert main(["report", "--to", "2024-03-31", "--csv", str(out)]) == 0
    first = out.read_text().splitlines()[1].split(",")[0]
    assert first == str(date(2024, 3, 31) - timedelta(days=days))


def test_python_dash_m_runs_the_same_command_line(tmp_path: Path) -> None:
    # `python -m posture_guard` ended in "No module named posture_guard.__main__"
    env = {**os.environ, "POSTURE_GUARD_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "posture_guard", "--version"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert __version__ in done.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "posture_guard", "summary", "--date", "tomorrowish"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "--date 'tomorrowish' is not a date" in bad.stderr


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (["--every-sample"], "--every-sample says what --states-out holds"),
        (["--notifier", "print"], "--notifier print chooses how --notify shows"),
        (["--start", "2024-03-04T09:00"], "--start sets the time of day"),
    ],
)
def test_replay_options_that_would_change_nothing_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], named: str
) -> None:
    # each was ignored without a word, so the user never learned it did nothing
    from posture_guard.monitor import demo_stream_path

    assert main(["replay", "--landmarks", str(demo_stream_path()), *options]) == 2
    err = capsys.readouterr().err
    assert named in err and len(err.strip().splitlines()) == 1
    # with the option it depends on, the same replay runs
    partner = {
        "--every-sample": ["--states-out", str(tmp_path / "s.jsonl")],
        "--notifier": ["--notify"],
        "--start": ["--db", str(tmp_path / "p.sqlite3")],
    }[options[0]]
    args = ["replay", "--landmarks", str(demo_stream_path()), "--calibrate-seconds", "20"]
    assert main([*args, "--quiet", *options, *partner]) == 0


def test_the_totals_line_counts_one_state_change_as_one():
    """A replay of a few seconds (one state, held) ended "...; 1 state changes"."""
    from posture_guard.monitor import Totals, print_totals
    from posture_guard.states import PostureState

    for changes, said in ((1, "; 1 state change\n"), (2, "; 2 state changes\n")):
        out = io.StringIO()
        totals = Totals({PostureState.GOOD: 6.0}, frames_seen=29, frames_analysed=10)
        totals.changes = changes
        print_totals(totals, out)
        assert out.getvalue().splitlines(keepends=True)[0].endswith(said), out.getvalue()


def test_the_replay_totals_add_up_to_the_monitored_time_and_to_100_percent():
    """The demo printed good 00:03:00 + forward_head 00:02:11 + raised_shoulders 00:00:38
    + absent 00:01:00 = 00:06:49 under "monitored 00:06:50", and shares of 44.0 + 32.1 +
    9.4 + 14.6 = 100.1 %: each row was rounded on its own."""
    from posture_guard.monitor import Totals, print_totals
    from posture_guard.states import PostureState

    seconds = {
        PostureState.GOOD: 180.2,
        PostureState.FORWARD_HEAD: 131.45,
        PostureState.RAISED_SHOULDERS: 38.45,
        PostureState.ABSENT: 59.9,
    }
    out = io.StringIO()
    print_totals(Totals(seconds, frames_seen=2050, frames_analysed=233), out)
    lines = out.getvalue().splitlines()

    def secs(clock: str) -> int:
        h, m, s = (int(x) for x in clock.split(":"))
        return 3600 * h + 60 * m + s

    monitored = secs(lines[0].split()[1].rstrip(";"))
    assert lines[1].split() == ["time", "of", "monitored", "of", "desk", "time"]
    rows = [line.split() for line in lines[2:]]
    assert [r[0] for r in rows] == ["good", "forward_head", "raised_shoulders", "absent"]
    assert monitored == 410 and sum(secs(r[1]) for r in rows) == monitored, out.getvalue()
    shares = [float(r[2].rstrip("%")) for r in rows]
    assert round(sum(shares), 1) == 100.0, out.getvalue()
    for (_, exact), row, share in zip(seconds.items(), rows, shares):
        assert abs(secs(row[1]) - exact) < 1 and abs(share - 100 * exact / 410) < 0.1


def test_the_demo_totals_name_their_base_and_give_the_summary_s_desk_time_shares(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo closed on "good 00:02:35 41.3%" (a share of the monitored time, absent
    included, with no word of its base) while `summary` of the day it logged gave good
    posture as 49 % of desk time: the same posture read as two figures. The closing lines
    now head their columns with each base, and give the desk-time share the summary gives."""
    db = tmp_path / "demo.db"
    assert main(["demo", "--db", str(db), "--start", "2026-01-05T09:00"]) == 0
    printed = capsys.readouterr().out.splitlines()
    top = next(i for i, line in enumerate(printed) if line.startswith("monitored "))
    assert printed[top + 1].split() == ["time", "of", "monitored", "of", "desk", "time"]
    rows = {}
    for line in printed[top + 2 :]:
        if not line.startswith("  "):
            break
        state, _, *shares = line.split()
        rows[state] = [float(x.rstrip("%")) for x in shares]
    assert len(rows["absent"]) == 1 and rows["absent"][0] > 0  # of monitored time only
    assert round(sum(r[0] for r in rows.values()), 1) == 100.0

    assert main(["summary", "--db", str(db), "--date", "2026-01-05"]) == 0
    summary = capsys.readouterr().out
    of_desk = {
        m.group(1).replace(" ", "_"): int(m.group(2))
        for m in re.finditer(r"^ +([a-z ]+?) +\S+ min +\((\d+) % of desk time\)", summary, re.M)
    }
    assert of_desk["good"] > 0 and sum(of_desk.values()) == 100, summary
    assert {s: r[1] for s, r in rows.items() if s != "absent"} == {
        s: p for s, p in of_desk.items() if p > 0 or s in rows
    }, (printed, summary)
    assert rows["good"][1] != rows["good"][0]  # the demo's two bases give two figures


def test_the_demo_leaves_its_calibration_out_of_the_log_the_totals_and_the_states(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo (a replay that calibrates on its first 20 + 15 s) counted, logged and wrote
    the calibration as monitored posture: the deliberate slouch of the calibration step was
    forward-head time in the totals, the --db log and --states-out. `calibrate` then `run`
    never logs it. What follows the calibration is decided as `run` after `calibrate`
    decides it: afresh, the calibration's slouch not carried into the monitoring."""
    import re
    from datetime import datetime

    from calibration.baseline import SLOUCH_SECONDS
    from posture_guard.monitor import (
        CALIBRATE_SECONDS,
        ReplayOptions,
        calibrate_samples,
        demo_stream_path,
        open_landmarks,
        replay,
    )
    from posture_guard.sinks import StatesWriter

    db, states = tmp_path / "demo.db", tmp_path / "demo-states.jsonl"
    start = "2026-01-05T09:00"
    assert main(["demo", "--db", str(db), "--states-out", str(states), "--start", start]) == 0
    printed = capsys.readouterr().out
    lead = CALIBRATE_SECONDS + SLOUCH_SECONDS
    lines = _states(states)
    assert lines[0]["t"] == lead and all(x["t"] >= lead for x in lines)
    t0 = datetime.fromisoformat(start).timestamp()
    assert min(s for _, s, _ in _spans(db)) == t0 + lead
    assert "monitoring from 00:00:35 (the calibration is not counted or logged)" in printed
    header, samples = open_landmarks(demo_stream_path())
    samples = list(samples)
    h, m, s = re.search(r"^monitored (\d\d):(\d\d):(\d\d)", printed, re.M).groups()
    monitored = 3600 * int(h) + 60 * int(m) + int(s)
    assert monitored == round(samples[-1].t - samples[0].t - lead)
    assert "logged to" in printed and "09:00:35 to" in printed

    # Judged by the same baseline as a replay of the stream from the end of the calibration
    # on: every decision the same, at every analysed sample. The monitoring opened on the
    # state carried over from the slouch step ("[00:00:35] forward_head" for 6 s while the
    # user sat upright, as the narration says), the smoothing fed the calibration's frames.
    assert "[00:00:35] good" in printed and lines[0]["state"] == "good"
    baseline, _ = calibrate_samples(header, iter(samples), CALIBRATE_SECONDS, SLOUCH_SECONDS)
    monitored_samples = [s for s in samples if s.t >= lead]
    for all_frames in (False, True):
        fresh, cut = io.StringIO(), io.StringIO()
        options = ReplayOptions(all_frames=all_frames)
        sink = StatesWriter(fresh, True)
        replay(header, monitored_samples, [sink], options, io.StringIO(), baseline)
        options = ReplayOptions(CALIBRATE_SECONDS, None, all_frames, SLOUCH_SECONDS)
        replay(header, samples, [StatesWriter(cut, True)], options, io.StringIO())
        expected = [json.loads(x) for x in fresh.getvalue().splitlines()]
        after = [json.loads(x) for x in cut.getvalue().splitlines()]
        assert after == expected and after[0]["t"] == lead and after[0]["state"] == "good"


def test_replay_notify_in_quiet_hours_says_once_why_no_prompt_comes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`replay --notify` without --start plays as now: run in the user's quiet hours, the
    coach held every prompt, and the replay showed none and said nothing about why."""
    from datetime import datetime, timedelta

    from posture_guard.monitor import demo_stream_path

    home = tmp_path / "home"
    monkeypatch.setenv("POSTURE_GUARD_HOME", str(home))
    now = datetime.now()
    quiet = f"{now - timedelta(hours=1):%H:%M}-{now + timedelta(hours=2):%H:%M}"
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text(
        f'[coach]\nquiet_hours = "{quiet}"\ncheckin_time = "off"\n'
    )
    argv = ["replay", "--landmarks", str(demo_stream_path()), "--calibrate-seconds", "20",
            "--slouch-seconds", "15", "--notify", "--notifier", "print"]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert " coach: " not in out
    notes = [line for line in out.splitlines() if "quiet hours" in line]
    assert len(notes) == 1 and f"({quiet};" in notes[0] and "without --start" in notes[0]
    # played at a time of day outside them, the prompts come, and no note
    elsewhere = f"2026-01-05T{now + timedelta(hours=12):%H:%M}"
    assert main([*argv, "--start", elsewhere]) == 0
    out = capsys.readouterr().out
    assert " coach: " in out and "quiet hours" not in out


@pytest.mark.skipif(not Path("/dev/null").is_char_device(), reason="no /dev/null device")
def test_a_device_given_as_the_database_is_refused_as_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`replay --db /dev/null` said "cannot open database /dev/null: cannot rollback - no
    transaction is active", sqlite's words for a device it cannot keep a database in."""
    from posture_guard.monitor import demo_stream_path

    replay = ["replay", "--landmarks", str(demo_stream_path()), "--quiet", "--db", "/dev/null"]
    for argv in (replay, ["demo", "--db", "/dev/null"], ["summary", "--db", "/dev/null"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "rollback" not in err, err
        assert "database path /dev/null is a device or other special file, not a file" in err
    assert Path("/dev/null").is_char_device()


def test_verbose_after_the_command_is_refused_with_the_command_that_puts_it_before(
    pg_home: Path,
) -> None:
    # An internal error asks for "the same command run with -v": `posture-guard summary
    # -v` answered argparse's usage and "unrecognized arguments: -v", saying not where -v goes
    argv = ["summary", "--date", "yesterday", "-v"]
    done = _posture_guard(argv, pg_home, capture_output=True)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "usage:" not in done.stderr, done.stderr
    said = done.stderr.strip()
    assert said.startswith("posture-guard: -v goes before the command"), said
    fixed = shlex.split(said.rsplit(": ", 1)[1])
    assert fixed == ["posture-guard", "-v", "summary", "--date", "yesterday"]
    again = _posture_guard(fixed[1:], pg_home, capture_output=True)  # as told: it runs
    assert again.returncode == 0 and again.stdout.startswith("Posture on "), again.stderr
    # words after `--` are the command's operands, as `snooze -- -5m` gives its duration
    odd = _posture_guard(["snooze", "--", "-v"], pg_home, capture_output=True)
    assert odd.returncode == 2 and "snooze duration '-v' is not a duration" in odd.stderr
