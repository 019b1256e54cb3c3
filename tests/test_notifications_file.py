"""notifications.json, the record of the prompts shown with buttons, written by more than
one process: the monitor marks a prompt answered or closed while a `replay --notify`
beside it records the prompts it shows. Each write reads the file, changes it and writes
it whole, so two at once kept only one of their marks; a closed mark lost left the prompt
for a later start to close again, an answered one named a check-in answered as not."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from posture_guard import paths
from posture_guard.notify import SHOWN_NAME

ROUNDS = 200

#: marks every record one field at a time, each mark a write of its own, once told to go
_MARKER = """
import sys, time
from pathlib import Path
from posture_guard import notify
field, go = sys.argv[1], Path(sys.argv[2])
while not go.exists():
    time.sleep(0.001)
for nid in range(1, {rounds} + 1):
    notify._note_shown(nid, **{{field: True}})
"""


def test_two_processes_marking_prompts_at_once_lose_no_mark(pg_home: Path, tmp_path: Path) -> None:
    shown = paths.state_dir() / SHOWN_NAME
    shown.parent.mkdir(parents=True, exist_ok=True)
    records = [
        {"nid": n, "prompt": n, "live": True, "kind": "posture"} for n in range(1, ROUNDS + 1)
    ]
    shown.write_text(json.dumps(records), encoding="utf-8")
    go = tmp_path / "go"
    env = dict(os.environ, POSTURE_GUARD_HOME=str(pg_home))
    code = _MARKER.format(rounds=ROUNDS)
    procs = [
        subprocess.Popen([sys.executable, "-c", code, field, str(go)], env=env)
        for field in ("answered", "closed")
    ]
    time.sleep(1.0)  # both imported and waiting
    go.touch()
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    marked = json.loads(shown.read_text(encoding="utf-8"))
    assert len(marked) == ROUNDS
    lost = [r["nid"] for r in marked if not (r.get("answered") and r.get("closed"))]
    assert lost == [], f"{len(lost)} of {ROUNDS} prompts lost a mark"
