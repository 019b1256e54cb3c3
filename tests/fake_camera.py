"""A stand-in for the one thing a test machine lacks: a webcam.

:class:`FakeCamera` has :class:`posture_guard.capture.CameraSource`'s interface and plays
the frames of a real video file (decoded by OpenCV, looping), so MediaPipe sees a real
person. A :class:`CameraWorld` script says, by clock time, when the camera is missing or
held by another program (open fails), fails mid-read, or gives black or frozen frames.
:class:`FakeClock` is the monotonic clock; its ``sleep`` advances time instead of waiting.

Run as a script it starts the real live loop (real clock, real SIGTERM handling) with a
fake camera, for the kill -9 / SIGTERM tests::

    python tests/fake_camera.py VIDEO
    python tests/fake_camera.py --landmarks STREAM [--profile NAME]

With ``--landmarks`` the pose model stands in too (:class:`StreamCamera`): the landmarks
come from a recorded stream (the bundled demo by default), so a test of what happens to
the process (signals, kills, a closed terminal) runs where the real media are absent.
``--flush-every S`` sets the loop's periodic flush (``ServiceSettings.flush_every_s``):
a test of what a stop itself writes sets it beyond the test's length, so nothing in the
database can come from a periodic flush. ``python -m benchmarks.bench_stop`` runs this
script too, with the real settings.
"""

from __future__ import annotations

import bisect
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from posture_guard.capture import CameraError, Frame  # noqa: E402

Window = tuple[float, float]


def _in(windows: list[Window], t: float) -> bool:
    return any(a <= t < b for a, b in windows)


class FakeClock:
    """Monotonic seconds that move only when the code under test sleeps (or reads)."""

    def __init__(self, start: float = 1000.0, stop_at: float = float("inf")):
        self.t = start
        self.start = start
        self.stop_at = stop_at
        self._hooks: list[tuple[float, Callable[[], None]]] = []

    def at(self, elapsed: float, fn: Callable[[], None]) -> None:
        """Run ``fn`` once when sleeping carries the clock past ``elapsed``."""
        self._hooks.append((elapsed, fn))
        self._hooks.sort(key=lambda h: h[0])

    def __call__(self) -> float:
        return self.t

    @property
    def elapsed(self) -> float:
        return self.t - self.start

    def sleep(self, seconds: float) -> bool:
        self.t += max(seconds, 0.001)
        while self._hooks and self._hooks[0][0] <= self.elapsed:
            _, fn = self._hooks.pop(0)
            fn()
        return self.elapsed >= self.stop_at


@dataclass
class CameraWorld:
    """Scripted camera faults, as windows of elapsed clock time [a, b)."""

    clock: Callable[[], float]
    t0: float
    busy: list[Window] = field(default_factory=list)  # cannot be opened (held by a call)
    gone: list[Window] = field(default_factory=list)  # unplugged: open and read fail
    black: list[Window] = field(default_factory=list)
    frozen: list[Window] = field(default_factory=list)
    opens: list[float] = field(default_factory=list)
    reads: list[float] = field(default_factory=list)
    open_now: int = 0

    def elapsed(self) -> float:
        return self.clock() - self.t0


