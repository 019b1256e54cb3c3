"""Thousands of malformed inputs through the real command line: landmark streams, config
files, calibration profiles, plan files and diary commands.

Every one must end in a clear message on stderr and a non-zero exit (2 for a UserError,
argparse's 2 for a bad option), never a traceback, and must leave the user's database
exactly as it was (compared by a full logical dump).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from posture_guard import cli, paths, service
from posture_guard.stream import MAX_T

FUZZ = settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --------------------------------------------------------------------------- helpers


def run_cli(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            rc = cli.main(argv)
        except SystemExit as exc:  # argparse's own usage errors
            rc = exc.code if isinstance(exc.code, int) else 2
    return rc, err.getvalue()


def db_digest(db: Path) -> str:
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        text = "\n".join(conn.iterdump())
    finally:
        conn.close()
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def assert_refused(rc: int, err: str, db: Path, before: str, *, names: str = "") -> None:
    assert rc != 0, err
    assert "Traceback" not in err, err
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert lines, "no message at all"
    assert lines[-1].startswith("posture-guard") or "error:" in lines[-1], err
    if names:
        assert names in err, err
    assert db_digest(db) == before, "the database changed"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-home")


@pytest.fixture
def seeded(home: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """A database with a diary entry and logged posture; returns (path, digest)."""
    monkeypatch.setenv("POSTURE_GUARD_HOME", str(home))
    db = paths.database_file()
    if not db.exists():
        assert run_cli(["headache", "add", "--date", "2026-01-05", "--intensity", "4"])[0] == 0
        from posture_guard.states import PostureState
        from posture_guard.store import Span, Store

        with Store.open(db) as store:
            store.add_spans([Span(PostureState.GOOD, 1.7e9, 1.7e9 + 600)])
    return db, db_digest(db)


# --------------------------------------------------------------------------- landmark streams
def _row(i: int) -> list[float]:
    return [0.3 + 0.01 * (i % 7), 0.2 + 0.015 * (i % 11), -0.1, 0.95]


VALID_HEADER = {"image_width": 640, "image_height": 480, "fps": 5.0, "source": "fuzz"}


def _sample(t: float) -> dict:
    return {"t": round(t, 3), "landmarks": [_row(i) for i in range(33)]}


BAD_NUMBERS = st.sampled_from([math.nan, math.inf, -math.inf])


@st.composite
def broken_sample(draw: st.DrawFn, t: float) -> str:
    kind = draw(
        st.sampled_from(
            ["not_json", "few_landmarks", "few_values", "non_finite", "t_back", "t_type", "shape",
             "t_huge", "visibility"]
        )
    )  # fmt: skip
    s = _sample(t)
    if kind == "not_json":
        # a blank line is no sample (readers skip it), so it must hold something
        text = st.text(min_size=1, max_size=40)
        return draw(text.filter(lambda x: x.strip() != "" and not _is_json(x)))
    if kind == "few_landmarks":
        n = draw(st.integers(0, 80).filter(lambda n: n != 33))
        s["landmarks"] = [_row(i) for i in range(n)]
    elif kind == "few_values":
        i = draw(st.integers(0, 32))
        s["landmarks"][i] = s["landmarks"][i][: draw(st.integers(0, 3))]
    elif kind == "non_finite":
        i, j = draw(st.integers(0, 32)), draw(st.integers(0, 3))
        row = list(s["landmarks"][i])
        row[j] = draw(BAD_NUMBERS)
        s["landmarks"][i] = row
        return json.dumps(s)  # writes NaN/Infinity, which strict JSON readers reject
    elif kind == "t_back":
        s["t"] = -1.0 - draw(st.floats(0, 1e6, allow_nan=False))
    elif kind == "t_huge":  # beyond any recording's length: a damaged time
        s["t"] = MAX_T * (1.0 + draw(st.floats(1e-6, 1e290, allow_nan=False)))
    elif kind == "visibility":
        i = draw(st.integers(0, 32))
        bad = draw(st.one_of(st.floats(-1e308, -1e-3), st.floats(1.001, 1e308)))
        s["landmarks"][i] = s["landmarks"][i][:3] + [bad]
    elif kind == "t_type":
        s["t"] = draw(
            st.one_of(
                st.text(max_size=5), st.none(), st.booleans(), st.lists(st.integers(), max_size=2)
            )
        )
    else:
        s = draw(st.one_of(st.lists(st.integers(), max_size=3), st.integers(), st.text(max_size=5)))
    return json.dumps(s)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
        return True
    except ValueError:
        return False


@st.composite
def malformed_stream(draw: st.DrawFn) -> bytes:
    where = draw(st.sampled_from(["header", "sample", "bytes", "empty"]))
    n = draw(st.integers(10, 120))  # up to 24 s: past a store commit (every 10 s)
    lines = [json.dumps(VALID_HEADER)] + [json.dumps(_sample(i * 0.2)) for i in range(n)]
    # The user may leave from some point on: the state changes, and the spans before
    # the change are due to be committed while the rest of the stream is still unread.
    away = draw(st.integers(10, n + 1))
    lines[away:] = [json.dumps({"t": round(i * 0.2, 3), "landmarks": None})
                    for i in range(away - 1, n)]  # fmt: skip
    if where == "empty":
        return b""
    if where == "bytes":
        i = draw(st.integers(0, n))
        junk = draw(
            st.binary(min_size=1, max_size=30).filter(lambda b: not _utf8_json(b) and _filled(b))
        )
        return ("\n".join(lines[:i]) + "\n").encode() + junk + b"\n"
    if where == "header":
        header = draw(
            st.one_of(
                st.just("{}"),
                st.just("[1, 2]"),
                st.text(max_size=20).filter(lambda x: not _is_json(x)),
                st.builds(
                    lambda w, h, f: json.dumps({"image_width": w, "image_height": h, "fps": f}),
                    st.one_of(st.integers(-5, 0), st.text(max_size=3), st.none()),
                    st.integers(1, 4000),
                    st.floats(0.1, 60),
                ),
                st.builds(
                    lambda w, h: json.dumps({"image_width": w, "image_height": h, "fps": 5}),
                    st.integers(1, 4000),
                    st.one_of(st.integers(-5, 0), st.floats(allow_nan=True).filter(math.isnan)),
                ),
            )
        )
        lines[0] = header
    else:
        i = draw(st.integers(1, n))
        lines[i] = draw(broken_sample(i * 0.2))
    return ("\n".join(lines) + "\n").encode("utf-8")


def _filled(b: bytes) -> bool:
    """Whether ``b`` is more than a blank line (readers skip blank lines)."""
    return b.decode("utf-8", errors="replace").strip() != ""


def _utf8_json(b: bytes) -> bool:
    try:
        return _is_json(b.decode("utf-8"))
    except UnicodeDecodeError:
        return False


@FUZZ
@given(data=malformed_stream())
def test_malformed_landmark_streams(data: bytes, seeded: tuple[Path, str], tmp_path: Path) -> None:
    db, before = seeded
    path = tmp_path / "stream.jsonl"
    path.write_bytes(data)
    # 2 s: 10 samples, enough to calibrate on (1 s, 6 samples, failed every time, so the
    # replay itself, and what it logs, was never reached)
    rc, err = run_cli(
        ["replay", "--landmarks", str(path), "--calibrate-seconds", "2", "--quiet", "--db", str(db)]
    )
    assert_refused(rc, err, db, before)


# --------------------------------------------------------------------------- config files
COACH_KEYS = [
    "alert_bad_share",
    "max_alerts_per_hour",
    "quiet_hours",
    "checkin_time",
    "break_after_s",
]


@st.composite
def malformed_config(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["not_toml", "unknown_key", "bad_value", "not_table"]))
    if kind == "not_toml":
        return draw(st.text(max_size=60)) + "\n[coach\n"
    if kind == "not_table":
        return f"coach = {draw(st.integers())}\n"
    if kind == "unknown_key":
        key = "x_" + draw(st.text(string.ascii_lowercase, min_size=1, max_size=10))
        return f"[coach]\n{key} = 1\n"
    key = draw(st.sampled_from(COACH_KEYS))
    bad = {
        "alert_bad_share": st.one_of(st.floats(1.01, 1e9), st.floats(-1e9, 0), st.booleans()),
        "max_alerts_per_hour": st.one_of(st.integers(-100, 0), st.floats(0.5, 9.5)),
        "quiet_hours": st.one_of(
            st.text(string.ascii_letters + ":", max_size=11).map(lambda t: t + "x"),
            st.integers().filter(lambda v: v != 0),  # 0: see the xfail test below
            st.just("10:00-10:00"),
            st.just("25:00-07:00"),
        ),
        "checkin_time": st.one_of(
            st.just("24:61"),
            st.integers().filter(lambda v: v != 0),
            st.text("xyz", min_size=1, max_size=4),
        ),
        "break_after_s": st.one_of(st.floats(-1e6, 0), st.text("qz", min_size=1, max_size=4)),
    }[key]
    value = draw(bad)
    return f"[coach]\n{key} = {json.dumps(value)}\n"


@settings(parent=FUZZ, max_examples=400)
@given(text=malformed_config())
def test_malformed_config_files_stop_run_before_the_camera(
    text: str, seeded: tuple[Path, str]
) -> None:
    db, before = seeded
    paths.config_file().write_text(text, encoding="utf-8")
    # held, so even a config that slipped through could never reach for a camera
    lock = service.InstanceLock().acquire()
    try:
        rc, err = run_cli(["run"])
    finally:
        lock.release()
        paths.config_file().unlink()
    assert_refused(rc, err, db, before, names="config file")


@pytest.mark.parametrize("key", ["quiet_hours", "checkin_time"])
def test_zero_is_not_a_time_setting(key: str, seeded: tuple[Path, str]) -> None:
    db, before = seeded
    paths.config_file().write_text(f"[coach]\n{key} = 0\n", encoding="utf-8")
    lock = service.InstanceLock().acquire()
    try:
        rc, err = run_cli(["run"])
    finally:
        lock.release()
        paths.config_file().unlink()
    assert_refused(rc, err, db, before, names="config file")


# --------------------------------------------------------------------------- profiles
JSONISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def malformed_profile(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["bytes", "json", "bad_median", "bad_slouch"]))
    if kind == "bytes":
        return draw(st.binary(max_size=60).filter(lambda b: not _utf8_json(b)))
    if kind == "json":
        doc = draw(
            JSONISH.filter(
                lambda d: not (isinstance(d, dict) and isinstance(d.get("median"), dict))
            )
        )
        return json.dumps(doc).encode()
    median = {"ear_gap": 0.7, "face_width": 0.3, "pitch": 0.0, "yaw": 0.0, "roll": 0.0}
    if kind == "bad_slouch":
        # A sound baseline whose slouch table is not a table, lacks a key or holds junk.
        slouch = draw(
            st.one_of(
                JSONISH.filter(lambda d: not isinstance(d, dict)),
                st.fixed_dictionaries({"d_face": st.floats(-0.1, 0.1)}),
                st.fixed_dictionaries(
                    {"d_gap": st.one_of(BAD_NUMBERS, st.text(max_size=4)),
                     "d_face": st.floats(-0.1, 0.1)}
                ),
            )
        )  # fmt: skip
        return json.dumps({"format": 1, "median": median, "slouch": slouch}).encode()
    key = draw(st.sampled_from(sorted(median)))
    how = draw(st.sampled_from(["drop", "nan", "text", "nonpositive"]))
    if how == "drop":
        del median[key]
    elif how == "nan":
        median[key] = draw(BAD_NUMBERS)
    elif how == "text":
        median[key] = draw(st.text(max_size=4))  # type: ignore[assignment]
    else:
        key = draw(st.sampled_from(["ear_gap", "face_width"]))
        median[key] = -draw(st.floats(0, 10))
    return json.dumps({"format": 1, "median": median}).encode()


def _replay_with_profile(tmp_path: Path, profile: str, db: Path) -> tuple[int, str]:
    """`replay --profile PROFILE` of a sound 4 s stream into ``db``: (status, stderr)."""
    stream = tmp_path / "ok.jsonl"
    lines = [json.dumps(VALID_HEADER)] + [json.dumps(_sample(i * 0.2)) for i in range(20)]
    stream.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return run_cli(
        ["replay", "--landmarks", str(stream), "--profile", profile, "--quiet", "--db", str(db)]
    )


@FUZZ
@given(data=malformed_profile())
def test_malformed_profiles(data: bytes, seeded: tuple[Path, str], tmp_path: Path) -> None:
    db, before = seeded
    (paths.profiles_dir() / "fuzzed.json").write_bytes(data)
    rc, err = _replay_with_profile(tmp_path, "fuzzed", db)
    assert_refused(rc, err, db, before, names="fuzzed.json")


_SOUND_MEDIAN = {"ear_gap": 0.62, "face_width": 0.3, "pitch": -0.1, "yaw": 0.0, "roll": -1.5,
                 "shoulder_tilt": 0.8, "shoulder_y": 0.69, "ear_y": 0.34, "center_x": 0.46,
                 "shoulder_width": 0.57}  # fmt: skip


@pytest.mark.parametrize(
    ("key", "raw", "said"),
    [
        # a whole number no float holds: math raised OverflowError, an "internal error"
        ("ear_gap", "1" + "0" * 400, "ear_gap is not finite"),
        # values no calibration gives, which were judged: a head tilt held all session,
        # raised shoulders 40 % of it, nobody at the desk, a crash in the slouch features
        ("roll", "1e308", "roll 1e+308 is not an angle"),
        ("shoulder_tilt", "-200", "shoulder_tilt -200 is not an angle"),
        ("shoulder_y", "50", "shoulder_y 50 is not a height in the picture"),
        ("center_x", "-3", "center_x -3 is not a place across the picture"),
        ("shoulder_width", "1e-05", "shoulder_width 1e-05 is narrower than any"),
    ],
)
def test_hand_edited_profiles_with_impossible_numbers_are_refused_naming_them(
    key: str, raw: str, said: str, seeded: tuple[Path, str], tmp_path: Path
) -> None:
    db, before = seeded
    text = json.dumps({"format": 1, "median": {**_SOUND_MEDIAN, key: "@"}})
    (paths.profiles_dir() / "edited.json").write_text(text.replace('"@"', raw), "utf-8")
    rc, err = _replay_with_profile(tmp_path, "edited", db)
    assert_refused(rc, err, db, before, names="edited.json")
    assert said in err, err


def test_the_sound_profile_of_those_tests_is_used() -> None:
    """The profile the test above edits loads as it is: each refusal is the edit's."""
    from calibration.baseline import _baseline_from_json

    base = _baseline_from_json({"format": 1, "median": _SOUND_MEDIAN}, Path("sound.json"))
    assert base.median == _SOUND_MEDIAN and base.has_position()


