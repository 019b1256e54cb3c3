"""Real video files with the frame times a test chooses, written with PyAV (FFmpeg's own
muxers and encoders), as a phone or a screen recorder writes them: each frame stamped with
its own presentation time, the rate between them free to vary.

Run in a child process (``python -m tests.video_files SPEC``): PyAV and OpenCV each carry
their own FFmpeg libraries, and the code under test never meets PyAV's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest


def write_video(path: Path, picture: Path, frames: list[tuple[float, bool]], **kw: object) -> Path:
    """Write ``path``: for each ``(t, shown)`` of ``frames``, a frame at ``t`` seconds of
    ``picture`` (a photo) or, unless ``shown``, of an empty black picture. Keywords:
    ``codec`` (libx264, else mpeg4), ``format`` (by the suffix), ``rate`` (the frame rate
    the encoder is told, 30). Skips where PyAV is not installed."""
    pytest.importorskip("av", reason="PyAV (the test extra) writes the test videos")
    spec = {"path": str(path), "picture": str(picture), "frames": frames, **kw}
    done = subprocess.run(
        [sys.executable, "-m", "tests.video_files", json.dumps(spec)],
        cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return path


def _write(spec: dict) -> None:
    import av
    import cv2
    import numpy as np

    picture = cv2.imread(spec["picture"])[:, :, ::-1]  # RGB
    height, width = (n - n % 2 for n in picture.shape[:2])  # yuv420p wants even sides
    picture = np.ascontiguousarray(picture[:height, :width])
    empty = np.zeros_like(picture)
    base = Fraction(1, 90000)  # an MP4's usual video time base
    with av.open(spec["path"], "w", format=spec.get("format")) as box:
        # H.264 as phones write it (its B-frames come out of order), where the wheel has it
        codec = spec.get("codec") or ("libx264" if "libx264" in av.codecs_available else "mpeg4")
        stream = box.add_stream(codec, rate=spec.get("rate", 30))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = base
        for t, shown in spec["frames"]:
            frame = av.VideoFrame.from_ndarray(picture if shown else empty, format="rgb24")
            frame.pts, frame.time_base = round(t / base), base
            for packet in stream.encode(frame):
                box.mux(packet)
        for packet in stream.encode():
            box.mux(packet)


if __name__ == "__main__":
    _write(json.loads(sys.argv[1]))
