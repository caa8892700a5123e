from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker


@pytest.fixture(autouse=True)
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test gets its own SQLite database."""
    from server import db
    from server.core.config import get_settings

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'test.db'}")
    get_settings.cache_clear()
    db.engine.cache_clear()
    yield
    get_settings.cache_clear()
    db.engine.cache_clear()


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
