from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from server import db
from server.core.config import get_settings


@pytest.fixture(autouse=True)
def app_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test gets its own app database."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'app.db'}")
    get_settings.cache_clear()
    db.engine.cache_clear()
    yield
    get_settings.cache_clear()
    db.engine.cache_clear()
