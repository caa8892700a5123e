"""A stand-in for the provincial one-stop system on loopback, speaking the JSON contract of
:mod:`server.dossiers.http`, recording every request; it can also misbehave.

    fake = FakeOneStop([dossier]).start()     # DOSSIER_API_URL = fake.url
    fake.mode = "error"                       # every request gets HTTP 500 from now on
    fake.stop()                               # its port is closed: connections are refused
    fake.start()                              # back, on the same port

Modes: ``ok``; ``slow`` (answers after ``slow_s``, normally past the client's timeout);
``error`` (500); ``bad_json``; ``not_a_dossier`` (JSON of another shape); ``other_dossier``
(a dossier with another code). ``fail_first`` answers 503 to that many requests first.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from server.dossiers.models import Dossier

BASE_PATH = "/api/v1"


class FakeOneStop:
    def __init__(self, dossiers: Iterable[Dossier] = (), port: int = 0, slow_s: float = 1.0):
        self.port = port
        self.mode = "ok"  # ok | slow | error | bad_json | not_a_dossier | other_dossier
        self.slow_s = slow_s
        self.fail_first = 0
        self.requests: list[tuple[str, str, dict[str, str], Any]] = []
        self.dossiers = {d.code: d.model_dump(mode="json") for d in dossiers}
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{BASE_PATH}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> FakeOneStop:
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def answer(
        self, method: str, path: str, headers: dict[str, str], payload: Any
    ) -> tuple[int, bytes]:
        """The status and body for one request, as the mode says."""
        with self.lock:
            self.requests.append((method, path, headers, payload))
            failing = self.fail_first > 0
            self.fail_first -= int(failing)
        if failing:
            return 503, b'{"error": "busy"}'
        if self.mode == "slow":
            time.sleep(self.slow_s)
        if self.mode == "error":
            return 500, b"Internal Server Error"
        if self.mode == "bad_json":
            return 200, b'{"code": "H10.22-260310-9001", "step": '
        if self.mode == "not_a_dossier":
            return 200, b'{"status": "ok", "data": []}'
        code = path.rsplit("/", 1)[-1]
        with self.lock:
            record = self.dossiers.get(code)
            if record is None:
                return 404, b'{"error": "not found"}'
            if payload is not None:
                record = {
                    **record,
                    "step": payload["step"],
                    "step_note": payload["note"],
                    "history": [*record["history"], payload],
                }
                self.dossiers[code] = record
        if self.mode == "other_dossier":
            record = {**record, "code": "H10.22-260310-0001"}
        return 200, json.dumps(record).encode()


def _handler(fake: FakeOneStop) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

        def _reply(self, payload: Any) -> None:
            status, body = fake.answer(self.command, self.path, dict(self.headers), payload)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout)

        def do_GET(self) -> None:
            self._reply(None)

        def do_PATCH(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            self._reply(json.loads(self.rfile.read(length)))

    return Handler
