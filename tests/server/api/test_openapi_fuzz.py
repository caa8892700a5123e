"""The gateway fuzzed from its own OpenAPI with schemathesis.

Every operation of ``/openapi.json`` (the widget API, the catalogue API, the staff API,
the health check and the Telegram and Zalo webhooks, enabled as in tests/conftest.py's
TEST_CHANNEL_ENV) gets requests generated from its schema, valid ones and invalid ones,
and every answer must be one the schema declares: no 5xx, a documented status code,
content type, body and headers. Operations behind credentials are fuzzed twice: without
them (the fuzzer's own guesses; every answer must be a refusal) and with them (a web
session, the staff token, the Telegram secret, a Zalo signature over the generated body).

Rasa is the stand-in of the other gateway tests (tests/server/chat/fake_rasa.py); the
module's tests share one app database of their own, seeded with the demo dossiers.
Hypothesis is derandomized with a fixed number of examples, so a run is reproducible and
bounded (about half a minute). Not covered: stateful sequences (the schema declares no
links; the credentialed runs share the database, so sessions and moves accumulate), and
the pages outside the schema (the staff console, the checklist pages, the static files).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from enum import Enum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.schemas import OpenApiSchema

from knowledge import vietnamese
from server import db
from server.api.routes.dossiers import dossier_store
from server.chat import ChatService
from server.chat.buttons import ButtonTokens
from server.core.config import get_settings
from server.core.security import new_web_session
from server.dossiers.seed import demo_dossiers, seed
from server.main import create_app
from server.rasa_client import RasaClient
from server.records import Records
from tests.conftest import TEST_CHANNEL_ENV
from tests.fakes.zalo_api import sign
from tests.server.chat.fake_rasa import FakeRasa

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
EXAMPLES = 30  # per operation and generation mode
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


class Credentials(Enum):
    web_session = "web session"
    staff_token = "staff token"
    telegram_secret = "Telegram secret"
    zalo_signature = "Zalo signature"


# Every operation of the schema, with what it needs to get past its door, and what a
# request without it may get: a refusal, never an answer. FastAPI parses a JSON body
# before any dependency runs (a body that is not UTF-8 gets 400, not JSON 422), and Zalo's
# webhook reads the timestamp its signature covers from the body (400, 413 when too long).
Operation = tuple[str, str]  # method, path
OPERATIONS: dict[Operation, Credentials | None] = {
    ("POST", "/api/web/session"): None,
    ("POST", "/api/web/messages"): Credentials.web_session,
    ("GET", "/api/web/history"): Credentials.web_session,
    ("GET", "/api/health"): None,
    ("GET", "/api/procedures/search"): None,
    ("GET", "/api/procedures/{procedure_id}"): None,
    ("PATCH", "/api/staff/dossiers/{code}"): Credentials.staff_token,
    ("POST", "/webhooks/telegram"): Credentials.telegram_secret,
    ("POST", "/webhooks/zalo"): Credentials.zalo_signature,
}
REFUSALS = {
    Credentials.web_session: {400, 401, 422},
    Credentials.staff_token: {400, 401, 403, 422},
    Credentials.telegram_secret: {403},
    Credentials.zalo_signature: {400, 401, 413},
}
# Nothing to make invalid: no parameter and no body, or a path parameter that can be any text.
NOTHING_TO_NEGATE = {
    ("POST", "/api/web/session"),
    ("GET", "/api/health"),
    ("GET", "/api/procedures/{procedure_id}"),
}
SEEDED_ON = dt.date(2026, 3, 10)  # the demo dossiers' codes carry the day they are seeded
# Path parameters the fuzzer cannot guess: records that exist (and a well-formed dossier
# code that does not), so that the answers about them are checked too.
KNOWN: dict[Operation, list[dict[str, str]]] = {
    ("GET", "/api/procedures/{procedure_id}"): [{"procedure_id": "cap-ban-sao-van-bang-tu-so-goc"}],
    ("PATCH", "/api/staff/dossiers/{code}"): [
        {"code": demo_dossiers(SEEDED_ON)[0].code},
        {"code": "H10.22-200101-0001"},
    ],
}
STAFF_TOKEN = TEST_CHANNEL_ENV["STAFF_TOKEN"]
TELEGRAM_SECRET = "fuzz-telegram-secret"


class _Stub(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self._answer(200 if self.path == "/health" else 404)

    def do_POST(self) -> None:
        self._answer(404)

    def _answer(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def _stub() -> Iterator[str]:
    """A loopback server answering ``GET /health`` as the action server does, and anything
    else with 404: the platforms' APIs, which refuse what a webhook answers in the
    background (the gateway logs it)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _clear_caches() -> None:
    get_settings.cache_clear()
    db.engine.cache_clear()
    dossier_store.cache_clear()


@pytest.fixture(autouse=True)
def app_env() -> None:
    """Replaces tests/conftest.py's database per test: this module's tests share the one
    of `gateway`, set up once (migrating and seeding a database takes a second)."""


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """The gateway with every channel on, as the test stack runs it, its own app database
    with the demo dossiers, and no retrieval model."""
    database = tmp_path_factory.mktemp("fuzz") / "app.db"
    with pytest.MonkeyPatch.context() as env, _stub() as stub_url:
        for name, value in {
            **TEST_CHANNEL_ENV,
            "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
            "ACTION_SERVER_URL": stub_url,
            "TELEGRAM_API_URL": stub_url,
            "ZALO_API_URL": stub_url,
            "ZALO_OAUTH_URL": stub_url,
            "DATABASE_URL": f"sqlite:///{database}",
            "EMBEDDING_MODEL": "",
        }.items():
            env.setenv(name, value)
        _clear_caches()
        seed(today=SEEDED_ON)
        # The first analysis of a process loads underthesea and counts the catalogue's
        # words (seconds): done here, so that no request waits for it.
        vietnamese.keys("thủ tục")
        yield create_app()
    _clear_caches()


