"""Talking to the running stack's REST chat API in end-to-end tests."""

from __future__ import annotations

from typing import Any

import httpx


def say(stack: Any, sender: str, message: str) -> list[dict[str, Any]]:
    response = httpx.post(
        f"{stack.gateway_url}/api/chat", json={"sender": sender, "message": message}, timeout=60
    )
    assert response.status_code == 200, response.text
    messages: list[dict[str, Any]] = response.json()["messages"]
    assert messages, f"no answer to {message!r}"
    return messages


def text_of(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)
