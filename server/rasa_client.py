"""The gateway's one way into Rasa: its gateway input channel (``bot/channels.py``) for
the citizens' messages, and Rasa's HTTP API (``--enable-api --auth-token``) for the staff
console's hand-offs: pause the assistant while an officer answers, resume it, and run the
action that hands the conversation back."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

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
    """Rasa did not answer (down, starting up, or too slow) or refused the request."""


class _Executed(BaseModel):
    """The part of Rasa's answer to ``/execute`` the gateway reads."""

    messages: list[BotMessage] = []


class RasaClient:
    def __init__(
        self,
        base_url: str,
        timeout_s: float,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        token: str = "",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token  # Rasa's --auth-token, for its HTTP API
        self._http = httpx.AsyncClient(timeout=timeout_s, transport=transport)

    async def send(self, sender: str, message: str) -> list[BotMessage]:
        """The bot's answer to one message, ending with the turn's machine message."""
        response = await self._post(
            "/webhooks/gateway/webhook", {"sender": sender, "message": message}
        )
        return [BotMessage.model_validate(item) for item in response.json()]

    async def pause(self, conversation: str) -> None:
        """Silences the assistant in ``conversation`` while an officer answers: Rasa still
        reads each message (the turn says what it understood) but runs no action."""
        await self._call_api(conversation, "tracker/events", [{"event": "pause"}])

    async def resume(self, conversation: str) -> None:
        """Lets the assistant answer in ``conversation`` again."""
        await self._call_api(conversation, "tracker/events", [{"event": "resume"}])

    async def execute(self, conversation: str, action: str) -> list[BotMessage]:
        """Runs ``action`` in ``conversation`` and returns what it said.

        Rasa 3 marks ``/conversations/{id}/execute`` deprecated (actions should be
        predicted), but it is Rasa's one way to run an action from outside without
        inventing an intent the NLU would then have to keep apart from the citizen's."""
        response = await self._call_api(conversation, "execute", {"name": action})
        return _Executed.model_validate(response.json()).messages

    async def is_up(self) -> bool:
        try:
            return (await self._http.get(f"{self.base_url}/", timeout=3)).status_code == 200
        except httpx.HTTPError:
            return False

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call_api(self, conversation: str, endpoint: str, body: Any) -> httpx.Response:
        # Rasa's API (Sanic 21) does not unquote the id in its paths: a quoted id would name
        # another conversation there, silently. Ids are "web-<hex>"; anything else is refused.
        if not conversation or quote(conversation, safe="") != conversation:
            raise ValueError(f"not a conversation id Rasa's API can address: {conversation!r}")
        path = f"/conversations/{conversation}/{endpoint}"
        # Rasa answers with the whole tracker unless told otherwise: the gateway needs none.
        return await self._post(path, body, {"token": self.token, "include_events": "NONE"})

    async def _post(
        self, path: str, body: Any, params: dict[str, str] | None = None
    ) -> httpx.Response:
        try:
            response = await self._http.post(f"{self.base_url}{path}", json=body, params=params)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise RasaUnavailable(str(exc)) from exc
        return response