@pytest.fixture
def schema(gateway: FastAPI) -> OpenApiSchema:
    """The gateway's OpenAPI. Loading it starts the app's lifespan (schemathesis ends it
    after each test); then Rasa is replaced by the stand-in."""
    loaded = schemathesis.openapi.from_asgi("/openapi.json", gateway)
    rasa = RasaClient("http://rasa.test", 5, transport=FakeRasa().transport())
    gateway.state.rasa = rasa
    gateway.state.chat = ChatService(rasa, Records(), ButtonTokens(), max_chars=2000)
    return loaded


def _fuzz(schema: OpenApiSchema, operation: Operation, check: Callable[[Case], None]) -> None:
    """Runs ``check`` on valid requests of ``operation`` generated from its schema, then on
    invalid ones (where it has something to make invalid), then on valid ones about a
    record that exists."""
    method, path = operation
    runs = [(mode, None) for mode in GenerationMode]
    runs += [(GenerationMode.POSITIVE, known) for known in KNOWN.get(operation, [])]
    for mode, path_parameters in runs:
        if mode is GenerationMode.NEGATIVE and operation in NOTHING_TO_NEGATE:
            continue
        strategy = schema[path][method].as_strategy(
            generation_mode=mode, path_parameters=path_parameters
        )

        @FUZZ
        @given(case=strategy)
        def run(case: Case) -> None:
            check(case)

        run()


def _ids(operations: Iterable[Operation]) -> list[Any]:
    return [pytest.param(operation, id=" ".join(operation)) for operation in operations]


def test_every_operation_of_the_schema_is_fuzzed(schema: OpenApiSchema) -> None:
    declared = {
        (operation.method.upper(), operation.path)
        for operation in (result.ok() for result in schema.get_all_operations())
    }
    assert declared == set(OPERATIONS)


@pytest.mark.parametrize("operation", _ids(OPERATIONS))
def test_without_credentials(schema: OpenApiSchema, operation: Operation) -> None:
    needs = OPERATIONS[operation]

    def check(case: Case) -> None:
        response = case.call_and_validate(checks=CHECKS)
        if needs is not None:
            assert response.status_code in REFUSALS[needs], (needs, response.status_code)

    _fuzz(schema, operation, check)


@pytest.mark.parametrize("operation", _ids(op for op, needs in OPERATIONS.items() if needs))
def test_with_credentials(schema: OpenApiSchema, operation: Operation) -> None:
    needs = OPERATIONS[operation]
    assert needs is not None

    def check(case: Case) -> None:
        case.call_and_validate(checks=CHECKS, **_credentials(needs, case))

    _fuzz(schema, operation, check)


HOSTILE_BODIES = {
    "empty": b"",
    "binary": bytes(range(256)) * 4,
    "not JSON": b"{update_id: 1, " * 100,
    "1 MiB": b'{"update_id": 1, "timestamp": "1", "pad": "' + b"x" * 2**20 + b'"}',
}


@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
@pytest.mark.parametrize(
    "operation", _ids(op for op in OPERATIONS if op[1].startswith("/webhooks/"))
)
def test_a_webhook_refuses_empty_binary_garbage_and_huge_bodies(
    schema: OpenApiSchema, operation: Operation, signed: bool
) -> None:
    """What the fuzzer seldom generates: every such body gets a documented 4xx."""
    method, path = operation
    needs = OPERATIONS[operation]
    assert needs is not None
    for name, body in HOSTILE_BODIES.items():
        case = schema[path][method].Case(body=body, media_type="application/json")
        kwargs = _credentials(needs, case, raw=body, timestamp="1") if signed else {}
        response = case.call_and_validate(checks=CHECKS, **kwargs)
        assert 400 <= response.status_code < 500, (name, response.status_code)


def _credentials(
    needs: Credentials, case: Case, raw: bytes | None = None, timestamp: str | None = None
) -> dict[str, Any]:
    """The keyword arguments of the call that carry valid credentials for ``case`` (for
    Zalo, a signature of ``raw`` with ``timestamp``, by default of the case's JSON body)."""
    if needs is Credentials.web_session:
        return {"headers": {"Authorization": f"Bearer {new_web_session()}"}}
    if needs is Credentials.staff_token:
        return {"headers": {"Authorization": f"Bearer {STAFF_TOKEN}"}}
    if needs is Credentials.telegram_secret:
        return {"headers": {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}}
    if raw is None:
        # Zalo signs the raw body with the payload's timestamp: sign what is sent. A body
        # that is no JSON value (an invalid one may hold bytes) goes as generated, unsigned.
        try:
            raw = json.dumps(case.body).encode()
        except TypeError:
            return {}
        found = case.body.get("timestamp") if isinstance(case.body, dict) else None
        if isinstance(found, str | int) and not isinstance(found, bool):
            timestamp = str(found)
    headers = {"Content-Type": "application/json"}
    if timestamp is not None:
        headers["X-ZEvent-Signature"] = sign(raw, timestamp)
    return {"data": raw, "headers": headers}
