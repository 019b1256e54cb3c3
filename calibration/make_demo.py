"""Make the landmark stream bundled for `posture-guard demo` (numbers only, no images).

The stream is :func:`calibration.synth.demo_scene` rendered by the project's own
generator, rounded to what a webcam can resolve (1e-4 of the frame for x and y; coarser
for points MediaPipe itself reports as not visible) and gzip-compressed, so the package
stays small:

    python -m calibration.make_demo
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

from calibration import synth
from posture_guard.monitor import DEMO_STREAM
from posture_guard.stream import header_to_json

OUT = Path(__file__).resolve().parents[1] / "posture_guard" / "data" / DEMO_STREAM


def _row(x: float, y: float, z: float, v: float) -> list[float]:
    digits = 4 if v >= 0.5 else 2
    return [round(x, digits), round(y, digits), round(z, 2), round(v, 2)]


def main(argv: Optional[Sequence[str]] = None, out: Path = OUT) -> int:
    # Without a parser, `--help` (or any argument) rewrote the shipped stream.
    parser = argparse.ArgumentParser(
        prog="python -m calibration.make_demo",
        description=f"Render the demo's landmark stream and write it to {out}.",
    )
    parser.parse_args(argv)
    header, labelled = synth.render(synth.demo_scene())
    lines = [json.dumps(header_to_json(header))]
    for s in labelled:
        rows = None if s.landmarks is None else [_row(*map(float, r)) for r in s.landmarks]
        lines.append(json.dumps({"t": round(s.t, 3), "landmarks": rows}, separators=(",", ":")))
    data = ("\n".join(lines) + "\n").encode("utf-8")
    # mtime=0 keeps the file byte-identical between runs.
    out.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    print(f"wrote {out} ({len(labelled)} samples, {out.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
