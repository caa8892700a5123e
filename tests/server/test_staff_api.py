"""Staff API: PATCH /api/staff/dossiers/{code}, behind the STAFF_TOKEN bearer token."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from server import db
from server.api.routes import dossiers as staff_routes
from server.core.config import get_settings
from server.dossiers.http import HttpDossierStore
from server.dossiers.models import Step
from server.dossiers.seed import demo_dossiers, seed
from server.dossiers.sql import SqlDossierStore
from server.main import create_app

TOKEN = "staff-secret-token"
TODAY = dt.date(2026, 3, 10)
PROCESSING = next(d for d in demo_dossiers(TODAY) if d.step is Step.processing)
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _reset_caches() -> None:
    get_settings.cache_clear()
    db.engine.cache_clear()
    staff_routes.dossier_store.cache_clear()


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'staff.db'}")
    monkeypatch.setenv("STAFF_TOKEN", TOKEN)
    monkeypatch.delenv("DOSSIER_BACKEND", raising=False)
    _reset_caches()
    seed(today=TODAY)
    # No `with`: the lifespan (Rasa client, retrieval models) is not needed here.
    yield TestClient(create_app())
    _reset_caches()


def patch(client: TestClient, code: str, body: Any, headers: dict[str, str] | None = None) -> Any:
    return client.patch(f"/api/staff/dossiers/{code}", json=body, headers=headers or {})


def test_staff_moves_a_dossier_with_a_note(client: TestClient) -> None:
    response = patch(
        client, PROCESSING.code, {"step": "additional_documents", "note": "Thiếu học bạ"}, AUTH
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["code"], body["step"], body["step_note"]) == (
        PROCESSING.code, "additional_documents", "Thiếu học bạ",
    )  # fmt: skip
    assert body["history"][-1]["step"] == "additional_documents"
    assert len(body["history"]) == len(PROCESSING.history) + 1
    assert "applicant_name" not in body and "phone_last4" not in body
    stored = SqlDossierStore().get(PROCESSING.code)
    assert stored is not None and stored.step is Step.additional_documents


def test_a_code_typed_loosely_is_accepted(client: TestClient) -> None:
    loose = PROCESSING.code.lower().replace("-", " - ")
    response = patch(client, loose, {"step": "result_ready"}, AUTH)
    assert response.status_code == 200 and response.json()["code"] == PROCESSING.code


def test_without_a_bearer_token_401(client: TestClient) -> None:
    for headers in ({}, {"Authorization": TOKEN}, {"Authorization": f"Basic {TOKEN}"}):
        response = patch(client, PROCESSING.code, {"step": "result_ready"}, headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"


def test_with_a_wrong_token_403_and_nothing_changes(client: TestClient) -> None:
    response = patch(
        client, PROCESSING.code, {"step": "returned"}, {"Authorization": "Bearer wrong"}
    )
    assert response.status_code == 403
    stored = SqlDossierStore().get(PROCESSING.code)
    assert stored is not None and stored.step is Step.processing


def test_auth_comes_before_validation(client: TestClient) -> None:
    """Without the token, even a bad request says nothing but 401."""
    assert patch(client, "not-a-code", {"step": "nope"}).status_code == 401


def test_every_staff_call_is_refused_when_staff_token_is_unset(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STAFF_TOKEN", "")
    get_settings.cache_clear()
    for headers in ({}, AUTH, {"Authorization": "Bearer "}):
        response = patch(client, PROCESSING.code, {"step": "returned"}, headers)
        assert response.status_code == 403
        assert "STAFF_TOKEN" in response.json()["detail"]


def test_unknown_dossier_404(client: TestClient) -> None:
    response = patch(client, "H10.22-260310-0042", {"step": "processing"}, AUTH)
    assert response.status_code == 404
    assert response.json()["detail"] == "Không tìm thấy hồ sơ này."


@pytest.mark.parametrize(
    ("code", "body"),
    [
        ("H10.22-2603-0042", {"step": "processing"}),  # not a code
        (PROCESSING.code, {"step": "approved"}),  # not a step
        (PROCESSING.code, {}),
        (PROCESSING.code, {"step": "processing", "extra": 1}),
        (PROCESSING.code, {"step": "processing", "note": "x" * 1001}),
        (PROCESSING.code, {"step": "additional_documents"}),  # the reason is required
        (PROCESSING.code, {"step": "additional_documents", "note": "   "}),
    ],
)
def test_bad_requests_422(client: TestClient, code: str, body: dict[str, Any]) -> None:
    response = patch(client, code, body, AUTH)
    assert response.status_code == 422, response.text
    stored = SqlDossierStore().get(PROCESSING.code)
    assert stored is not None and stored.step is Step.processing


def test_a_down_one_stop_system_502(client: TestClient) -> None:
    down = HttpDossierStore("http://127.0.0.1:9", timeout_s=0.5, retries=0)
    client.app.dependency_overrides[staff_routes.dossier_store] = lambda: down  # type: ignore[attr-defined]
    response = patch(client, PROCESSING.code, {"step": "processing"}, AUTH)
    assert response.status_code == 502
    assert response.json()["detail"]
