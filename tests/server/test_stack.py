"""The stack's children die with it, even when it cannot clean up (SIGKILL), and a stop
takes them down in the order requests flow, each drained first, within the time limit."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from server import stack
from server.stack import STOP_ORDER, Stack

PARENT = """
import subprocess, sys, time
from server.stack import _die_with_parent
child = subprocess.Popen(["sleep", "60"], preexec_fn=_die_with_parent)
print(child.pid, flush=True)
time.sleep(60)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_children_get_sigterm_when_the_stack_is_killed() -> None:
    root = Path(__file__).resolve().parents[2]
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT],
        stdout=subprocess.PIPE,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert _alive(child)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


# A stand-in for a server: on SIGTERM it notes the time, finishes its "requests" for a
# moment, notes the time again and exits; with "stubborn" it ignores SIGTERM and has a
# child of its own (as the action server's Sanic has its worker).
SERVER = """
import signal, subprocess, sys, time
log, mode = sys.argv[1], sys.argv[2]
def drain(signum, frame):
    with open(log, "a") as out:
        out.write(f"term {time.monotonic()}\\n")
    time.sleep(0.3)
    with open(log, "a") as out:
        out.write(f"exit {time.monotonic()}\\n")
    sys.exit(0)
if mode == "stubborn":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    child = subprocess.Popen(["sleep", "60"])
    print(child.pid, flush=True)
else:
    signal.signal(signal.SIGTERM, drain)
print("ready", flush=True)
time.sleep(60)
"""


def _servers(tmp_path: Path, modes: dict[str, str]) -> tuple[Stack, dict[str, Path]]:
    """A stack whose processes are stand-ins, started as the stack starts its own."""
    running = Stack(var_dir=tmp_path)
    logs = {name: tmp_path / f"{name}.times" for name in modes}
    for name, mode in modes.items():
        running._spawn(name, [sys.executable, "-c", SERVER, str(logs[name]), mode])
    deadline = time.monotonic() + 10
    for name in modes:  # every handler is in place before the test signals
        while "ready" not in (tmp_path / f"{name}.log").read_text():
            assert time.monotonic() < deadline, f"the stand-in {name} did not start"
            time.sleep(0.05)
    return running, logs


def _times(log: Path) -> dict[str, float]:
    return {
        kind: float(at)
        for kind, at in (line.split() for line in log.read_text().split("\n") if line)
    }


def test_stop_goes_the_way_requests_flow_each_after_the_last_drained(tmp_path: Path) -> None:
    running, logs = _servers(tmp_path, {"actions": "drain", "rasa": "drain", "gateway": "drain"})
    running.stop()
    times = [_times(logs[name]) for name in STOP_ORDER]
    for before, after in itertools.pairwise(times):
        assert before["exit"] < after["term"]  # SIGTERM only once the one before exited
    assert running.processes == [] and running.by_name == {}


def test_what_does_not_stop_in_time_is_killed_with_its_children(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stack, "STOP_TIMEOUT_S", 1)
    running, logs = _servers(tmp_path, {"gateway": "stubborn", "rasa": "drain"})
    grandchild = int((tmp_path / "gateway.log").read_text().split()[0])
    started = time.monotonic()
    running.stop()
    assert time.monotonic() - started < 2
    deadline = time.monotonic() + 5
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(grandchild)
    assert "term" in _times(logs["rasa"])  # still stopped after the killed one
