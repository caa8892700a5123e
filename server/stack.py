"""Starts the whole assistant on this machine: action server, Rasa, gateway.

``python -m server.stack`` is what ``make run`` calls: it starts the three processes on
loopback, waits until each answers, then opens the terminal chat (or, without a terminal,
keeps serving until interrupted). The end-to-end tests start the same stack on other ports.
SIGTERM (what systemd, Docker and Kubernetes send) and Ctrl+C stop all three in the order
requests flow (gateway, Rasa, action server), each draining its requests in flight first,
all within 10 s; if this process dies without cleaning up, the kernel sends the children
SIGTERM too.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, TracebackType
from typing import NoReturn

import httpx

from server.core.config import ROOT, Settings, get_settings
from server.dossiers.seed import seed_for

RASA_BIN = ROOT / ".venv-rasa" / "bin" / "rasa"
_PR_SET_PDEATHSIG = 1
# After SIGTERM each process finishes its requests in flight for at most DRAIN_S, then
# exits; the stack stops all three within STOP_TIMEOUT_S, and kills what is left then.
DRAIN_S = 5
STOP_TIMEOUT_S = 10
# Who calls whom: stopping in this order lets a turn in flight reach the processes after.
STOP_ORDER = ("gateway", "rasa", "actions")


def _die_with_parent() -> None:
    """Runs in each child before it starts: SIGTERM it when the stack process dies."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Ports:
    rasa: int = 5005
    actions: int = 5055
    gateway: int = 8000


