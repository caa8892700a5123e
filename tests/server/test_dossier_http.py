"""The one-stop HTTP backend against a fake one-stop server on 127.0.0.1 (ephemeral port).

The fake answers normally, slowly (past the client's timeout), with HTTP 500, with bad
JSON, or with JSON that is not a dossier; every failure must become a clear apology.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from knowledge.department import load_department
from server.dossiers.http import HttpDossierStore
from server.dossiers.lookup import DossierLookup, Outcome
from server.dossiers.models import Step, StepEvent
from server.dossiers.render import unavailable_text
from server.dossiers.seed import demo_dossiers
from server.dossiers.store import DossierBackendError
from tests.fakes.one_stop import FakeOneStop

TODAY = dt.date(2026, 3, 10)
DEMO = demo_dossiers(TODAY)[1]
TIMEOUT_S = 0.3


@pytest.fixture
def fake() -> Iterator[tuple[FakeOneStop, str]]:
    state = FakeOneStop([DEMO], slow_s=TIMEOUT_S * 3).start()
    yield state, state.url
    state.stop()


def make_store(url: str, retries: int = 2, token: str = "") -> HttpDossierStore:
    return HttpDossierStore(url, timeout_s=TIMEOUT_S, retries=retries, token=token, backoff_s=0)


def test_get_reads_the_dossier(fake: tuple[FakeOneStop, str]) -> None:
    state, url = fake
    assert make_store(url, token="s3cret").get(DEMO.code) == DEMO
    method, path, headers, _ = state.requests[-1]
    assert (method, path) == ("GET", f"/api/v1/dossiers/{DEMO.code}")
    assert headers["Authorization"] == "Bearer s3cret"


def test_unknown_code_is_none(fake: tuple[FakeOneStop, str]) -> None:
    assert make_store(fake[1]).get("H10.22-260310-0042") is None


def test_update_step_patches_and_returns_the_dossier(fake: tuple[FakeOneStop, str]) -> None:
    state, url = fake
    at = dt.datetime(2026, 3, 11, 8, 0, tzinfo=dt.timezone.utc)
    moved = make_store(url).update_step(DEMO.code, Step.result_ready, "Xong", at)
    assert moved is not None and moved.step is Step.result_ready
    assert moved.history[-1] == StepEvent(step=Step.result_ready, at=at, note="Xong")
    assert state.requests[-1][3] == {"step": "result_ready", "note": "Xong", "at": at.isoformat()}
    assert make_store(url).update_step("H10.22-260310-0042", Step.processing) is None


def test_reads_are_retried_through_passing_trouble(fake: tuple[FakeOneStop, str]) -> None:
    state, url = fake
    state.fail_first = 2
    assert make_store(url, retries=2).get(DEMO.code) == DEMO
    assert len(state.requests) == 3


def test_updates_are_not_repeated_after_a_server_error(fake: tuple[FakeOneStop, str]) -> None:
    state, url = fake
    state.fail_first = 1
    with pytest.raises(DossierBackendError, match="HTTP 503"):
        make_store(url, retries=2).update_step(DEMO.code, Step.result_ready)
    assert len(state.requests) == 1


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("slow", "ReadTimeout"),
        ("error", "HTTP 500"),
        ("bad_json", "unexpected reply"),
        ("not_a_dossier", "unexpected reply"),
        ("other_dossier", "another dossier"),
    ],
)
def test_failures_raise_a_backend_error(
    fake: tuple[FakeOneStop, str], mode: str, message: str
) -> None:
    state, url = fake
    state.mode = mode
    started = time.monotonic()
    with pytest.raises(DossierBackendError, match=message):
        make_store(url, retries=1).get(DEMO.code)
    assert time.monotonic() - started < 2 * TIMEOUT_S * 3  # bounded: timeout x attempts
    expected_attempts = 2 if mode in {"slow", "error"} else 1
    assert len(state.requests) == expected_attempts


def test_unreachable_server_is_a_backend_error() -> None:
    store = make_store("http://127.0.0.1:9/api", retries=1)  # port 9 (discard): refused
    with pytest.raises(DossierBackendError, match="ConnectError"):
        store.get(DEMO.code)
    with pytest.raises(DossierBackendError, match="ConnectError"):
        store.update_step(DEMO.code, Step.processing)


class MemoryLog:
    def __init__(self) -> None:
        self.records: list[tuple[list[str], dt.datetime]] = []

    def failures_since(self, key_hash: str, since: dt.datetime) -> list[dt.datetime]:
        return [at for keys, at in self.records if key_hash in keys and at >= since]

    def record(self, key_hashes: list[str], at: dt.datetime, forget_before: dt.datetime) -> None:
        self.records.append((key_hashes, at))


@pytest.mark.parametrize("mode", ["slow", "error", "bad_json", "not_a_dossier"])
def test_a_failing_one_stop_system_gets_a_clear_apology(
    fake: tuple[FakeOneStop, str], mode: str
) -> None:
    state, url = fake
    state.mode = mode
    log = MemoryLog()
    result = DossierLookup(make_store(url, retries=1), log).lookup("web:a", DEMO.code, "2468")
    assert result.outcome is Outcome.unavailable and result.dossier is None
    assert log.records == []  # the system's fault is not the citizen's failure
    text = unavailable_text(load_department())
    assert text.startswith("Dạ, em xin lỗi, hệ thống tra cứu hồ sơ đang tạm gián đoạn")


def test_lookup_through_http_verifies_like_sql(fake: tuple[FakeOneStop, str]) -> None:
    lookup = DossierLookup(make_store(fake[1]), MemoryLog())
    assert lookup.lookup("web:a", DEMO.code.lower(), "2468").dossier == DEMO
    assert lookup.lookup("web:a", DEMO.code, "5678").outcome is Outcome.not_verified


def _listing(answer: Any, seen: list[httpx.Request], status: int = 200) -> HttpDossierStore:
    """A store whose one-stop system answers every request with ``answer`` (JSON)."""

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, json=answer)

    return HttpDossierStore(
        "http://one-stop.test/api/v1",
        retries=1,
        token="s3cret",
        backoff_s=0,
        transport=httpx.MockTransport(handle),
    )


def test_open_dossiers_asks_for_the_open_ones_and_orders_them_itself() -> None:
    demos = demo_dossiers(TODAY)
    shuffled = [demos[i].model_dump(mode="json") for i in (2, 3, 7, 5, 0, 6, 4, 1)]
    seen: list[httpx.Request] = []
    found = _listing({"dossiers": shuffled}, seen).open_dossiers(TODAY, 4)
    # 9006 is overdue; the finished 9004 and 9005 are dropped even when a proxy sends them.
    assert [d.code[-4:] for d in found] == ["9006", "9001", "9008", "9002"]
    assert found[0] == demos[5]
    (request,) = seen
    assert (request.method, request.url.path) == ("GET", "/api/v1/dossiers")
    assert dict(request.url.params) == {"status": "open", "today": "2026-03-10", "limit": "4"}
    assert request.headers["Authorization"] == "Bearer s3cret"


@pytest.mark.parametrize(
    ("answer", "status", "message", "attempts"),
    [
        ([DEMO.model_dump(mode="json")], 200, "unexpected reply", 1),  # a list, not the object
        ({"dossiers": [{"code": DEMO.code}]}, 200, "unexpected reply", 1),
        ({"error": "not found"}, 404, "HTTP 404", 1),
        ({"error": "down"}, 503, "HTTP 503", 2),  # a read: retried once
    ],
)
def test_open_dossiers_failures_are_backend_errors(
    answer: Any, status: int, message: str, attempts: int
) -> None:
    seen: list[httpx.Request] = []
    with pytest.raises(DossierBackendError, match=message):
        _listing(answer, seen, status).open_dossiers(TODAY, 10)
    assert len(seen) == attempts
