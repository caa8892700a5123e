"""Faults on the single-machine stack: a process restarted mid-conversation, the one-stop
system down, SIGTERM while a turn is in flight. The citizen always gets a clear answer in
Vietnamese (or the web API a clear status), nothing crashes, nothing is lost.

These tests stop processes, so they run their own stack (ports from TEST_PORT_BASE + 300,
its own folder), never the shared `stack` fixture; each test starts again what it stopped.
The one-stop system is a fake (tests/fakes/one_stop.py) the tests slow down, break and
close; a slow lookup is the turn kept in flight while a process gets SIGTERM. Lexical
retrieval only (no embedding model): the faults do not depend on it, and it starts faster.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from actions.dossier import ASK_CODE, ASK_VERIFICATION
from knowledge.department import load_department
from server.chat import UNAVAILABLE
from server.core.config import Settings
from server.core.privacy import mask_citizen_message
from server.dossiers.models import Dossier, today_vn
from server.dossiers.render import not_verified_text, unavailable_text
from server.dossiers.seed import demo_dossiers
from server.stack import STOP_TIMEOUT_S, Ports, Stack
from tests.conftest import _BASE
from tests.e2e.chat import say, session, text_of
from tests.fakes.one_stop import FakeOneStop

BASE = _BASE + 300
ONE_STOP_TIMEOUT_S = 3.5
IN_FLIGHT_S = 2.0  # how long the slow one-stop system holds a lookup (under the timeout)
READY_S = 180  # Rasa loads its model again after a restart
TODAY = today_vn()
DOSSIER, OTHER = demo_dossiers(TODAY)[:2]
FOUND = f"hồ sơ {DOSSIER.code} (người nộp:"
PAUSED = "việc tra cứu hồ sơ đang tạm dừng"


@pytest.fixture(scope="module")
def one_stop() -> Iterator[FakeOneStop]:
    fake = FakeOneStop([DOSSIER, OTHER], port=BASE + 4, slow_s=IN_FLIGHT_S).start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def faulty(one_stop: FakeOneStop, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not Settings().rasa_model.exists():
        pytest.skip("needs the trained model: run `make model`")
    var_dir: Path = tmp_path_factory.mktemp("faults")
    extra = {
        "DATABASE_URL": f"sqlite:///{var_dir / 'assistant.db'}",
        "EMBEDDING_MODEL": "",
        "DOSSIER_BACKEND": "http",
        "DOSSIER_API_URL": one_stop.url,
        "DOSSIER_API_TIMEOUT_S": str(ONE_STOP_TIMEOUT_S),
        "DOSSIER_API_RETRIES": "1",
        # One failed verification pauses the lookups: a lookup the one-stop system could
        # not answer, counted by mistake, would pause the next one.
        "LOOKUP_MAX_FAILURES": "1",
    }
    ports = Ports(rasa=BASE + 1, actions=BASE + 2, gateway=BASE + 3)
    running = Stack(ports=ports, var_dir=var_dir, extra_env=extra)
    running.start(timeout_s=READY_S)
    # A first lookup loads what lookups need: a lookup in flight then takes IN_FLIGHT_S.
    at_the_digits(running, "first")
    assert FOUND in text_of(say(running, "first", DOSSIER.phone_last4))
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def one_stop_up(one_stop: FakeOneStop) -> Iterator[None]:
    """Every test starts with the one-stop system answering, quickly."""
    one_stop.mode = "ok"
    yield
    one_stop.mode = "ok"
    one_stop.slow_s = IN_FLIGHT_S
    if not one_stop.running:
        one_stop.start()


def post(stack: Stack, sender: str, text: str) -> httpx.Response:
    return httpx.post(
        f"{stack.gateway_url}/api/web/messages",
        json={"text": text},
        headers=session(stack, sender),
        timeout=60,
    )


def history(stack: Stack, sender: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{stack.gateway_url}/api/web/history", headers=session(stack, sender), timeout=10
    )
    assert response.status_code == 200, response.text
    messages: list[dict[str, Any]] = response.json()["messages"]
    return messages


def at_the_digits(stack: Stack, sender: str, dossier: Dossier = DOSSIER) -> None:
    """Takes ``sender`` to the question for the 4 digits of ``dossier``."""
    assert text_of(say(stack, sender, "tra cứu hồ sơ")) == ASK_CODE
    assert text_of(say(stack, sender, dossier.code)) == ASK_VERIFICATION


def sigterm_in_flight(stack: Stack, name: str, sender: str) -> tuple[httpx.Response, float]:
    """Sends ``sender``'s digits, a lookup the slow one-stop system holds for a while, and
    SIGTERMs the process ``name`` one second in. The reply, and the seconds the process
    took to exit after the signal."""
    process = stack.by_name[name]
    with ThreadPoolExecutor(1) as pool:
        reply = pool.submit(post, stack, sender, DOSSIER.phone_last4)
        time.sleep(1)
        assert not reply.done(), "the turn ended before the signal: nothing was in flight"
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        response = reply.result(timeout=30)
    process.wait(timeout=30)
    return response, time.monotonic() - signalled


def assert_drains_on_sigterm(stack: Stack, name: str, sender: str, one_stop: FakeOneStop) -> None:
    """``sender``'s lookup, held by the slow one-stop system, is in flight when ``name``
    gets SIGTERM: it is answered, and the process exits within the stack's limit."""
    one_stop.mode = "slow"
    try:
        answered, exited_after = sigterm_in_flight(stack, name, sender)
    finally:
        one_stop.mode = "ok"
    assert answered.status_code == 200, answered.text
    assert FOUND in text_of(answered.json()["messages"])
    assert exited_after < STOP_TIMEOUT_S


