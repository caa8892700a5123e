"""The hand-off queue on SQLite and PostgreSQL: one entry per waiting conversation, one
officer per conversation, only the taker answers, and the platform id goes on closing."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select, update

from knowledge.department import VN_TZ, OfficeHours
from server import db
from server.core.security import conversation_id
from server.records import Records
from server.staff import audit
from server.staff.accounts import Account, Accounts, Role
from server.staff.handoffs import (
    MAX_REPLY_CHARS,
    HandoffConflict,
    HandoffError,
    Handoffs,
    office_minutes,
)

pytestmark = pytest.mark.both_databases

WEEKDAYS = OfficeHours(
    days=["mon", "tue", "wed", "thu", "fri"], periods=["07:30-11:30", "13:30-17:00"]
)  # type: ignore[list-item]
MONDAY_9AM = dt.datetime(2026, 3, 2, 9, 0, tzinfo=VN_TZ)


def officer(name: str) -> Account:
    return Accounts().create(name, name.title(), "mat-khau-thu-nghiem", {Role.desk})


def ask(store: Handoffs, user_id: str = "42", channel: str = "telegram") -> int:
    conversation = conversation_id(channel, user_id)
    assert store.open(channel, user_id, conversation, "cap-ban-sao", "gọi 0912345678") == "waiting"
    [entry] = [h for h in store.queue() if h.status == "open"][-1:]
    return entry.id


def stored(handoff_id: int) -> dict[str, object]:
    with db.engine().connect() as conn:
        row = conn.execute(
            select(db.handoff_requests).where(db.handoff_requests.c.id == handoff_id)
        ).mappings()
        return dict(row.one())


def test_a_conversation_has_one_live_entry() -> None:
    store = Handoffs(hours=WEEKDAYS)
    first = ask(store)
    conversation = conversation_id("telegram", "42")
    assert store.open("telegram", "42", conversation, None, "lại gặp cán bộ") == "waiting"
    assert [h.id for h in store.queue()] == [first]
    assert store.queue()[0].last_message == "gọi **********"
    store.take(officer("lan"), first)
    assert store.open("telegram", "42", conversation, None, "alo") == "taken"
    assert store.state(conversation) == "taken" and len(store.queue()) == 1


def test_two_officers_cannot_both_take_one_request() -> None:
    store = Handoffs(hours=WEEKDAYS)
    handoff_id = ask(store)
    lan, minh = officer("lan"), officer("minh")
    start = threading.Barrier(2)
    outcome: dict[str, str] = {}

    def take(who: Account) -> None:
        start.wait()
        try:
            store.take(who, handoff_id)
            outcome[who.username] = "took"
        except HandoffConflict as refused:
            outcome[who.username] = str(refused)

    threads = [threading.Thread(target=take, args=(who,)) for who in (lan, minh)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcome.values()) == ["Yêu cầu này đã có cán bộ khác nhận.", "took"]
    winner = lan if outcome["lan"] == "took" else minh
    assert stored(handoff_id)["taken_by"] == winner.id
    assert [e.action for e in audit.entries()] == ["handoff_taken"]
    with pytest.raises(HandoffConflict):
        store.take(winner, handoff_id)  # not twice either


def test_only_the_taker_replies_while_taken() -> None:
    store = Handoffs(hours=WEEKDAYS)
    handoff_id = ask(store)
    lan, minh = officer("lan"), officer("minh")
    with pytest.raises(HandoffConflict, match="nhận cuộc trò chuyện trước"):
        store.reply(lan, handoff_id, "Chào anh/chị")
    recipient = store.take(lan, handoff_id)
    assert (recipient.channel, recipient.user_id) == ("telegram", "42")
    with pytest.raises(HandoffConflict, match="cán bộ khác"):
        store.reply(minh, handoff_id, "Chào anh/chị")
    for bad in ("", "   \n", "a" * (MAX_REPLY_CHARS + 1)):
        with pytest.raises(HandoffError):
            store.reply(lan, handoff_id, bad)
    to, text = store.reply(lan, handoff_id, "  Anh/chị gọi 0912 345 678 nhé ")
    assert to == recipient and text == "Anh/chị gọi ********** nhé"
    [entry] = audit.entries(action="handoff_reply")
    assert entry.username == "lan" and entry.detail == {"chars": 28}


def test_release_closes_and_forgets_the_platform_id() -> None:
    store = Handoffs(hours=WEEKDAYS)
    handoff_id = ask(store)
    lan, minh = officer("lan"), officer("minh")
    store.take(lan, handoff_id)
    with pytest.raises(HandoffConflict):
        store.holder(minh, handoff_id)
    with pytest.raises(HandoffConflict):
        store.release(minh, handoff_id)
    assert store.holder(lan, handoff_id).user_id == "42"
    store.release(lan, handoff_id)
    row = stored(handoff_id)
    assert row["status"] == "closed" and row["user_id"] is None and row["closed_at"]
    assert store.queue() == [] and store.state(conversation_id("telegram", "42")) is None
    with pytest.raises(HandoffConflict, match="đã kết thúc"):
        store.reply(lan, handoff_id, "còn đó không ạ")
    with pytest.raises(HandoffConflict, match="đã kết thúc"):
        store.release(lan, handoff_id)
    assert [e.action for e in audit.entries()] == ["handoff_released", "handoff_taken"]
    # The citizen may ask again: a new entry.
    assert ask(store) != handoff_id


def test_close_is_for_waiting_requests_and_undo_take_puts_one_back() -> None:
    store = Handoffs(hours=WEEKDAYS)
    handoff_id = ask(store)
    lan = officer("lan")
    store.take(lan, handoff_id)
    with pytest.raises(HandoffConflict, match="Chỉ đóng được"):
        store.close(lan, handoff_id)
    store.undo_take(lan, handoff_id)
    assert stored(handoff_id)["status"] == "open" and stored(handoff_id)["taken_by"] is None
    store.close(lan, handoff_id)
    row = stored(handoff_id)
    assert row["status"] == "closed" and row["user_id"] is None
    with pytest.raises(HandoffConflict):
        store.take(lan, handoff_id)
    assert [e.action for e in audit.entries()][:2] == ["handoff_closed", "handoff_take_undone"]


def test_waiting_is_overdue_only_after_the_limit_in_office_hours(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HANDOFF_MAX_WAIT_MINUTES", "10")
    store = Handoffs(hours=WEEKDAYS)
    asked = [ask(store, user_id=str(n)) for n in range(3)]
    created = {
        asked[0]: MONDAY_9AM - dt.timedelta(minutes=11),  # waited 11 office minutes
        asked[1]: MONDAY_9AM - dt.timedelta(minutes=5),
        asked[2]: dt.datetime(2026, 2, 27, 20, 0, tzinfo=VN_TZ),  # Friday evening
    }
    with db.engine().begin() as conn:
        for handoff_id, at in created.items():
            conn.execute(
                update(db.handoff_requests)
                .where(db.handoff_requests.c.id == handoff_id)
                .values(created_at=at.astimezone(dt.timezone.utc))
            )
    monday_0735 = dt.datetime(2026, 3, 2, 7, 35, tzinfo=VN_TZ)
    at_735 = {h.id: h for h in store.queue(now=monday_0735)}
    assert not at_735[asked[2]].overdue and at_735[asked[2]].waiting_minutes > 2000
    at_9 = {h.id: (h.overdue, h.waiting_minutes) for h in store.queue(now=MONDAY_9AM)}
    assert at_9 == {asked[0]: (True, 11), asked[1]: (False, 5), asked[2]: (True, 3660)}
    # A taken request is not waiting any more, whatever its age.
    store.take(officer("lan"), asked[0])
    assert not store.queue(now=MONDAY_9AM)[0].overdue


def test_office_minutes_count_only_open_periods() -> None:
    friday_5pm = dt.datetime(2026, 2, 27, 16, 50, tzinfo=VN_TZ)
    assert office_minutes(WEEKDAYS, friday_5pm, MONDAY_9AM) == 10 + 90
    lunch = dt.datetime(2026, 3, 2, 11, 0, tzinfo=VN_TZ)
    assert office_minutes(WEEKDAYS, lunch, lunch + dt.timedelta(hours=3)) == 30 + 30


def test_get_gives_the_masked_conversation() -> None:
    store = Handoffs(hours=WEEKDAYS)
    handoff_id = ask(store, user_id="s1", channel="web")
    Records().log_message("web", conversation_id("web", "s1"), "in", "sđt 0912345678")
    Records().log_message("web", conversation_id("web", "s1"), "out", "Dạ")
    detail = store.get(handoff_id)
    assert detail is not None and detail.handoff.channel == "web"
    assert [(m.direction, m.text, m.author) for m in detail.messages] == [
        ("in", "sđt **********", None),
        ("out", "Dạ", "bot"),
    ]
    assert store.get(handoff_id + 100) is None
