"""A messaging channel's sender (server.channels.outbound.Outbound) that records what it is
asked to send instead of sending it."""

from __future__ import annotations

from server.chat import Reply


class RecordingOutbound:
    def __init__(self, delivers: bool = True) -> None:
        self.sent: list[tuple[str, list[Reply]]] = []
        self.delivers = delivers

    async def send(self, user_id: str, replies: list[Reply]) -> bool:
        self.sent.append((user_id, replies))
        return self.delivers
