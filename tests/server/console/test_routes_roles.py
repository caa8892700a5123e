"""Every console route has a role decision, and the gateway enforces it.

:data:`ROUTE_ROLES` names, for each route under /staff, the roles that may use it. The
first test fails when the gateway serves a console route the table does not list (or the
table lists one that is gone), so a new page cannot arrive without someone deciding who
may open it. The others check the decisions against the running app: nobody anonymous gets
in, no form is accepted without its CSRF token, an officer holding none of the roles is
refused with 403 (before any lookup could answer 404), and each listed role is let in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from server.main import create_app
from server.staff.accounts import Accounts, Role
from tests.server.console.conftest import PASSWORD, Officer

ALL = frozenset(Role)
ADMIN = frozenset({Role.admin})
DESK = frozenset({Role.desk})
EDITOR = frozenset({Role.editor})
REVIEWER = frozenset({Role.reviewer})
CATALOGUE_READERS = frozenset({Role.editor, Role.reviewer})
INBOX = frozenset({Role.desk, Role.editor, Role.reviewer})

# "METHOD /path" -> the roles that may use it. Keyed by method too: a page and its form may
# differ (a reviewer reads a record an editor changes).
ROUTE_ROLES: dict[str, frozenset[Role]] = {
    # Home, logout, reports, one's own password: every officer.
    "GET /staff/": ALL,
    "POST /staff/logout": ALL,
    "GET /staff/password": ALL,
    "POST /staff/password": ALL,
    "GET /staff/reports": ALL,
    "GET /staff/reports/{table}.csv": ALL,
    # Accounts and the audit log.
    "GET /staff/accounts": ADMIN,
    "GET /staff/accounts/new": ADMIN,
    "POST /staff/accounts/new": ADMIN,
    "GET /staff/accounts/{account_id}": ADMIN,
    "POST /staff/accounts/{account_id}": ADMIN,
    "POST /staff/accounts/{account_id}/password": ADMIN,
    "POST /staff/accounts/{account_id}/unlock": ADMIN,
    "GET /staff/audit": ADMIN,
    "GET /staff/audit.csv": ADMIN,
    # The catalogue: editors change it, reviewers read it and roll back.
    "GET /staff/catalogue": CATALOGUE_READERS,
    "GET /staff/catalogue/{procedure_id}": CATALOGUE_READERS,
    "GET /staff/catalogue/{procedure_id}/edit": EDITOR,
    "POST /staff/catalogue/{procedure_id}/edit": EDITOR,
    "GET /staff/catalogue/{procedure_id}/drafts/{version_id}": CATALOGUE_READERS,
    "POST /staff/catalogue/{procedure_id}/drafts/{version_id}/submit": EDITOR,
    "POST /staff/catalogue/{procedure_id}/drafts/{version_id}/withdraw": EDITOR,
    "POST /staff/catalogue/{procedure_id}/versions/{version_id}/rollback": REVIEWER,
    "GET /staff/catalogue/import": EDITOR,
    "POST /staff/catalogue/import": EDITOR,
    "GET /staff/catalogue/import/{batch_id}": EDITOR,
    "POST /staff/catalogue/import/{batch_id}/submit": EDITOR,
    "POST /staff/catalogue/import/{batch_id}/withdraw": EDITOR,
    # Review: reviewers only.
    "GET /staff/review": REVIEWER,
    "GET /staff/review/{version_id}": REVIEWER,
    "POST /staff/review/{version_id}/publish": REVIEWER,
    "POST /staff/review/{version_id}/reject": REVIEWER,
    "GET /staff/review/imports/{batch_id}": REVIEWER,
    "POST /staff/review/imports/{batch_id}/publish": REVIEWER,
    "POST /staff/review/imports/{batch_id}/reject": REVIEWER,
    # The inbox of questions the assistant did not handle.
    "GET /staff/inbox": INBOX,
    "POST /staff/inbox/{message_id}/label": INBOX,
    "GET /staff/inbox/export": INBOX,
    # The desk: dossiers and hand-offs.
    "GET /staff/dossiers": DESK,
    "GET /staff/dossiers/{code}": DESK,
    "POST /staff/dossiers/{code}/step": DESK,
    "GET /staff/handoffs": DESK,
    "GET /staff/handoffs/{handoff_id}": DESK,
    "POST /staff/handoffs/{handoff_id}/take": DESK,
    "POST /staff/handoffs/{handoff_id}/reply": DESK,
    "POST /staff/handoffs/{handoff_id}/release": DESK,
    "POST /staff/handoffs/{handoff_id}/close": DESK,
}
PUBLIC = {"/staff/login"}  # and the static files, a mount rather than a route
_PARAMETER = re.compile(r"\{[^}]+\}")
NO_RIGHT = "không có quyền"
NO_CSRF = "Biểu mẫu đã hết hạn"


def served_routes(app: FastAPI) -> set[str]:
    """Every console route the gateway serves, as "METHOD /path". FastAPI keeps included
    routers as one entry each in ``app.routes``; ``iter_route_contexts`` opens them."""
    served = {
        f"{method} {context.path}"
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        and (context.path or "").startswith("/staff")
        and context.path not in PUBLIC
        for method in context.methods or ()
    }
    assert "GET /staff/" in served, "the routes were not found: the test would prove nothing"
    return served


def _url(route: str) -> tuple[str, str]:
    """The method and a URL with a dummy value in each path parameter."""
    method, path = route.split(" ", 1)
    return method, _PARAMETER.sub("1", path)


@pytest.fixture
def app() -> Iterator[FastAPI]:
    """One gateway, its lifespan run once (the pages an allowed officer opens need it)."""
    application = create_app()
    with TestClient(application, base_url="https://testserver"):
        yield application


class Officers:
    """One logged-in officer per set of roles, on the one app (logging in costs a hash)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.known: dict[frozenset[Role], Officer] = {}

    def holding(self, roles: frozenset[Role]) -> Officer:
        if roles not in self.known:
            username = "canbo." + ".".join(sorted(r.value for r in roles))
            account = Accounts().create(username, username, PASSWORD, set(roles))
            client = TestClient(
                self.app, base_url="https://testserver", raise_server_exceptions=False
            )
            response = client.post(
                "/staff/login",
                data={"username": username, "password": PASSWORD},
                follow_redirects=False,
            )
            assert response.status_code == 303, response.text
            self.known[roles] = Officer(client, account)
        return self.known[roles]

    def request(self, roles: frozenset[Role], route: str) -> httpx.Response:
        """Sends the route's request as an officer holding ``roles``, with the CSRF token."""
        officer = self.holding(roles)
        method, url = _url(route)
        if method == "POST":
            response: httpx.Response = officer.post(url)
            return response
        return officer.client.get(url, follow_redirects=False)


