from __future__ import annotations

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.feedback import ActionAskRating, ActionStoreRating
from server import db
from tests.actions.conftest import make_tracker


async def test_rating_is_asked_only_after_real_help_and_once() -> None:
    dispatcher = CollectingDispatcher()
    assert await ActionAskRating().run(dispatcher, make_tracker("cảm ơn", "thank"), {}) == []
    helped = make_tracker("cảm ơn", "thank", {"procedure_id": "cap-ban-sao-van-bang-tu-so-goc"})
    events = await ActionAskRating().run(dispatcher, helped, {})
    assert events == [SlotSet("rating_asked", True)]
    assert len(dispatcher.messages[0]["buttons"]) == 2
    asked = make_tracker("cảm ơn", "thank", {"procedure_id": "x", "rating_asked": True})
    assert await ActionAskRating().run(CollectingDispatcher(), asked, {}) == []


@pytest.mark.parametrize(
    ("text", "entities", "satisfied"),
    [
        ('/rate{"rating": "hai_long"}', [{"entity": "rating", "value": "hai_long"}], True),
        (
            '/rate{"rating": "chua_hai_long"}',
            [{"entity": "rating", "value": "chua_hai_long"}],
            False,
        ),
        ("rất hài lòng", [], True),
        ("chua hai long lam", [], False),
    ],
)
async def test_rating_is_stored_for_staff(text: str, entities: list, satisfied: bool) -> None:
    tracker = make_tracker(text, "rate", {"procedure_id": "p-1"}, entities)
    dispatcher = CollectingDispatcher()
    await ActionStoreRating().run(dispatcher, tracker, {})
    with db.engine().connect() as conn:
        rows = conn.execute(select(db.ratings)).mappings().all()
    assert [(r["procedure_id"], r["satisfied"]) for r in rows] == [("p-1", satisfied)]
    assert ("cảm ơn" in dispatcher.messages[0]["text"]) is satisfied
