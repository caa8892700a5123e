"""The Bot API methods the fake Telegram server answers (:mod:`tests.fakes.telegram_api`),
with the checks the real API makes and the errors it gives when they fail."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MAX_TEXT = 4096  # UTF-16 code units, as Telegram counts them
MAX_CALLBACK_DATA = 64  # bytes
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


class TelegramApiError(Exception):
    def __init__(self, error_code: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after


@dataclass
class _Failure:
    error_code: int
    description: str
    retry_after: int | None = None


class BotApi:
    """The state of one fake bot and its methods; the caller holds a lock around each use."""

    def __init__(self, bot_user: dict[str, Any]) -> None:
        self.bot_user = bot_user
        self.updates: list[dict[str, Any]] = []
        self.failures: dict[str, list[_Failure]] = {}
        self.blocked: set[int | str] = set()
        self.webhook: dict[str, Any] | None = None
        self._message_ids: dict[int | str, int] = {}
        self._methods: dict[str, Callable[[dict[str, Any]], Any]] = {
            "getMe": lambda p: self.bot_user,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendChatAction": self._chat_action,
            "answerCallbackQuery": self._answer_callback_query,
            "editMessageText": self._edit_message,
            "editMessageReplyMarkup": self._edit_message,
            "deleteMessage": lambda p: True,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._webhook_info,
        }

    def fail_next(
        self, method: str, error_code: int, description: str, retry_after: int | None
    ) -> None:
        self.failures.setdefault(method, []).append(_Failure(error_code, description, retry_after))

    def call(self, method: str, params: dict[str, Any]) -> Any:
        """The result of ``method``; raises :class:`TelegramApiError` as the API refuses."""
        self._fail_if_told(method)
        if method not in self._methods:
            raise TelegramApiError(404, "Not Found")
        if "chat_id" in params and params["chat_id"] in self.blocked:
            raise TelegramApiError(403, "Forbidden: bot was blocked by the user")
        return self._methods[method](params)

    def pending_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """What getUpdates returns now; an offset confirms (drops) every update before it."""
        self._fail_if_told("getUpdates")
        if self.webhook is not None:
            raise TelegramApiError(409, WEBHOOK_CONFLICT)
        if params.get("offset"):
            self.updates = [u for u in self.updates if u["update_id"] >= params["offset"]]
        return list(self.updates[: int(params.get("limit", 100))])

    def _fail_if_told(self, method: str) -> None:
        failures = self.failures.get(method)
        if failures:
            failure = failures.pop(0)
            raise TelegramApiError(failure.error_code, failure.description, failure.retry_after)

    def _message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = _required(params, "chat_id")
        message_id = self._message_ids.get(chat_id, 0) + 1
        self._message_ids[chat_id] = message_id
        chat: dict[str, Any] = (
            {"id": chat_id, "type": "private", "first_name": "Lan"}
            if isinstance(chat_id, int) and chat_id > 0
            else {"id": chat_id, "type": "supergroup", "title": "Nhóm"}
        )
        message = {
            "message_id": message_id,
            "from": {k: self.bot_user[k] for k in ("id", "is_bot", "first_name", "username")},
            "chat": chat,
            "date": int(time.time()),
            **content,
        }
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return message

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        text = str(params.get("text") or "").strip()
        if not text:
            raise TelegramApiError(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > MAX_TEXT:
            raise TelegramApiError(400, "Bad Request: message is too long")
        _check_keyboard(params.get("reply_markup"))
        return self._message(params, text=text)

    def _send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        _required(params, "photo")
        size = {"file_id": "AgACAgQAAxkDAAIB", "file_unique_id": "AQADx7", "file_size": 51234}
        photo = [{**size, "width": 320, "height": 240}, {**size, "width": 1280, "height": 960}]
        extra = {"caption": params["caption"]} if params.get("caption") else {}
        return self._message(params, photo=photo, **extra)

    def _chat_action(self, params: dict[str, Any]) -> bool:
        _required(params, "chat_id")
        _required(params, "action")
        return True

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        _required(params, "callback_query_id")
        return True

    def _edit_message(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        if params.get("inline_message_id"):
            return True
        _required(params, "message_id")
        _check_keyboard(params.get("reply_markup"))
        message = self._message(params, text=params.get("text", ""))
        message["message_id"] = params["message_id"]
        message["edit_date"] = message["date"]
        return message

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "")
        if url and not url.startswith("https://"):
            raise TelegramApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN.match(str(secret)):
            raise TelegramApiError(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = dict(params) if url else None
        return True

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self.updates.clear()
        return True

    def _webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        hook = self.webhook or {}
        info: dict[str, Any] = {
            "url": hook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": 0 if hook else len(self.updates),
        }
        if hook.get("allowed_updates"):
            info["allowed_updates"] = hook["allowed_updates"]
        return info


def _required(params: dict[str, Any], name: str) -> Any:
    if params.get(name) in (None, ""):
        raise TelegramApiError(400, f'Bad Request: parameter "{name}" is required')
    return params[name]


def _check_keyboard(markup: Any) -> None:
    if markup is None:
        return
    if not isinstance(markup, dict):
        raise TelegramApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if not str(button.get("text") or "").strip():
                raise TelegramApiError(400, "Bad Request: text buttons are unallowed")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                raise TelegramApiError(400, "Bad Request: BUTTON_DATA_INVALID")
