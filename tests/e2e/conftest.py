"""Browser fixtures of the end-to-end tests: Debian's Chromium driven by Playwright (never a
browser Playwright downloads), pages watched for CSP violations and script errors, and
screenshots kept in ``artifacts/screenshots/`` (CI keeps them as artefacts)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
# A second origin for the widget's host page, not in WIDGET_ORIGINS: Chromium resolves the
# name to loopback itself (no DNS), so the page differs from the allowed one by its origin.
ELSEWHERE = "elsewhere.test"

# Each page records what its Content-Security-Policy refused (the event is composed, so it
# reaches window from inside the shadow root). Init scripts run outside the page's CSP.
RECORD_CSP = """
window.__csp = [];
window.addEventListener("securitypolicyviolation",
  (e) => window.__csp.push(e.violatedDirective + " " + e.blockedURI), true);
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    assert executable, "Debian's Chromium is missing: apt-get install -y chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--no-proxy-server",
                f"--host-resolver-rules=MAP {ELSEWHERE} 127.0.0.1",
            ],
        )
        yield browser
        browser.close()


@dataclass
class Watched:
    page: Page
    context: BrowserContext
    console_csp: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        """No CSP violation (event or console) and no uncaught script error."""
        assert self.page.evaluate("() => window.__csp") == []
        assert self.console_csp == []
        assert self.errors == []


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Callable[..., Watched]]:
    contexts: list[BrowserContext] = []

    def opener(url: str, width: int = 1280, height: int = 860) -> Watched:
        context = browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN")
        contexts.append(context)
        context.add_init_script(RECORD_CSP)
        watched = Watched(context.new_page(), context)
        watched.page.on(
            "console",
            lambda m: "Content Security Policy" in m.text and watched.console_csp.append(m.text),
        )
        watched.page.on("pageerror", lambda e: watched.errors.append(str(e)))
        watched.page.goto(url)
        return watched

    yield opener
    for context in contexts:
        context.close()


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.mouse.move(0, 0)  # no hover highlight left where a button was clicked
    page.screenshot(path=str(SCREENSHOTS / name))
