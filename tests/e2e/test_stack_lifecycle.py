"""The running stack: Rasa's API is closed without its token, and SIGTERM to
`python -m server.stack` (what systemd, Docker and Kubernetes send) answers the turn in
flight and leaves no process, within the time Docker and Kubernetes wait."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx

from server.core.config import Settings
from server.dossiers.models import today_vn
from server.dossiers.seed import demo_dossiers
from server.stack import STOP_TIMEOUT_S
from tests.conftest import TEST_PORTS
from tests.e2e.chat import say, session, text_of
from tests.fakes.one_stop import FakeOneStop


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
    """`stack` only makes sure the models exist; this starts a second stack of its own.
    A chat turn is in flight when SIGTERM arrives (a dossier lookup the slow one-stop
    system holds for 2 s): it is answered, then the three processes stop, in time."""
    base = int(os.environ.get("TEST_PORT_BASE", "15000")) + 200
    dossier = demo_dossiers(today_vn())[0]
    one_stop = FakeOneStop([dossier], port=base + 4, slow_s=2).start()
    root = Path(__file__).resolve().parents[2]
    args = [
        sys.executable, "-m", "server.stack", "--no-chat", "--rasa-port", str(base + 1),
        "--actions-port", str(base + 2), "--gateway-port", str(base + 3),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(root), "VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    # Lexical retrieval (no embedding model to load) and the fake one-stop system.
    env.update(EMBEDDING_MODEL="", DOSSIER_BACKEND="http", DOSSIER_API_URL=one_stop.url)
    process = subprocess.Popen(args, cwd=root, env=env, stdout=subprocess.DEVNULL)
    gateway = SimpleNamespace(gateway_url=f"http://127.0.0.1:{base + 3}")
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                health = httpx.get(f"{gateway.gateway_url}/api/health", timeout=5)
                if health.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, "the stack exited while starting"
            time.sleep(1)
        children = _children(process.pid)
        assert len(children) == 3
        # A first lookup loads what lookups need; the one in flight then takes its 2 s.
        for sender, text in [("first", "tra cứu hồ sơ"), ("first", dossier.code),
                             ("first", dossier.phone_last4), ("in-flight", "tra cứu hồ sơ"),
                             ("in-flight", dossier.code)]:  # fmt: skip
            say(gateway, sender, text)
        one_stop.mode = "slow"
        with ThreadPoolExecutor(1) as pool:
            reply = pool.submit(
                httpx.post,
                f"{gateway.gateway_url}/api/web/messages",
                json={"text": dossier.phone_last4},
                headers=session(gateway, "in-flight"),
                timeout=30,
            )
            time.sleep(1)
            assert not reply.done(), "the turn ended before the signal: nothing was in flight"
            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
            answered = reply.result(timeout=30)
        process.wait(timeout=30)
        assert time.monotonic() - started < STOP_TIMEOUT_S
        assert answered.status_code == 200, answered.text
        assert f"hồ sơ {dossier.code} (người nộp:" in text_of(answered.json()["messages"])
        assert [pid for pid in children if _alive(pid)] == []
    finally:
        one_stop.stop()
        if process.poll() is None:
            process.kill()
        for pid in _children(process.pid):
            os.kill(pid, signal.SIGKILL)
    assert Settings(var_dir=tmp_path).tracker_db.exists()
