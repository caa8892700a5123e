"""Fixtures of the console tests: one gateway per test, started once (its lifespan loads
the catalogue), reached over HTTPS so the Secure session cookie is sent, by as many
browsers (clients with their own cookies) as the test needs: anonymous, or officers of
each role, logged in."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from server.main import create_app
from server.staff import passwords
from server.staff.accounts import Account, Accounts, Role

PASSWORD = "mat-khau-thu-nghiem"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Officer:
    """A logged-in browser: the client, its account and the CSRF token of its session."""

    def __init__(self, client: TestClient, account: Account) -> None:
        self.client = client
        self.account = account
        page = client.get("/staff/")
        assert page.status_code == 200, page.text
        found = _CSRF.search(page.text)
        assert found, "every console page carries the session's CSRF token"
        self.csrf = found.group(1)

    def post(self, path: str, data: dict[str, object] | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
        """A form POST with the CSRF token, redirects not followed."""
        return self.client.post(
            path,
            data={"csrf_token": self.csrf, **(data or {})},
            follow_redirects=False,
            **kwargs,  # type: ignore[arg-type]
        )


BASE_URL = "https://testserver"


def new_client(app: FastAPI | None = None) -> TestClient:
    """A browser of ``app`` (a new gateway, not started, if None: the login check and the
    pages that need no catalogue work without the lifespan)."""
    return TestClient(app or create_app(), base_url=BASE_URL)


class ConsoleApp:
    """The test's gateway, started (its lifespan run once for every client of the test) when
    first needed: after the test body set the environment it wants."""

    def __init__(self) -> None:
        self._app: FastAPI | None = None
        self._running = ExitStack()

    @property
    def app(self) -> FastAPI:
        if self._app is None:
            self._app = create_app()
            self._running.enter_context(TestClient(self._app, base_url=BASE_URL))
        return self._app

    def close(self) -> None:
        self._running.close()


@pytest.fixture
def console_app() -> Iterator[ConsoleApp]:
    running = ConsoleApp()
    yield running
    running.close()


@pytest.fixture
def client(console_app: ConsoleApp) -> TestClient:
    return new_client(console_app.app)


@pytest.fixture
def login(console_app: ConsoleApp) -> Iterator[Callable[..., Officer]]:
    """``login(Role.editor, ...)``: a new account with those roles, logged in on its own
    client (so two officers can act in one test)."""
    count = 0

    def make(*roles: Role, username: str | None = None) -> Officer:
        nonlocal count
        count += 1
        name = username or f"canbo{count}"
        account = Accounts().create(name, f"Cán bộ {count}", PASSWORD, set(roles))
        test_client = new_client(console_app.app)
        response = test_client.post(
            "/staff/login",
            data={"username": name, "password": PASSWORD},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        return Officer(test_client, account)

    yield make


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at its cheapest in these tests: the production cost (a quarter of a second per
    hash, on purpose) would dominate them and is not what they test."""
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))
