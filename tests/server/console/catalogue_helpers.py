"""Shared by the catalogue, review and import page tests: the gateway with those pages and a
catalogue that polls the published records at every question, and a browser's view of the
edit form."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from server.staff.accounts import Accounts
from server.staff.tables import record_versions
from tests.server.console.conftest import Officer

COPY = "cap-ban-sao-van-bang-tu-so-goc"  # 3.000465, "(tại cấp tỉnh)"
COPY_CODE = "3.000465"
Fields = list[tuple[str, str]]


def see_publishes_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every publish seen by the next question."""
    monkeypatch.setenv("CATALOGUE_POLL_S", "0")
    from server.core.config import get_settings

    get_settings.cache_clear()


class _Form(HTMLParser):
    """What a browser posts for the form with ``action``: its controls in page order,
    outside <template>, ticked checkboxes only, the selected option, textareas as typed."""

    def __init__(self, action: str) -> None:
        super().__init__(convert_charrefs=True)
        self.action = action
        self.fields: Fields = []
        self._inside = False
        self._template = 0
        self._textarea: tuple[str, list[str]] | None = None
        self._select: tuple[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self._inside = a.get("action") == self.action
        self._template += tag == "template"
        if not self._inside or self._template:
            return
        name = a.get("name") or ""
        if tag == "input" and name and (a.get("type") != "checkbox" or "checked" in a):
            self.fields.append((name, a.get("value") or ""))
        elif tag == "textarea":
            self._textarea = (name, [])
        elif tag == "select":
            self._select = (name, None)
        elif tag == "option" and self._select is not None:
            name, chosen = self._select
            if chosen is None or "selected" in a:
                self._select = (name, a.get("value") or "")

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "template":
            self._template -= 1
        elif tag == "form":
            self._inside = False
        elif tag == "textarea" and self._textarea is not None:
            name, parts = self._textarea
            self.fields.append((name, "".join(parts).removeprefix("\n")))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            self.fields.append((self._select[0], self._select[1] or ""))
            self._select = None


def form_fields(page: str, action: str) -> Fields:
    parser = _Form(action)
    parser.feed(page)
    assert parser.fields, f"no form posting to {action}"
    return parser.fields


def changed(fields: Fields, **values: str) -> dict[str, list[str]]:
    """The fields with some values replaced (names with "-" given as "__"), as httpx posts."""
    wanted = {name.replace("__", "-"): value for name, value in values.items()}
    posted: dict[str, list[str]] = {}
    for name, value in fields:
        posted.setdefault(name, []).append(wanted.get(name, value))
    return posted


def edit(officer: Officer, procedure_id: str, note: str = "", **values: str):  # type: ignore[no-untyped-def]
    """Opens the edit page and posts its form with ``values`` changed."""
    action = f"/staff/catalogue/{procedure_id}/edit"
    page = officer.client.get(action)
    assert page.status_code == 200, page.text
    data = changed(form_fields(page.text, action), edit_note=note, **values)
    return officer.client.post(action, data=data, follow_redirects=False)


def draft_id(response) -> int:  # type: ignore[no-untyped-def]
    """The version a "saved" redirect leads to."""
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert "/drafts/" in location, location
    return int(location.split("/drafts/")[1].split("?")[0])


def version_rows() -> int:
    with Accounts().engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(record_versions)).scalar_one())
