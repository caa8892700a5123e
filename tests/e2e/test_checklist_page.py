"""The parents' checklist page as a parent sees it: opened from a real answer's link, in
Chromium at phone and laptop width and as printed (A4), under the gateway's strict CSP.
Screenshots and the printed PDF land in ``artifacts/screenshots/``."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tests.e2e.chat import press, say, text_of
from tests.e2e.conftest import SCREENSHOTS, Watched, screenshot

SHARE = "Gửi cho bố mẹ / In danh sách"


def _checklist_url(stack: Any) -> str:
    answer = say(stack, "e2e-checklist-page", "con tôi chuyển trường cấp 3 từ tỉnh khác về")
    shared = text_of(press(stack, "e2e-checklist-page", answer, SHARE))
    path = re.search(r"/c/[a-z2-7]{8}\b", shared)
    assert path, shared
    return f"{stack.gateway_url}{path.group()}"


def test_the_checklist_page_at_phone_and_laptop_width_and_printed(
    stack: Any, open_page: Callable[..., Watched]
) -> None:
    url = _checklist_url(stack)
    for width in (390, 1280):
        watched = open_page(url, width=width)
        page = watched.page
        assert page.locator("h1").inner_text()
        assert page.locator("svg").count() == 1  # the QR code of the online submission
        documents = page.locator("table tbody tr, ul li").count()
        assert documents >= 2
        # Nothing wider than the screen: a parent on a phone never scrolls sideways.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        watched.assert_clean()
        screenshot(page, f"checklist-{width}.png")
    page.emulate_media(media="print")
    screenshot(page, "checklist-print.png")
    pdf = page.pdf(format="A4", print_background=True)
    (SCREENSHOTS / "checklist.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 1
