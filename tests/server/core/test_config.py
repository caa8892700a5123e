from __future__ import annotations

import pytest
from pydantic import ValidationError

from server.core.config import Settings


def test_production_refuses_to_start_without_its_secrets() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment="production", secret_key="")
    with pytest.raises(ValidationError, match="TELEGRAM_WEBHOOK_SECRET"):
        Settings(environment="production", secret_key="k", telegram_bot_token="1:abc")
    with pytest.raises(ValidationError, match="ZALO_OA_SECRET_KEY"):
        Settings(environment="production", secret_key="k", zalo_app_id="123")
    assert Settings(environment="production", secret_key="k").telegram_enabled is False


def test_development_starts_without_secrets() -> None:
    assert Settings(environment="development", secret_key="").environment == "development"


def test_choices_are_typed() -> None:
    with pytest.raises(ValidationError):
        Settings(dossier_backend="mongo")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Settings(environment="staging")  # type: ignore[arg-type]


def test_widget_origins_come_as_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIDGET_ORIGINS", "https://sgddt.example.gov.vn/, http://127.0.0.1:9000")
    assert Settings().widget_origins == ["https://sgddt.example.gov.vn", "http://127.0.0.1:9000"]