@dataclass
class Stack:
    ports: Ports = field(default_factory=Ports)
    var_dir: Path | None = None  # None: the VAR_DIR setting
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    by_name: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.var_dir = self.var_dir or get_settings().var_dir
        # The settings the children will read: this environment and the stack's overrides.
        given = {key.lower(): value for key, value in self._base_env().items()}
        self.settings = Settings.model_validate(
            {k: v for k, v in given.items() if k in Settings.model_fields}
        )

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.gateway}"

    def _base_env(self) -> dict[str, str]:
        assert self.var_dir is not None
        env = dict(os.environ)
        env.update(
            PYTHONPATH=str(ROOT),
            SANIC_HOST="127.0.0.1",
            VAR_DIR=str(self.var_dir),
            RASA_URL=f"http://127.0.0.1:{self.ports.rasa}",
            ACTION_SERVER_URL=f"http://127.0.0.1:{self.ports.actions}",
            # Rasa's Sanic and the action server's read it (uvicorn gets a flag).
            SANIC_GRACEFUL_SHUTDOWN_TIMEOUT=str(DRAIN_S),
            TF_CPP_MIN_LOG_LEVEL="3",
            RASA_TELEMETRY_ENABLED="false",
            HF_HUB_OFFLINE="1",
        )
        env.update(self.extra_env)
        return env

    def env(self) -> dict[str, str]:
        """The children's environment: this one, with the stack's ports and folder."""
        # Rasa reads its tracker database from endpoints.yml, not from the settings.
        return {**self._base_env(), "RASA_TRACKER_DB": str(self.settings.tracker_db)}

    def _spawn(self, name: str, args: list[str]) -> None:
        assert self.var_dir is not None
        self.var_dir.mkdir(parents=True, exist_ok=True)
        log = (self.var_dir / f"{name}.log").open("wb")
        # A process group of its own: Ctrl+C reaches only this process, which stops the
        # children in order; and a child's own children (the action server's worker) are
        # killed with it if it must be killed.
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=self.env(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
            process_group=0,
        )
        self.processes.append(process)
        self.by_name[name] = process

    def start(self, timeout_s: float = 240) -> None:
        self.launch()
        self.wait_ready(timeout_s)

    def launch(self) -> None:
        """Starts the three processes without waiting for them: a scaled-out test starts
        several stacks (replicas) at once, then waits for all."""
        model = self.settings.rasa_model
        if not model.exists():
            raise SystemExit(f"No trained model at {model}: run `make model` first.")
        self.settings.secret  # noqa: B018 - creates the development key before the children race
        seed_for(self.settings)  # demo dossiers for the status lookup; only into an empty table
        p = self.ports
        busy = [port for port in (p.rasa, p.actions, p.gateway) if _in_use(port)]
        if busy:  # another stack would answer the health check and the tests in our place
            raise RuntimeError(f"ports already in use: {busy}; stop the other stack first")
        self._spawn("actions", [sys.executable, "-m", "rasa_sdk", "--actions", "actions",
                                "--port", str(p.actions)])  # fmt: skip
        # Rasa's HTTP API (trackers, events) answers only with its token.
        self._spawn("rasa", [str(RASA_BIN), "run", "--model", str(model), "--enable-api",
                             "--auth-token", self.settings.rasa_api_token,
                             "--interface", "127.0.0.1", "--port", str(p.rasa),
                             "--endpoints", str(self.settings.rasa_endpoints),
                             "--credentials", "bot/credentials.yml"])  # fmt: skip
        self._spawn("gateway", [sys.executable, "-m", "uvicorn", "server.main:app",
                                "--host", "127.0.0.1", "--port", str(p.gateway),
                                "--timeout-graceful-shutdown", str(DRAIN_S)])  # fmt: skip

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for proc in self.processes:
                if proc.poll() is not None:
                    self.stop()
                    raise RuntimeError(f"a process exited early; see logs in {self.var_dir}")
            if self._answering():
                self._warm_up()
                return
            time.sleep(1)
        self.stop()
        raise RuntimeError(f"stack not ready after {timeout_s:.0f}s; see logs in {self.var_dir}")

    def _answering(self) -> bool:
        """The gateway's health check passes, and this stack's Rasa and action server
        answer on their own ports (behind a load balancer, the gateway's health check may
        be answered by another replica's)."""
        p = self.ports
        urls = [f"{self.gateway_url}/api/health", f"http://127.0.0.1:{p.rasa}/",
                f"http://127.0.0.1:{p.actions}/health"]  # fmt: skip
        try:
            return all(httpx.get(url, timeout=5).status_code == 200 for url in urls)
        except httpx.HTTPError:
            return False

    def _warm_up(self) -> None:
        """Loads the retrieval models in the gateway and the action server before anyone
        asks: the first search otherwise pays for loading and embedding the catalogue."""
        question = "bằng tốt nghiệp"
        httpx.get(f"{self.gateway_url}/api/procedures/search", params={"q": question}, timeout=180)
        httpx.post(
            f"http://127.0.0.1:{self.ports.rasa}/webhooks/gateway/webhook",
            json={"sender": "__warmup__", "message": question},
            timeout=180,
        )

    def respawn(self, name: str) -> None:
        """Starts the process ``name`` (one of STOP_ORDER) again, as it was started, after
        it stopped; :meth:`wait_ready` then waits for it. For the fault tests."""
        old = self.by_name[name]
        if old.poll() is None:
            raise RuntimeError(f"{name} is still running")
        assert isinstance(old.args, list)  # as _spawn was given it
        self.processes.remove(old)
        self._spawn(name, [str(arg) for arg in old.args])

    def stop(self) -> None:
        """SIGTERM to each process in STOP_ORDER once the one before it has exited, so a
        turn in flight still finds Rasa and the action server; killed at the deadline."""
        ordered = [self.by_name[name] for name in STOP_ORDER if name in self.by_name]
        ordered += [proc for proc in self.processes if proc not in ordered]
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for proc in ordered:
            _stop(proc, deadline)
        self.processes.clear()
        self.by_name.clear()

    def __enter__(self) -> Stack:
        try:
            self.start()
        except BaseException:  # SIGTERM or Ctrl+C while starting: stop what started
            self.stop()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        self.stop()


def _stop(proc: subprocess.Popen[bytes], deadline: float) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # its group: its own children as well
        proc.wait()


def _interrupt(signum: int, frame: FrameType | None) -> NoReturn:
    """SIGTERM unwinds like Ctrl+C, so the `with Stack()` block stops the children."""
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-chat", action="store_true", help="serve only, no terminal chat")
    defaults = Ports()
    parser.add_argument("--rasa-port", type=int, default=defaults.rasa)
    parser.add_argument("--actions-port", type=int, default=defaults.actions)
    parser.add_argument("--gateway-port", type=int, default=defaults.gateway)
    args = parser.parse_args()
    ports = Ports(rasa=args.rasa_port, actions=args.actions_port, gateway=args.gateway_port)
    from server.cli_chat import chat_loop

    signal.signal(signal.SIGTERM, _interrupt)
    try:
        with Stack(ports=ports) as stack:
            print(f"Sẵn sàng. Trò chuyện trên web: {stack.gateway_url}/  (Ctrl+C để dừng)")
            print(
                f"Trang cho cán bộ: {stack.gateway_url}/staff/ "
                "(tài khoản quản trị đầu tiên: make admin USERNAME=...)"
            )
            if args.no_chat or not sys.stdin.isatty():
                while True:
                    time.sleep(3600)
            chat_loop(stack.gateway_url)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
