"""Shared fixtures. The end-to-end fixture starts the real stack (trained model, action
server, gateway) on test ports; it is session-scoped because Rasa takes a while to load."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The tests and the stack they start share one key, so pseudonyms computed here match.
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
# TEST_PORT_BASE lets two checkouts run their end-to-end tests at the same time.
_BASE = int(os.environ.get("TEST_PORT_BASE", "15000"))
TEST_PORTS = {"rasa": _BASE + 5, "actions": _BASE + 55, "gateway": _BASE + 3000}
# Loopback stand-ins for the platforms' APIs (tests/fakes/), and the port of a page on
# another origin that embeds the widget.
FAKE_TELEGRAM_PORT = _BASE + 81
POSTGRES_PORT = _BASE + 432
REDIS_PORT = _BASE + 379
FAKE_ZALO_PORT = _BASE + 82
WIDGET_HOST_PORT = _BASE + 90
# The channels the test stack serves, configured as a department would, against the fakes.
TEST_CHANNEL_ENV = {
    "TELEGRAM_BOT_TOKEN": "123456:TEST-token",
    "TELEGRAM_WEBHOOK_SECRET": "telegram-webhook-secret",
    "TELEGRAM_API_URL": f"http://127.0.0.1:{FAKE_TELEGRAM_PORT}",
    "ZALO_APP_ID": "1234567890",
    "ZALO_APP_SECRET": "zalo-app-secret",
    "ZALO_OA_SECRET_KEY": "zalo-oa-secret-key",
    "ZALO_REFRESH_TOKEN": "first-refresh-token",
    "ZALO_API_URL": f"http://127.0.0.1:{FAKE_ZALO_PORT}",
    "ZALO_OAUTH_URL": f"http://127.0.0.1:{FAKE_ZALO_PORT}",
    "WIDGET_ORIGINS": f"http://127.0.0.1:{WIDGET_HOST_PORT}",
    "STAFF_TOKEN": "e2e-staff-token",
    # The test stack is plain HTTP on loopback: the console's cookie must travel without TLS.
    "STAFF_COOKIE_SECURE": "false",
}


def _models_missing() -> bool:
    from knowledge.paths import EMBEDDING_MODEL_DIR, ROOT

    rasa_model = Path(os.environ.get("RASA_MODEL") or ROOT / "models" / "current.tar.gz")
    return not (EMBEDDING_MODEL_DIR.exists() and rasa_model.exists())


def _clear_settings_caches() -> None:
    """Settings and the app database are read once per process: tests that change the
    environment start afresh. (Neither module exists in Rasa's venv, which runs tests/bot.)"""
    config, db = sys.modules.get("server.core.config"), sys.modules.get("server.db")
    if config is not None:
        config.get_settings.cache_clear()
    if db is not None:
        db.engine.cache_clear()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked ``both_databases`` run on SQLite and on PostgreSQL."""
    if metafunc.definition.get_closest_marker("both_databases"):
        metafunc.parametrize("database", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def database(request: pytest.FixtureRequest) -> str:
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[object]:
    from tests.postgres import PostgresServer, binaries

    if binaries() is None and not os.environ.get("CI"):
        pytest.skip("PostgreSQL is not installed here (CI installs it)")
    server = PostgresServer(POSTGRES_PORT)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[object]:
    from tests.redis import RedisServer, binary

    if binary() is None and not os.environ.get("CI"):
        pytest.skip("Redis is not installed here (CI installs it)")
    server = RedisServer(REDIS_PORT)
    server.start()
    yield server
    server.close()


def _database_url(request: pytest.FixtureRequest, database: str, tmp_path: Path) -> str:
    if database == "postgresql":
        return str(request.getfixturevalue("postgres_server").new_database())  # type: ignore[attr-defined]
    return f"sqlite:///{tmp_path / 'app.db'}"


@pytest.fixture(autouse=True)
def app_env(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    database: str,
) -> Iterator[None]:
    """Each unit test gets its own app database and runs without the trained models
    (lexical search), as on a fresh checkout. The end-to-end tests (they use `stack`) and
    those marked `needs_models` measure the real models, and are skipped with a reason
    where `make model` has not run."""
    end_to_end = "stack" in request.fixturenames
    needs_models = end_to_end or request.node.get_closest_marker("needs_models") is not None
    if needs_models and _models_missing():
        pytest.skip("needs the trained models: run `make model`")
    if end_to_end:
        yield
        return
    if not needs_models:
        monkeypatch.setenv("EMBEDDING_MODEL", "")
    monkeypatch.setenv("DATABASE_URL", _database_url(request, database, tmp_path))
    _clear_settings_caches()
    yield
    _clear_settings_caches()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from knowledge.paths import EMBEDDING_MODEL_DIR
    from server.stack import Ports, Stack

    var_dir: Path = tmp_path_factory.mktemp("stack")
    extra = {
        "DATABASE_URL": f"sqlite:///{var_dir / 'assistant.db'}",
        "EMBEDDING_MODEL": str(EMBEDDING_MODEL_DIR),
        **TEST_CHANNEL_ENV,
    }
    running = Stack(ports=Ports(**TEST_PORTS), var_dir=var_dir, extra_env=extra)
    running.start()
    os.environ["TEST_STACK_VAR"] = str(var_dir)
    yield running
    running.stop()
