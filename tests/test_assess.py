"""Side-view assessment: real MediaPipe on the real side-view pair, and the pure geometry."""

from __future__ import annotations

import math
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from posture_guard import cli
from posture_guard.assess import assess_landmarks, assess_photo
from posture_guard.errors import UserError
from posture_guard.landmarks import (
    LEFT_EAR,
    LEFT_EYE_OUTER,
    LEFT_SHOULDER,
    NOSE,
    RIGHT_EAR,
    RIGHT_EYE_OUTER,
    RIGHT_SHOULDER,
)
from posture_guard.pose import MediaPipePose

UPRIGHT = "side_sitting_upright_mit.jpg"
HUNCHED = "side_sitting_hunched_mit.jpg"


@pytest.fixture(autouse=True)
def no_pictures_left(tmp_path: Path):
    """Annotated copies of the shared media's people are deleted after each test (pytest
    keeps its scratch folders, and those pictures must not stay in them)."""
    yield
    for path in tmp_path.rglob("*"):
        if path.suffix.lower() in (".png", ".jpg", ".jpeg") and path.is_file():
            path.unlink()


def _hand_angle(photo: Path) -> float:
    """The angle computed by hand from MediaPipe's raw landmarks: the ear and shoulder of
    the side nearer the camera (smaller z), in pixels, against the horizontal."""
    import cv2

    image = cv2.imread(str(photo))
    h, w = image.shape[:2]
    with MediaPipePose(static_image=True) as pose:
        lm = pose.detect(image)
    assert lm is not None
    left_near = lm[LEFT_EAR, 2] + lm[LEFT_SHOULDER, 2] < lm[RIGHT_EAR, 2] + lm[RIGHT_SHOULDER, 2]
    ear, sh = (LEFT_EAR, LEFT_SHOULDER) if left_near else (RIGHT_EAR, RIGHT_SHOULDER)
    dx = (lm[ear, 0] - lm[sh, 0]) * w
    dy = (lm[sh, 1] - lm[ear, 1]) * h
    return math.degrees(math.atan2(dy, abs(dx)))


def test_real_side_pair_is_separated_and_matches_hand_computation(shared_media: Path) -> None:
    up, _ = assess_photo(shared_media / UPRIGHT)
    down, _ = assess_photo(shared_media / HUNCHED)
    # the media README's MediaPipe measurement: upright 71-80 deg, hunched 46-48 deg
    assert 70 <= up.angle <= 81
    assert 45 <= down.angle <= 49
    assert up.angle - down.angle > 20
    assert not up.forward_head and down.forward_head
    assert abs(up.angle - _hand_angle(shared_media / UPRIGHT)) < 1.0
    assert abs(down.angle - _hand_angle(shared_media / HUNCHED)) < 1.0
    # the man faces the left of the picture, so his left side is toward the camera
    assert (up.side, up.facing) == ("left", "left")
    assert (down.side, down.facing) == ("left", "left")
    # hunched, the head is bowed compared with sitting straight
    assert down.head_tilt < up.head_tilt - 10


def test_a_side_photo_on_its_side_is_refused_not_judged(
    shared_media: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Turned a quarter clockwise, the hunched man read 141.6 deg, "no sign of forward head
    # posture", and the upright one 169.9 deg: the ear far behind the shoulder, as nobody sits.
    import cv2

    for name in (HUNCHED, UPRIGHT):
        turned = tmp_path / f"turned-{name}.png"
        image = cv2.imread(str(shared_media / name))
        cv2.imwrite(str(turned), cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE))
        assert cli.main(["assess", str(turned)]) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        assert "further behind the shoulder than above it" in captured.err
        assert "is the photo on its side?" in captured.err


