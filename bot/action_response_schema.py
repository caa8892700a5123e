"""The action server's answers, validated against Rasa's schema with a validator built once.

Rasa 3.6 checks each answer of the action server with ``jsonschema.validate``, which first
checks the schema itself against the JSON Schema meta-schema, on every call. Measured with
py-spy under load (README "Load benchmark"), that re-check was most of Rasa's CPU time per
turn: about 100 ms per answer against 6 ms once the validator is built. The schema is a
constant of Rasa's, so it is checked once; every answer is still validated, and a bad one
raises the same error with the same message as before.

Installed when Rasa loads the gateway channel (``bot/channels.py``), before any action runs.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@lru_cache(maxsize=1)
def response_validator() -> Validator:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Rasa's ``RemoteAction._validate_action_result``, with the validator built once."""
    error = best_match(response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, "
        "make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


def install() -> None:
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
