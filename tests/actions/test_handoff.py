from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.handoff import ActionHandoff
from server import db
from tests.actions.conftest import make_tracker


async def test_handoff_gives_contacts_and_records_a_masked_request() -> None:
    tracker = make_tracker(
        "cho tôi gặp cán bộ, sđt tôi 0912345678", "request_human",
        {"procedure_id": "cap-ban-sao-van-bang-tu-so-goc"},
    )  # fmt: skip
    dispatcher = CollectingDispatcher()
    await ActionHandoff().run(dispatcher, tracker, {})
    text = dispatcher.messages[0]["text"]
    assert "Đường dây nóng" in text and "Giờ làm việc" in text
    with db.engine().connect() as conn:
        rows = conn.execute(select(db.handoff_requests)).mappings().all()
    assert len(rows) == 1
    assert rows[0]["procedure_id"] == "cap-ban-sao-van-bang-tu-so-goc"
    assert "0912345678" not in rows[0]["last_message"]
    assert rows[0]["last_message"].endswith("**********")