def bring_back(stack: Stack, name: str) -> None:
    """Starts ``name`` again if it is not running, and waits until the stack answers."""
    if stack.by_name[name].poll() is not None:
        stack.respawn(name)  # from the main thread: the child's death signal is tied to it
        stack.wait_ready(READY_S)


def test_rasa_restarted_mid_conversation(faulty: Stack, one_stop: FakeOneStop) -> None:
    citizen, in_flight = "rasa-restart", "rasa-in-flight"
    at_the_digits(faulty, citizen)
    at_the_digits(faulty, in_flight)
    said = f"4 số cuối là {DOSSIER.phone_last4}"
    try:
        # SIGTERM while a turn is in flight: it is answered, then Rasa exits in time.
        assert_drains_on_sigterm(faulty, "rasa", in_flight, one_stop)

        # While Rasa is down: a polite 503 with Retry-After; the message stays in the log.
        down = post(faulty, citizen, said)
        assert down.status_code == 503
        assert down.json() == {"detail": UNAVAILABLE}
        assert int(down.headers["Retry-After"]) > 0
        last = history(faulty, citizen)[-1]
        assert (last["role"], last["text"]) == ("user", mask_citizen_message(said))
        health = httpx.get(f"{faulty.gateway_url}/api/health", timeout=10)
        assert health.status_code == 503 and health.json()["rasa"] is False
    finally:
        bring_back(faulty, "rasa")

    # The conversation goes on where it was: the code given before the restart is kept
    # (Rasa's tracker store), so the digits alone complete the lookup.
    assert FOUND in text_of(say(faulty, citizen, said))


def test_action_server_restarted_mid_conversation(faulty: Stack, one_stop: FakeOneStop) -> None:
    citizen, in_flight = "actions-restart", "actions-in-flight"
    assert text_of(say(faulty, citizen, "tra cứu hồ sơ")) == ASK_CODE
    at_the_digits(faulty, in_flight)
    try:
        assert_drains_on_sigterm(faulty, "actions", in_flight, one_stop)

        # Rasa still answers, but no action runs: the citizen hears that the system is
        # interrupted instead of silence, and the turn is logged with that answer.
        down = post(faulty, citizen, DOSSIER.code)
        assert down.status_code == 200, down.text
        assert text_of(down.json()["messages"]) == UNAVAILABLE
        assert [m["text"] for m in history(faulty, citizen)[-2:]] == [DOSSIER.code, UNAVAILABLE]
    finally:
        bring_back(faulty, "actions")

    # Back: the lookup goes on in the same conversation.
    assert text_of(say(faulty, citizen, DOSSIER.code)) == ASK_VERIFICATION
    assert FOUND in text_of(say(faulty, citizen, DOSSIER.phone_last4))


@pytest.mark.parametrize("fault", ["closed", "error", "timeout"])
def test_one_stop_system_down(faulty: Stack, one_stop: FakeOneStop, fault: str) -> None:
    citizen = f"one-stop-{fault}"
    at_the_digits(faulty, citizen)
    if fault == "closed":
        one_stop.stop()  # connections refused
    else:
        one_stop.mode = "slow" if fault == "timeout" else "error"
        one_stop.slow_s = ONE_STOP_TIMEOUT_S + 0.5
    started = time.monotonic()
    apology = text_of(say(faulty, citizen, DOSSIER.phone_last4))
    assert apology == unavailable_text(load_department())
    assert time.monotonic() - started < 2 * ONE_STOP_TIMEOUT_S + 5  # bounded by the retries

    if fault == "closed":
        one_stop.start()
    one_stop.mode = "ok"
    # Not the citizen's failure: the next lookup (one failure would pause it) succeeds.
    at_the_digits(faulty, citizen)
    assert FOUND in text_of(say(faulty, citizen, DOSSIER.phone_last4))


def test_a_failed_verification_does_pause_the_lookups(faulty: Stack) -> None:
    """The control of the test above: in this stack one wrong answer pauses the lookups."""
    citizen = "one-stop-control"
    at_the_digits(faulty, citizen, OTHER)
    wrong = "0000" if OTHER.phone_last4 != "0000" else "1111"
    assert text_of(say(faulty, citizen, wrong)) == not_verified_text(load_department())
    assert text_of(say(faulty, citizen, "tra cứu hồ sơ")) == ASK_CODE
    assert PAUSED in text_of(say(faulty, citizen, OTHER.code))


def test_gateway_drains_on_sigterm(faulty: Stack, one_stop: FakeOneStop) -> None:
    citizen = "gateway-in-flight"
    at_the_digits(faulty, citizen)
    try:
        assert_drains_on_sigterm(faulty, "gateway", citizen, one_stop)
    finally:
        bring_back(faulty, "gateway")
    # The session and the conversation outlive the gateway: the answered turn is logged.
    assert FOUND in history(faulty, citizen)[-1]["text"]
    assert text_of(say(faulty, citizen, "tra cứu hồ sơ")) == ASK_CODE
