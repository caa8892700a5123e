"""The gateway's security headers (server/api/security_headers.py) and the static pages
they protect: no inline script or style for the Content-Security-Policy to forbid."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from server.api.security_headers import page_policy
from server.core.config import get_settings
from server.main import STATIC_DIR, create_app

ORIGIN = "https://sgddt.example.gov.vn"


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("WIDGET_ORIGINS", ORIGIN)
    get_settings.cache_clear()
    yield TestClient(create_app())  # no lifespan: static files and sessions need no Rasa
    get_settings.cache_clear()


def _directives(policy: str) -> dict[str, list[str]]:
    parts = (d.split() for d in policy.split(";") if d.strip())
    return {name: values for name, *values in parts}


def test_the_chat_page_gets_a_strict_policy(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = _directives(page.headers["content-security-policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'self'", ORIGIN]
    assert "unsafe" not in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/widget.js", "javascript"), ("/widget.css", "text/css")],
)
def test_the_widget_files_load_on_other_origins(
    client: TestClient, path: str, content_type: str
) -> None:
    response = client.get(path, headers={"Origin": "https://other.example"})
    assert response.status_code == 200
    # nosniff makes browsers check the type: a script served as text/plain would not run.
    assert content_type in response.headers["content-type"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"


def test_api_answers_get_the_generic_headers_only(client: TestClient) -> None:
    response = client.post("/api/web/session")
    assert response.status_code == 201
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "content-security-policy" not in response.headers
    assert "cross-origin-resource-policy" not in response.headers


def test_the_api_docs_keep_their_inline_script(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "content-security-policy" not in docs.headers
    assert docs.headers["x-content-type-options"] == "nosniff"


def test_a_malformed_origin_cannot_rewrite_the_policy() -> None:
    policy = _directives(page_policy([ORIGIN, "https://a.example; script-src *", "'unsafe'"]))
    assert policy["frame-ancestors"] == ["'self'", ORIGIN]
    assert policy["script-src"] == ["'self'"]


def test_the_static_pages_have_no_inline_script_or_style() -> None:
    for page in STATIC_DIR.glob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), page.name
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=", html, re.IGNORECASE), page.name
    assert 'src="widget.js" data-mode="page"' in (STATIC_DIR / "index.html").read_text("utf-8")


def test_the_widget_never_parses_html_or_sets_inline_styles() -> None:
    code = (STATIC_DIR / "widget.js").read_text(encoding="utf-8")
    assert code.count('"use strict"') == 1
    for unsafe in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert unsafe not in code, unsafe
    assert not re.search(r"\.style\b|[\"']style[\"']|cssText", code)


def test_the_staff_console_is_framed_by_nobody_and_never_cached(client: TestClient) -> None:
    page = client.get("/staff/login")
    assert page.status_code == 200
    policy = _directives(page.headers["content-security-policy"])
    assert policy["frame-ancestors"] == ["'none'"]  # not even the widget's sites
    assert policy["script-src"] == ["'self'"]
    assert page.headers["cache-control"] == "no-store"
    assert "no-store" not in client.get("/").headers.get("cache-control", "")
