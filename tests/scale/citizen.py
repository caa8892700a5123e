"""A citizen chatting through the scaled-out setup's web channel (nginx in front of the
gateways), keeping for each message which gateway replica served it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from server.core.privacy import mask_citizen_message
from server.core.security import conversation_id, web_session_id


@dataclass
class Citizen:
    gateway_url: str
    token: str = ""
    sent: list[str] = field(default_factory=list)  # every message answered with 200
    served_by: list[str] = field(default_factory=list)  # the gateway replica of each

    def __post_init__(self) -> None:
        response = httpx.post(f"{self.gateway_url}/api/web/session", timeout=10)
        assert response.status_code == 201, response.text
        self.token = response.json()["token"]

    @property
    def conversation(self) -> str:
        """The id Rasa knows this conversation by (the tests share the stack's SECRET_KEY)."""
        sid = web_session_id(self.token)
        assert sid is not None
        return conversation_id("web", sid)

    def post(self, text: str) -> httpx.Response:
        return httpx.post(
            f"{self.gateway_url}/api/web/messages",
            json={"text": text},
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=90,
        )

    def say(self, text: str) -> str:
        """The text of the bot's answer to ``text``, which must be answered."""
        response = self.post(text)
        assert response.status_code == 200, response.text
        messages: list[dict[str, Any]] = response.json()["messages"]
        assert messages, f"no answer to {text!r}"
        self.sent.append(text)
        self.served_by.append(response.headers["X-Upstream"])
        return "\n".join(m.get("text") or "" for m in messages)

    def stored_texts(self) -> list[str]:
        """What Rasa's tracker store should hold of the messages sent: their masked text."""
        return [mask_citizen_message(t) for t in self.sent]
