"""Starts the whole assistant on this machine: action server, Rasa, gateway.

``python -m server.stack`` is what ``make run`` calls: it starts the three processes on
loopback, waits until each answers, then opens the terminal chat (or, without a terminal,
keeps serving until interrupted). The end-to-end tests start the same stack on other ports.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx

from server.core.config import ROOT
from server.dossiers.seed import seed_for

RASA_BIN = ROOT / ".venv-rasa" / "bin" / "rasa"
# RASA_MODEL: try a model trained elsewhere (e.g. into /tmp) without replacing this one.
MODEL = Path(os.environ.get("RASA_MODEL") or ROOT / "models" / "current.tar.gz")


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
    var_dir: Path = ROOT / "var"
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.gateway}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            PYTHONPATH=str(ROOT),
            SANIC_HOST="127.0.0.1",
            RASA_URL=f"http://127.0.0.1:{self.ports.rasa}",
            ACTION_SERVER_URL=f"http://127.0.0.1:{self.ports.actions}",
            RASA_TRACKER_DB=str(self.var_dir / "tracker.db"),
            TF_CPP_MIN_LOG_LEVEL="3",
            RASA_TELEMETRY_ENABLED="false",
            HF_HUB_OFFLINE="1",
        )
        env.setdefault("DATABASE_URL", f"sqlite:///{self.var_dir / 'assistant.db'}")
        env.update(self.extra_env)
        return env

    def _spawn(self, name: str, args: list[str]) -> None:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        log = (self.var_dir / f"{name}.log").open("wb")
        self.processes.append(
            subprocess.Popen(args, cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT)
        )

    def start(self, timeout_s: float = 240) -> None:
        if not MODEL.exists():
            raise SystemExit(f"No trained model at {MODEL}: run `make model` first.")
        seed_for(self.env())  # demo dossiers for the status lookup; only into an empty table
        p = self.ports
        busy = [port for port in (p.rasa, p.actions, p.gateway) if _in_use(port)]
        if busy:  # another stack would answer the health check and the tests in our place
            raise RuntimeError(f"ports already in use: {busy}; stop the other stack first")
        self._spawn("actions", [sys.executable, "-m", "rasa_sdk", "--actions", "actions",
                                "--port", str(p.actions)])  # fmt: skip
        self._spawn("rasa", [str(RASA_BIN), "run", "--model", str(MODEL), "--enable-api",
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
            f"http://127.0.0.1:{self.ports.rasa}/webhooks/rest/webhook",
            json={"sender": "__warmup__", "message": question},
            timeout=180,
        )

    def stop(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.processes:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.processes.clear()

    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-chat", action="store_true", help="serve only, no terminal chat")
    args = parser.parse_args()
    from server.cli_chat import chat_loop

    with Stack() as stack:
        print(f"Sẵn sàng. Trò chuyện trên web: {stack.gateway_url}/  (Ctrl+C để dừng)")
        if args.no_chat or not sys.stdin.isatty():
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
        else:
            chat_loop(stack.gateway_url)


if __name__ == "__main__":
    main()
