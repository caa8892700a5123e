"""Security headers on the gateway's responses.

Every response: ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: no-referrer``.
HTML pages (the full-page chat at ``/`` and any page served later) also get a strict
Content-Security-Policy: scripts, styles, images and API calls from the gateway only, nothing
inline (``widget.js`` builds its DOM without inline script or style), and only the gateway
itself and the widget's origins (``WIDGET_ORIGINS``) may frame them. The staff console
(``/staff``) may be framed by nobody and is never cached. FastAPI's interactive
API docs load Swagger UI from a CDN with an inline script: they keep working without one.

``widget.js`` and ``widget.css`` run on other sites' pages: they are sent with
``Cross-Origin-Resource-Policy: cross-origin``, so a host page that isolates itself
(``Cross-Origin-Embedder-Policy: require-corp``) still loads them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CROSS_ORIGIN_ASSETS = frozenset({"/widget.js", "/widget.css"})
API_DOCS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")


def page_policy(frame_ancestors: Iterable[str] = ()) -> str:
    """The Content-Security-Policy of the gateway's HTML pages."""
    # Only well-formed origins: a stray ";" or quote would rewrite the policy.
    ancestors = ["'self'", *(o for o in frame_ancestors if _ORIGIN.fullmatch(o))]
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors " + " ".join(ancestors),
        ]
    )


# The staff console: framed by nobody (not even the widget's sites) and never cached, as
# its pages show conversations and dossiers.
PRIVATE_PREFIX = "/staff"


class SecurityHeaders:
    """ASGI middleware adding the headers above to each HTTP response."""

    def __init__(self, app: ASGIApp, frame_ancestors: Iterable[str] = ()) -> None:
        self.app = app
        self.policy = page_policy(frame_ancestors)
        self.private_policy = page_policy().replace(
            "frame-ancestors 'self'", "frame-ancestors 'none'"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                html = headers.get("content-type", "").startswith("text/html")
                private = path.startswith(PRIVATE_PREFIX)
                if private:
                    headers.setdefault("Cache-Control", "no-store")
                if html and path not in API_DOCS:
                    policy = self.private_policy if private else self.policy
                    headers.setdefault("Content-Security-Policy", policy)
                if path in CROSS_ORIGIN_ASSETS:
                    headers["Cross-Origin-Resource-Policy"] = "cross-origin"
            await send(message)

        await self.app(scope, receive, send_with_headers)
