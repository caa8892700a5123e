"""Keyed pseudonyms and signed tokens, all under the one SECRET_KEY.

An unkeyed hash of a numeric Telegram or Zalo id is reversed by trying every id; a keyed
one (HMAC-SHA256) is not, as long as the key stays secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from itsdangerous import BadSignature, URLSafeTimedSerializer

from server.core.config import get_settings

__all__ = ["conversation_id", "keyed_token", "new_web_session", "sender_hash", "web_session_id"]


def _mac(purpose: str, value: str) -> bytes:
    return hmac.new(
        get_settings().secret, f"{purpose}\x00{value}".encode(), hashlib.sha256
    ).digest()


def sender_hash(sender: str) -> str:
    """A stable pseudonym for a sender id, so records group a conversation without naming it."""
    return _mac("sender", sender).hex()[:32]


def conversation_id(channel: str, user_id: str) -> str:
    """The id Rasa knows a conversation by: the channel and a pseudonym of the platform's
    user id, so the tracker store never holds a Telegram or Zalo id."""
    return f"{channel}-{_mac('conversation', f'{channel}:{user_id}').hex()[:24]}"


def keyed_token(value: str, length: int) -> str:
    """A short, unguessable, URL-safe token derived from ``value``."""
    return base64.urlsafe_b64encode(_mac("token", value)).decode()[:length]


def _web_sessions() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret.decode(), salt="web-session")


def new_web_session() -> str:
    """A signed token naming a new web conversation; the browser keeps it."""
    return str(_web_sessions().dumps({"sid": secrets.token_urlsafe(16)}))


def web_session_id(token: str) -> str | None:
    """The session id a token names, or None if it is forged, malformed or expired."""
    max_age = get_settings().web_session_days * 86400
    try:
        data = _web_sessions().loads(token, max_age=max_age)
    except BadSignature:
        return None
    sid = data.get("sid") if isinstance(data, dict) else None
    return sid if isinstance(sid, str) else None
