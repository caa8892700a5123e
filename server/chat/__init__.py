"""The one chat path every channel goes through: :class:`ChatService`."""

from server.chat.models import Channel, ChatInputError, Reply, ReplyButton
from server.chat.service import UNAVAILABLE, ChatService

__all__ = ["UNAVAILABLE", "Channel", "ChatInputError", "ChatService", "Reply", "ReplyButton"]