class FakeCamera:
    """CameraSource's interface over a real video file, with faults from a CameraWorld."""

    def __init__(self, video: Path, world: CameraWorld):
        import cv2

        t = world.elapsed()
        world.opens.append(t)
        if _in(world.busy, t) or _in(world.gone, t):
            why = "held by another program" if _in(world.busy, t) else "no camera at index 0"
            raise CameraError(f"cannot open camera 0: {why}")
        self.world = world
        cap = cv2.VideoCapture(str(video))
        frames: list[np.ndarray] = []
        while True:
            ok, image = cap.read()
            if not ok:
                break
            frames.append(image)
        cap.release()
        if not frames:
            raise RuntimeError(f"{video}: no frames")
        self._frames = frames
        self._i = 0
        self._last: Optional[np.ndarray] = None
        self.height, self.width = frames[0].shape[:2]
        self.fps = 30.0
        self.name = "webcam:0"
        world.open_now += 1
        self.closed = False

    def read(self) -> Optional[Frame]:
        t = self.world.elapsed()
        self.world.reads.append(t)
        if self.closed:
            raise AssertionError("read from a closed camera")
        if _in(self.world.gone, t):
            raise CameraError("camera 0 stopped giving frames")
        if _in(self.world.black, t):
            image = np.zeros_like(self._frames[0])
        elif _in(self.world.frozen, t) and self._last is not None:
            image = self._last
        else:
            image = self._frames[self._i % len(self._frames)].copy()
            # real sensors never repeat a picture bit for bit: add the noise a webcam has
            noise = np.random.default_rng(self._i).integers(0, 3, image.shape, dtype=np.uint8)
            image = np.clip(image.astype(np.int16) + noise, 0, 255).astype(np.uint8)
            self._i += 1
        self._last = image
        return Frame(t, image)

    def skip_until(self, t: float) -> int:
        return 0

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.world.open_now -= 1


class StreamCamera:
    """A camera and a pose model in one, played from a landmark stream on the real clock.

    Each frame is fresh noise (never black, never frozen), and :meth:`detect` gives the
    stream's landmarks at the elapsed time (looping), so the live loop decides, logs and
    coaches as for a person at the desk, without MediaPipe or a video.
    """

    def __init__(self, path: Path, clock: Callable[[], float]):
        from posture_guard.stream import read_stream

        header, samples = read_stream(path)
        self._samples = list(samples)
        self._times = [s.t for s in self._samples]
        self._clock = clock
        self._t0 = clock()
        self._rng = np.random.default_rng(0)
        self.width, self.height = header.image_width, header.image_height
        self.fps = header.fps
        self.name = "webcam:0"

    def open(self) -> StreamCamera:
        return self

    def read(self) -> Optional[Frame]:
        image = self._rng.integers(60, 200, (12, 16, 3), dtype=np.uint8)
        return Frame(self._clock() - self._t0, image)

    def skip_until(self, t: float) -> None:
        pass

    def close(self) -> None:
        pass

    def detect(self, image: np.ndarray) -> Optional[np.ndarray]:
        t = (self._clock() - self._t0) % (self._times[-1] or 1.0)
        i = min(bisect.bisect_left(self._times, t), len(self._times) - 1)
        return self._samples[i].landmarks


def main(argv: list[str]) -> int:
    """The real live loop (real clock, real signals) with a fake camera on a video, or
    with :class:`StreamCamera` on a landmark stream."""
    import argparse
    import time

    from posture_guard import cli, monitor, service

    p = argparse.ArgumentParser()
    p.add_argument("video", nargs="?")
    p.add_argument("--landmarks", nargs="?", const=str(monitor.demo_stream_path()))
    p.add_argument("--flush-every", type=float, metavar="S")
    p.add_argument("--profile", help="run's --profile (its default without)")
    args = p.parse_args(argv)
    run_args = cli.build_parser().parse_args(
        ["run", *(["--profile", args.profile] if args.profile else [])]
    )
    settings = service.ServiceSettings()
    if args.flush_every is not None:
        settings = service.ServiceSettings(flush_every_s=args.flush_every)
    if args.landmarks:
        camera = StreamCamera(Path(args.landmarks), time.monotonic)
        return service.run(
            run_args,
            lambda session, coach: cli.session_sinks(run_args, session, coach),
            open_camera=camera.open,
            detector=camera,
            settings=settings,
        )
    world = CameraWorld(time.monotonic, time.monotonic())
    return service.run(
        run_args,
        lambda session, coach: cli.session_sinks(run_args, session, coach),
        open_camera=lambda: FakeCamera(Path(args.video), world),
        settings=settings,
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
