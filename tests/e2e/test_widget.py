"""The website widget in a real browser (Debian's Chromium, driven by Playwright) against the
real stack: embedded with one script tag in a page of another origin that sends a strict
Content-Security-Policy, and as the gateway's own full-page chat at ``/``.

Screenshots (390 px and 1280 px wide) land in ``artifacts/screenshots/``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.conftest import WIDGET_HOST_PORT
from tests.e2e.conftest import ELSEWHERE, Watched, screenshot

DIPLOMA = "mẹ em bị mất bằng tốt nghiệp cấp 3 thì xin lại ở đâu ạ"
COPY_PROCEDURE = "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc"
INJECTION = '<img src=x onerror="window.__pwned = 1">'
ANSWER_TIMEOUT_MS = 60_000
ROOT = "document.querySelector('tthc-chat').shadowRoot"

# The conversation as the user sees it: role, text without the screen-reader prefix, buttons.
MESSAGES = f"""() => [...{ROOT}.querySelectorAll(".msg:not(.typing)")].map((li) => {{
  const bubble = li.querySelector(".bubble");
  return {{
    role: li.classList.contains("user") ? "user" : "bot",
    error: li.classList.contains("error"),
    text: bubble ? [...bubble.childNodes].slice(1).map((n) => n.textContent).join("") : "",
    buttons: [...li.querySelectorAll(".choice")].map((b) => b.textContent),
  }};
}})"""
# The focused element, looking into the widget's shadow root.
FOCUSED = """() => {
  let el = document.activeElement;
  while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
  if (!el) return "";
  return el.id || (el.className + ":" + (el.getAttribute("aria-label") || el.textContent));
}"""


def host_page(gateway: str) -> bytes:
    return f"""<!doctype html>
<html lang="vi">
<head><meta charset="utf-8"><title>Sở Giáo dục và Đào tạo — trang thử</title></head>
<body>
  <h1>Sở Giáo dục và Đào tạo</h1>
  <p><a href="/">Trang chủ</a> · Thủ tục hành chính · Liên hệ</p>
  <script src="{gateway}/widget.js" data-title="Hỏi đáp thủ tục" defer></script>
</body>
</html>""".encode()


def host_policy(gateway: str) -> str:
    return (
        f"default-src 'none'; script-src {gateway}; style-src {gateway}; "
        f"connect-src {gateway}; img-src {gateway} data:"
    )


@pytest.fixture(scope="module")
def gateway(stack: Any) -> str:
    url: str = stack.gateway_url
    return url


@pytest.fixture(scope="module")
def host_origin(gateway: str) -> Iterator[str]:
    """A department's page on another origin, embedding the widget under a strict CSP."""
    body, policy = host_page(gateway), host_policy(gateway)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Security-Policy", policy)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", WIDGET_HOST_PORT), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{WIDGET_HOST_PORT}"
    server.shutdown()
    server.server_close()


def messages(page: Page) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = page.evaluate(MESSAGES)
    return result


def last_turn(page: Page) -> list[dict[str, Any]]:
    """The bot's messages after the user's last one."""
    shown = messages(page)
    users = [i for i, m in enumerate(shown) if m["role"] == "user"]
    return shown[users[-1] + 1 :] if users else shown


def answer_text(page: Page) -> str:
    return "\n".join(m["text"] for m in last_turn(page))


def wait_for_answer(page: Page, before: int) -> list[dict[str, Any]]:
    """Waits until the user's message and an answer have joined the ``before`` messages."""
    page.wait_for_function(
        f"""() => {ROOT}.querySelectorAll(".msg:not(.typing)").length >= {before + 2}
                  && !{ROOT}.querySelector(".typing")""",
        timeout=ANSWER_TIMEOUT_MS,
    )
    return last_turn(page)


def type_and_send(page: Page, text: str) -> list[dict[str, Any]]:
    before = len(messages(page))
    box = page.locator("tthc-chat #tthc-input")
    box.fill(text)
    box.press("Enter")
    return wait_for_answer(page, before)


