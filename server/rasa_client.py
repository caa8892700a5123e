"""The gateway's one way into Rasa: its REST input channel."""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import BaseModel


class Button(BaseModel):
    title: str
    payload: str


class BotMessage(BaseModel):
    text: str | None = None
    buttons: list[Button] = []
    image: str | None = None
    # An action's machine message (``json_message``) for the chat service, which acts on
    # it and never shows it to the citizen.
    custom: Any = None  # any JSON: an unknown one is dropped, never a failed turn


class RasaUnavailable(RuntimeError):
    """Rasa did not answer (down, starting up, or too slow)."""


class RasaClient:
    def __init__(
        self, base_url: str, timeout_s: float, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(timeout=timeout_s, transport=transport)

    async def send(self, sender: str, message: str) -> list[BotMessage]:
        try:
            response = await self._http.post(
                f"{self.base_url}/webhooks/rest/webhook",
                json={"sender": sender, "message": message},
            )
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise RasaUnavailable(str(exc)) from exc
        return [BotMessage.model_validate(item) for item in response.json()]

    async def is_up(self) -> bool:
        try:
            return (await self._http.get(f"{self.base_url}/", timeout=3)).status_code == 200
        except httpx.HTTPError:
            return False

    async def aclose(self) -> None:
        await self._http.aclose()
