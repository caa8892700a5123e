"""Telegram Update JSON as the platform sends it to a webhook (or returns from getUpdates),
for tests: a citizen's text, a command, a button press, a sticker, a photo, a voice
message, a document, a location, an edited message, a channel post, a group message, the
citizen blocking the bot. The shapes follow real deliveries of Bot API 9.x; each function
takes the chat id and returns a new update with a fresh ``update_id`` unless one is given.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

CITIZEN_ID = 6_012_345_678
BOT = {"id": 123456, "is_bot": True, "first_name": "Trợ lý Sở GDĐT", "username": "sgddt_test_bot"}
_update_ids = itertools.count(731_000_001)
_message_ids = itertools.count(2001)


def next_update_id() -> int:
    return next(_update_ids)


def citizen(user_id: int = CITIZEN_ID) -> dict[str, Any]:
    return {
        "id": user_id,
        "is_bot": False,
        "first_name": "Lan",
        "last_name": "Nguyễn",
        "language_code": "vi",
    }


def private_chat(chat_id: int = CITIZEN_ID) -> dict[str, Any]:
    return {"id": chat_id, "first_name": "Lan", "last_name": "Nguyễn", "type": "private"}


def _message(chat_id: int, **content: Any) -> dict[str, Any]:
    return {
        "message_id": next(_message_ids),
        "from": citizen(chat_id),
        "chat": private_chat(chat_id),
        "date": int(time.time()),
        **content,
    }


def _update(kind: str, payload: dict[str, Any], update_id: int | None) -> dict[str, Any]:
    return {"update_id": update_id if update_id is not None else next_update_id(), kind: payload}


def text(chat_id: int, message: str, update_id: int | None = None) -> dict[str, Any]:
    """A typed message; a leading ``/command`` carries its bot_command entity, as sent."""
    content: dict[str, Any] = {"text": message}
    if message.startswith("/"):
        length = len(message.split()[0].encode("utf-16-le")) // 2
        content["entities"] = [{"offset": 0, "length": length, "type": "bot_command"}]
    return _update("message", _message(chat_id, **content), update_id)


def button_press(
    chat_id: int,
    data: str,
    keyboard: list[list[dict[str, Any]]] | None = None,
    update_id: int | None = None,
) -> dict[str, Any]:
    """A press on an inline button of a message the bot sent, carrying its callback_data."""
    bot_message: dict[str, Any] = {
        "message_id": next(_message_ids),
        "from": BOT,
        "chat": private_chat(chat_id),
        "date": int(time.time()) - 5,
        "text": "Dạ, anh/chị chọn giúp em ạ:",
        "reply_markup": {
            "inline_keyboard": keyboard or [[{"text": "Giấy tờ", "callback_data": data}]]
        },
    }
    query = {
        "id": f"{chat_id}{next(_message_ids)}",
        "from": citizen(chat_id),
        "message": bot_message,
        "chat_instance": "-4378923412341234123",
        "data": data,
    }
    return _update("callback_query", query, update_id)


def sticker(chat_id: int, update_id: int | None = None) -> dict[str, Any]:
    thumb = {
        "file_id": "AAMCAgADGQEAAgFnZ0x8",
        "file_unique_id": "AQADbQADWbv8JXI",
        "file_size": 4312,
        "width": 128,
        "height": 128,
    }
    content = {
        "sticker": {
            "width": 512,
            "height": 512,
            "emoji": "👍",
            "set_name": "HotCherry",
            "is_animated": False,
            "is_video": False,
            "type": "regular",
            "thumbnail": thumb,
            "thumb": thumb,
            "file_id": "CAACAgIAAxkBAAIBZ2dMfKfN8Pz1",
            "file_unique_id": "AgADbQADWbv8JQ",
            "file_size": 23456,
        }
    }
    return _update("message", _message(chat_id, **content), update_id)


def photo(chat_id: int, caption: str | None = None, update_id: int | None = None) -> dict[str, Any]:
    sizes = [
        {"file_id": f"AgACAgUAAxkBAAIBa{w}", "file_unique_id": f"AQADu{w}", "file_size": w * 40,
         "width": w, "height": w * 3 // 4}
        for w in (90, 320, 800, 1280)
    ]  # fmt: skip
    content: dict[str, Any] = {"photo": sizes}
    if caption:
        content["caption"] = caption
    return _update("message", _message(chat_id, **content), update_id)


def voice(chat_id: int, update_id: int | None = None) -> dict[str, Any]:
    content = {
        "voice": {
            "duration": 4,
            "mime_type": "audio/ogg",
            "file_id": "AwACAgUAAxkBAAIBbGdMfQ",
            "file_unique_id": "AgADwBAAAl",
            "file_size": 15872,
        }
    }
    return _update("message", _message(chat_id, **content), update_id)


def document(chat_id: int, update_id: int | None = None) -> dict[str, Any]:
    content = {
        "document": {
            "file_name": "don-de-nghi.pdf",
            "mime_type": "application/pdf",
            "file_id": "BQACAgUAAxkBAAIBbWdMfg",
            "file_unique_id": "AgADxBAAAl",
            "file_size": 183_201,
        }
    }
    return _update("message", _message(chat_id, **content), update_id)


def location(chat_id: int, update_id: int | None = None) -> dict[str, Any]:
    content = {"location": {"latitude": 21.028511, "longitude": 105.804817}}
    return _update("message", _message(chat_id, **content), update_id)


def edited_text(chat_id: int, message: str, update_id: int | None = None) -> dict[str, Any]:
    edited = _message(chat_id, text=message)
    edited["edit_date"] = edited["date"] + 30
    return _update("edited_message", edited, update_id)


def channel_post(channel_id: int = -1001234567890, update_id: int | None = None) -> dict[str, Any]:
    channel = {"id": channel_id, "title": "Tin tức Sở GDĐT", "type": "channel"}
    post = {
        "message_id": next(_message_ids),
        "sender_chat": channel,
        "chat": channel,
        "date": int(time.time()),
        "text": "Thông báo lịch thi",
    }
    return _update("channel_post", post, update_id)


def group_text(group_id: int, message: str, update_id: int | None = None) -> dict[str, Any]:
    group = {"id": group_id, "title": "Phụ huynh lớp 12A", "type": "supergroup"}
    content = {
        "message_id": next(_message_ids),
        "from": citizen(),
        "chat": group,
        "date": int(time.time()),
        "text": message,
    }
    return _update("message", content, update_id)


def blocked_by_citizen(chat_id: int, update_id: int | None = None) -> dict[str, Any]:
    """``my_chat_member``: the citizen stopped and blocked the bot."""
    member = {
        "chat": private_chat(chat_id),
        "from": citizen(chat_id),
        "date": int(time.time()),
        "old_chat_member": {"user": BOT, "status": "member"},
        "new_chat_member": {"user": BOT, "status": "kicked", "until_date": 0},
    }
    return _update("my_chat_member", member, update_id)
