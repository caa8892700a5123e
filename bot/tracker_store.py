"""Rasa's SQL tracker store, with personal data masked before anything is written.

Rasa keeps every event of a conversation: the citizen's messages in clear (a phone number,
the four digits that verify a dossier lookup) and the slots filled from them. The turn
itself runs on the tracker in memory, so the action that checks the digits still sees
them; only the stored copy is masked, with the same functions as the gateway's chat log
(:mod:`server.core.privacy`). Configured in ``bot/endpoints.yml``.
"""

from __future__ import annotations

import copy
from collections import OrderedDict, deque
from typing import Any

import sqlalchemy
import sqlalchemy.orm
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from server.core.privacy import mask_citizen_message

# Slots whose whole value is a secret: never stored, whatever it looks like.
SECRET_SLOTS = frozenset({"dossier_verification"})
MASK = "****"
JUST_SAVED_MAX = 512  # conversations whose turn is being answered at once, with room to spare


def masked_event(event: Event) -> Event:
    """A copy of ``event`` fit to be stored; the event itself is left as it was."""
    if isinstance(event, UserUttered) and event.text:
        masked = copy.copy(event)
        masked.text = mask_citizen_message(event.text)
        masked.parse_data = {**event.parse_data, "text": masked.text}
        return masked
    if isinstance(event, SlotSet) and isinstance(event.value, str):
        masked_slot = copy.copy(event)
        secret = event.key in SECRET_SLOTS
        masked_slot.value = MASK if secret else mask_citizen_message(event.value)
        return masked_slot
    return event


def _sqlite_for_concurrency(dbapi_connection: Any, connection_record: Any) -> None:
    """WAL and ``synchronous=NORMAL``, as the app database has (``server/db.py``): a commit
    no longer waits for the disk, and reading a tracker never waits for a writer."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class MaskingSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` that stores masked copies of the events."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Each conversation's tracker as this process last saved it, for the gateway
        # channel's turn message right after the turn (bot/channels.py): reading it back
        # from the database was a sixth of Rasa's CPU time per turn. Taken once; bounded.
        self._just_saved: OrderedDict[str, DialogueStateTracker] = OrderedDict()
        url = self.engine.url
        self.engine.dispose()
        if url.get_dialect().name == "sqlite":
            # SQLAlchemy 1.4 opens and closes the SQLite file for every session (NullPool):
            # that was a twelfth of Rasa's CPU time per turn. Connections are kept instead.
            # A pooled connection may serve another thread than the one that opened it.
            self.engine = sqlalchemy.create_engine(
                url, poolclass=sqlalchemy.pool.QueuePool,
                connect_args={"check_same_thread": False},
            )  # fmt: skip
            sqlalchemy.event.listen(self.engine, "connect", _sqlite_for_concurrency)
        else:
            # Each connection is tested before use, as the app database's are: a replica
            # that was idle while the database restarted does not lose its next turn to a
            # dead connection left in its pool.
            self.engine = sqlalchemy.create_engine(
                url, pool_pre_ping=True, **create_engine_kwargs(url)
            )
        self.sessionmaker = sqlalchemy.orm.sessionmaker(bind=self.engine)

    async def save(self, tracker: DialogueStateTracker) -> None:
        stored = copy.copy(tracker)
        stored.events = deque(
            (masked_event(e) for e in tracker.events), maxlen=tracker.events.maxlen
        )
        await super().save(stored)
        self._just_saved.pop(tracker.sender_id, None)
        self._just_saved[tracker.sender_id] = tracker
        while len(self._just_saved) > JUST_SAVED_MAX:
            self._just_saved.popitem(last=False)

    def take_just_saved(self, sender_id: str) -> DialogueStateTracker | None:
        """The tracker this process saved last for ``sender_id``, once. It lives in memory
        only, as it did during the turn; what was written is the masked copy."""
        return self._just_saved.pop(sender_id, None)
