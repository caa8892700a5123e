from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker


def make_tracker(
    text: str,
    intent: str,
    slots: dict[str, Any] | None = None,
    entities: list[dict[str, Any]] | None = None,
    sender: str = "citizen-1",
) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": entities or [],
    }
    return Tracker(sender, slots or {}, latest, [], False, None, {}, "action_listen")
