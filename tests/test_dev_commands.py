"""The developer commands behind the README's figures refuse bad arguments with one line.

A count or a length of 0 or less, a seed that would draw the training people, or an output
folder that cannot be written used to end in a traceback (after an hour, for the fit), or
worse, in a run that scored next to nothing and printed "targets ... MET". Each is refused
before any work starts, with one line that names the option.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from benchmarks import bench_association, bench_report, bench_soak, bench_stop, bench_sync
from calibration import evaluate, fit, make_demo, tune


def _refused(main, argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """The one error line ``main(argv)`` gives, having checked it stopped with status 2."""
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse's refusal
        code = exit_.code
    assert code == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert not captured.out  # nothing was started, so nothing was reported
    return captured.err.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("main", "argv", "named"),
    [
        (evaluate.main, ["--seeds-per-set", "0"], "--seeds-per-set"),
        (evaluate.main, ["--seeds-per-set", "-5"], "--seeds-per-set"),
        (evaluate.main, ["--minutes", "0"], "--minutes"),
        (evaluate.main, ["--minutes", "nan"], "--minutes"),
        (evaluate.main, ["--fresh-seed", "-3"], "--fresh-seed"),
        (evaluate.main, ["--fresh-seed", "abc"], "--fresh-seed"),
        (evaluate.main, ["--sets", "nonsense"], "--sets"),
        (tune.main, ["--minutes", "0"], "--minutes"),
        (tune.main, ["--tau", "0"], "--tau"),
        (tune.main, ["--floor", "1"], "--floor"),  # a ZeroDivisionError after the rendering
        (tune.main, ["--floor", "2"], "--floor"),  # a table of nonsense
        (tune.main, ["--floor", "0.85", "-0.1"], "--floor"),
        (tune.main, ["--threshold", "1.5"], "--threshold"),
        (tune.main, ["--margin", "nan"], "--margin"),
        (tune.main, ["--enter", "-1"], "--enter"),
        (fit.main, ["--seeds", "0"], "--seeds"),
        (fit.main, ["--seeds", "8001"], "--seeds"),
        (fit.main, ["--stride", "0"], "--stride"),
        (fit.main, ["--minutes", "-1"], "--minutes"),
        (bench_soak.main, ["--hours", "0"], "--hours"),
        (bench_soak.main, ["--hours", "0.05"], "--hours"),  # shorter than one scene
        (bench_report.main, ["--days", "0"], "--days"),
        (bench_association.main, ["--datasets", "0"], "--datasets"),
        (bench_stop.main, ["--kills", "0"], "--kills"),
        (bench_stop.main, ["--stops", "-1"], "--stops"),
        (bench_stop.main, ["--video", "no-such-clip.gif"], "--video"),
        (bench_stop.main, ["--landmarks", "--video", __file__], "--video"),  # not watched
        (bench_sync.main, ["--hours", "0"], "--hours"),
        (bench_sync.main, ["--dir", "no-such-folder"], "--dir"),
        (make_demo.main, ["--help-me"], "unrecognized arguments"),
    ],
)
def test_a_bad_argument_is_one_line_naming_it(
    main, argv: list[str], named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert named in _refused(main, argv, capsys)


def test_the_fit_refuses_an_output_folder_it_cannot_write_before_rendering(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The models are written after an hour of rendering and fitting: too late to find out.
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("", encoding="utf-8")
    for out in (a_file, tmp_path / "missing"):
        line = _refused(fit.main, ["--seeds", "2", "--minutes", "1", "--out", str(out)], capsys)
        assert f"--out {out}" in line
    cache = a_file / "cache"  # a folder that cannot be made
    argv = ["--seeds", "2", "--minutes", "1", "--out", str(tmp_path), "--cache", str(cache)]
    assert str(cache) in _refused(fit.main, argv, capsys)
    assert not list(tmp_path.glob("model-*"))


def test_the_report_benchmark_says_when_its_folder_cannot_be_made(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a_file = tmp_path / "taken"
    a_file.write_text("mine", encoding="utf-8")
    assert "--keep" in _refused(bench_report.main, ["--days", "1", "--keep", str(a_file)], capsys)
    assert a_file.read_text(encoding="utf-8") == "mine"


def test_asking_the_demo_maker_for_help_leaves_the_stream_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `--help` used to render the demo and overwrite the shipped stream.
    stream = tmp_path / "demo-stream.jsonl.gz"
    stream.write_bytes(gzip.compress(b"shipped\n"))
    with pytest.raises(SystemExit) as exit_:
        make_demo.main(["--help"], out=stream)
    assert exit_.value.code == 0
    assert "usage: python -m calibration.make_demo" in capsys.readouterr().out
    assert gzip.decompress(stream.read_bytes()) == b"shipped\n"


def test_the_shipped_demo_stream_is_what_make_demo_renders(tmp_path: Path) -> None:
    """The bundled stream is data the repository's own command produces: rendered again,
    it matches sample for sample (to the rounding, which a last-digit difference in
    another Python's maths may flip). It had been made by an earlier generator."""
    fresh = tmp_path / "demo-stream.jsonl.gz"
    assert make_demo.main([], out=fresh) == 0

    def lines(path: Path) -> list[dict]:
        return [json.loads(x) for x in gzip.decompress(path.read_bytes()).splitlines()]

    shipped, rendered = lines(make_demo.OUT), lines(fresh)
    assert shipped[0] == rendered[0]  # the header: camera, size, rate
    assert len(shipped) == len(rendered)
    for a, b in zip(shipped[1:], rendered[1:]):
        assert a["t"] == b["t"]
        assert (a["landmarks"] is None) == (b["landmarks"] is None), a["t"]
        for p, q in zip(a["landmarks"] or [], b["landmarks"] or []):
            # x and y keep 4 digits where MediaPipe would call the point visible, 2 where
            # not; z and visibility 2: one unit of the last digit either way
            step = 1e-4 if min(p[3], q[3]) >= 0.5 else 1e-2
            assert max(abs(p[0] - q[0]), abs(p[1] - q[1])) <= step * 1.01, (a["t"], p, q)
            assert max(abs(p[2] - q[2]), abs(p[3] - q[3])) <= 0.0101, (a["t"], p, q)


def test_the_accuracy_harness_help_names_only_options_it_takes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # It explained the unscored seconds by an option "--settle" that the command refused.
    for main in (evaluate.main, tune.main, fit.main):
        with pytest.raises(SystemExit):
            main(["--help"])
        text = capsys.readouterr().out
        # the options' own list ("optional arguments:" before Python 3.10)
        listed = re.split(r"^(?:options|optional arguments):$", text, flags=re.M)[1]
        for option in set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", text)):
            assert f"[{option}" in text or f"{option} " in listed, option