@pytest.fixture
def officers(app: FastAPI) -> Officers:
    return Officers(app)


def test_every_console_route_has_a_role_decision(app: FastAPI) -> None:
    served = served_routes(app)
    missing = sorted(served - ROUTE_ROLES.keys())
    assert not missing, f"console routes without a role decision in ROUTE_ROLES: {missing}"
    gone = sorted(ROUTE_ROLES.keys() - served)
    assert not gone, f"ROUTE_ROLES lists routes the gateway does not serve: {gone}"
    assert all(ROUTE_ROLES.values()), "a route nobody may use should not exist"


def test_anonymous_is_sent_to_login_everywhere(app: FastAPI) -> None:
    client = TestClient(app, base_url="https://testserver")
    wrong = []
    for route in sorted(served_routes(app) | ROUTE_ROLES.keys()):
        method, url = _url(route)
        response = client.request(method, url, follow_redirects=False)
        location = response.headers.get("location", "")
        if response.status_code != 303 or not location.startswith("/staff/login"):
            wrong.append((route, response.status_code, location))
    assert not wrong


def test_no_form_is_accepted_without_its_csrf_token(app: FastAPI, officers: Officers) -> None:
    officer = officers.holding(ALL)
    wrong = []
    for route in sorted(r for r in served_routes(app) if r.startswith("POST ")):
        _, url = _url(route)
        response = officer.client.post(url, data={"note": "x"}, follow_redirects=False)
        if response.status_code != 403 or NO_CSRF not in response.text:
            wrong.append((route, response.status_code))
    assert not wrong
    assert officer.client.get("/staff/", follow_redirects=False).status_code == 200


def test_an_officer_without_the_roles_is_refused(officers: Officers) -> None:
    wrong = []
    for route, allowed in sorted(ROUTE_ROLES.items()):
        others = ALL - allowed
        if not others:
            continue  # every officer may
        response = officers.request(others, route)
        if response.status_code != 403 or NO_RIGHT not in response.text:
            wrong.append((route, sorted(r.value for r in others), response.status_code))
    assert not wrong


def test_each_allowed_role_gets_past_the_check(officers: Officers) -> None:
    """GET pages only: a POST would act. A 404 (no such dummy record) is fine here."""
    wrong = []
    for route, allowed in sorted(ROUTE_ROLES.items()):
        if not route.startswith("GET "):
            continue
        for role in sorted(allowed):
            response = officers.request(frozenset({role}), route)
            refused = response.status_code == 403 and NO_RIGHT in response.text
            if refused or response.headers.get("location", "").startswith("/staff/login"):
                wrong.append((route, role.value, response.status_code))
    assert not wrong
