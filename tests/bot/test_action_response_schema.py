"""The action server's answers are validated as Rasa validates them, with the validator
built once (Rasa venv)."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot import action_response_schema
from bot.action_response_schema import response_validator, validate_action_result

GOOD = {
    "events": [
        {"event": "slot", "name": "procedure_id", "value": "cap-ban-sao", "timestamp": None},
        {"event": "action", "name": "action_listen"},
    ],
    "responses": [{"text": "Dạ, hồ sơ gồm..."}],
}
BAD: list[dict[str, Any]] = [
    {"events": "not a list", "responses": []},
    {"events": [{"event": "slot"}], "responses": []},  # a slot event without its name
    {"events": [], "responses": ["not an object"]},
]


def test_a_good_answer_passes() -> None:
    assert validate_action_result(RemoteAction("action_x", None), GOOD) is True


@pytest.mark.parametrize("answer", BAD)
def test_a_bad_answer_fails_as_with_rasa(answer: dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError) as rasa_error:
        jsonschema.validate(answer, RemoteAction.action_response_format_spec())
    with pytest.raises(jsonschema.ValidationError) as ours:
        validate_action_result(RemoteAction("action_x", None), answer)
    assert ours.value.message.startswith(rasa_error.value.message)
    assert "Failed to validate Action server response" in ours.value.message


def test_the_validator_is_built_once() -> None:
    assert response_validator() is response_validator()


def test_loading_the_gateway_channel_installs_it() -> None:
    import bot.channels  # noqa: F401 - Rasa imports it when it reads credentials.yml

    assert RemoteAction._validate_action_result is action_response_schema.validate_action_result
