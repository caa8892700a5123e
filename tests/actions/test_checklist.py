"""The "Gửi cho bố mẹ / In danh sách" button and the link it answers with."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import resources
from actions.checklist import SHARE_TITLE, WHICH, ActionShareChecklist
from actions.procedures import ActionAnswerProcedure
from server.checklist import short_code
from server.core.config import get_settings
from tests.actions.conftest import make_tracker

COPY_ID = "cap-ban-sao-van-bang-tu-so-goc"


async def run(action: Any, tracker: Any) -> tuple[list[dict[str, Any]], list[Any]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, {})
    return dispatcher.messages, events


@pytest.mark.parametrize("aspect", ["ask_procedure", "ask_documents", "ask_fee"])
async def test_every_answer_about_a_procedure_offers_the_checklist(aspect: str) -> None:
    tracker = make_tracker(
        "/choose", aspect, entities=[{"entity": "procedure_id", "value": COPY_ID}]
    )
    (message,), _ = await run(ActionAnswerProcedure(), tracker)
    share = [b for b in message["buttons"] if b["title"] == SHARE_TITLE]
    assert len(share) == 1
    intent, entities = share[0]["payload"].split("{", 1)
    assert intent == "/share_checklist"
    assert json.loads("{" + entities) == {"procedure_id": COPY_ID}


async def test_the_button_answers_with_the_short_link(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLIC_URL", "https://tro-ly.sogddt.example.gov.vn/")
    get_settings.cache_clear()
    tracker = make_tracker(
        f'/share_checklist{{"procedure_id": "{COPY_ID}"}}',
        "share_checklist",
        entities=[{"entity": "procedure_id", "value": COPY_ID}],
        sender="telegram-3f2a9c0d1e2b",
    )
    (message,), events = await run(ActionShareChecklist(), tracker)
    url = f"https://tro-ly.sogddt.example.gov.vn/c/{short_code(COPY_ID)}"
    assert url in message["text"].splitlines()  # on a line of its own: clickable everywhere
    record = resources.catalogue().get(COPY_ID)
    assert record is not None and record.short_name in message["text"]
    assert "3f2a9c0d1e2b" not in message["text"]  # the link names the procedure only
    assert events == [SlotSet("procedure_id", COPY_ID)]


async def test_typed_the_request_is_about_the_procedure_under_discussion() -> None:
    tracker = make_tracker(
        "gui danh sach nay cho bo me giup em", "share_checklist", {"procedure_id": COPY_ID}
    )
    (message,), events = await run(ActionShareChecklist(), tracker)
    assert f"/c/{short_code(COPY_ID)}" in message["text"]
    assert events == [SlotSet("procedure_id", COPY_ID)]


@pytest.mark.parametrize("slots", [{}, {"procedure_id": "khong-co-thu-tuc-nay"}])
async def test_with_no_procedure_it_asks_which(slots: dict[str, Any]) -> None:
    tracker = make_tracker("in danh sách giấy tờ", "share_checklist", slots)
    (message,), events = await run(ActionShareChecklist(), tracker)
    assert message["text"] == WHICH and events == []
