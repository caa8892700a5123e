"""Talking to the running stack through its web channel in end-to-end tests: each named
sender gets its own server-issued session."""

from __future__ import annotations

from typing import Any

import httpx

_sessions: dict[tuple[str, str], str] = {}


def session(stack: Any, sender: str) -> dict[str, str]:
    """The Authorization header of the web session the test calls ``sender``."""
    key = (stack.gateway_url, sender)
    if key not in _sessions:
        response = httpx.post(f"{stack.gateway_url}/api/web/session", timeout=10)
        assert response.status_code == 201, response.text
        _sessions[key] = response.json()["token"]
    return {"Authorization": f"Bearer {_sessions[key]}"}


def _post(stack: Any, sender: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = httpx.post(
        f"{stack.gateway_url}/api/web/messages",
        json=body,
        headers=session(stack, sender),
        timeout=60,
    )
    assert response.status_code == 200, response.text
    messages: list[dict[str, Any]] = response.json()["messages"]
    assert messages, f"no answer to {body['text']!r}"
    return messages


def say(stack: Any, sender: str, message: str) -> list[dict[str, Any]]:
    return _post(stack, sender, {"text": message})


def press(
    stack: Any, sender: str, messages: list[dict[str, Any]], title: str
) -> list[dict[str, Any]]:
    """Presses the button titled ``title`` among the bot's last ``messages``."""
    tokens = {b["title"]: b["token"] for m in messages for b in m.get("buttons", [])}
    assert title in tokens, f"no button {title!r} in {sorted(tokens)}"
    return _post(stack, sender, {"text": tokens[title], "button": True})


def text_of(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)
