"""The Zalo OA channel: webhooks as Zalo posts them (tests/fakes/zalo_api.py signs them),
a stand-in for Rasa, and the fake OA API on loopback receiving the replies and refreshing
tokens. The conversation itself is tested end to end in tests/e2e/test_zalo.py."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from server import db
from server.channels.outbound import Outbound
from server.channels.zalo import EMPTY, TEXT_ONLY, TOO_LONG
from server.channels.zalo_api import MAX_BUTTONS, TEXT_LIMIT, ZaloSender, render, split_text
from server.channels.zalo_api import undelivered_messages as undelivered
from server.channels.zalo_tokens import ZaloTokens, zalo_tokens
from server.chat import UNAVAILABLE, ChatService, Reply, ReplyButton
from server.chat.buttons import TOKEN, ButtonTokens
from server.core.config import get_settings
from server.core.security import conversation_id
from server.main import create_app
from server.rasa_client import RasaClient
from server.records import Records
from tests.fakes.zalo_api import (
    APP_ID,
    APP_SECRET,
    FIRST_REFRESH_TOKEN,
    MESSAGE_PATH,
    OA_SECRET_KEY,
    TOKEN_PATH,
    FakeZaloApi,
    follow,
    oa_text,
    sign,
    signed,
    user_image,
    user_sticker,
    user_text,
)
from tests.server.chat.fake_rasa import LONG_PAYLOAD, FakeRasa

USER = "246845883529197922"


@pytest.fixture
def fake() -> Iterator[FakeZaloApi]:
    with FakeZaloApi(port=0) as api:
        yield api


@pytest.fixture
def zalo_env(fake: FakeZaloApi, monkeypatch: pytest.MonkeyPatch) -> None:
    """The gateway configured as a department would, against the fake."""
    for key, value in {
        "ZALO_APP_ID": APP_ID,
        "ZALO_APP_SECRET": APP_SECRET,
        "ZALO_OA_SECRET_KEY": OA_SECRET_KEY,
        "ZALO_REFRESH_TOKEN": FIRST_REFRESH_TOKEN,
        "ZALO_API_URL": fake.url,
        "ZALO_OAUTH_URL": fake.url,
    }.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()


@pytest.fixture
def rasa() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
def client(zalo_env: None, rasa: FakeRasa) -> Iterator[TestClient]:
    with TestClient(create_app()) as test_client:
        rasa_client = RasaClient("http://rasa.test", 5, transport=rasa.transport())
        test_client.app.state.chat = ChatService(  # type: ignore[attr-defined]
            rasa_client, Records(), ButtonTokens(), max_chars=2000
        )
        yield test_client


def deliver(client: TestClient, event: dict[str, Any]) -> httpx.Response:
    raw, headers = signed(event)
    return client.post("/webhooks/zalo", content=raw, headers=headers)


def tokens_in(message: dict[str, Any]) -> list[str]:
    return [
        b["payload"] for b in message.get("attachment", {}).get("payload", {}).get("buttons", [])
    ]


# Messages in, answers out


def test_a_text_is_answered_with_the_buttons_as_tokens(
    client: TestClient, fake: FakeZaloApi, rasa: FakeRasa
) -> None:
    response = deliver(client, user_text(USER, "mất bằng"))
    assert response.status_code == 200, response.text
    [sent] = fake.sent_to(USER)
    assert sent["text"] == "Dạ, em nhận được: mất bằng"
    attachment = sent["attachment"]
    assert attachment["type"] == "template" and attachment["payload"]["template_type"] == "button"
    buttons = attachment["payload"]["buttons"]
    assert [b["title"] for b in buttons] == ["Giấy tờ cần chuẩn bị", "😊 Hài lòng"]
    assert all(b["type"] == "oa.query.hide" and TOKEN.match(b["payload"]) for b in buttons)
    # Rasa knows the citizen by a pseudonym only
    assert rasa.received[-1]["sender"] == conversation_id("zalo", USER)
    assert USER not in json.dumps(rasa.received)


def test_a_pressed_button_comes_back_as_its_payload(
    client: TestClient, fake: FakeZaloApi, rasa: FakeRasa
) -> None:
    deliver(client, user_text(USER, "mất bằng"))
    token = tokens_in(fake.sent_to(USER)[0])[0]
    deliver(client, user_text(USER, token))  # what Zalo posts when the button is pressed
    assert rasa.received[-1]["message"] == LONG_PAYLOAD
    assert fake.sent_to(USER)[-1]["text"] == f"Dạ, em nhận được: {LONG_PAYLOAD}"


def test_a_typed_word_shaped_like_a_token_stays_text(
    client: TestClient, fake: FakeZaloApi, rasa: FakeRasa
) -> None:
    assert TOKEN.match("baonhieutien")  # 12 letters starting with "b"
    deliver(client, user_text(USER, "baonhieutien"))
    assert rasa.received[-1]["message"] == "baonhieutien"
    assert fake.sent_to(USER)[-1]["text"] == "Dạ, em nhận được: baonhieutien"


@pytest.mark.parametrize("event", [user_sticker, user_image])
def test_stickers_and_images_get_a_polite_note(
    client: TestClient, fake: FakeZaloApi, rasa: FakeRasa, event: Any
) -> None:
    assert deliver(client, event(USER)).status_code == 200
    assert fake.sent_to(USER) == [{"text": TEXT_ONLY}]
    assert "chữ" in TEXT_ONLY and not rasa.received


def test_a_repeated_delivery_is_answered_once(
    client: TestClient, fake: FakeZaloApi, rasa: FakeRasa
) -> None:
    event = user_text(USER, "xin chào")
    assert deliver(client, event).json() == {"status": "ok"}
    assert deliver(client, event).json() == {"status": "duplicate"}
    assert len(rasa.received) == 1 and len(fake.sent_to(USER)) == 1


@pytest.mark.parametrize("event", [oa_text(USER, "Chào anh, cán bộ Sở đây ạ"), follow(USER)])
def test_oa_echoes_and_follows_are_acknowledged_and_ignored(
    client: TestClient, fake: FakeZaloApi, rasa: FakeRasa, event: dict[str, Any]
) -> None:
    response = deliver(client, event)
    assert response.status_code == 200 and response.json() == {"status": "ignored"}
    assert not rasa.received and not fake.calls()


def test_typed_text_too_long_or_empty_gets_a_short_refusal(
    client: TestClient, fake: FakeZaloApi, rasa: FakeRasa
) -> None:
    deliver(client, user_text(USER, "a" * 2500))
    deliver(client, user_text(USER, " /// "))
    assert [m["text"] for m in fake.sent_to(USER)] == [TOO_LONG.format(limit=2000), EMPTY]
    assert not rasa.received


def test_rasa_down_gets_the_unavailable_note(
    client: TestClient, fake: FakeZaloApi, rasa: FakeRasa
) -> None:
    rasa.down = True
    deliver(client, user_text(USER, "chào"))
    assert fake.sent_to(USER) == [{"text": UNAVAILABLE}]


# What Zalo did not sign, or did not send


def _bad_signatures() -> list[tuple[str, bytes, dict[str, str]]]:
    raw, good = signed(user_text(USER, "chào"))
    timestamp = json.loads(raw)["timestamp"]
    mac = good["X-ZEvent-Signature"]
    return [
        ("missing", raw, {"Content-Type": "application/json"}),
        ("empty", raw, {**good, "X-ZEvent-Signature": ""}),
        ("garbage", raw, {**good, "X-ZEvent-Signature": "mac=00ff"}),
        ("no mac= prefix", raw, {**good, "X-ZEvent-Signature": mac.removeprefix("mac=")}),
        ("other secret", raw, {**good, "X-ZEvent-Signature": sign(raw, timestamp, APP_ID, "x")}),
        ("other app", raw, {**good, "X-ZEvent-Signature": sign(raw, timestamp, "999")}),
        ("other timestamp", raw, {**good, "X-ZEvent-Signature": sign(raw, "1")}),
    ]


@pytest.mark.parametrize(("case", "raw", "headers"), _bad_signatures())
def test_an_unsigned_or_badly_signed_event_gets_401_and_goes_nowhere(
    client: TestClient,
    fake: FakeZaloApi,
    rasa: FakeRasa,
    case: str,
    raw: bytes,
    headers: dict[str, str],
) -> None:
    response = client.post("/webhooks/zalo", content=raw, headers=headers)
    assert response.status_code == 401, case
    assert not rasa.received and not fake.calls()
    good = {**headers, "X-ZEvent-Signature": sign(raw, json.loads(raw)["timestamp"])}
    assert client.post("/webhooks/zalo", content=raw, headers=good).status_code == 200


def test_a_body_changed_after_signing_gets_401(client: TestClient, rasa: FakeRasa) -> None:
    raw, headers = signed(user_text(USER, "chào"))
    tampered = raw.replace("chào".encode(), b"/restart")
    assert client.post("/webhooks/zalo", content=tampered, headers=headers).status_code == 401
    assert not rasa.received


def _signed_raw(raw: bytes, timestamp: str = "1") -> dict[str, str]:
    return {"Content-Type": "application/json", "X-ZEvent-Signature": sign(raw, timestamp)}


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"\x00\xff not json", 400),
        (b"[1, 2]", 400),
        (b'{"event_name": "user_send_text"}', 400),  # no timestamp to verify
        (b'{"timestamp": {"a": 1}}', 400),
        (b'{"timestamp": "1", "app_id": "1234567890"}', 422),  # signed, but no event
        (b'{"timestamp": "1", "app_id": "1", "event_name": "user_send_text"}', 422),
        (b'{"timestamp": "soon", "app_id": "1", "event_name": "follow"}', 422),
        (b'{"timestamp": "1", "app_id": "1", "event_name": "user_send_text",'
         b' "sender": {"id": "1"}, "message": {"text": "hi"}}', 422),  # no msg_id
        (b'{"timestamp": "1", "app_id": "1", "event_name": "user_send_text",'
         b' "sender": [], "message": {"msg_id": "m", "text": 5}}', 422),
        (b'{"timestamp": "1", "app_id": "1", "event_name": "user_send_text"' + b" " * 70_000
         + b"}", 413),
    ],
)  # fmt: skip
def test_malformed_bodies_get_4xx_never_500(
    client: TestClient, rasa: FakeRasa, raw: bytes, status: int
) -> None:
    try:
        timestamp = str(json.loads(raw).get("timestamp"))
    except (ValueError, AttributeError):
        timestamp = "1"
    response = client.post("/webhooks/zalo", content=raw, headers=_signed_raw(raw, timestamp))
    assert response.status_code == status, response.text
    assert not rasa.received


def test_an_old_event_replayed_is_ignored(client: TestClient, rasa: FakeRasa) -> None:
    event = user_text(USER, "chào")
    event["timestamp"] = str(
        int((dt.datetime.now(dt.UTC) - dt.timedelta(days=8)).timestamp() * 1000)
    )
    assert deliver(client, event).json() == {"status": "ignored"}
    assert not rasa.received


# Zalo's limits: text length, buttons per message


def test_long_text_is_cut_at_paragraphs_lines_and_words() -> None:
    paragraph = "Dạ, hồ sơ gồm đơn đề nghị và bản sao giấy tờ tùy thân. " * 12
    text = "\n\n".join([paragraph.strip()] * 6) + "\n" + "x" * 4500
    pieces = split_text(text)
    assert all(0 < len(p) <= TEXT_LIMIT for p in pieces)
    assert "".join(pieces).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(
        " ", ""
    )  # nothing lost
    assert pieces[0].endswith("tùy thân.")  # cut between sentences, not inside a word


def test_many_buttons_go_five_to_a_message_after_the_answer() -> None:
    buttons = [ReplyButton(title=f"Thủ tục {i}", token=f"b{i:011d}") for i in range(12)]
    messages = render([Reply(text="chữ " * 800, buttons=buttons)])
    texts = [m.text or "" for m in messages]
    assert all(len(t) <= TEXT_LIMIT for t in texts)
    groups = [m.attachment.payload.buttons or [] for m in messages if m.attachment]
    assert [len(g) for g in groups] == [5, 5, 2]
    assert [b.payload for g in groups for b in g] == [b.token for b in buttons]  # all, in order
    assert messages[0].attachment is None  # buttons follow the whole answer
    assert MAX_BUTTONS == 5


def test_a_long_answer_with_buttons_reaches_zalo_in_pieces(
    client: TestClient, fake: FakeZaloApi
) -> None:
    deliver(client, user_text(USER, "ạ " * 995))  # the fake Rasa repeats it: > 2000 characters
    sent = fake.sent_to(USER)
    assert len(sent) == 2 and all(len(m["text"]) <= TEXT_LIMIT for m in sent)
    assert "attachment" not in sent[0] and len(tokens_in(sent[1])) == 2
    assert all(c.answer["error"] == 0 for c in fake.calls(MESSAGE_PATH))  # Zalo took them all


# Tokens: refreshed on expiry and on -216, single-use refresh tokens rotated and stored


def stored_tokens() -> Any:
    with db.engine().connect() as conn:
        return conn.execute(select(zalo_tokens)).one()


def test_the_first_message_refreshes_from_the_configured_token_and_stores_the_pair(
    client: TestClient, fake: FakeZaloApi
) -> None:
    deliver(client, user_text(USER, "chào"))
    [refresh] = fake.calls(TOKEN_PATH)
    assert refresh.headers["secret_key"] == APP_SECRET
    assert refresh.body == {
        "app_id": APP_ID,
        "refresh_token": FIRST_REFRESH_TOKEN,
        "grant_type": "refresh_token",
    }
    [message] = fake.calls(MESSAGE_PATH)
    assert message.headers["access_token"] == fake.access_token == "access-token-1"
    row = stored_tokens()
    assert (row.access_token, row.refresh_token) == ("access-token-1", "refresh-token-1")
    deliver(client, user_text(USER, "còn gì nữa"))
    assert len(fake.calls(TOKEN_PATH)) == 1  # the stored token serves until it expires


def test_error_216_refreshes_once_and_sends_again(client: TestClient, fake: FakeZaloApi) -> None:
    deliver(client, user_text(USER, "chào"))
    fake.expire_access_token()
    fake.clear()
    deliver(client, user_text(USER, "chào lần nữa"))
    calls = [(c.path, c.answer.get("error")) for c in fake.calls()]
    assert calls == [(MESSAGE_PATH, -216), (TOKEN_PATH, None), (MESSAGE_PATH, 0)]
    assert fake.calls(TOKEN_PATH)[0].body["refresh_token"] == "refresh-token-1"  # rotated
    assert stored_tokens().refresh_token == "refresh-token-2" == fake.refresh_token


def test_a_token_about_to_expire_is_refreshed_before_sending(
    client: TestClient, fake: FakeZaloApi
) -> None:
    deliver(client, user_text(USER, "chào"))
    with db.engine().begin() as conn:
        soon = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
        conn.execute(update(zalo_tokens).values(expires_at=soon))
    fake.clear()
    deliver(client, user_text(USER, "chào lần nữa"))
    assert [c.path for c in fake.calls()] == [TOKEN_PATH, MESSAGE_PATH]
    assert fake.calls(MESSAGE_PATH)[0].answer["error"] == 0  # no -216 first
    assert stored_tokens().expires_at.replace(tzinfo=dt.UTC) > dt.datetime.now(
        dt.UTC
    ) + dt.timedelta(hours=24)


async def test_concurrent_refreshes_spend_the_refresh_token_once(
    zalo_env: None, fake: FakeZaloApi
) -> None:
    db.engine()  # created before the threads race (db.engine() is not thread-safe at first)
    async with httpx.AsyncClient() as http:
        replica_a, replica_b = ZaloTokens(http), ZaloTokens(http)  # separate locks
        tokens = await asyncio.gather(
            replica_a.refresh(stale=None),
            replica_a.refresh(stale=None),
            replica_b.refresh(stale=None),
            replica_b.access_token(),
        )
    assert len(fake.calls(TOKEN_PATH)) == 1
    assert set(tokens) == {"access-token-1"}
    assert stored_tokens().refresh_token == fake.refresh_token == "refresh-token-1"


async def test_a_restarted_gateway_uses_the_stored_pair(zalo_env: None, fake: FakeZaloApi) -> None:
    async with httpx.AsyncClient() as http:
        assert await ZaloSender(http).send(USER, [Reply(text="một")])
        assert await ZaloSender(http).send(USER, [Reply(text="hai")])  # a new process
    assert len(fake.calls(TOKEN_PATH)) == 1  # the spent first token was not tried again
    assert [m["text"] for m in fake.sent_to(USER)] == ["một", "hai"]


async def test_a_new_configured_refresh_token_replaces_the_stored_chain(
    zalo_env: None, fake: FakeZaloApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with httpx.AsyncClient() as http:
        assert await ZaloSender(http).send(USER, [Reply(text="một")])
        # the OA was re-authorised in the developer console: a new first token
        fake.refresh_token = "re-authorised-token"
        fake.expire_access_token()
        monkeypatch.setenv("ZALO_REFRESH_TOKEN", "re-authorised-token")
        get_settings.cache_clear()
        assert await ZaloSender(http).send(USER, [Reply(text="hai")])
    assert fake.calls(TOKEN_PATH)[-1].body["refresh_token"] == "re-authorised-token"


async def test_a_refused_refresh_is_recorded_not_raised(zalo_env: None, fake: FakeZaloApi) -> None:
    fake.refresh_token = "something-else"  # the configured token was spent elsewhere
    async with httpx.AsyncClient() as http:
        sender: Outbound = ZaloSender(http)
        assert await sender.send(USER, [Reply(text="chào")]) is False
    assert not fake.sent_to(USER)
    with db.engine().connect() as conn:
        [row] = conn.execute(select(undelivered)).all()
    assert row.error_code is None and "no access token" in row.reason


# The 7-day window


def test_outside_the_7_day_window_is_recorded_for_staff_and_not_retried(
    client: TestClient, fake: FakeZaloApi
) -> None:
    fake.close_window(USER)
    deliver(client, user_text(USER, "ạ " * 995))  # an answer of two messages
    [call] = fake.calls(MESSAGE_PATH)  # the first failed: no retry, the second not tried
    assert call.answer["error"] == -230
    with db.engine().connect() as conn:
        [row] = conn.execute(select(undelivered)).all()
    assert row.channel == "zalo" and row.error_code == -230 and "7-day" in row.reason
    assert row.conversation == conversation_id("zalo", USER)
    assert "Dạ, em nhận được" in row.text
    assert USER not in json.dumps([str(v) for v in row])  # the Zalo id is not stored


async def test_the_outbound_sender_reports_delivery(zalo_env: None, fake: FakeZaloApi) -> None:
    async with httpx.AsyncClient() as http:
        sender: Outbound = ZaloSender(http)
        assert await sender.send(USER, [Reply(text="Hồ sơ của anh/chị đã có kết quả.")])
        fake.close_window("someone-else")
        assert await sender.send("someone-else", [Reply(text="Hồ sơ đã có kết quả.")]) is False


def test_the_sender_is_registered_for_notifications(client: TestClient) -> None:
    outbound = client.app.state.outbound  # type: ignore[attr-defined]
    assert isinstance(outbound["zalo"], ZaloSender)


def test_zalo_off_without_an_app_id(rasa: FakeRasa) -> None:
    with TestClient(create_app()) as test_client:
        raw, headers = signed(user_text(USER, "chào"))
        assert test_client.post("/webhooks/zalo", content=raw, headers=headers).status_code in (
            404,
            405,
        )