def press(page: Page, title: str) -> list[dict[str, Any]]:
    before = len(messages(page))
    page.locator("tthc-chat .choice").filter(has_text=title).first.click()
    return wait_for_answer(page, before)


def launcher(page: Page) -> Any:
    return page.locator("tthc-chat .launcher")


def test_conversation_in_the_widget_on_another_origin_survives_a_reload(
    open_page: Callable[..., Watched], host_origin: str, gateway: str
) -> None:
    watched = open_page(host_origin + "/")
    page = watched.page
    expect(launcher(page)).to_have_attribute("aria-label", "Trò chuyện với Hỏi đáp thủ tục")
    expect(page.locator("tthc-chat .panel")).to_be_hidden()
    launcher(page).click()
    expect(page.locator("tthc-chat .panel")).to_be_visible()
    expect(launcher(page)).to_have_attribute("aria-expanded", "true")
    assert page.evaluate(FOCUSED) == "tthc-input"  # focus moved into the panel
    assert "em chào anh/chị" in messages(page)[0]["text"]

    # The typing indicator shows while the answer is on its way (the request is held).
    page.evaluate(
        """() => {
          const real = window.fetch;
          window.fetch = (...args) => new Promise((done) => {
            window.__release = () => { window.fetch = real; done(real(...args)); };
          });
        }"""
    )
    before = len(messages(page))
    page.locator("tthc-chat #tthc-input").fill(DIPLOMA)
    page.locator("tthc-chat #tthc-input").press("Enter")
    expect(page.locator("tthc-chat .typing")).to_be_visible()
    expect(page.locator("tthc-chat .typing")).to_contain_text("Trợ lý đang trả lời")
    assert messages(page)[-1] == {"role": "user", "error": False, "text": DIPLOMA, "buttons": []}
    page.evaluate("() => window.__release()")
    first = wait_for_answer(page, before)
    assert COPY_PROCEDURE in answer_text(page)
    assert "Giấy tờ cần chuẩn bị" in [b for m in first for b in m["buttons"]]

    # A quick reply: its title is shown as the user's message, older buttons go away.
    press(page, "Giấy tờ cần chuẩn bị")
    assert [m for m in messages(page) if m["role"] == "user"][-1]["text"] == "Giấy tờ cần chuẩn bị"
    assert "Phiếu đề nghị cấp bản sao văn bằng" in answer_text(page)
    assert all(not m["buttons"] for m in messages(page)[: -len(last_turn(page))])

    # A follow-up typed without diacritics stays on the procedure.
    type_and_send(page, "mat bao lau")
    assert "thời hạn giải quyết" in answer_text(page).lower()

    # Links in answers: http(s) only, opened in a new tab without the opener.
    press(page, "Nộp ở đâu, thế nào")
    links = page.locator("tthc-chat .msg.bot .bubble a")
    expect(links.first).to_be_attached()
    for i in range(links.count()):
        link = links.nth(i)
        assert link.get_attribute("href").startswith("https://")  # type: ignore[union-attr]
        assert link.get_attribute("rel") == "noopener noreferrer"
        assert link.get_attribute("target") == "_blank"
    shown = messages(page)
    screenshot(page, "widget-1280.png")

    # After a reload the conversation comes back from the server, with the last buttons.
    token_key = f"tthc-chat-token:{gateway}"
    token = page.evaluate("(key) => localStorage.getItem(key)", token_key)
    assert token
    page.reload()
    expect(page.locator("tthc-chat .panel")).to_be_visible()  # it was open: it stays open
    page.wait_for_function(f"() => {ROOT}.querySelectorAll('.msg').length >= {len(shown)}")
    assert messages(page) == shown
    assert page.evaluate("(key) => localStorage.getItem(key)", token_key) == token
    assert any(m["buttons"] for m in last_turn(page))

    # The history's buttons still work.
    title = next(b for m in last_turn(page) for b in m["buttons"])
    press(page, title)
    assert not any(m["error"] for m in last_turn(page))
    watched.assert_clean()


