"""Answers questions about a procedure: which one applies, documents, time, fee, where.

The NLU intent says *what* the citizen asks (the aspect); *which* procedure comes from a
button they pressed, from catalogue search over their words, or from the conversation so
far ("mất bao lâu?" after talking about a diploma copy). When search leaves close
candidates, the clarification form asks the one question that separates them
(see :mod:`actions.clarify`); when nothing separates them, the candidates become buttons.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import resources
from actions.answers import Aspect, aspect_buttons, procedure_buttons, render
from actions.checklist import share_button
from actions.clarify import (
    FACETS,
    UNKNOWN,
    facet_value,
    match_answer,
    named_values,
    options,
    separating_facet,
)
from knowledge.models import Procedure
from knowledge.retrieval import MIN_LEXICAL, SearchHit, decisive, old_name_asked
from knowledge.vietnamese import keys

CANDIDATE_GAP = 0.3  # candidates for the separating question score this close to the best
MAX_CHOICES = 3
REPHRASE = (
    "Dạ, em chưa hiểu rõ ý anh/chị. Anh/chị mô tả giúp em trường hợp cụ thể hơn được không ạ? "
    'Ví dụ: "con tôi cần chuyển trường cấp 2 sang tỉnh khác".'
)
CLARIFY_SLOTS = ("candidate_ids", "clarify_facet", "clarify_answer", "pending_aspect")


def close_candidates(hits: list[SearchHit]) -> list[Procedure]:
    if not hits or hits[0].lexical < MIN_LEXICAL:
        return []
    # A record for another school level than the one named is no candidate: asking the
    # citizen which level they meant would repeat their own words back to them.
    return [
        h.procedure for h in hits if h.score >= hits[0].score - CANDIDATE_GAP and not h.other_level
    ]


async def _search(text: str, k: int) -> list[SearchHit]:
    """The search in a worker thread: embedding the question is CPU work that would stop the
    action server's event loop, and every other citizen's action with it."""
    return await asyncio.to_thread(resources.procedure_search().search, text, k)


def _aspect(tracker: Tracker) -> Aspect:
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    try:
        return Aspect(intent)
    except ValueError:
        return Aspect.overview


def _chosen(tracker: Tracker) -> Procedure | None:
    chosen_id = next(tracker.get_latest_entity_values("procedure_id"), None)
    return resources.catalogue().get(chosen_id) if chosen_id else None


def _candidates(tracker: Tracker) -> list[Procedure]:
    catalogue = resources.catalogue()
    return [p for i in tracker.get_slot("candidate_ids") or [] if (p := catalogue.get(i))]


def _offer(dispatcher: CollectingDispatcher, choices: list[Procedure], question: str) -> None:
    dispatcher.utter_message(text=question, buttons=procedure_buttons(choices[:MAX_CHOICES]))


def _reset_clarification() -> list[EventType]:
    return [SlotSet(slot, None) for slot in CLARIFY_SLOTS] + [SlotSet("clarify_needed", False)]


def _answer(
    dispatcher: CollectingDispatcher, procedure: Procedure, aspect: Aspect, asked: str = ""
) -> list[EventType]:
    text = render(procedure, aspect, resources.department(), old_name_asked(asked, procedure))
    # The other aspects, and the checklist a student can forward to a parent or print;
    # a repealed procedure has neither.
    buttons = [*aspect_buttons(exclude=aspect), share_button(procedure.id)]
    if procedure.repealed:
        buttons = []
    dispatcher.utter_message(text=text, buttons=buttons)
    return [SlotSet("procedure_id", procedure.id), *_reset_clarification()]


class ActionAnswerProcedure(Action):
    def name(self) -> str:
        return "action_answer_procedure"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.get_slot("clarify_answer"):
            return self._after_clarification(dispatcher, tracker)
        aspect = _aspect(tracker)
        text = tracker.latest_message.get("text") or ""
        current = resources.catalogue().get(tracker.get_slot("procedure_id") or "")
        chosen = _chosen(tracker)
        if chosen is not None:
            return _answer(dispatcher, chosen, aspect)
        hits = [] if text.startswith("/") else await _search(text, k=5)
        switching = current is None or aspect is Aspect.overview
        candidates = close_candidates(hits)
        separation = separating_facet(candidates) if len(candidates) > 1 else None
        # Close candidates that differ on a facet the citizen's words say nothing about
        # ("bằng tốt nghiệp": lost or wrongly printed?) make even a clear lead only a guess.
        named = named_values(separation[0], keys(text)) if separation is not None else set()
        left_open = separation is not None and not named
        clear = decisive(hits) and not left_open
        if clear and (switching or hits[0].lexical >= 2 * MIN_LEXICAL):
            return _answer(dispatcher, hits[0].procedure, aspect, asked=text)
        if current is not None and aspect is not Aspect.overview:
            return _answer(dispatcher, current, aspect)
        if separation is not None:
            facet, candidates = separation
            # The citizen's words already answer the question ("mất bằng"): no need to ask.
            meant = [c for c in candidates if facet_value(c, facet) in named]
            if len(meant) == 1:
                return _answer(dispatcher, meant[0], aspect, asked=text)
            return [
                SlotSet("candidate_ids", [c.id for c in candidates]),
                SlotSet("clarify_facet", facet),
                SlotSet("pending_aspect", aspect.value),
                SlotSet("clarify_needed", True),
            ]
        if hits and hits[0].lexical >= MIN_LEXICAL:
            _offer(
                dispatcher,
                [h.procedure for h in hits],
                "Dạ, anh/chị đang hỏi về thủ tục nào dưới đây ạ?",
            )
        else:
            dispatcher.utter_message(text=REPHRASE)
        return [SlotSet("clarify_needed", False)]

    def _after_clarification(
        self, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> list[EventType]:
        candidates = _candidates(tracker)
        facet = tracker.get_slot("clarify_facet") or ""
        answer = tracker.get_slot("clarify_answer")
        aspect = Aspect(tracker.get_slot("pending_aspect") or Aspect.overview.value)
        matched = [c for c in candidates if facet in FACETS and facet_value(c, facet) == answer]
        if len(matched) == 1:
            return _answer(dispatcher, matched[0], aspect)
        _offer(dispatcher, matched or candidates, "Dạ, anh/chị chọn giúp em thủ tục phù hợp ạ:")
        return _reset_clarification()


class ActionAskClarifyAnswer(Action):
    """The form's question: asked from the facet that separates the candidates."""

    def name(self) -> str:
        return "action_ask_clarify_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        facet = tracker.get_slot("clarify_facet") or ""
        candidates = _candidates(tracker)
        if facet not in FACETS or not candidates:
            return [SlotSet("clarify_answer", UNKNOWN)]
        spec = FACETS[facet]
        buttons = [
            {"title": spec.labels[v], "payload": spec.labels[v]} for v in options(facet, candidates)
        ]
        dispatcher.utter_message(text=spec.question, buttons=buttons)
        return []


class ValidateClarifyForm(FormValidationAction):
    def name(self) -> str:
        return "validate_clarify_form"

    def validate_clarify_answer(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        facet = tracker.get_slot("clarify_facet") or ""
        candidates = _candidates(tracker)
        if facet not in FACETS:
            return {"clarify_answer": UNKNOWN}
        value = match_answer(facet, str(slot_value or ""), options(facet, candidates))
        # An answer we cannot map ends the form too: the candidates then become buttons,
        # which is better than asking the same question again.
        return {"clarify_answer": value or UNKNOWN}


class ActionDefaultFallback(Action):
    """Not understood (low NLU or dialogue confidence): never a confident answer, but the
    closest procedures as buttons when there are any, else a request to rephrase."""

    def name(self) -> str:
        return "action_default_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = tracker.latest_message.get("text") or ""
        hits = await _search(text, k=MAX_CHOICES)
        if hits and hits[0].lexical >= MIN_LEXICAL:
            _offer(
                dispatcher,
                [h.procedure for h in hits],
                "Dạ, em chưa chắc đã hiểu đúng. Có phải anh/chị hỏi về:",
            )
        else:
            dispatcher.utter_message(text=REPHRASE)
        return []