# --------------------------------------------------------------------------- plan files
PLAN_KEYS = [
    "schema",
    "patient",
    "start",
    "end",
    "workday",
    "quiet_hours",
    "break_interval_min",
    "alert_sensitivity",
    "target",
]


@st.composite
def malformed_plan(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["bytes", "not_toml", "no_exercise"]))
    if kind == "bytes":
        return draw(st.binary(max_size=80))
    if kind == "not_toml":
        return (draw(st.text(max_size=60)) + "\n[[exercise\n").encode("utf-8")
    doc = draw(
        st.dictionaries(
            st.sampled_from(PLAN_KEYS), JSONISH.filter(lambda v: v is not None), max_size=6
        )
    )
    lines = []
    for key, value in doc.items():
        lines.append(f"{key} = {_toml_value(value)}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, str)):
        return json.dumps(value)
    if isinstance(value, float):
        return (
            repr(value)
            if math.isfinite(value)
            else ("nan" if math.isnan(value) else ("inf" if value > 0 else "-inf"))
        )
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value if v is not None) + "]"
    if isinstance(value, dict):
        inner = ", ".join(
            f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items() if v is not None
        )
        return "{" + inner + "}"
    return '""'


@settings(parent=FUZZ, max_examples=500)
@given(data=malformed_plan())
def test_malformed_plan_files(data: bytes, seeded: tuple[Path, str], tmp_path: Path) -> None:
    db, before = seeded
    path = tmp_path / "plan.toml"
    path.write_bytes(data)
    active = sorted(p.name for p in paths.config_dir().rglob("*plan*"))
    rc, err = run_cli(["plan", "import", str(path)])
    assert_refused(rc, err, db, before)
    assert sorted(p.name for p in paths.config_dir().rglob("*plan*")) == active


