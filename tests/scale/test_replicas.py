"""One conversation, any replica: the gateways, the Rasa servers and the action servers
each run twice behind nginx, and a conversation whose messages land on different replicas
of every tier goes on as if one process served it. Then one Rasa replica is killed in the
middle of a conversation: the other serves the rest, and Rasa's tracker store in
PostgreSQL holds every message once, in order."""

from __future__ import annotations

import json
import signal
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from server.db import make_engine
from server.dossiers.models import Dossier, Step
from server.dossiers.seed import demo_in
from tests.scale.citizen import Citizen
from tests.scale.harness import REPLICAS, ScaleOut

PROCEDURE = "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc"
LOST_DIPLOMA = "mẹ em bị mất bằng tốt nghiệp cấp 3 thì xin lại ở đâu ạ"
ASKS_CODE = "cho em xin mã hồ sơ"
ASKS_DIGITS = "4 chữ số cuối của số điện thoại"


@pytest.fixture(scope="module")
def demo(scale_out: ScaleOut) -> list[Dossier]:
    engine = make_engine(scale_out.app_database_url)
    try:
        return demo_in(engine)  # seeded into PostgreSQL as the first replica started
    finally:
        engine.dispose()


def rasa_turns(scale_out: ScaleOut, conversation: str) -> list[dict[str, Any]]:
    """nginx's log of the messages of ``conversation`` sent to Rasa, their JSON body read."""
    turns = []
    for entry in scale_out.nginx_log("rasa"):
        body = json.loads(entry["body"]) if entry["body"].startswith("{") else {}
        if entry["uri"] == "/webhooks/gateway/webhook" and body.get("sender") == conversation:
            turns.append({**entry, "body": body})
    return turns


def rasa_served(scale_out: ScaleOut, conversation: str) -> list[str]:
    """For each message of ``conversation`` that reached Rasa, the addresses nginx tried,
    the last being the replica that answered."""
    return [turn["upstream"] for turn in rasa_turns(scale_out, conversation)]


def answered_by(tried: list[str]) -> list[str]:
    return [addresses.split(", ")[-1] for addresses in tried]


def user_texts(events: list[dict[str, Any]]) -> list[str]:
    return [e["text"] for e in events if e["event"] == "user"]


def test_a_conversation_served_by_every_replica_stays_one(
    scale_out: ScaleOut, demo: list[Dossier]
) -> None:
    dossier = next(d for d in demo if d.applicant_name == "Nguyễn Văn An")
    actions_before = len(scale_out.nginx_log("actions"))
    citizen = Citizen(scale_out.gateway_url)

    assert PROCEDURE in citizen.say(LOST_DIPLOMA)
    # Follow-ups name no procedure: the replica that answers must know the conversation.
    assert "Phiếu đề nghị cấp bản sao văn bằng" in citizen.say("cần chuẩn bị giấy tờ gì")
    assert 'lệ phí thủ tục "' in citizen.say("lệ phí bao nhiêu")
    assert ASKS_CODE in citizen.say("hồ sơ của tôi đến đâu rồi?")
    assert ASKS_DIGITS in citizen.say(dossier.code)
    status = citizen.say(f"4 số cuối là {dossier.phone_last4}")
    assert f"hồ sơ {dossier.code} (người nộp: Nguyễn V*** A*)" in status
    assert "Tình trạng: Đã tiếp nhận" in status

    gateways = citizen.served_by
    rasas = answered_by(rasa_served(scale_out, citizen.conversation))
    assert len(rasas) == len(citizen.sent)  # each message reached Rasa once
    every = {tier: {scale_out.upstream(tier, i) for i in range(REPLICAS)} for tier in
             ("gateway", "rasa", "actions")}  # fmt: skip
    assert set(gateways) == every["gateway"] and set(rasas) == every["rasa"]
    # at least once, the next message went to another gateway AND another Rasa
    moves = [k for k in range(1, len(rasas))
             if gateways[k] != gateways[k - 1] and rasas[k] != rasas[k - 1]]  # fmt: skip
    assert moves
    actions = {e["upstream"] for e in scale_out.nginx_log("actions")[actions_before:]}
    assert actions == every["actions"]
    # Rasa's tracker store (PostgreSQL) holds every message once, in order, masked.
    assert user_texts(scale_out.tracker_events(citizen.conversation)) == citizen.stored_texts()


def test_two_messages_at_once_take_turns_across_rasa_replicas(scale_out: ScaleOut) -> None:
    """Rasa's lock store (Redis) makes two replicas handle one conversation's messages one
    after the other: each turn ends before the next begins, and neither is lost."""
    citizen = Citizen(scale_out.gateway_url)
    assert PROCEDURE in citizen.say(LOST_DIPLOMA)
    together = ["cần chuẩn bị giấy tờ gì", "lệ phí bao nhiêu"]
    with ThreadPoolExecutor(max_workers=2) as pool:
        responses = list(pool.map(citizen.post, together))
    assert [r.status_code for r in responses] == [200, 200]
    turns = [t for t in rasa_turns(scale_out, citizen.conversation)
             if t["body"]["message"] in together]  # fmt: skip
    assert {e["upstream"] for e in turns} == {scale_out.upstream("rasa", i) for i in range(2)}
    first_end, (second_end, second_s) = sorted(
        (float(e["end"]), float(e["seconds"])) for e in turns
    )
    assert second_end - second_s < first_end[0]  # both in flight at the same time
    events = scale_out.tracker_events(citizen.conversation)
    users = [i for i, e in enumerate(events) if e["event"] == "user"]
    assert sorted(events[i]["text"] for i in users[1:]) == sorted(together)
    # every turn ended (the bot went back to listening) before the next message was read
    assert all(events[i - 1].get("name") == "action_listen" for i in users[1:])


def test_a_rasa_replica_killed_mid_conversation(scale_out: ScaleOut, demo: list[Dossier]) -> None:
    dossier = next(d for d in demo if d.step is Step.additional_documents)
    citizen = Citizen(scale_out.gateway_url)
    assert PROCEDURE in citizen.say(LOST_DIPLOMA)
    assert ASKS_CODE in citizen.say("tra cứu hồ sơ giúp tôi")
    before = scale_out.tracker_events(citizen.conversation)
    served_before = len(rasa_served(scale_out, citizen.conversation))

    victim = scale_out.replicas[0].by_name["rasa"]
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)

    assert ASKS_DIGITS in citizen.say(dossier.code.replace(".", ""))
    status = citizen.say(f"so cuoi {dossier.phone_last4}")
    assert f"Hồ sơ cần bổ sung, hoàn thiện: {dossier.step_note}." in status
    assert PROCEDURE in citizen.say(LOST_DIPLOMA)

    after = scale_out.tracker_events(citizen.conversation)
    assert after[: len(before)] == before  # nothing stored before the kill was lost
    assert user_texts(after) == citizen.stored_texts()  # every message once, in order
    tried = rasa_served(scale_out, citizen.conversation)[served_before:]
    survivor = scale_out.upstream("rasa", 1)
    assert answered_by(tried) == [survivor] * 3
    assert any(scale_out.upstream("rasa", 0) in t for t in tried)  # nginx tried it, moved on
    alive = [p for r in scale_out.replicas for p in r.processes if p is not victim]
    assert all(p.poll() is None for p in alive)
