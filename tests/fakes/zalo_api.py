"""A stand-in for Zalo on loopback: the OA Open API (``POST /v3.0/oa/message/cs``) and the
OAuth server (``POST /v4/oa/access_token``), answering as the real ones do, recording
every call; and the webhook events Zalo posts, signed as Zalo signs them.

    fake = FakeZaloApi(port=0).start()        # ZALO_API_URL = ZALO_OAUTH_URL = fake.url
    ...                                       # the gateway sends, refreshes
    fake.wait_for(MESSAGE_PATH, count=1)      # polls until the reply arrived
    fake.sent_to("user-1")                    # the messages that reached that user
    fake.expire_access_token()                # the next message gets error -216
    fake.close_window("user-1")               # that user gets error -230 (7-day window)
    fake.stop()

What it checks like Zalo: the ``access_token`` header against the one valid token (a
refresh invalidates the previous one), the ``secret_key`` header, ``app_id`` and the
single-use ``refresh_token`` of a refresh, and a message's limits (text up to 2000
characters, 1 to 5 buttons of at most 100-character titles, a recipient). The error
bodies are Zalo's: ``{"error": -216, "message": "Access token is invalid"}`` etc.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MESSAGE_PATH = "/v3.0/oa/message/cs"
TOKEN_PATH = "/v4/oa/access_token"
APP_ID = "1234567890"  # the values of tests/conftest.py's TEST_CHANNEL_ENV
APP_SECRET = "zalo-app-secret"
OA_SECRET_KEY = "zalo-oa-secret-key"
FIRST_REFRESH_TOKEN = "first-refresh-token"
OA_ID = "388613280878808645"

TOKEN_INVALID = {"error": -216, "message": "Access token is invalid"}
OUTSIDE_WINDOW = {
    "error": -230,
    "message": "User has not interacted with the OA in the past 7 days",
}


@dataclass
class Call:
    path: str
    headers: dict[str, str]  # lower-case names
    body: dict[str, Any]  # the JSON body, or the form fields of a token request
    status: int = 200
    answer: dict[str, Any] = field(default_factory=dict)


class FakeZaloApi:
    def __init__(
        self,
        port: int = 0,
        *,
        app_id: str = APP_ID,
        app_secret: str = APP_SECRET,
        refresh_token: str = FIRST_REFRESH_TOKEN,
        expires_in: int = 90000,
    ) -> None:
        self.port = port
        self.app_id = app_id
        self.app_secret = app_secret
        self.refresh_token = refresh_token  # the one refresh token Zalo accepts now
        self.access_token: str | None = None  # the one access token Zalo accepts now
        self.expires_in = expires_in
        self.closed_windows: set[str] = set()
        self._calls: list[Call] = []
        self._lock = threading.Lock()
        self._grants = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None

    # Lifecycle

    def start(self) -> FakeZaloApi:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # the stdlib's name
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, answer, body = fake._answer(self.path, headers, raw)
                with fake._lock:
                    fake._calls.append(Call(self.path, headers, body, status, answer))
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeZaloApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # What happened

    def calls(self, path: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if path is None or c.path == path]

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()

    def sent_to(self, user_id: str) -> list[dict[str, Any]]:
        """The messages delivered to ``user_id`` (accepted calls only), oldest first."""
        return [
            c.body["message"]
            for c in self.calls(MESSAGE_PATH)
            if c.answer.get("error") == 0 and c.body["recipient"]["user_id"] == user_id
        ]

    def wait_for(
        self,
        path: str = MESSAGE_PATH,
        count: int = 1,
        timeout: float = 30,
        user_id: str | None = None,
    ) -> list[Call]:
        """Polls until ``count`` calls to ``path`` (to ``user_id``, if given) were made;
        AssertionError after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            found = [
                c for c in self.calls(path)
                if user_id is None or c.body.get("recipient", {}).get("user_id") == user_id
            ]  # fmt: skip
            if len(found) >= count or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert len(found) >= count, f"{len(found)} calls to {path} after {timeout}s, not {count}"
        return found

    # Knobs

    def expire_access_token(self) -> None:
        """Zalo stops accepting the current access token (it expired or was revoked)."""
        self.access_token = None

    def close_window(self, user_id: str) -> None:
        """``user_id`` last wrote to the OA more than 7 days ago."""
        self.closed_windows.add(user_id)

    def open_window(self, user_id: str) -> None:
        self.closed_windows.discard(user_id)

    # The platform

    def _answer(
        self, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, Any], dict[str, Any]]:
        if path == TOKEN_PATH:
            form = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode()).items()}
            return 200, self._refresh(headers, form), form
        if path == MESSAGE_PATH:
            try:
                body = json.loads(raw)
            except ValueError:
                return 200, {"error": -201, "message": "body is invalid!"}, {}
            return 200, self._message(headers, body), body
        return 404, {"error": 404, "message": "Not found"}, {}

    def _refresh(self, headers: dict[str, str], form: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            if headers.get("secret_key") != self.app_secret or form.get("app_id") != self.app_id:
                return _oauth_error(-14001, "Invalid app_id or secret_key")
            if (
                form.get("grant_type") != "refresh_token"
                or form.get("refresh_token") != self.refresh_token
            ):
                return _oauth_error(-14020, "Invalid refresh token")
            n = next(self._grants)
            self.access_token = f"access-token-{n}"
            self.refresh_token = f"refresh-token-{n}"  # the old one is spent
            return {
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "expires_in": str(self.expires_in),
            }

    def _message(self, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        if not self.access_token or headers.get("access_token") != self.access_token:
            return TOKEN_INVALID
        user_id = (body.get("recipient") or {}).get("user_id")
        message = body.get("message")
        if not user_id or not isinstance(message, dict):
            return {"error": -201, "message": "recipient or message is invalid!"}
        problem = _invalid(message)
        if problem:
            return {"error": -201, "message": f"{problem} is invalid!"}
        if user_id in self.closed_windows:
            return OUTSIDE_WINDOW
        data = {"message_id": f"msg-{next(self._message_ids)}", "user_id": user_id}
        return {"error": 0, "message": "Success", "data": data}


def _oauth_error(code: int, description: str) -> dict[str, Any]:
    return {"error": code, "error_name": "Invalid parameter", "error_description": description}


def _invalid(message: dict[str, Any]) -> str | None:
    text = message.get("text")
    attachment = message.get("attachment")
    if text is None and attachment is None:
        return "message"
    if text is not None and not (isinstance(text, str) and 0 < len(text) <= 2000):
        return "text"
    if attachment is None:
        return None
    payload = attachment.get("payload") or {}
    if attachment.get("type") != "template":
        return "attachment.type"
    if payload.get("template_type") == "media":
        return None if payload.get("elements") else "elements"
    buttons = payload.get("buttons")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 5:
        return "buttons"
    for b in buttons:
        if not (0 < len(b.get("title", "")) <= 100 and b.get("type", "").startswith("oa.")):
            return "button"
        if b["type"] in ("oa.query.show", "oa.query.hide") and not (
            isinstance(b.get("payload"), str) and 0 < len(b["payload"]) <= 1000
        ):
            return "button.payload"
    return None


# The webhook side: events as Zalo posts them, and their signature


def sign(
    raw: bytes, timestamp: str, app_id: str = APP_ID, oa_secret_key: str = OA_SECRET_KEY
) -> str:
    """``X-ZEvent-Signature``: mac= SHA-256 of app id + raw body + timestamp + OA secret key."""
    signed = app_id.encode() + raw + timestamp.encode() + oa_secret_key.encode()
    return "mac=" + hashlib.sha256(signed).hexdigest()


def signed(event: dict[str, Any], **sign_args: str) -> tuple[bytes, dict[str, str]]:
    """The raw body and headers of a webhook delivery of ``event``."""
    raw = json.dumps(event, ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json",
        "X-ZEvent-Signature": sign(raw, str(event["timestamp"]), **sign_args),
    }
    return raw, headers


_msg_ids = itertools.count(1)


def _now_ms() -> str:
    return str(int(time.time() * 1000))


def _base(event_name: str, sender: str, recipient: str) -> dict[str, Any]:
    return {
        "app_id": APP_ID,
        "sender": {"id": sender},
        "user_id_by_app": "552177279252915516",
        "recipient": {"id": recipient},
        "event_name": event_name,
        "timestamp": _now_ms(),
    }


def new_msg_id() -> str:
    return f"96d3cdf3af1504609{next(_msg_ids):04d}"


def user_text(user_id: str, text: str, msg_id: str | None = None) -> dict[str, Any]:
    """A citizen's text, or a pressed button's payload (which arrives the same way)."""
    event = _base("user_send_text", user_id, OA_ID)
    event["message"] = {"text": text, "msg_id": msg_id or new_msg_id()}
    return event


def user_sticker(user_id: str) -> dict[str, Any]:
    event = _base("user_send_sticker", user_id, OA_ID)
    event["message"] = {
        "msg_id": new_msg_id(),
        "attachments": [{"type": "sticker", "payload": {
            "id": "bfe458bf64fa8da4d4eb",
            "url": "https://zalo-api.zadn.vn/api/emoticon/sticker/webpc?eid=bfe458bf64fa8da4d4eb",
        }}],
    }  # fmt: skip
    return event


def user_image(user_id: str) -> dict[str, Any]:
    event = _base("user_send_image", user_id, OA_ID)
    event["message"] = {
        "msg_id": new_msg_id(),
        "text": "",
        "attachments": [{"type": "image", "payload": {
            "thumbnail": "https://photo-stal-9.zdn.vn/thumb.jpg",
            "url": "https://photo-stal-9.zdn.vn/photo.jpg",
        }}],
    }  # fmt: skip
    return event


def oa_text(user_id: str, text: str) -> dict[str, Any]:
    """A message the OA sent (staff typing in the OA console): Zalo echoes it."""
    event = _base("oa_send_text", OA_ID, user_id)
    event["message"] = {"text": text, "msg_id": new_msg_id()}
    return event


def follow(user_id: str) -> dict[str, Any]:
    return {
        "oa_id": OA_ID,
        "follower": {"id": user_id},
        "user_id_by_app": "552177279252915516",
        "event_name": "follow",
        "source": "oa_profile",
        "app_id": APP_ID,
        "timestamp": _now_ms(),
    }
