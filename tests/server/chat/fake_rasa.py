"""A stand-in for Rasa's REST channel, for tests of the chat path that need no model:
it answers every message with a text naming what it received, and two buttons whose
payloads are as long as the real ones."""

from __future__ import annotations

import json

import httpx

LONG_PAYLOAD = '/choose_procedure{"procedure_id": "cap-ban-sao-van-bang-chung-chi-tu-so-goc-thpt"}'


class FakeRasa:
    def __init__(self) -> None:
        self.received: list[dict[str, str]] = []
        self.down = False

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._answer)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("rasa is down", request=request)
        body = json.loads(request.content)
        self.received.append(body)
        return httpx.Response(
            200,
            json=[
                {
                    "recipient_id": body["sender"],
                    "text": f"Dạ, em nhận được: {body['message']}",
                    "buttons": [
                        {"title": "Giấy tờ cần chuẩn bị", "payload": LONG_PAYLOAD},
                        {"title": "😊 Hài lòng", "payload": '/rate{"rating": "hai_long"}'},
                    ],
                }
            ],
        )


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
