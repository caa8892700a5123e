from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.core import security
from server.core.config import get_settings


@pytest.fixture(autouse=True)
def key(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SECRET_KEY", "first-key")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _with_key(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SECRET_KEY", value)
    get_settings.cache_clear()


def test_sender_hash_is_keyed_so_numeric_ids_cannot_be_enumerated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sender = "telegram:12345"
    pseudonym = security.sender_hash(sender)
    assert pseudonym == security.sender_hash(sender)
    # Whoever hashes every id without the key finds nothing.
    assert pseudonym != hashlib.sha256(sender.encode()).hexdigest()[:32]
    _with_key(monkeypatch, "second-key")
    assert security.sender_hash(sender) != pseudonym


def test_conversation_id_names_the_channel_but_not_the_user() -> None:
    conversation = security.conversation_id("telegram", "123456789")
    assert conversation.startswith("telegram-") and "123456789" not in conversation
    assert conversation == security.conversation_id("telegram", "123456789")
    assert conversation != security.conversation_id("zalo", "123456789")


def test_web_session_tokens_are_signed(monkeypatch: pytest.MonkeyPatch) -> None:
    token = security.new_web_session()
    sid = security.web_session_id(token)
    assert sid and security.web_session_id(token) == sid
    assert security.new_web_session() != token
    for forged in ["", "abc", token[:-2] + "xx", token + "x", "eyJzaWQiOiJhIn0.x.y"]:
        assert security.web_session_id(forged) is None
    _with_key(monkeypatch, "second-key")
    assert security.web_session_id(token) is None


def test_a_development_key_is_made_once_and_shared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET_KEY", "")
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    first = get_settings().secret
    get_settings.cache_clear()
    assert len(first) == 64 and get_settings().secret == first
