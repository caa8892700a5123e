"""The error answers of the gateway's JSON routes, as their OpenAPI declares them.

Every route lists the status codes it really answers with (``responses=errors(...)``), so
the schema a client or a fuzzer reads is the contract kept (tests/server/api/
test_openapi_fuzz.py checks it with schemathesis). A route's own refusals are FastAPI's
``HTTPException``: ``{"detail": "<a sentence>"}``. A 422 is either that (a route refusing
well-formed input, e.g. a dossier code in no known format) or FastAPI's list of field
errors (input the request models refuse).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorMessage(BaseModel):
    """A route's refusal, in a sentence."""

    detail: str


class FieldError(BaseModel):
    """One field a request model refused, as FastAPI reports it."""

    loc: list[str | int]
    msg: str
    type: str


class InvalidRequest(BaseModel):
    """A 422: FastAPI's field errors, or the route's own sentence."""

    detail: str | list[FieldError] = Field(
        description="The route's refusal, or the fields the request models refused"
    )


_DESCRIPTIONS = {
    400: "The body cannot be read: not JSON (e.g. not UTF-8), or no event of the platform",
    401: "No credentials, or credentials that are not valid",
    403: "Credentials refused, or this API is switched off",
    404: "No such record",
    413: "The message or the body is too long",
    422: "The request is not valid",
    502: "The system behind the gateway did not answer",
    503: "The assistant is not available right now",
}
# The bearer-token routes say which scheme to use, as RFC 9110 asks of a 401.
_CHALLENGE = {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}}


def errors(*codes: int, bearer: bool = False) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route answering with these error codes; ``bearer`` when
    its 401 carries the ``WWW-Authenticate: Bearer`` challenge."""
    declared: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        model = InvalidRequest if code == 422 else ErrorMessage
        declared[code] = {"model": model, "description": _DESCRIPTIONS[code]}
        if code == 401 and bearer:
            declared[code]["headers"] = _CHALLENGE
    return declared
