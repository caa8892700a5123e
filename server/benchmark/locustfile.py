"""The simulated citizen of `make bench-load`, run by Locust in its own process.

Each user opens a web session as the widget does, holds one scripted conversation turn by
turn with no pause (closed loop: the measure is how much the stack serves), then starts
another. A turn is one ``POST /api/web/messages``; it fails on any status but 200, or on an
empty answer outside a hand-off; a session refused counts as an error too. Every turn's
latency is written to ``BENCH_OUT`` when the run stops, so the percentiles are exact rather
than Locust's rounded ones. The run is bounded by Locust's ``--run-time`` and by
``BENCH_MAX_TURNS``. Users are Locust's geventhttpclient ones: they cost a fraction of the
CPU of the requests-based ones, on the stack's own cores.

Only the standard library and Locust are imported here: the file runs under gevent.
"""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path
from typing import Any

from locust import FastHttpUser, constant, events, task

SCRIPTS: list[dict[str, Any]] = json.loads(Path(os.environ["BENCH_SCRIPTS"]).read_text())["scripts"]
MAX_TURNS = int(os.environ.get("BENCH_MAX_TURNS", "100000"))
latencies_ms: list[float] = []
errors: dict[str, int] = {}
started: list[float] = []


@events.test_start.add_listener
def _on_start(**_: Any) -> None:
    started.append(time.monotonic())


@events.request.add_listener
def _on_request(name: str, response_time: float, exception: BaseException | None, **_: Any) -> None:
    if name == "turn":
        latencies_ms.append(response_time)
    if exception is not None:  # a session refused is an error too, though not a turn
        key = str(exception)[:120]
        errors[key] = errors.get(key, 0) + 1


@events.quitting.add_listener
def _on_quit(**_: Any) -> None:
    elapsed = time.monotonic() - started[0] if started else 0.0
    result = {"latencies_ms": latencies_ms, "errors": errors, "elapsed_s": elapsed}
    Path(os.environ["BENCH_OUT"]).write_text(json.dumps(result))


class Citizen(FastHttpUser):
    wait_time = constant(0)

    @task
    def conversation(self) -> None:
        with self.client.post("/api/web/session", name="session", catch_response=True) as session:
            if session.status_code != 201:
                session.failure(f"HTTP {session.status_code}")
                return
        headers = {"Authorization": f"Bearer {session.json()['token']}"}
        last: list[dict[str, Any]] = []
        for turn in random.choice(SCRIPTS)["turns"]:
            body = self._body(turn, last)
            if body is None:
                continue
            if len(latencies_ms) >= MAX_TURNS:
                self.environment.runner.quit()
                return
            last = self._send(body, headers)

    @staticmethod
    def _body(turn: dict[str, Any], last: list[dict[str, Any]]) -> dict[str, Any] | None:
        if not turn["press"]:
            return {"text": turn["text"]}
        buttons = [b for m in last for b in m.get("buttons") or []]
        return {"text": buttons[0]["token"], "button": True} if buttons else None

    def _send(self, body: dict[str, Any], headers: dict[str, str]) -> list[dict[str, Any]]:
        with self.client.post(
            "/api/web/messages", json=body, headers=headers, name="turn", catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return []
            answer = response.json()
            if not answer["messages"] and not answer.get("handoff"):
                response.failure("empty answer")
            messages: list[dict[str, Any]] = answer["messages"]
            return messages
