"""The landmark stream and posture-state contracts: round trips, strict JSON, and clear
errors naming the bad line."""

from __future__ import annotations

import gzip
import io
import json
import math
import zlib
from pathlib import Path

import numpy as np
import pytest

from posture_guard.classify import Baseline, Decider
from posture_guard.features import Metrics
from posture_guard.landmarks import Sample, StreamHeader
from posture_guard.monitor import demo_stream_path
from posture_guard.sinks import StatesWriter
from posture_guard.stream import MAX_T, StreamError, load_stream, write_stream

HEADER = {"image_width": 640, "image_height": 480, "fps": 5.0, "source": "webcam:0"}


def _row(n: int = 33) -> list[list[float]]:
    return [[0.5, 0.5, -0.1, 0.9] for _ in range(n)]


def _write(path: Path, lines: list[object]) -> Path:
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    return path


def test_round_trip_keeps_numbers_nulls_and_header(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    header = StreamHeader(1280, 720, 25.0, "video:x.mp4", extra={"note": "kept"})
    samples = [
        Sample(0.0, rng.random((33, 4))),
        Sample(0.04, None),
        Sample(0.08, rng.random((33, 4))),
    ]
    path = tmp_path / "s.jsonl"
    assert write_stream(path, header, samples) == 3
    h, back = load_stream(path)
    assert (h.image_width, h.image_height, h.fps, h.source) == (1280, 720, 25.0, "video:x.mp4")
    assert h.extra == {"note": "kept"}
    assert [s.t for s in back] == [0.0, 0.04, 0.08]
    assert back[1].landmarks is None
    np.testing.assert_allclose(back[0].landmarks, samples[0].landmarks, atol=1e-5)
    # The file is numbers only: every line parses as JSON with just the contract's keys.
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert all(set(obj) == {"t", "landmarks"} for obj in lines[1:])


def test_a_gz_name_is_written_compressed_and_reads_back(tmp_path: Path) -> None:
    # calibration.synth --out x.jsonl.gz wrote plain text that replay then refused as
    # "not a gzip file"
    header = StreamHeader(640, 480, 10.0, "synthetic")
    samples = [Sample(0.0, np.full((33, 4), 0.5)), Sample(0.1, None)]
    path = tmp_path / "s.jsonl.gz"
    assert write_stream(path, header, samples) == 2
    assert gzip.decompress(path.read_bytes()).decode().count("\n") == 3
    h, back = load_stream(path)
    assert h.source == "synthetic" and [s.t for s in back] == [0.0, 0.1]


def test_a_plain_recording_under_a_gz_name_is_read(tmp_path: Path) -> None:
    """`record --landmarks-out day.jsonl.gz` wrote plain text under that name before
    5e3bb53, and every reader then refused the user's recording as "not a gzip file"."""
    lines = [HEADER, {"t": 0.0, "landmarks": _row()}, {"t": 0.2, "landmarks": None}]
    path = _write(tmp_path / "day.jsonl.gz", lines)  # plain text, as the old `record` wrote
    h, back = load_stream(path)
    assert h.source == "webcam:0" and [s.t for s in back] == [0.0, 0.2]
    assert back[0].landmarks is not None and back[1].landmarks is None


def test_unknown_header_keys_are_ignored(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "s.jsonl", [{**HEADER, "camera_model": "x"}, {"t": 0, "landmarks": None}]
    )
    h, samples = load_stream(path)
    assert h.image_width == 640 and len(samples) == 1


@pytest.mark.parametrize(
    ("bad_line", "needle"),
    [
        ("{not json", "not JSON"),
        ({"t": 1.0, "landmarks": _row(32)}, "expected 33 landmarks, got 32"),
        (
            {"t": 1.0, "landmarks": [[0.5, 0.5, 0.1]] * 33},
            "landmark 0 must be [x, y, z, visibility]",
        ),
        (
            '{"t": 1.0, "landmarks": [[NaN, 0.5, 0.1, 0.9]' + ", [0.5, 0.5, 0.1, 0.9]" * 32 + "]}",
            "non-finite",
        ),
        ({"t": 0.5, "landmarks": None}, "goes backwards"),
        ({"landmarks": None}, "needs a number 't'"),
        ({"t": 2.0}, "needs 'landmarks'"),
        ({"t": 2.0, "landmarks": [["a", 0, 0, 0]] * 33}, "non-number"),
        ("[1, 2]", "must be a JSON object"),
        # a damaged time would be logged as millennia at the desk
        ({"t": 1e300, "landmarks": None}, "more than any recording lasts"),
        ({"t": MAX_T + 1, "landmarks": None}, "damaged"),
        ({"t": 2.0, "landmarks": [[0.5, 0.5, 0.1, 1e308]] + _row(32)}, "visibility"),
        ({"t": 2.0, "landmarks": [[0.5, 0.5, 0.1, -0.5]] + _row(32)}, "visibility"),
    ],
)
def test_malformed_sample_names_its_line(tmp_path: Path, bad_line: object, needle: str) -> None:
    path = _write(tmp_path / "bad.jsonl", [HEADER, {"t": 1.0, "landmarks": _row()}, bad_line])
    with pytest.raises(StreamError) as err:
        load_stream(path)
    assert "line 3" in str(err.value)
    assert needle in str(err.value)
    assert str(path) in str(err.value)


@pytest.mark.parametrize(
    ("header", "needle"),
    [
        ({"image_width": 640, "fps": 5}, "image_height"),
        ({"image_width": -640, "image_height": 480, "fps": 5}, "positive"),
        ({"image_width": 640.5, "image_height": 480, "fps": 5}, "whole number"),
        ({"t": 0, "landmarks": None}, "image_width"),
    ],
)
def test_bad_header_is_rejected(tmp_path: Path, header: dict, needle: str) -> None:
    path = _write(tmp_path / "bad.jsonl", [header])
    with pytest.raises(StreamError, match="line 1") as err:
        load_stream(path)
    assert needle in str(err.value)


@pytest.mark.parametrize(
    ("t", "needle"), [(-5.0, "'t' is negative"), (1e300, "more than any recording lasts")]
)
def test_the_first_time_counts_from_the_start(tmp_path: Path, t: float, needle: str) -> None:
    path = _write(tmp_path / "bad.jsonl", [HEADER, {"t": t, "landmarks": _row()}])
    with pytest.raises(StreamError, match="line 2") as err:
        load_stream(path)
    assert needle in str(err.value)


def test_points_beyond_the_edge_and_long_pauses_are_still_a_recording(tmp_path: Path) -> None:
    # MediaPipe guesses the points the frame cuts off and places them outside 0..1 (a
    # user close to the camera has hips and legs frame heights below the picture), and a
    # recording may start late and pause for days: the contract bounds neither, so all of
    # it stays readable.
    rows = _row()
    rows[0] = [-0.4, -0.3, -2.0, 0.97]
    rows[27] = [0.5, 1e308, 50.0, 0.0]
    rows[28] = [-1e308, 8.0, -1e308, 1.0]
    days = 3 * 86_400.0
    samples = [{"t": days, "landmarks": rows}, {"t": 2 * days, "landmarks": None}]
    _, back = load_stream(_write(tmp_path / "s.jsonl", [HEADER, *samples]))
    assert [s.t for s in back] == [days, 2 * days]
    np.testing.assert_array_equal(back[0].landmarks, rows)


def test_the_bundled_demo_stream_follows_the_contract() -> None:
    lines = gzip.decompress(demo_stream_path().read_bytes()).decode("utf-8").splitlines()
    header, samples = load_stream(demo_stream_path())
    assert header.image_width > 0
    assert len(samples) == len([line for line in lines if line.strip()]) - 1


def _gz_stream(tmp_path: Path, n: int = 60) -> tuple[Path, bytes]:
    """A plain stream of ``n`` samples (each line a few kB, as real ones) and its gzip."""
    plain = _write(tmp_path / "s.jsonl", [HEADER] + [{"t": i * 0.2, "landmarks": _row()}
                                                     for i in range(n)])  # fmt: skip
    return plain, gzip.compress(plain.read_bytes())


def test_a_cut_off_gzip_stream_names_the_last_whole_line(tmp_path: Path) -> None:
    import shutil
    import subprocess

    _, packed = _gz_stream(tmp_path)
    cut = packed[: len(packed) // 2]
    # what a reader can get out of the first half: whole lines up to the last newline
    whole = zlib.decompressobj(wbits=31).decompress(cut).count(b"\n")
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(cut)
    with pytest.raises(StreamError) as err:
        load_stream(path)
    assert str(path) in str(err.value)
    assert f"cut off after line {whole}" in str(err.value)
    # the command the message gives keeps those lines, and no part of the next: what
    # `gzip -dc` alone kept ended inside a line, and was refused as "not JSON"
    command = str(err.value).split("`")[1]
    kept = tmp_path / "cut-kept.jsonl"
    assert command == f"gzip -dc {path} | head -n {whole} > {kept}"
    if shutil.which("gzip") is None or shutil.which("head") is None:
        return
    subprocess.run(command, shell=True, cwd=tmp_path, stderr=subprocess.DEVNULL)
    assert len(load_stream(kept)[1]) == whole - 1


def test_a_gz_recording_killed_mid_way_says_how_to_keep_its_lines(tmp_path: Path) -> None:
    import shutil
    import signal
    import subprocess
    import sys

    path = tmp_path / "desk.jsonl.gz"
    # what `record --landmarks-out desk.jsonl.gz` does (each sample flushed), then kill -9
    writer = (
        "import gzip, sys, time\n"
        "import numpy as np\n"
        "from posture_guard.landmarks import Sample, StreamHeader\n"
        "from posture_guard.stream import StreamWriter\n"
        "w = StreamWriter(gzip.open(sys.argv[1], 'wt', encoding='utf-8'),\n"
        "                 StreamHeader(640, 480, 5.0, 'webcam:0'))\n"
        "for i in range(40):\n"
        "    w.write(Sample(i * 0.2, np.full((33, 4), 0.5)))\n"
        "print('written', flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", writer, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "written"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    with pytest.raises(StreamError) as err:
        load_stream(path)
    message = str(err.value)
    assert "cut off after line 41" in message
    # the recording is not lost: how to keep it
    command = message.split("`")[1]
    assert command.startswith(f"gzip -dc {path} | head -n 41 > ")
    if shutil.which("gzip") is None or shutil.which("head") is None:
        return
    subprocess.run(command, shell=True, cwd=tmp_path, stderr=subprocess.DEVNULL)
    _, samples = load_stream(tmp_path / "desk-kept.jsonl")
    assert len(samples) == 40


@pytest.mark.parametrize(
    "tail",
    [
        b"not gzip at all",  # junk after the compressed data: gzip.BadGzipFile
        gzip.compress(b"x")[:10] + b"\x07" + bytes(20),  # a block of no valid type: zlib.error
    ],
    ids=["junk-after-the-end", "invalid-block"],
)
def test_damaged_gzip_data_names_the_last_whole_line(tmp_path: Path, tail: bytes) -> None:
    plain, packed = _gz_stream(tmp_path)
    lines = len(plain.read_text().splitlines())
    path = tmp_path / "damaged.jsonl.gz"
    path.write_bytes(packed + tail)
    with pytest.raises(StreamError) as err:
        load_stream(path)
    assert f"{path}: damaged gzip data after line {lines}" in str(err.value)


def test_empty_missing_and_binary_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(StreamError, match="empty"):
        load_stream(empty)
    with pytest.raises(StreamError, match="cannot open"):
        load_stream(tmp_path / "missing.jsonl")
    binary = tmp_path / "bin.jsonl"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(StreamError) as err:
        load_stream(binary)
    assert str(err.value) == f"{binary}, line 1: not UTF-8 text"


def test_states_lines_are_strict_json_and_leave_out_measures_not_taken() -> None:
    # One ear under hair: the ear-to-ear width (and the seen-ear measures) cannot be taken.
    frame = Metrics(
        ear_gap=0.6, eye_gap=0.7, face_width=0.3, ear_width=math.nan, pitch=0.05, yaw=0.0,
        roll=0.0, shoulder_tilt=0.0, shoulder_y=0.8, ear_y=0.4, center_x=0.5,
        shoulder_width=0.6, ears_seen=1, ear_gap_seen=0.6, pitch_ears=0.05,
    )  # fmt: skip
    baseline = Baseline(median={k: v for k, v in frame.as_dict().items() if math.isfinite(v)})
    out = io.StringIO()
    writer = StatesWriter(out, every_sample=True)
    writer.on_decision(Decider(baseline).decide(1.0, frame))

    def reject(name: str) -> None:
        raise ValueError(f"non-JSON constant {name}")

    line = json.loads(out.getvalue(), parse_constant=reject)
    assert (line["t"], line["state"], line["ear_gap"]) == (1.0, "good", 0.6)
    assert "ear_width" not in line and "pitch_mouth" not in line


def _replayed_seconds(out: str) -> int:
    """The monitored total `replay` prints ("monitored HH:MM:SS; ...") in seconds."""
    clock = out.split("monitored ", 1)[1].split(";", 1)[0]
    h, m, s = (int(x) for x in clock.split(":"))
    return 3600 * h + 60 * m + s


def test_a_pause_of_days_and_points_far_off_replay_without_counting_the_pause(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The contract allows both; the pause was not monitored, so neither the totals nor
    # the log may count three days at the desk (the log caps gaps, and so do the totals).
    from posture_guard.cli import main

    lines = gzip.decompress(demo_stream_path().read_bytes()).decode("utf-8").splitlines()
    header, first, rest = lines[0], lines[1:601], lines[601:1201]
    pause = 3 * 86_400.0
    shifted = []
    for line in rest:
        obj = json.loads(line)
        obj["t"] += pause
        if obj["landmarks"] is not None:
            obj["landmarks"][27][1] = 1e308  # a knee, far below: not seen, never used
        shifted.append(json.dumps(obj))
    path = tmp_path / "paused.jsonl"
    path.write_text("\n".join([header, *first, *shifted]) + "\n")
    whole = json.loads(rest[-1])["t"] - json.loads(first[0])["t"]

    assert main(["replay", "--landmarks", str(path)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""  # no overflow warnings from the far points either
    assert 0 < _replayed_seconds(captured.out) < whole + 60  # the recording, not 3 days


_HUGE = "1" + "0" * 400  # a whole number no float holds: as far off as 1e400 (infinity)


@pytest.mark.parametrize(
    ("bad_line", "needle"),
    [
        ('{"t": ' + _HUGE + ', "landmarks": null}', "'t' is not a finite number"),
        (
            '{"t": 2.0, "landmarks": [[' + _HUGE + ", 0.5, 0.1, 0.9]"
            + ", [0.5, 0.5, 0.1, 0.9]" * 32 + "]}",
            "landmark 0 holds a non-finite number",
        ),
        ('{"t": ' + "9" * 5000 + ', "landmarks": null}', "a number too long"),
        ("[" * 100_000 + "]" * 100_000, "nested too deep"),
    ],
)  # fmt: skip
def test_numbers_and_nesting_json_allows_but_no_reader_holds_name_their_line(
    tmp_path: Path, bad_line: str, needle: str
) -> None:
    path = _write(tmp_path / "bad.jsonl", [HEADER, {"t": 1.0, "landmarks": _row()}, bad_line])
    with pytest.raises(StreamError, match="line 3") as err:
        load_stream(path)
    assert needle in str(err.value)
    assert len(str(err.value)) < 200  # the digits are not echoed back


def test_a_header_size_no_float_holds_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.jsonl", ['{"image_width": ' + _HUGE + ', "image_height": 1}'])
    with pytest.raises(StreamError, match="line 1: header 'image_width' must be a positive"):
        load_stream(path)


@pytest.mark.parametrize(
    ("width", "height", "said"),
    [
        (1e308, 480, "1e+308 x 480"),  # judged as a different posture, no error
        (640, 1e308, "640 x 1e+308"),  # refused as "a side view"
        (200_000, 150_000, "200000 x 150000"),
        (4000, 1, "4000 x 1"),
    ],
)
def test_a_frame_size_no_camera_gives_is_rejected(
    tmp_path: Path, width: float, height: float, said: str
) -> None:
    # the header's size makes the aspect ratio the positions are measured in: a damaged
    # one was used as it was
    header = {**HEADER, "image_width": width, "image_height": height}
    path = _write(tmp_path / "bad.jsonl", [header, {"t": 0.0, "landmarks": _row()}])
    with pytest.raises(StreamError) as err:
        load_stream(path)
    assert str(err.value).startswith(f"{path}, line 1: header: a frame of {said} pixels is no ")


def test_frames_as_wide_as_cameras_and_phones_give_are_read(tmp_path: Path) -> None:
    for width, height in [(3840, 1080), (1080, 1920), (7680, 4320)]:
        header = {**HEADER, "image_width": width, "image_height": height}
        path = _write(tmp_path / "ok.jsonl", [header, {"t": 0.0, "landmarks": _row()}])
        assert load_stream(path)[0].image_width == width


@pytest.mark.parametrize("packed", [False, True])
def test_a_line_longer_than_any_stream_holds_is_refused_unread(
    tmp_path: Path, packed: bool
) -> None:
    # /dev/zero or a binary file without line breaks is one endless line: it was read
    # whole, `calibrate --landmarks /dev/zero` ending in MemoryError. A file stands in for
    # the device here (with the old code, a test of /dev/zero would take all the memory).
    from posture_guard.stream import MAX_LINE_CHARS

    data = json.dumps(HEADER).encode() + b"\n" + b"\0" * (MAX_LINE_CHARS + 5) + b"\n"
    path = tmp_path / ("long.jsonl.gz" if packed else "long.jsonl")
    path.write_bytes(gzip.compress(data) if packed else data)
    with pytest.raises(StreamError) as err:
        load_stream(path)
    assert str(err.value) == (
        f"{path}, line 2: longer than 1,000,000 characters, more than any line of a landmark "
        "stream (is it one?)"
    )


@pytest.mark.parametrize("packed", [False, True])
def test_bytes_that_are_not_utf8_are_named_by_their_line(tmp_path: Path, packed: bool) -> None:
    # the reader decodes many lines at a time: the error must still name the one line
    lines = [json.dumps(HEADER)] + [
        json.dumps({"t": float(i), "landmarks": _row()}) for i in range(200)
    ]
    lines[150] = lines[150][:-1] + ', "note": "caf\xe9"}'
    data = "\n".join(lines).encode("latin-1") + b"\n"
    path = tmp_path / ("bad.jsonl.gz" if packed else "bad.jsonl")
    path.write_bytes(gzip.compress(data) if packed else data)
    with pytest.raises(StreamError) as err:
        load_stream(path)
    assert str(err.value) == f"{path}, line 151: not UTF-8 text"


def test_a_byte_order_mark_before_the_header_is_read_as_utf8(tmp_path: Path) -> None:
    # UTF-8 with a BOM is what some Windows editors save; it is still UTF-8 text
    path = tmp_path / "bom.jsonl"
    body = json.dumps(HEADER) + "\n" + json.dumps({"t": 0.0, "landmarks": None}) + "\n"
    path.write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))
    header, samples = load_stream(path)
    assert header.image_width == 640 and [s.t for s in samples] == [0.0]


@pytest.mark.parametrize("packed", [False, True], ids=["plain", "gzip"])
def test_a_recording_cut_inside_its_last_line_says_how_to_keep_the_whole_lines(
    tmp_path: Path, packed: bool
) -> None:
    """A plain-text recording killed (or copied) half-way through its last line was refused
    as "line 42: not JSON (Expecting ',' delimiter)", with no word that the 40 samples
    before it were whole. The contract has such a line refused; the message names it cut
    off and gives the command that keeps the rest, as a cut-off gzip stream's does."""
    import shutil
    import subprocess

    whole = [HEADER] + [{"t": i * 0.2, "landmarks": _row()} for i in range(41)]
    text = "\n".join(json.dumps(x) for x in whole) + "\n"
    cut = text[: text.rindex("\n", 0, len(text) - 1) + 700]  # 700 characters into line 42
    path = tmp_path / ("desk.jsonl.gz" if packed else "desk.jsonl")
    path.write_bytes(gzip.compress(cut.encode()) if packed else cut.encode())
    with pytest.raises(StreamError) as err:
        load_stream(path)
    message = str(err.value)
    assert message.startswith(f"{path}, line 42: cut off")
    kept = tmp_path / "desk-kept.jsonl"
    command = message.split("`")[1]
    assert command == (
        f"gzip -dc {path} | head -n 41 > {kept}" if packed else f"head -n 41 {path} > {kept}"
    )
    if shutil.which("head") is None or (packed and shutil.which("gzip") is None):
        return
    subprocess.run(command, shell=True, check=True, cwd=tmp_path)
    header, samples = load_stream(kept)
    assert header.source == "webcam:0" and len(samples) == 40
    # a last line whole but for its newline is a sample like any other
    unended = text.rstrip("\n").encode()
    path.write_bytes(gzip.compress(unended) if packed else unended)
    assert len(load_stream(path)[1]) == 41


def test_a_recording_cut_inside_its_first_sample_keeps_nothing_to_replay(tmp_path: Path) -> None:
    path = tmp_path / "desk.jsonl"
    path.write_text(json.dumps(HEADER) + "\n" + json.dumps({"t": 0, "landmarks": _row()})[:300])
    with pytest.raises(StreamError) as err:
        load_stream(path)
    assert str(err.value).startswith(f"{path}, line 2: cut off")
    assert str(err.value).endswith("and no whole sample comes before it")