# --------------------------------------------------------------------------- diary commands
@st.composite
def bad_diary_command(draw: st.DrawFn) -> list[str]:
    kind = draw(
        st.sampled_from(
            ["intensity", "date", "start", "duration", "disability", "missing_id", "no_intensity"]
        )
    )
    base = ["headache", "add"]
    if kind == "intensity":
        value = draw(st.one_of(st.integers(11, 10**6), st.integers(-(10**6), -1)))
        return base + ["--intensity", str(value)]
    if kind == "date":
        # invalid by construction: an 'x' is never part of a date
        text = draw(
            st.one_of(
                st.text(max_size=11).map(lambda t: t + "x"),
                st.just("2026-02-30"),
                st.just("2999-01-01"),
            )
        )
        return base + ["--intensity", "3", "--date", text]
    if kind == "start":
        text = draw(
            st.one_of(
                st.text("0123456789:", max_size=5).map(lambda t: t + "x"),
                st.just("24:00"),
                st.just("12:60"),
            )
        )
        return base + ["--intensity", "3", "--date", "2026-01-06", "--start", text]
    if kind == "duration":
        text = draw(
            st.one_of(
                st.text("0123456789hm .", max_size=6).map(lambda t: t + "x"),  # never a unit
                st.integers(-(10**6), 0).map(str),  # not longer than zero
                st.integers(7 * 24 * 60 + 1, 10**8).map(str),  # longer than 7 days
            )
        )
        return base + ["--intensity", "3", "--date", "2026-01-06", "--duration", text]
    if kind == "disability":
        return base + ["--intensity", "3", "--disability", str(draw(st.integers(4, 999)))]
    if kind == "no_intensity":
        return base + ["--date", "2026-01-06"]
    entry = str(draw(st.integers(1000, 10**9)))
    action = draw(st.sampled_from(["edit", "delete"]))
    return ["headache", action, entry] + (["--intensity", "2"] if action == "edit" else [])


@FUZZ
@given(argv=bad_diary_command())
def test_impossible_diary_commands(argv: list[str], seeded: tuple[Path, str]) -> None:
    db, before = seeded
    rc, err = run_cli([*argv, "--db", str(db)])
    assert_refused(rc, err, db, before)


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("[" * 100_000 + "]" * 100_000, "arrays or objects nested too deep to read"),
        ("1" + "0" * 5000, "a number of more than 4300 digits"),
    ],
)
def test_a_profile_python_cannot_hold_is_unreadable_naming_it(
    value: str, said: str, seeded: tuple[Path, str], tmp_path: Path
) -> None:
    # json let a RecursionError out ("internal error", exit 70), and a ValueError that
    # told the user to call sys.set_int_max_str_digits()
    db, before = seeded
    text = '{"format": 1, "median": {"ear_gap": @}}'.replace("@", value)
    (paths.profiles_dir() / "nested.json").write_text(text, "utf-8")
    rc, err = _replay_with_profile(tmp_path, "nested", db)
    assert_refused(rc, err, db, before, names="nested.json")
    assert f"is unreadable ({said}); recalibrate" in err, err
    assert "sys.set_int_max_str_digits" not in err