def test_typed_html_is_text_and_errors_are_polite(
    open_page: Callable[..., Watched], host_origin: str, gateway: str
) -> None:
    watched = open_page(host_origin + "/")
    page = watched.page
    # An expired or forged session: the widget asks for a new one.
    page.evaluate(f"() => localStorage.setItem('tthc-chat-token:{gateway}', 'forged')")
    launcher(page).click()
    type_and_send(page, INJECTION)
    user = [m for m in messages(page) if m["role"] == "user"][-1]
    assert user["text"] == INJECTION
    assert page.evaluate(f"() => {ROOT}.querySelectorAll('img').length") == 0
    assert page.evaluate("() => window.__pwned") is None
    assert not any(m["error"] for m in last_turn(page))
    assert page.evaluate(f"() => localStorage.getItem('tthc-chat-token:{gateway}')") != "forged"

    # A link at the end of a sentence: the bracket and the full stop are not part of it.
    type_and_send(page, "tôi muốn đăng ký biển số xe máy")
    link = page.locator("tthc-chat .msg.bot").last.locator("a").first
    expect(link).to_have_text("https://dichvucong.gov.vn")
    expect(link).to_have_attribute("href", "https://dichvucong.gov.vn/")

    # HTTP 413 and 422: the server's own explanation.
    headers = {
        "Authorization": f"Bearer {httpx.post(gateway + '/api/web/session').json()['token']}"
    }
    for text in ("a" * 2500, "///"):
        expected = httpx.post(
            gateway + "/api/web/messages", json={"text": text}, headers=headers, timeout=30
        ).json()["detail"]
        [error] = type_and_send(page, text)
        assert error["error"] and error["text"] == expected and not error["buttons"]

    # The network drops: a polite message and a button to send again.
    watched.context.set_offline(True)
    [error] = type_and_send(page, "mat bao lau")
    assert error["error"] and "chưa kết nối được" in error["text"]
    assert error["buttons"] == ["Gửi lại"]
    watched.context.set_offline(False)
    before = len(messages(page))
    page.locator("tthc-chat .choice").filter(has_text="Gửi lại").click()
    page.wait_for_function(
        f"() => {ROOT}.querySelectorAll('.msg:not(.typing)').length > {before}"
        f" && !{ROOT}.querySelector('.typing')",
        timeout=ANSWER_TIMEOUT_MS,
    )
    assert last_turn(page)[0]["text"] == error["text"] and not last_turn(page)[-1]["error"]
    assert "Gửi lại" not in [b for m in messages(page) for b in m["buttons"]]
    watched.assert_clean()


def test_keyboard_only(open_page: Callable[..., Watched], host_origin: str) -> None:
    watched = open_page(host_origin + "/")
    page = watched.page
    keys = page.keyboard
    for _ in range(10):
        keys.press("Tab")
        if "launcher" in page.evaluate(FOCUSED):
            break
    assert page.evaluate(FOCUSED) == "launcher:Trò chuyện với Hỏi đáp thủ tục"
    # The focus ring is visible (an outline, not the browser's default that a page may hide).
    ring = page.evaluate(f"() => getComputedStyle({ROOT}.querySelector('.launcher')).outlineStyle")
    assert ring == "solid"
    keys.press("Enter")
    expect(page.locator("tthc-chat .panel")).to_be_visible()
    assert page.evaluate(FOCUSED) == "tthc-input"
    log = page.locator("tthc-chat .log")
    expect(log).to_have_attribute("aria-live", "polite")
    expect(log).to_have_attribute("role", "log")
    expect(page.locator("tthc-chat .panel")).to_have_attribute("role", "dialog")

    before = len(messages(page))
    keys.type("toi bi mat bang tot nghiep thpt, xin lai the nao")
    keys.press("Enter")
    turn = wait_for_answer(page, before)
    assert COPY_PROCEDURE in answer_text(page)
    assert "Lệ phí" in [b for m in turn for b in m["buttons"]]

    for _ in range(12):  # back from the input to the answer's buttons
        keys.press("Shift+Tab")
        if page.evaluate(FOCUSED) == "choice:Lệ phí":
            break
    assert page.evaluate(FOCUSED) == "choice:Lệ phí"
    before = len(messages(page))
    keys.press("Enter")
    wait_for_answer(page, before)
    assert [m for m in messages(page) if m["role"] == "user"][-1]["text"] == "Lệ phí"
    assert "phí" in answer_text(page).lower()
    assert page.evaluate(FOCUSED) == "tthc-input"  # ready for the next question

    keys.press("Escape")
    expect(page.locator("tthc-chat .panel")).to_be_hidden()
    expect(launcher(page)).to_have_attribute("aria-expanded", "false")
    assert page.evaluate(FOCUSED).startswith("launcher:")
    watched.assert_clean()


