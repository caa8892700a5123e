"""A throw-away Redis server for the tests: Debian's ``redis-server`` in the foreground,
listening on loopback only, saving nothing to disk, gone when the session ends.

It can be stopped and started again on the same port (a Redis outage in the scale-out
tests). Where Redis is not installed the tests that need it are skipped, except in CI
(``CI`` set), where `make pytest` installs it and a missing server is a failure.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import redis

BINARY = "redis-server"
START_TIMEOUT_S = 20
STOP_TIMEOUT_S = 10


def binary() -> Path | None:
    found = shutil.which(BINARY) or shutil.which(BINARY, path="/usr/bin:/usr/sbin")
    return Path(found) if found else None


class RedisServer:
    def __init__(self, port: int) -> None:
        found = binary()
        if found is None:
            raise FileNotFoundError("Redis is not installed (apt-get install redis-server)")
        self.binary = found
        self.port = port
        self.root = Path(tempfile.mkdtemp(prefix="redis-test-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Starts the server (again, after :meth:`stop`) and waits until it answers."""
        args = [
            str(self.binary), "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--daemonize", "no",
            "--dir", str(self.root), "--logfile", str(self.root / "server.log"),
        ]  # fmt: skip
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        deadline = time.monotonic() + START_TIMEOUT_S
        try:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"redis-server exited: {self._tail()}")
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
        finally:
            client.close()

    def stop(self) -> None:
        """Stops the server; its data is gone (nothing is saved)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def _tail(self) -> str:
        log = self.root / "server.log"
        return log.read_text()[-2000:] if log.exists() else ""
