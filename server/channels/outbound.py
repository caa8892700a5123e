"""Sending to a citizen first, outside a reply: what a staff member's message or a dossier
notification needs. Each messaging channel (Telegram, Zalo) registers one sender on
``app.state.outbound`` under its channel name."""

from __future__ import annotations

from server.chat.models import Sender

# One protocol: the chat service defines it (it imports no channel); the channels and the
# notifications know it by this name.
Outbound = Sender
