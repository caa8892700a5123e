"""Terminal chat through the gateway's web channel: ``python -m server.cli_chat [URL]``.

It is a web client like the widget: it asks the gateway for a session and sends the
token of a pressed button (typed as its number)."""

from __future__ import annotations

import sys
from typing import Any

import httpx


def render(messages: list[dict[str, Any]]) -> str:
    lines: list[str] = []
    for message in messages:
        if message.get("text"):
            lines.append(f"Trợ lý: {message['text']}")
        buttons: list[dict[str, str]] = message.get("buttons") or []
        lines += [f"   [{i}] {b['title']}" for i, b in enumerate(buttons, 1)]
    return "\n".join(lines)


def chat_loop(gateway_url: str) -> None:
    buttons: list[dict[str, str]] = []
    print("Nhập câu hỏi (số để bấm nút, /thoat để thoát).")
    with httpx.Client(base_url=gateway_url, timeout=60) as client:
        token = client.post("/api/web/session").json()["token"]
        client.headers["Authorization"] = f"Bearer {token}"
        while True:
            try:
                text = input("Bạn: ").strip()
            except (EOFError, KeyboardInterrupt):
                print()
                return
            if text in {"/thoat", "/quit", "/exit"}:
                return
            body: dict[str, Any] = {"text": text}
            if text.isdigit() and 1 <= int(text) <= len(buttons):
                body = {"text": buttons[int(text) - 1]["token"], "button": True}
            if not text:
                continue
            response = client.post("/api/web/messages", json=body)
            if response.status_code != 200:
                print(f"Trợ lý: {response.json().get('detail', 'Có lỗi xảy ra.')}")
                continue
            messages = response.json()["messages"]
            buttons = [b for m in messages for b in (m.get("buttons") or [])]
            print(render(messages))


if __name__ == "__main__":
    chat_loop(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
