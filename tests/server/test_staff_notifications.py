"""Staff move a dossier: the citizens who asked (Telegram, Zalo) are told, in a short
message that names nobody; the others, and repeated requests, are not."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from knowledge.catalogue import Catalogue
from server import db
from server.api.routes import dossiers as staff_routes
from server.chat.buttons import ButtonTokens
from server.chat.subscriptions import Subscriber, Subscriptions
from server.core.config import get_settings
from server.dossiers.models import Dossier, Step
from server.dossiers.render import STEP_LABELS
from server.dossiers.seed import demo_dossiers, seed
from server.main import create_app
from tests.fakes.outbound import RecordingOutbound

TOKEN = "staff-secret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TODAY = dt.date(2026, 3, 10)
PROCESSING = next(d for d in demo_dossiers(TODAY) if d.step is Step.processing)
RECEIVED = next(d for d in demo_dossiers(TODAY) if d.step is Step.received)


def _reset_caches() -> None:
    get_settings.cache_clear()
    db.engine.cache_clear()
    staff_routes.dossier_store.cache_clear()


@pytest.fixture
def outbound() -> dict[str, RecordingOutbound]:
    return {"telegram": RecordingOutbound(), "zalo": RecordingOutbound()}


@pytest.fixture
def client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, outbound: dict[str, RecordingOutbound]
) -> Iterator[TestClient]:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'staff.db'}")
    monkeypatch.setenv("STAFF_TOKEN", TOKEN)
    monkeypatch.delenv("DOSSIER_BACKEND", raising=False)
    _reset_caches()
    seed(today=TODAY)
    app = create_app()  # no lifespan: the state the route reads is set here
    app.state.outbound = outbound
    app.state.catalogue = Catalogue(get_settings().catalogue_dir)
    yield TestClient(app)
    _reset_caches()


def move(client: TestClient, d: Dossier, step: str, note: str | None = None) -> None:
    body: dict[str, Any] = {"step": step} | ({"note": note} if note else {})
    response = client.patch(f"/api/staff/dossiers/{d.code}", json=body, headers=AUTH)
    assert response.status_code == 200, response.text


def texts(sender: RecordingOutbound) -> list[str]:
    return [r.text or "" for _, replies in sender.sent for r in replies]


def test_subscribers_get_the_new_step_and_nothing_personal(
    client: TestClient, outbound: dict[str, RecordingOutbound]
) -> None:
    Subscriptions().subscribe("telegram", "1001", PROCESSING.code)
    Subscriptions().subscribe("zalo", "z-2002", PROCESSING.code)
    Subscriptions().subscribe("telegram", "3003", RECEIVED.code)  # another dossier
    move(client, PROCESSING, "additional_documents", "Bản sao giấy khai sinh")

    ((user, replies),) = outbound["telegram"].sent
    assert user == "1001"
    (reply,) = replies
    text = reply.text or ""
    name = Catalogue(get_settings().catalogue_dir).get(PROCESSING.procedure_id)
    assert name is not None and f"hồ sơ {PROCESSING.code} ({name.name})" in text
    assert STEP_LABELS[Step.additional_documents] in text
    assert "Cần bổ sung: Bản sao giấy khai sinh" in text
    assert PROCESSING.applicant_name not in text
    assert not any(part in text for part in PROCESSING.applicant_name.split()[1:])
    assert PROCESSING.phone_last4 not in text
    # One tap to stop: the button's token comes back as the opt-out intent.
    (stop,) = reply.buttons
    press = ButtonTokens().resolve(stop.token)
    assert press is not None and press.payload == "/unsubscribe_dossier_updates"
    assert [u for u, _ in outbound["zalo"].sent] == ["z-2002"]
    assert texts(outbound["zalo"]) == [text]


def test_a_final_step_is_the_last_notice(
    client: TestClient, outbound: dict[str, RecordingOutbound]
) -> None:
    Subscriptions().subscribe("telegram", "1001", PROCESSING.code)
    move(client, PROCESSING, "result_ready")
    (text,) = texts(outbound["telegram"])
    assert STEP_LABELS[Step.result_ready] in text and PROCESSING.pickup_place in text
    assert "không gửi thêm thông báo" in text
    assert outbound["telegram"].sent[0][1][0].buttons == []
    assert Subscriptions().subscribers(PROCESSING.code) == []
    move(client, PROCESSING, "returned")
    assert len(outbound["telegram"].sent) == 1


def test_nobody_subscribed_nobody_told(
    client: TestClient, outbound: dict[str, RecordingOutbound]
) -> None:
    Subscriptions().subscribe("telegram", "1001", RECEIVED.code)
    Subscriptions().unsubscribe("telegram", "1001")
    move(client, RECEIVED, "processing")
    move(client, PROCESSING, "processing", "Đang chờ ký")
    assert outbound["telegram"].sent == [] and outbound["zalo"].sent == []


def test_a_repeated_request_is_not_announced_twice(
    client: TestClient, outbound: dict[str, RecordingOutbound]
) -> None:
    Subscriptions().subscribe("telegram", "1001", RECEIVED.code)
    move(client, RECEIVED, "processing", "Chuyển phòng Khảo thí")
    move(client, RECEIVED, "processing", "Chuyển phòng Khảo thí")  # a client's retry
    move(client, RECEIVED, "processing", "Đã trình lãnh đạo ký")  # news: a new note
    notes = [t.splitlines()[2] for t in texts(outbound["telegram"])]
    assert notes == [
        "• Ghi chú của cán bộ: Chuyển phòng Khảo thí",
        "• Ghi chú của cán bộ: Đã trình lãnh đạo ký",
    ]


def test_a_channel_not_configured_is_skipped_and_its_subscription_kept(
    client: TestClient, outbound: dict[str, RecordingOutbound]
) -> None:
    del outbound["zalo"]
    Subscriptions().subscribe("zalo", "z-1", PROCESSING.code)
    Subscriptions().subscribe("telegram", "1001", PROCESSING.code)
    move(client, PROCESSING, "result_ready")
    assert len(outbound["telegram"].sent) == 1
    assert Subscriptions().subscribers(PROCESSING.code) == [Subscriber("zalo", "z-1")]


def test_an_undelivered_final_notice_keeps_the_subscription(
    client: TestClient, outbound: dict[str, RecordingOutbound]
) -> None:
    outbound["telegram"].delivers = False  # e.g. the citizen blocked the bot for a while
    Subscriptions().subscribe("telegram", "1001", PROCESSING.code)
    move(client, PROCESSING, "result_ready")
    assert len(outbound["telegram"].sent) == 1
    assert Subscriptions().subscribers(PROCESSING.code) == [Subscriber("telegram", "1001")]


def test_a_failed_update_tells_nobody(
    client: TestClient, outbound: dict[str, RecordingOutbound]
) -> None:
    Subscriptions().subscribe("telegram", "1001", PROCESSING.code)
    response = client.patch(
        f"/api/staff/dossiers/{PROCESSING.code}", json={"step": "approved"}, headers=AUTH
    )
    assert response.status_code == 422
    assert outbound["telegram"].sent == []
