"""The gateway's calls to Rasa, against a recorded stand-in: the paths, the token, the
bodies, and one error for every failure."""

from __future__ import annotations

import json

import httpx
import pytest

from server.rasa_client import RasaClient, RasaUnavailable

CONVERSATION = "web-0123456789abcdef01234567"  # as server.core.security names them


class Recorder:
    def __init__(self, status: int = 200, answer: object = None) -> None:
        self.requests: list[httpx.Request] = []
        self.status, self.answer = status, answer

    def client(self) -> RasaClient:
        transport = httpx.MockTransport(self._answer)
        return RasaClient("http://rasa.test/", 5, transport=transport, token="s3cret")

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, json=self.answer if self.answer is not None else {})


async def test_send_posts_to_the_gateway_channel_without_the_token() -> None:
    recorder = Recorder(answer=[{"text": "Dạ"}, {"custom": {"turn": {"intent": "greet"}}}])
    messages = await recorder.client().send("conv-1", "xin chào")
    request = recorder.requests[0]
    assert str(request.url) == "http://rasa.test/webhooks/gateway/webhook"
    assert json.loads(request.content) == {"sender": "conv-1", "message": "xin chào"}
    assert [m.text for m in messages] == ["Dạ", None]
    assert messages[1].custom == {"turn": {"intent": "greet"}}


@pytest.mark.parametrize(("method", "event"), [("pause", "pause"), ("resume", "resume")])
async def test_pause_and_resume_append_rasas_own_events(method: str, event: str) -> None:
    recorder = Recorder()
    await getattr(recorder.client(), method)(CONVERSATION)
    request = recorder.requests[0]
    assert request.method == "POST"
    assert request.url.raw_path.decode() == (
        f"/conversations/{CONVERSATION}/tracker/events?token=s3cret&include_events=NONE"
    )
    assert json.loads(request.content) == [{"event": event}]


async def test_execute_runs_one_action_and_returns_what_it_said() -> None:
    answer = {
        "tracker": {},
        "messages": [
            {"recipient_id": CONVERSATION, "text": "Dạ, cán bộ đã hỗ trợ xong."},
            {"recipient_id": CONVERSATION, "text": "Hài lòng không ạ?", "buttons": [
                {"title": "😊 Hài lòng", "payload": '/rate{"rating": "hai_long"}'},
            ]},
        ],
    }  # fmt: skip
    recorder = Recorder(answer=answer)
    messages = await recorder.client().execute(CONVERSATION, "action_hand_back")
    request = recorder.requests[0]
    assert request.url.path == f"/conversations/{CONVERSATION}/execute"
    assert request.url.params["token"] == "s3cret"
    assert json.loads(request.content) == {"name": "action_hand_back"}
    assert [m.text for m in messages] == ["Dạ, cán bộ đã hỗ trợ xong.", "Hài lòng không ạ?"]
    assert messages[1].buttons[0].title == "😊 Hài lòng"


@pytest.mark.parametrize("conversation", ["web:ab", "web-a/b", "web-ả", "web-a b", ""])
async def test_an_id_needing_quotes_is_refused_before_any_call(conversation: str) -> None:
    # Rasa would not unquote it, and would pause some other conversation.
    recorder = Recorder()
    with pytest.raises(ValueError, match="conversation id"):
        await recorder.client().pause(conversation)
    assert recorder.requests == []


@pytest.mark.parametrize("status", [401, 404, 500])
async def test_refusals_are_rasa_unavailable(status: int) -> None:
    client = Recorder(status=status).client()
    with pytest.raises(RasaUnavailable):
        await client.pause(CONVERSATION)
    with pytest.raises(RasaUnavailable):
        await client.execute(CONVERSATION, "action_hand_back")
    with pytest.raises(RasaUnavailable):
        await client.send(CONVERSATION, "xin chào")


async def test_a_connection_failure_is_rasa_unavailable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("down", request=request)

    client = RasaClient("http://rasa.test", 5, transport=httpx.MockTransport(refuse))
    with pytest.raises(RasaUnavailable):
        await client.resume(CONVERSATION)
