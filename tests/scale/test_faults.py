"""The shared infrastructure fails under the scaled-out setup: PostgreSQL stops for a few
seconds, then Redis. Meanwhile citizens get the polite "try again" answer (HTTP 503 with
it on the web), no process crashes, and once the server is back the same conversation
goes on where it was."""

from __future__ import annotations

import time

import httpx

from server.chat.service import UNAVAILABLE
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram_api import FakeTelegramApi
from tests.scale.citizen import Citizen
from tests.scale.harness import REPLICAS, ScaleOut
from tests.scale.telegram import SETTLE_S, deliver, sent_to, wait_for_answer

PROCEDURE = "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc"
LOST_DIPLOMA = "mẹ em bị mất bằng tốt nghiệp cấp 3 thì xin lại ở đâu ạ"
FOLLOW_UP = "cần chuẩn bị giấy tờ gì"  # answered only by a replica that knows the procedure
DOCUMENTS = "Phiếu đề nghị cấp bản sao văn bằng"
OUTAGE_S = 3
PROMPT_S = 5.0  # a turn takes a fraction of a second; the gateway waits RASA_TIMEOUT_S (30)


def assert_unavailable(citizen: Citizen, text: str) -> None:
    started = time.monotonic()
    response = citizen.post(text)
    assert response.status_code == 503, response.text
    assert response.json()["detail"] == UNAVAILABLE
    assert time.monotonic() - started < PROMPT_S  # refused at once, not after a timeout


def rasa_replicas_since(scale_out: ScaleOut, start: int) -> set[str]:
    served = scale_out.nginx_log("rasa")[start:]
    return {e["upstream"] for e in served if e["uri"] == "/webhooks/gateway/webhook"}


def test_postgresql_outage(scale_out: ScaleOut) -> None:
    assert scale_out.postgres is not None
    citizen = Citizen(scale_out.gateway_url)
    assert PROCEDURE in citizen.say(LOST_DIPLOMA)
    scale_out.postgres.pause()
    try:
        # One message only: the other Rasa replica stays idle through the outage, with
        # connections to the old server in its pool.
        assert_unavailable(citizen, FOLLOW_UP)
        health = httpx.get(f"{scale_out.gateway_url}/api/health", timeout=30)
        assert health.status_code == 503 and health.json()["database"] is False
        assert Citizen(scale_out.gateway_url).token  # a web session is a signed token
        time.sleep(OUTAGE_S)
    finally:
        scale_out.postgres.resume()
    assert scale_out.crashed() == []
    back = len(scale_out.nginx_log("rasa"))
    for _ in range(REPLICAS):  # the idle replica's first turn included
        assert DOCUMENTS in citizen.say(FOLLOW_UP)
    assert len(rasa_replicas_since(scale_out, back)) == REPLICAS
    assert httpx.get(f"{scale_out.gateway_url}/api/health", timeout=30).status_code == 200


def test_redis_outage(scale_out: ScaleOut, telegram: FakeTelegramApi) -> None:
    assert scale_out.redis is not None
    citizen = Citizen(scale_out.gateway_url)
    assert PROCEDURE in citizen.say(LOST_DIPLOMA)
    chat_id = 6_100_000_001
    update = tg.text(chat_id, LOST_DIPLOMA)
    scale_out.redis.stop()
    try:
        # Rasa's lock store is gone: no turn can run.
        for _ in range(REPLICAS):
            assert_unavailable(citizen, FOLLOW_UP)
        # Telegram delivers the same update to both gateways: the app database
        # de-duplicates while Redis is gone, and the one answer says to try again.
        gateways = {deliver(scale_out.gateway_url, update) for _ in range(REPLICAS)}
        assert len(gateways) == REPLICAS
        wait_for_answer(telegram, chat_id)
        time.sleep(SETTLE_S)
        assert sent_to(telegram, chat_id) == [UNAVAILABLE]
        time.sleep(OUTAGE_S)
    finally:
        scale_out.redis.start()  # on the same port, empty
    assert scale_out.crashed() == []
    for _ in range(REPLICAS):
        assert DOCUMENTS in citizen.say(FOLLOW_UP)
