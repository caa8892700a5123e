"""Starts the whole assistant on this machine: action server, Rasa, gateway.

``python -m server.stack`` is what ``make run`` calls: it starts the three processes on
loopback, waits until each answers, then opens the terminal chat (or, without a terminal,
keeps serving until interrupted). The end-to-end tests start the same stack on other ports.
SIGTERM (what systemd, Docker and Kubernetes send) and Ctrl+C stop all three; if this
process dies without cleaning up, the kernel sends the children SIGTERM too.
"""

from __future__ import annotations

import argparse
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
STOP_TIMEOUT_S = 10


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
        self.processes.append(
            subprocess.Popen(
                args,
                cwd=ROOT,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
        )

    def start(self, timeout_s: float = 240) -> None:
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
                             "--endpoints", "bot/endpoints.yml",
                             "--credentials", "bot/credentials.yml"])  # fmt: skip
        self._spawn("gateway", [sys.executable, "-m", "uvicorn", "server.main:app",
                                "--host", "127.0.0.1", "--port", str(p.gateway)])  # fmt: skip
        self._wait_ready(timeout_s)

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for proc in self.processes:
                if proc.poll() is not None:
                    self.stop()
                    raise RuntimeError(f"a process exited early; see logs in {self.var_dir}")
            try:
                if httpx.get(f"{self.gateway_url}/api/health", timeout=5).status_code == 200:
                    self._warm_up()
                    return
            except httpx.HTTPError:
                pass
            time.sleep(1)
        self.stop()
        raise RuntimeError(f"stack not ready after {timeout_s:.0f}s; see logs in {self.var_dir}")

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

    def stop(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.processes:
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.processes.clear()

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
