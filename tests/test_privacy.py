"""The privacy promise, checked on a real video: no image data written anywhere we can see,
no network socket opened, and a database of numbers and state names only.

Runs the replay (whole pipeline, MediaPipe on every picked frame of the real GIF) and the
live monitor loop (the service, coach and store, with the fake camera playing the same
GIF) with HOME, the XDG folders, TMPDIR and POSTURE_GUARD_HOME all inside the test's
folder. An audit hook records every socket the process creates or connects and every
file it opens for writing.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import sys
import tempfile
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from posture_guard import cli, paths, service
from posture_guard.states import PostureState

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fake_camera import CameraWorld, FakeCamera, FakeClock  # noqa: E402

IMAGE_MAGIC = {
    b"\x89PNG": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"GIF87a": "GIF",
    b"GIF89a": "GIF",
    b"BM": "BMP",
    b"II*\x00": "TIFF",
    b"MM\x00*": "TIFF",
    b"\x93NUMPY": "numpy array",
}

_RECORD: dict[str, list] = {}


def _audit(event: str, args: tuple) -> None:
    if "sockets" not in _RECORD:
        return
    if event == "socket.__new__":
        _RECORD["sockets"].append(int(args[1]) if args[1] is not None else -1)
    elif event == "socket.connect":
        _RECORD["connects"].append((int(args[0].family), repr(args[1])))
    elif event == "open" and args[0] is not None and isinstance(args[0], (str, bytes, Path)):
        mode = args[1] or ""
        flags = args[2] or 0
        import os

        if any(c in str(mode) for c in "wax+") or flags & (os.O_WRONLY | os.O_RDWR):
            _RECORD["written"].append(str(args[0]))


sys.addaudithook(_audit)  # hooks cannot be removed; it records only while a test asks


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_home: Path):
    """Every folder the app or its libraries may write to, inside tmp_path, audited."""
    dirs = {}
    for name in ("home", "xdg-config", "xdg-data", "xdg-cache", "xdg-state", "tmp"):
        dirs[name] = tmp_path / name
        dirs[name].mkdir()
    monkeypatch.setenv("HOME", str(dirs["home"]))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(dirs["xdg-config"]))
    monkeypatch.setenv("XDG_DATA_HOME", str(dirs["xdg-data"]))
    monkeypatch.setenv("XDG_CACHE_HOME", str(dirs["xdg-cache"]))
    monkeypatch.setenv("XDG_STATE_HOME", str(dirs["xdg-state"]))
    monkeypatch.setenv("TMPDIR", str(dirs["tmp"]))
    monkeypatch.setattr(tempfile, "tempdir", str(dirs["tmp"]))
    # notifications may only use a unix socket: point the bus at one that does not exist
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    _RECORD.update(sockets=[], connects=[], written=[])
    try:
        yield [pg_home, *dirs.values()]
    finally:
        _RECORD.clear()


def _frame_rows(video: Path) -> list[bytes]:
    """Pixel rows of the video's frames: image data a leak would contain verbatim."""
    import cv2

    cap = cv2.VideoCapture(str(video))
    rows: list[bytes] = []
    for _ in range(5):
        ok, image = cap.read()
        if not ok:
            break
        h = image.shape[0]
        for y in (h // 3, h // 2, 2 * h // 3):
            rows.append(np.ascontiguousarray(image[y, 20:60]).tobytes())  # 120 bytes
            gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
            rows.append(np.ascontiguousarray(gray[y, 20:100]).tobytes())
    cap.release()
    return rows


def _files(roots: list[Path], extra: list[str]) -> list[Path]:
    found = {p for root in roots for p in root.rglob("*") if p.is_file()}
    found |= {Path(p) for p in extra if Path(p).is_file()}
    return sorted(found)


def assert_no_image_data(roots: list[Path], video: Path) -> list[Path]:
    rows = _frame_rows(video)
    assert rows
    files = _files(roots, _RECORD["written"])
    for path in files:
        if path.resolve() == video.resolve():
            continue
        data = path.read_bytes()
        for magic, kind in IMAGE_MAGIC.items():
            assert not data.startswith(magic), f"{path} is a {kind} file"
        for row in rows:
            assert row not in data, f"{path} holds pixels of the video"
    return files


def assert_no_network() -> None:
    families = set(_RECORD["sockets"]) | {f for f, _ in _RECORD["connects"]}
    allowed = {int(socket.AF_UNIX)}
    assert families <= allowed, f"sockets of family {families - allowed} were opened"


def assert_numbers_and_states_only(db: Path) -> int:
    states = {s.value for s in PostureState}
    conn = sqlite3.connect(db)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        n = 0
        for table in tables:
            cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
            for col in cols:
                kinds = {r[0] for r in conn.execute(f"SELECT DISTINCT typeof({col}) FROM {table}")}
                assert "blob" not in kinds, f"{table}.{col} holds binary data"
        for state, metrics, source, profile in conn.execute(
            "SELECT state, metrics, source, profile FROM spans"
        ):
            n += 1
            assert state in states
            values = json.loads(metrics)
            assert all(isinstance(v, (int, float)) for v in values.values()), metrics
            assert len(source) < 100 and len(profile) < 100
        for (payload,) in conn.execute("SELECT payload FROM events"):
            assert len(payload) < 2000  # event details, never a picture
    finally:
        conn.close()
    return n


def test_replay_of_a_real_video_writes_no_image_and_opens_no_network(
    sandbox: list[Path], video: Path, tmp_path: Path
) -> None:
    db = paths.database_file()
    states = tmp_path / "tmp" / "states.jsonl"
    argv = ["replay", "--video", str(video), "--calibrate-seconds", "2", "--quiet"]
    assert cli.main([*argv, "--db", str(db), "--states-out", str(states)]) == 0
    assert states.read_text(encoding="utf-8").strip()  # the run really produced output
    assert assert_numbers_and_states_only(db) >= 1
    files = assert_no_image_data(sandbox, video)
    assert db in files and states in files  # the scan saw what the run wrote
    assert_no_network()


def test_live_monitor_on_a_real_video_writes_no_image_and_opens_no_network(
    sandbox: list[Path], video: Path
) -> None:
    assert cli.main(["calibrate", "--video", str(video), "--seconds", "2"]) == 0
    clock = FakeClock(stop_at=120)
    world = CameraWorld(clock, clock())
    args = cli.build_parser().parse_args(["run"])
    rc = service.run(
        args,
        lambda session, coach: cli.session_sinks(args, session, coach),
        open_camera=lambda: FakeCamera(video, world),
        clock=clock,
        sleep=clock.sleep,
        install_signals=False,
        # 17:29: the end-of-day check-in prompt is sent, so the notifier really runs
        start=datetime(2026, 11, 25, 17, 29, 0),
        screen=service.ScreenLockProbe(),
    )
    assert rc == 0 and len(world.reads) > 20
    assert assert_numbers_and_states_only(paths.database_file()) >= 1
    files = assert_no_image_data(sandbox, video)
    assert paths.database_file() in files
    assert any(p.name == "posture-guard.log" for p in files)
    assert_no_network()
    # the notifier did try its unix socket (so the socket audit was live)
    assert any(f == int(socket.AF_UNIX) for f in _RECORD["sockets"]) or _RECORD["connects"]


_IMPORT_MEDIAPIPE = """
import sys

seen = []

def hook(event, args):
    if event == "import" and args[0] == "_sounddevice":  # what sounddevice loads first
        seen.append(f"import {args[0]}")
    elif event in ("subprocess.Popen", "os.posix_spawn", "os.exec"):
        seen.append(f"started {args[0]} {args[1]}")
    elif event == "socket.__new__":
        seen.append(f"socket of family {args[1]}")

sys.addaudithook(hook)
from posture_guard import pose

mp = pose.import_mediapipe()
assert mp.solutions.pose.Pose is not None
print(repr(seen), "sounddevice" in sys.modules)
"""


def test_mediapipe_is_loaded_without_its_microphone_recorder(tmp_path: Path) -> None:
    """MediaPipe's audio tasks import sounddevice at import time, and sounddevice starts
    PortAudio: on a machine with PortAudio (with LD_LIBRARY_PATH naming Debian's
    libportaudio2 here) every command that ran the pose model opened the sound cards'
    control devices and connected to JACK's socket (/dev/shm/jack_default_0_0), and
    without it, sounddevice's search started ldconfig, gcc and ld three times. In a
    child process: mediapipe is imported once per process."""
    import os
    import subprocess

    env = {**os.environ, "PYTHONPATH": str(Path(paths.__file__).resolve().parents[1])}
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT_MEDIAPIPE],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == "[] False\n"