def test_cli_prints_the_angle_and_writes_no_file_unless_asked(
    shared_media: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    assert cli.main(["assess", str(shared_media / HUNCHED)]) == 0
    out = capsys.readouterr().out
    assert "suggests forward head posture" in out and "side facing the camera: left" in out
    assert list(work.iterdir()) == []
    home = Path(__import__("os").environ["POSTURE_GUARD_HOME"])
    written = [p for p in home.rglob("*") if p.is_file()] if home.exists() else []
    assert written == []  # nothing stored in the user's data either
    annotated = work / "annotated.png"
    assert cli.main(["assess", str(shared_media / UPRIGHT), "--out", str(annotated)]) == 0
    import cv2

    img = cv2.imread(str(annotated))
    src = cv2.imread(str(shared_media / UPRIGHT))
    assert img is not None and img.shape == src.shape
    assert not np.array_equal(img, src)  # the measurement is drawn on it
    assert [p.name for p in work.iterdir()] == ["annotated.png"]


@pytest.fixture
def own_photo(shared_media: Path, tmp_path: Path):
    """A user's own side photo in a writable folder: a copy of the real one (deleted after
    the test by no_pictures_left)."""
    photo = tmp_path / "me.jpg"
    shutil.copyfile(shared_media / UPRIGHT, photo)
    return photo


def test_out_naming_the_photo_itself_is_refused_and_the_photo_kept(
    own_photo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`assess me.jpg --out me.jpg` replaced the user's only original with the annotated
    copy; --force must not allow it either."""
    before = own_photo.read_bytes()
    for extra in ([], ["--force"]):
        assert cli.main(["assess", str(own_photo), "--out", str(own_photo), *extra]) == 2
        captured = capsys.readouterr()
        assert "is the photo itself" in captured.err and captured.err.count("\n") == 1
        assert own_photo.read_bytes() == before


def test_an_existing_out_file_is_kept_unless_force(
    shared_media: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--out overwrote any file silently; like `record`, it now keeps it unless --force."""
    out = tmp_path / "annotated.png"
    out.write_bytes(b"a file the user keeps")
    args = ["assess", str(shared_media / UPRIGHT), "--out", str(out)]
    assert cli.main(args) == 2
    captured = capsys.readouterr()
    assert f"{out} already exists" in captured.err and "--force" in captured.err
    assert captured.out == ""  # refused before the photo was measured
    assert out.read_bytes() == b"a file the user keeps"
    assert cli.main([*args, "--force"]) == 0
    import cv2

    assert cv2.imread(str(out)) is not None


def test_json_with_out_keeps_stdout_one_json_document(
    shared_media: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`assess --json --out F` printed "wrote annotated photo F" after the JSON, so
    `| jq` or json.loads of the output failed."""
    import json

    out = tmp_path / "annotated.png"
    assert cli.main(["assess", str(shared_media / HUNCHED), "--json", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["forward_head"] is True
    assert f"wrote annotated photo {out}" in captured.err and out.is_file()


@pytest.mark.parametrize("name", ["out.gif", "missing-folder/out.png"])
def test_an_out_that_cannot_be_written_is_refused_before_measuring(
    name: str, shared_media: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The mistake used to be named only after the results were printed, as if the
    assessment had failed."""
    assert cli.main(["assess", str(shared_media / UPRIGHT), "--out", str(tmp_path / name)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def _out_refused(photo: Path, out: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    assert cli.main(["assess", str(photo), "--out", str(out), *extra]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    return captured.err


def test_a_folder_or_a_link_loop_as_out_is_refused_before_measuring(
    grace_hopper: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder given as --out was called a file that "already exists; add --force", and
    with --force the photo was measured, the results printed, then "cannot write: Is a
    directory"; a link loop too was named only after the results. (The portrait is
    frontal: measured, it is refused as one, which would be the message here.)"""
    folder = tmp_path / "annotated.png"
    folder.mkdir()
    for extra in ([], ["--force"]):
        err = _out_refused(grace_hopper, folder, capsys, *extra)
        assert f"--out {folder} is a folder" in err
    assert list(folder.iterdir()) == []
    loop = tmp_path / "loop.png"
    loop.symlink_to(loop.name)
    err = _out_refused(grace_hopper, loop, capsys, "--force")
    assert "Too many levels of symbolic links" in err


NO_OVERRIDE = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner"]


def test_an_out_in_a_folder_not_writable_is_refused_before_measuring(
    grace_hopper: Path, tmp_path: Path
) -> None:
    """Printed the results, then "cannot write ...: Permission denied". Run as a user
    (root writes anywhere: it gives up that power through setpriv, or the test skips)."""
    import os
    import subprocess

    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None or subprocess.run([*NO_OVERRIDE, "true"]).returncode:
            pytest.skip("running as root, and setpriv cannot drop root's power over file modes")
        prefix = NO_OVERRIDE
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o555)
    env = {**os.environ, "PYTHONPATH": str(Path(cli.__file__).resolve().parents[1])}
    try:
        done = subprocess.run(
            [*prefix, sys.executable, "-m", "posture_guard.cli", "assess", str(grace_hopper),
             "--out", str(shared / "me.png")],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    finally:
        shared.chmod(0o755)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (
        f"posture-guard: cannot write --out {shared / 'me.png'}: the folder {shared} is not "
        "writable\n"
    )
    assert list(shared.iterdir()) == []


_WRITE_OVER_LIMIT = """
import resource, sys
import cv2
from posture_guard.assess import Assessment, write_annotated
from posture_guard.errors import UserError

a = Assessment("left", "left", 60.0, -5.0, 0.1, (100.0, 100.0), (120.0, 220.0), (60.0, 90.0))
image = cv2.imread(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))  # a disk full after 20 kB
try:
    write_annotated(image, a, sys.argv[2])
except UserError as exc:
    print(exc)
"""


def test_an_annotated_photo_not_written_whole_is_not_left_half_written(
    grace_hopper: Path, tmp_path: Path
) -> None:
    """A disk that filled up part way left the file made so far, 0600 but holding the
    top of the user's photo, after "cannot write"; one overwritten with --force is now
    said to be left incomplete. (A file size limit stands in for the full disk; Python
    ignores its signal, so the write fails with "File too large".)"""
    import os
    import subprocess

    env = {**os.environ, "PYTHONPATH": str(Path(cli.__file__).resolve().parents[1])}

    def write(out: Path) -> str:
        done = subprocess.run(
            [sys.executable, "-c", _WRITE_OVER_LIMIT, str(grace_hopper), str(out)],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    out = tmp_path / "annotated.png"
    assert write(out) == f"cannot write {out}: File too large\n"
    assert list(tmp_path.iterdir()) == []
    kept = tmp_path / "kept.png"
    kept.write_bytes(b"an earlier annotated photo")
    assert write(kept) == f"cannot write {kept}: File too large; {kept} is left incomplete\n"


def test_frontal_photo_gets_a_clear_message(
    grace_hopper: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(UserError, match="frontal photo.*needs a side view"):
        assess_photo(grace_hopper)
    assert cli.main(["assess", str(grace_hopper)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "side view" in err


def test_the_message_is_the_only_line_on_stderr_from_the_process(
    grace_hopper: Path, tmp_path: Path
) -> None:
    """MediaPipe's C++ side wrote its INFO/WARNING chatter (TensorFlow Lite's delegate,
    absl's log notice, calculator warnings) straight to file descriptor 2 on the first
    frame, around the one line that names what is wrong; capsys never sees those."""
    import os
    import subprocess

    from posture_guard import pose

    env = {**os.environ, "POSTURE_GUARD_HOME": str(tmp_path / "home")}
    env["PYTHONPATH"] = str(Path(pose.__file__).resolve().parents[1])  # the code under test
    done = subprocess.run([sys.executable, "-m", "posture_guard.cli", "assess", str(grace_hopper)],
                          env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("posture-guard: this looks like a frontal photo")
    assert done.stderr.count("\n") == 1, done.stderr


@pytest.mark.skipif(
    sys.platform != "linux" or sys.getfilesystemencoding() != "utf-8",
    reason="file names of bytes that are not UTF-8 (Linux)",
)
def test_a_photo_whose_name_is_not_utf8_is_read(grace_hopper: Path, tmp_path: Path) -> None:
    """A photo named in Latin-1 ("gr\xe2ce.jpg", from an old camera or a USB stick):
    OpenCV takes names as UTF-8, and assess of it died of a segmentation fault, no
    message, as replay did before. (Run as a process of its own: the crash took the
    caller with it.) The portrait is frontal: being told so is its having been read."""
    import os
    import subprocess

    from posture_guard import pose

    photo = tmp_path / os.fsdecode(b"gr\xe2ce.jpg")
    shutil.copyfile(grace_hopper, photo)
    env = {**os.environ, "POSTURE_GUARD_HOME": str(tmp_path / "home")}
    env["PYTHONPATH"] = str(Path(pose.__file__).resolve().parents[1])  # the code under test
    done = subprocess.run([sys.executable, "-m", "posture_guard", "assess", str(photo)],
                          env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("posture-guard: this looks like a frontal photo")


def test_unreadable_or_missing_photo_is_a_user_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "x.jpg"
    junk.write_bytes(b"not an image")
    assert cli.main(["assess", str(junk)]) == 2
    assert "not an image" in capsys.readouterr().err
    assert cli.main(["assess", str(tmp_path / "missing.jpg")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_a_folder_given_as_the_photo_is_called_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It used to say "photo img does not exist" of a folder that plainly does."""
    folder = tmp_path / "img"
    folder.mkdir()
    assert cli.main(["assess", str(folder)]) == 2
    err = capsys.readouterr().err
    assert f"photo {folder} is a folder" in err and "does not exist" not in err


def test_a_device_a_pipe_or_a_link_loop_given_as_the_photo_is_called_what_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each was said not to exist ("photo /dev/null does not exist")."""
    pipe = tmp_path / "pipe.jpg"
    os.mkfifo(pipe)
    loop = tmp_path / "loop.jpg"
    loop.symlink_to(loop)
    for photo, said in (
        ("/dev/null", "is a device or a pipe, not a file; give the photo's file name"),
        (str(pipe), "is a device or a pipe, not a file; give the photo's file name"),
        (str(loop), "is a link that leads back to itself (a link loop); give the photo's file"),
    ):
        assert cli.main(["assess", photo]) == 2
        assert capsys.readouterr().err == f"posture-guard: photo {photo} {said}\n"


# --------------------------------------------------------------------------- pure geometry
def _profile(facing: str, forward_px: float, up_px: float, w: int = 1000, h: int = 1000):
    """Landmarks of a synthetic profile: near side toward the camera, far side behind."""
    lm = np.zeros((33, 4))
    lm[:, 3] = 1.0
    sign = 1 if facing == "right" else -1
    near = ("right", RIGHT_EAR, RIGHT_SHOULDER, RIGHT_EYE_OUTER)
    far = ("left", LEFT_EAR, LEFT_SHOULDER, LEFT_EYE_OUTER)
    if facing == "left":  # facing image-left shows the left side
        near, far = far, near
    sx, sy = 500, 600
    for (_, ear, sh, eye), z in ((near, -0.3), (far, 0.3)):
        lm[sh] = [sx / w, sy / h, z, 1]
        lm[ear] = [(sx + sign * forward_px) / w, (sy - up_px) / h, z, 1]
        lm[eye] = [(sx + sign * (forward_px + 40)) / w, (sy - up_px - 10) / h, z, 1]
    lm[NOSE] = [(sx + sign * (forward_px + 60)) / w, (sy - up_px + 5) / h, -0.4, 1]
    return lm


@pytest.mark.parametrize("facing", ["left", "right"])
def test_angle_and_tilt_geometry(facing: str) -> None:
    a = assess_landmarks(_profile(facing, 30, 40), 1000, 1000)
    assert a.angle == pytest.approx(math.degrees(math.atan2(40, 30)))
    assert a.head_tilt == pytest.approx(math.degrees(math.atan2(10, 40)))
    assert a.facing == facing and a.side == facing
    behind = assess_landmarks(_profile(facing, -20, 80), 1000, 1000)
    assert behind.angle == pytest.approx(180 - math.degrees(math.atan2(80, 20)))


@pytest.mark.parametrize("facing", ["left", "right"])
def test_an_ear_further_behind_the_shoulder_than_above_it_is_a_photo_on_its_side(
    facing: str,
) -> None:
    # 45 deg past the vertical is the line: a head bent back beyond it is no one sitting
    assert assess_landmarks(_profile(facing, -39, 40), 1000, 1000).angle > 134
    with pytest.raises(UserError, match=r"\(146 deg from the horizontal.*on its side\?"):
        assess_landmarks(_profile(facing, -60, 40), 1000, 1000)


def test_pixel_aspect_is_respected() -> None:
    # same normalized coordinates in a 2:1 frame: x distances double, so the angle drops
    lm = _profile("right", 30, 40)
    a = assess_landmarks(lm, 2000, 1000)
    assert a.angle == pytest.approx(math.degrees(math.atan2(40, 60)))
