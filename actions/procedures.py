"""Answers questions about a procedure: which one applies, documents, time, fee, where.

The NLU intent says *what* the citizen asks (the aspect); *which* procedure comes from a
button they pressed, from catalogue search over their words, or from the conversation so
far ("mất bao lâu?" after talking about a diploma copy).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import resources
from actions.answers import Aspect, aspect_buttons, procedure_buttons, render
from knowledge.models import Procedure
from knowledge.retrieval import SearchHit

MIN_LEXICAL = 2.5  # BM25 score below which the words barely touch the procedure
MIN_GAP = 0.15  # hybrid score lead over the runner-up needed to answer without asking
MAX_CHOICES = 3
REPHRASE = (
    "Dạ, em chưa hiểu rõ ý anh/chị. Anh/chị mô tả giúp em trường hợp cụ thể hơn được không ạ? "
    'Ví dụ: "con tôi cần chuyển trường cấp 2 sang tỉnh khác".'
)


def confident(hits: list[SearchHit]) -> bool:
    if not hits or hits[0].lexical < MIN_LEXICAL:
        return False
    return len(hits) == 1 or hits[0].score - hits[1].score >= MIN_GAP


def _aspect(tracker: Tracker) -> Aspect:
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    try:
        return Aspect(intent)
    except ValueError:
        return Aspect.overview


def _chosen(tracker: Tracker) -> Procedure | None:
    chosen_id = next(tracker.get_latest_entity_values("procedure_id"), None)
    return resources.catalogue().get(chosen_id) if chosen_id else None


def _offer(dispatcher: CollectingDispatcher, hits: list[SearchHit], question: str) -> None:
    choices = [h.procedure for h in hits[:MAX_CHOICES]]
    dispatcher.utter_message(text=question, buttons=procedure_buttons(choices))


class ActionAnswerProcedure(Action):
    def name(self) -> str:
        return "action_answer_procedure"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        aspect = _aspect(tracker)
        text = tracker.latest_message.get("text") or ""
        current = resources.catalogue().get(tracker.get_slot("procedure_id") or "")
        procedure = _chosen(tracker)
        hits: list[SearchHit] = []
        if procedure is None and not text.startswith("/"):
            hits = resources.procedure_search().search(text, k=MAX_CHOICES)
            if confident(hits) and (current is None or aspect is Aspect.overview
                                    or hits[0].lexical >= 2 * MIN_LEXICAL):  # fmt: skip
                procedure = hits[0].procedure
        if procedure is None and current is not None and aspect is not Aspect.overview:
            procedure = current
        if procedure is None:
            if hits:
                _offer(dispatcher, hits, "Dạ, anh/chị đang hỏi về thủ tục nào dưới đây ạ?")
            else:
                dispatcher.utter_message(text=REPHRASE)
            return []
        dispatcher.utter_message(
            text=render(procedure, aspect, resources.department()),
            buttons=aspect_buttons(exclude=aspect),
        )
        return [SlotSet("procedure_id", procedure.id)]


class ActionDefaultFallback(Action):
    """Not understood (low NLU or dialogue confidence): never a confident answer, but the
    closest procedures as buttons when there are any, else a request to rephrase."""

    def name(self) -> str:
        return "action_default_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = tracker.latest_message.get("text") or ""
        hits = resources.procedure_search().search(text, k=MAX_CHOICES)
        if hits and hits[0].lexical >= MIN_LEXICAL:
            _offer(dispatcher, hits, "Dạ, em chưa chắc đã hiểu đúng. Có phải anh/chị hỏi về:")
        else:
            dispatcher.utter_message(text=REPHRASE)
        return []
