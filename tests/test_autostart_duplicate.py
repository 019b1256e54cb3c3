"""One login entry where systemd is: the unit, not an XDG autostart entry beside it.

Why: a desktop with systemd starts both the user unit and the entries in
``~/.config/autostart``. An XDG entry an older version's `enable` wrote (or one written
where systemd was absent) stayed beside the unit `enable` writes, so two monitors were
started at each login, the second refused by the first's lock (exit status 2: when the
unit's monitor came second, the unit was left failed and never restarted). `enable` now
removes such an entry of its own making, never one it did not write, and `status` and
`disable` name any that is left.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from posture_guard import autostart, cli
from tests.test_autostart import FAKE_SYSTEMCTL

#: an entry of the user's own, not as `enable` writes it
USERS = (
    "[Desktop Entry]\nType=Application\nName=My posture monitor\n"
    "Exec=posture-guard run -v\nX-GNOME-Autostart-enabled=true\n"
)
#: another program's entry, which is none of posture_guard's business
OTHER = "[Desktop Entry]\nType=Application\nName=Notes\nExec=notes --hidden\n"


@pytest.fixture
def desktop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HOME of this test's own on a Linux desktop with systemd, whose user manager (a
    systemctl on PATH, as none runs on a test machine) says graphical-session.target is
    $TARGET_STATE; the XDG autostart folder is returned."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "systemctl"
    fake.write_text(FAKE_SYSTEMCTL, encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("SYSTEMCTL_LOG", str(tmp_path / "systemctl.log"))
    monkeypatch.setenv("TARGET_STATE", "active")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setattr(autostart, "has_systemd", lambda: True)
    return tmp_path / "home" / ".config" / "autostart"


def _earlier_xdg_entry(monkeypatch: pytest.MonkeyPatch, drop_wait: bool = False) -> Path:
    """The XDG entry `enable` writes where systemd is absent (``drop_wait``: as a version
    before `run --wait-for-camera` wrote it), written by `enable` itself."""
    monkeypatch.setattr(autostart, "has_systemd", lambda: False)
    assert cli.main(["autostart", "enable", "--no-manager", "--camera", "1"]) == 0
    path = autostart.current_entry(camera=1).path
    if drop_wait:
        path.write_text(path.read_text().replace(" --wait-for-camera", ""), encoding="utf-8")
    monkeypatch.setattr(autostart, "has_systemd", lambda: True)
    return path


@pytest.mark.parametrize("drop_wait", [False, True])
def test_enable_with_systemd_removes_the_xdg_entry_it_wrote_and_keeps_the_users(
    desktop: Path, monkeypatch: pytest.MonkeyPatch, capsys, drop_wait: bool
) -> None:
    ours = _earlier_xdg_entry(monkeypatch, drop_wait)
    users, other = desktop / "my-posture.desktop", desktop / "notes.desktop"
    users.write_text(USERS, encoding="utf-8")
    other.write_text(OTHER, encoding="utf-8")
    capsys.readouterr()

    # before: no unit, yet the XDG entries start the monitor at login
    assert cli.main(["autostart", "status"]) == 0
    said = capsys.readouterr().out.splitlines()
    assert said[0].startswith("autostart: off (would be ")
    assert (
        f"note: {ours}, an XDG autostart entry, starts the monitor at login all the same; "
        "`posture-guard autostart disable` removes it"
    ) in said
    assert any(line.startswith(f"note: {users}, an XDG autostart entry") for line in said)
    assert not any("notes.desktop" in line for line in said)

    assert cli.main(["autostart", "enable", "--camera", "1"]) == 0
    said = capsys.readouterr().out.splitlines()
    unit = autostart.current_entry(camera=1)
    assert unit.kind == "systemd" and unit.path.read_text(encoding="utf-8") == unit.content
    assert not ours.exists()  # exactly one of posture_guard's own making: the unit
    assert (
        f"removed {ours}, the XDG autostart entry an earlier `enable` wrote (with the unit "
        "it started a second monitor at login, which the first refused)"
    ) in said
    # never a file it did not write
    assert users.read_text(encoding="utf-8") == USERS
    assert other.read_text(encoding="utf-8") == OTHER
    assert (
        f"note: {users}, an XDG autostart entry not as `enable` writes it, starts the "
        "monitor at login too: with the unit two are started, and the second is refused; "
        "it is left in place for you to remove"
    ) in said

    # status names the duplicate left
    assert cli.main(["autostart", "status"]) == 0
    said = capsys.readouterr().out.splitlines()
    assert said[0] == f"autostart: on (systemd): {unit.path} (profile 'default', camera 1)"
    assert (
        f"note: {users}, an XDG autostart entry, starts the monitor at login too: with the "
        "unit two are started, and the second is refused; it is not as `enable` writes "
        "it: remove it by hand"
    ) in said
    users.unlink()
    assert cli.main(["autostart", "status"]) == 0
    assert not any("XDG" in line for line in capsys.readouterr().out.splitlines())


def test_an_xdg_entry_edited_by_hand_or_turned_off_is_not_removed(
    desktop: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    ours = _earlier_xdg_entry(monkeypatch)
    edited = ours.read_text().replace(" posture_guard.cli ", " posture_guard.cli -v ", 1)
    ours.write_text(edited, encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["autostart", "enable", "--camera", "1"]) == 0
    said = capsys.readouterr().out
    assert ours.read_text(encoding="utf-8") == edited
    assert f"note: {ours}, an XDG autostart entry not as `enable` writes it" in said
    # turned off by the desktop's startup settings: it starts nothing, nothing is said
    ours.write_text(edited + "Hidden=true\n", encoding="utf-8")
    assert cli.main(["autostart", "status"]) == 0
    assert "XDG" not in capsys.readouterr().out
    assert ours.exists()


def test_disable_removes_the_xdg_entry_enable_wrote_too(
    desktop: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    # a unit enabled, and an XDG entry an earlier enable wrote put back (a restored home)
    assert cli.main(["autostart", "enable", "--no-manager", "--camera", "1"]) == 0
    ours = _earlier_xdg_entry(monkeypatch)
    capsys.readouterr()
    assert cli.main(["autostart", "disable", "--no-manager"]) == 0
    said = capsys.readouterr().out.splitlines()
    assert said[0].startswith("autostart disabled: removed ") and not ours.exists()
    assert said[1].startswith(f"removed {ours}, the XDG autostart entry an earlier `enable`")


def test_where_the_graphical_session_target_is_inactive_the_xdg_entry_is_kept(
    desktop: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    # Xfce, MATE, i3: the unit does not start there, the XDG entry does: it is the one
    ours = _earlier_xdg_entry(monkeypatch)
    monkeypatch.setenv("TARGET_STATE", "inactive")
    capsys.readouterr()
    assert cli.main(["autostart", "enable", "--camera", "1"]) == 0
    said = capsys.readouterr().out
    assert ours.exists()
    assert (
        f"note: {ours} is kept: in this session (graphical-session.target inactive) it, "
        "not the unit, starts the monitor at login"
    ) in said
    assert cli.main(["autostart", "status"]) == 0
    assert "two are started" not in capsys.readouterr().out