def test_phone_width_is_full_screen(open_page: Callable[..., Watched], host_origin: str) -> None:
    watched = open_page(host_origin + "/", width=390, height=844)
    page = watched.page
    launcher(page).click()
    box = page.locator("tthc-chat .panel").bounding_box()
    assert box == {"x": 0, "y": 0, "width": 390, "height": 844}
    type_and_send(page, DIPLOMA)
    assert COPY_PROCEDURE in answer_text(page)
    press(page, "Thời gian giải quyết")
    screenshot(page, "widget-390.png")
    # Nothing sticks out sideways: the page would scroll horizontally on a phone.
    width = page.evaluate(f"() => {ROOT}.querySelector('.log').scrollWidth")
    assert width <= 390
    watched.assert_clean()


def test_an_origin_not_allowed_gets_a_polite_message(
    open_page: Callable[..., Watched],
    host_origin: str,
) -> None:
    port = host_origin.rsplit(":", 1)[1]
    watched = open_page(f"http://{ELSEWHERE}:{port}/")
    page = watched.page
    launcher(page).click()
    [error] = type_and_send(page, "xin chào")
    assert error["error"] and "chưa kết nối được" in error["text"]
    assert error["buttons"] == ["Gửi lại"]
    watched.assert_clean()


def test_the_csp_recorder_sees_a_violation(
    open_page: Callable[..., Watched], host_origin: str
) -> None:
    """The check the other tests rely on can fail: an inline style breaks the host's CSP."""
    page = open_page(host_origin + "/").page
    page.evaluate(
        """() => {
          const style = document.createElement("style");
          style.textContent = "p { color: red }";
          document.head.appendChild(style);
        }"""
    )
    page.wait_for_function("() => window.__csp.length > 0")


@pytest.mark.parametrize(("width", "height"), [(1280, 860), (390, 844)])
def test_the_full_page_chat(
    open_page: Callable[..., Watched], gateway: str, width: int, height: int
) -> None:
    response = httpx.get(gateway + "/", timeout=10)
    assert "default-src 'self'" in response.headers["content-security-policy"]
    watched = open_page(gateway + "/", width=width, height=height)
    page = watched.page
    expect(page.locator("tthc-chat .launcher")).to_have_count(0)
    expect(page.locator("tthc-chat .panel")).to_be_visible()
    expect(page.locator("tthc-chat h1")).to_have_text("Trợ lý thủ tục hành chính")
    type_and_send(page, DIPLOMA)
    assert COPY_PROCEDURE in answer_text(page)
    press(page, "Giấy tờ cần chuẩn bị")
    assert "Phiếu đề nghị cấp bản sao văn bằng" in answer_text(page)
    page.keyboard.press("Escape")  # nothing to close on the page
    expect(page.locator("tthc-chat .panel")).to_be_visible()
    screenshot(page, f"page-{width}.png")
    page.reload()
    page.wait_for_function(f"() => {ROOT}.querySelectorAll('.msg.user').length == 2")
    watched.assert_clean()
