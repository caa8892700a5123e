"""Sending to a citizen first, outside a reply: what a staff member's message or a dossier
notification needs. Each messaging channel (Telegram, Zalo) registers one sender on
``app.state.outbound`` under its channel name."""

from __future__ import annotations

from typing import Protocol

from server.chat.models import Reply


class Outbound(Protocol):
    async def send(self, user_id: str, replies: list[Reply]) -> bool:
        """Sends ``replies`` to the platform user ``user_id``; False if it could not."""
        ...
