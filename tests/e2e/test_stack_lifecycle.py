"""The running stack: Rasa's API is closed without its token, and SIGTERM to
`python -m server.stack` (what systemd, Docker and Kubernetes send) leaves no process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from server.core.config import Settings
from tests.conftest import TEST_PORTS


def test_rasa_api_refuses_a_request_without_its_token(stack: Any) -> None:
    tracker = f"http://127.0.0.1:{TEST_PORTS['rasa']}/conversations/web-anyone/tracker"
    assert httpx.get(tracker, timeout=10).status_code == 401
    assert httpx.get(tracker, params={"token": "guess"}, timeout=10).status_code == 401
    token = stack.settings.rasa_api_token
    assert httpx.get(tracker, params={"token": token}, timeout=10).status_code == 200


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().split(")")[-1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_sigterm_stops_the_whole_stack(tmp_path: Path, stack: Any) -> None:
    """`stack` only makes sure the models exist; this starts a second stack of its own."""
    base = int(os.environ.get("TEST_PORT_BASE", "15000")) + 200
    root = Path(__file__).resolve().parents[2]
    args = [
        sys.executable, "-m", "server.stack", "--no-chat", "--rasa-port", str(base + 1),
        "--actions-port", str(base + 2), "--gateway-port", str(base + 3),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(root), "VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    process = subprocess.Popen(args, cwd=root, env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                health = httpx.get(f"http://127.0.0.1:{base + 3}/api/health", timeout=5)
                if health.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, "the stack exited while starting"
            time.sleep(1)
        children = _children(process.pid)
        assert len(children) == 3
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        assert time.monotonic() - started < 15
        assert [pid for pid in children if _alive(pid)] == []
    finally:
        if process.poll() is None:
            process.kill()
        for pid in _children(process.pid):
            os.kill(pid, signal.SIGKILL)
    assert Settings(var_dir=tmp_path).tracker_db.exists()
