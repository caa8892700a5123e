"""What the gateway replicas share through Redis, on the real setup: a webhook that
Telegram delivers twice, once to each gateway, is answered once."""

from __future__ import annotations

import time

import redis

from tests.fakes import telegram_updates as tg
from tests.fakes.telegram_api import FakeTelegramApi
from tests.scale.harness import REPLICAS, ScaleOut
from tests.scale.telegram import SETTLE_S, deliver, sent_to, wait_for_answer

PROCEDURE = "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc"


def test_a_repeated_delivery_is_answered_once_by_the_replicas(
    scale_out: ScaleOut, telegram: FakeTelegramApi
) -> None:
    assert scale_out.redis is not None
    chat_id = 6_100_000_002
    update = tg.text(chat_id, "mẹ em bị mất bằng tốt nghiệp cấp 3 thì xin lại ở đâu ạ")
    gateways = {deliver(scale_out.gateway_url, update) for _ in range(REPLICAS)}
    assert len(gateways) == REPLICAS  # each gateway got it once
    wait_for_answer(telegram, chat_id)
    time.sleep(SETTLE_S)
    answers = sent_to(telegram, chat_id)
    assert len(answers) == 1 and PROCEDURE in answers[0]
    claimed = redis.Redis.from_url(scale_out.redis.url)
    try:
        assert claimed.exists(f"assistant:seen:telegram:{update['update_id']}") == 1
    finally:
        claimed.close()
