"""The web channel's HTTP contract, with a stand-in for Rasa (the conversation itself is
tested end to end in tests/e2e)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from server.chat import ChatService
from server.chat.buttons import ButtonTokens
from server.main import create_app
from server.rasa_client import BotMessage, RasaClient
from server.records import Records
from server.staff.accounts import Accounts, Role
from server.staff.handoffs import Handoffs
from tests.server.chat.fake_rasa import LONG_PAYLOAD, FakeRasa

ORIGIN = "https://sgddt.example.gov.vn"


@pytest.fixture
def rasa() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
def client(rasa: FakeRasa, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("WIDGET_ORIGINS", ORIGIN)
    with TestClient(create_app()) as test_client:
        rasa_client = RasaClient("http://rasa.test", 5, transport=rasa.transport())
        test_client.app.state.chat = ChatService(  # type: ignore[attr-defined]
            rasa_client, Records(), ButtonTokens(), max_chars=2000
        )
        yield test_client


def _auth(client: TestClient) -> dict[str, str]:
    response = client.post("/api/web/session")
    assert response.status_code == 201
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_a_session_is_issued_by_the_server_and_names_the_conversation(
    client: TestClient, rasa: FakeRasa
) -> None:
    auth = _auth(client)
    response = client.post("/api/web/messages", json={"text": "xin chào"}, headers=auth)
    assert response.status_code == 200, response.text
    reply = response.json()["messages"][0]
    assert reply["text"] == "Dạ, em nhận được: xin chào"
    assert rasa.received[-1]["sender"].startswith("web-")
    other = client.post("/api/web/messages", json={"text": "chào"}, headers=_auth(client))
    assert other.status_code == 200
    assert rasa.received[-1]["sender"] != rasa.received[-2]["sender"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer forged"}, {"Authorization": "Basic abc"}],
)
def test_no_or_forged_session_gets_401(client: TestClient, headers: dict[str, str]) -> None:
    for response in (
        client.post("/api/web/messages", json={"text": "chào"}, headers=headers),
        client.get("/api/web/history", headers=headers),
    ):
        assert response.status_code == 401
        assert response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"text": ""}, 422),
        ({"text": "  "}, 422),
        ({"text": "a" * 2001}, 413),
        ({"text": "a" * 30_000}, 422),
        ({"text": "chào", "channel": "telegram"}, 422),
        ({"text": "chào", "sender": "x"}, 422),
        ({"text": 5}, 422),
    ],
)
def test_bad_bodies_get_a_clear_status(client: TestClient, body: object, status: int) -> None:
    response = client.post("/api/web/messages", json=body, headers=_auth(client))
    assert response.status_code == status
    assert response.json()["detail"]


def test_binary_body_gets_422(client: TestClient) -> None:
    response = client.post(
        "/api/web/messages",
        content=b"\x00\xff\xfe binary",
        headers={**_auth(client), "Content-Type": "application/json"},
    )
    assert response.status_code == 422


def test_rasa_down_gets_503_in_vietnamese(client: TestClient, rasa: FakeRasa) -> None:
    rasa.down = True
    response = client.post("/api/web/messages", json={"text": "chào"}, headers=_auth(client))
    assert response.status_code == 503
    assert "thử lại sau" in response.json()["detail"]
    assert int(response.headers["Retry-After"]) > 0


def test_a_button_press_and_the_history_after_a_reload(client: TestClient, rasa: FakeRasa) -> None:
    auth = _auth(client)
    reply = client.post("/api/web/messages", json={"text": "mất bằng"}, headers=auth).json()
    token = reply["messages"][0]["buttons"][0]["token"]
    client.post("/api/web/messages", json={"text": token, "button": True}, headers=auth)
    assert rasa.received[-1]["message"] == LONG_PAYLOAD
    history = client.get("/api/web/history", headers=auth).json()["messages"]
    assert [(m["role"], m["text"]) for m in history][:3] == [
        ("user", "mất bằng"),
        ("bot", "Dạ, em nhận được: mất bằng"),
        ("user", "Giấy tờ cần chuẩn bị"),
    ]
    assert history[1]["buttons"][0] == {"title": "Giấy tờ cần chuẩn bị", "token": token}


def test_cors_allows_only_the_configured_origins(client: TestClient) -> None:
    preflight = {"Access-Control-Request-Method": "POST"}
    allowed = client.options("/api/web/session", headers={"Origin": ORIGIN, **preflight})
    assert allowed.headers.get("access-control-allow-origin") == ORIGIN
    other = client.options(
        "/api/web/session", headers={"Origin": "https://evil.example", **preflight}
    )
    assert "access-control-allow-origin" not in other.headers


def test_the_history_has_ids_and_gives_only_newer_messages_after_one(client: TestClient) -> None:
    auth = _auth(client)
    sent = client.post("/api/web/messages", json={"text": "xin chào"}, headers=auth).json()
    assert sent["handoff"] is None
    history = client.get("/api/web/history", headers=auth).json()
    ids = [m["id"] for m in history["messages"]]
    assert sent["logged"] == ids and ids == sorted(ids) and history["handoff"] is None
    client.post("/api/web/messages", json={"text": "mất bằng"}, headers=auth)
    newer = client.get("/api/web/history", params={"after": ids[-1]}, headers=auth).json()
    assert [(m["role"], m["text"]) for m in newer["messages"]] == [
        ("user", "mất bằng"),
        ("bot", "Dạ, em nhận được: mất bằng"),
    ]
    bad = client.get("/api/web/history", params={"after": -1}, headers=auth)
    assert bad.status_code == 422


@pytest.mark.both_databases
def test_an_after_beyond_the_largest_message_id_gets_422_not_500(client: TestClient) -> None:
    # Found by the fuzzer (tests/server/api/test_openapi_fuzz.py): after=2**63 overflowed
    # SQLite's integers, and PostgreSQL's INTEGER id column ends at 2**31 - 1.
    auth = _auth(client)
    largest = client.get("/api/web/history", params={"after": 2**31 - 1}, headers=auth)
    assert largest.status_code == 200 and largest.json()["messages"] == []
    for after in (2**31, 2**63):
        response = client.get("/api/web/history", params={"after": after}, headers=auth)
        assert response.status_code == 422, after


def test_while_an_officer_answers_the_widget_learns_it_and_reads_the_officer(
    client: TestClient, rasa: FakeRasa
) -> None:
    auth = _auth(client)
    asked = client.post("/api/web/messages", json={"text": "cho tôi gặp cán bộ"}, headers=auth)
    assert asked.json()["handoff"] == "waiting" and asked.json()["messages"]
    before = client.get("/api/web/history", headers=auth).json()
    assert before["handoff"] == "waiting"
    [entry] = Handoffs().queue()
    officer = Accounts().create("lan", "Nguyễn Thị Lan", "mat-khau-thu-nghiem", {Role.desk})
    recipient = Handoffs().take(officer, entry.id)
    rasa.paused.add(recipient.conversation)  # what the console asks Rasa to do
    silent = client.post("/api/web/messages", json={"text": "alo ạ"}, headers=auth).json()
    assert silent["messages"] == [] and silent["handoff"] == "taken" and len(silent["logged"]) == 1
    chat: ChatService = client.app.state.chat  # type: ignore[attr-defined]
    text = "Chào anh/chị, tôi là cán bộ Lan."
    assert asyncio.run(chat.deliver("web", recipient.user_id, [BotMessage(text=text)], "officer"))
    last = before["messages"][-1]["id"]
    newer = client.get("/api/web/history", params={"after": last}, headers=auth).json()
    assert [(m["role"], m["text"]) for m in newer["messages"]] == [
        ("user", "alo ạ"),
        ("officer", text),
    ]
    assert newer["handoff"] == "taken"
    Handoffs().release(officer, entry.id)
    assert client.get("/api/web/history", headers=auth).json()["handoff"] is None
