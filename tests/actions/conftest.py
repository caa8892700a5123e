from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from rasa_sdk import Tracker

from actions import resources
from server.dossiers.models import Dossier, today_vn
from server.dossiers.seed import demo_dossiers, seed


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


@pytest.fixture
def demo(app_env: None) -> Iterator[list[Dossier]]:
    """The demo dossiers, seeded today in this test's own database."""
    resources.dossier_store.cache_clear()
    seed()
    yield demo_dossiers(today_vn())
    resources.dossier_store.cache_clear()
