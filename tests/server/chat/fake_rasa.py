"""A stand-in for Rasa, for tests of the chat path that need no model.

Its gateway channel answers every message with a text naming what it received and two
buttons whose payloads are as long as the real ones, then the turn's machine message, as
``bot/channels.py`` does; "gặp cán bộ" gets ``action_handoff``'s machine message and text
instead. Its HTTP API pauses and resumes a conversation (a paused one gets only the turn)
and runs ``action_hand_back``; ``GET /`` says hello, as Rasa's server does."""

from __future__ import annotations

import json
from typing import Any

import httpx

LONG_PAYLOAD = '/choose_procedure{"procedure_id": "cap-ban-sao-van-bang-chung-chi-tu-so-goc-thpt"}'
SATISFIED_PAYLOAD = '/rate{"rating": "hai_long"}'
HANDOFF_TEXT = "Dạ, em đã chuyển cuộc trò chuyện này tới cán bộ ạ."
HAND_BACK_TEXT = "Dạ, cán bộ đã hỗ trợ xong."
RATE_TEXT = "Anh/chị có hài lòng với sự hỗ trợ của cán bộ vừa rồi không ạ?"
RATING_BUTTONS = [
    {"title": "😊 Hài lòng", "payload": SATISFIED_PAYLOAD},
    {"title": "🙁 Chưa hài lòng", "payload": '/rate{"rating": "chua_hai_long"}'},
]


class FakeRasa:
    def __init__(self) -> None:
        self.received: list[dict[str, str]] = []
        self.down = False
        self.turn: dict[str, Any] = {
            "intent": "ask_procedure",
            "confidence": 0.875,
            "procedure_id": "cap-ban-sao-van-bang-chung-chi-tu-so-goc-thpt",
        }
        self.paused: set[str] = set()
        self.events: list[tuple[str, str]] = []  # (conversation, event) appended by the API
        self.executed: list[tuple[str, str]] = []  # (conversation, action)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._answer)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("rasa is down", request=request)
        if request.method == "GET" and request.url.path == "/":  # RasaClient.is_up
            return httpx.Response(200, text="Hello from Rasa: 3.6.21")
        if request.url.path.startswith("/conversations/"):
            return self._api(request)
        body = json.loads(request.content)
        self.received.append(body)
        sender = body["sender"]
        paused = sender in self.paused
        said = [] if paused else self._say(body["message"])
        turn = {"custom": {"turn": {**self.turn, "paused": paused}}}
        return httpx.Response(200, json=[{"recipient_id": sender, **m} for m in [*said, turn]])

    def _say(self, message: str) -> list[dict[str, Any]]:
        if "gặp cán bộ" in message:
            asked = {"procedure_id": self.turn["procedure_id"], "in_hours": True}
            return [{"custom": {"handoff": asked}}, {"text": HANDOFF_TEXT}]
        return [
            {
                "text": f"Dạ, em nhận được: {message}",
                "buttons": [
                    {"title": "Giấy tờ cần chuẩn bị", "payload": LONG_PAYLOAD},
                    {"title": "😊 Hài lòng", "payload": SATISFIED_PAYLOAD},
                ],
            }
        ]

    def _api(self, request: httpx.Request) -> httpx.Response:
        _, _, conversation, endpoint = request.url.path.split("/", 3)
        body = json.loads(request.content)
        if endpoint == "tracker/events":
            for event in body:
                self.events.append((conversation, event["event"]))
                if event["event"] == "pause":
                    self.paused.add(conversation)
                elif event["event"] == "resume":
                    self.paused.discard(conversation)
            return httpx.Response(200, json={})
        assert endpoint == "execute", endpoint
        self.executed.append((conversation, body["name"]))
        messages = []
        if body["name"] == "action_hand_back":
            messages = [
                {"recipient_id": conversation, "text": HAND_BACK_TEXT},
                {"recipient_id": conversation, "text": RATE_TEXT, "buttons": RATING_BUTTONS},
            ]
        return httpx.Response(200, json={"tracker": {}, "messages": messages})


class ScriptedRasa(FakeRasa):
    """Answers every message with ``answers``, as Rasa's REST channel would write them (an
    action's ``json_message`` arrives as a message of its own with a ``custom`` field)."""

    def __init__(self, answers: list[dict[str, object]]) -> None:
        super().__init__()
        self.answers = answers

    def _answer(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.received.append(body)
        return httpx.Response(
            200, json=[{"recipient_id": body["sender"], **answer} for answer in self.answers]
        )
