"""The staff console as officers see it, in Chromium against the real stack: an editor
changes a procedure's fee, a reviewer publishes it, and the assistant answers a citizen with
the new fee at once (no retraining, no restart). Then every page of the console, at laptop
and tablet width, under the gateway's strict CSP. Screenshots land in
``artifacts/screenshots/console-*.png``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from server import db
from server.staff.accounts import Accounts, Role
from tests.e2e.chat import say, text_of
from tests.e2e.conftest import Watched, screenshot

PASSWORD = "mat-khau-console-e2e"
RECORD = "cap-ban-sao-van-bang-tu-so-goc"
NEW_FEE = "12.000 đồng mỗi bản sao"
FEE_QUESTION = "lệ phí cấp bản sao bằng tốt nghiệp thpt từ sổ gốc là bao nhiêu"
TABLET = 820


@pytest.fixture(scope="module")
def stack_database(stack: Any) -> Iterator[Engine]:
    engine = db.make_engine(stack.settings.app_database_url)
    accounts = Accounts(engine)
    accounts.create("bientap.e2e", "Nguyễn Văn Biên", PASSWORD, {Role.editor})
    accounts.create("duyet.e2e", "Trần Thị Duyệt", PASSWORD, {Role.reviewer})
    accounts.create("quantri.e2e", "Lê Quản Trị", PASSWORD, set(Role))
    yield engine
    engine.dispose()


def log_in(
    open_page: Callable[..., Watched], stack: Any, username: str, width: int = 1280
) -> Watched:
    watched = open_page(f"{stack.gateway_url}/staff/", width=width)
    page = watched.page
    expect(page).to_have_url(f"{stack.gateway_url}/staff/login?next=/staff/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("h1")).to_contain_text("Chào")
    return watched


def accept_confirms(page: Page) -> None:
    page.on("dialog", lambda dialog: dialog.accept())


def test_edit_a_fee_publish_it_and_the_assistant_answers_with_it(
    stack: Any, stack_database: Engine, open_page: Callable[..., Watched]
) -> None:
    before = text_of(say(stack, "e2e-console-before", FEE_QUESTION))
    assert NEW_FEE not in before

    editor = log_in(open_page, stack, "bientap.e2e")
    page = editor.page
    screenshot(page, "console-home-editor.png")
    page.get_by_role("link", name="Thủ tục", exact=True).click()
    page.get_by_label("Tìm theo tên, mã").fill("ban sao van bang tu so goc")  # no diacritics
    page.get_by_role("button", name="Lọc").click()
    page.locator(f'a[href="/staff/catalogue/{RECORD}"]').first.click()
    screenshot(page, "console-record.png")
    page.get_by_role("link", name="Sửa thủ tục").click()
    page.locator('[name="fee-text"]').fill(NEW_FEE)
    page.locator('[name="fee-amount_vnd"]').fill("12000")
    screenshot(page, "console-edit.png")
    page.get_by_role("button", name="Lưu bản nháp").click()
    diff = page.locator("table").first
    expect(diff).to_contain_text(NEW_FEE)
    screenshot(page, "console-draft-diff.png")
    page.get_by_role("button", name="Gửi duyệt").click()
    expect(page.locator(".notice")).to_contain_text("Đã gửi duyệt")
    editor.assert_clean()

    reviewer = log_in(open_page, stack, "duyet.e2e")
    page = reviewer.page
    accept_confirms(page)
    page.get_by_role("link", name="Chờ duyệt").first.click()
    screenshot(page, "console-review-list.png")
    page.locator('a[href^="/staff/review/"]').first.click()
    expect(page.locator("body")).to_contain_text(NEW_FEE)
    screenshot(page, "console-review.png")
    page.get_by_role("button", name="Xuất bản").click()
    expect(page.locator(".notice")).to_contain_text("Đã xuất bản")
    reviewer.assert_clean()

    # Every process polls the published records (CATALOGUE_POLL_S, 1 s by default).
    page.wait_for_timeout(1500)
    after = text_of(say(stack, "e2e-console-after", FEE_QUESTION))
    assert NEW_FEE in after, after


@pytest.mark.parametrize("width", [1280, TABLET])
def test_every_page_of_the_console(
    stack: Any, stack_database: Engine, open_page: Callable[..., Watched], width: int
) -> None:
    say(stack, "e2e-console-inbox", "cho mình hỏi giá vé xe buýt đi Hà Nội")  # out of scope
    watched = log_in(open_page, stack, "quantri.e2e", width)
    page = watched.page
    pages = {
        "home": "/staff/",
        "handoffs": "/staff/handoffs",
        "dossiers": "/staff/dossiers",
        "catalogue": "/staff/catalogue",
        "import": "/staff/catalogue/import",
        "review-queue": "/staff/review",
        "inbox": "/staff/inbox",
        "reports": "/staff/reports",
        "accounts": "/staff/accounts",
        "audit": "/staff/audit",
    }
    for name, path in pages.items():
        response = page.goto(stack.gateway_url + path)
        assert response is not None and response.status == 200, (path, response)
        expect(page.locator("h1").first).to_be_visible()
        # Nothing wider than the screen but the tables, which scroll inside their frame.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width, path
        screenshot(page, f"console-{name}-{width}.png")
    page.goto(stack.gateway_url + "/staff/dossiers")
    first = page.locator('a[href^="/staff/dossiers/"]').first
    first.click()
    expect(page.locator("h1")).to_be_visible()
    screenshot(page, f"console-dossier-{width}.png")
    page.goto(stack.gateway_url + "/staff/reports")
    assert page.locator("svg").count() >= 4
    page.goto(stack.gateway_url + "/staff/inbox")
    expect(page.locator("body")).to_contain_text("xe buýt")
    watched.assert_clean()
