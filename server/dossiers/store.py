"""Where dossiers come from: one small interface, two implementations.

The lookup, the bot and the staff API only know :class:`DossierStore`; the settings pick
the app database (:mod:`server.dossiers.sql`, the default) or the provincial one-stop
system (:mod:`server.dossiers.http`). Either raises :class:`DossierBackendError` when it
cannot answer, so callers apologise instead of crashing or guessing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Protocol

from server.dossiers.models import FINISHED_STEPS, Dossier, Step


class DossierBackendError(RuntimeError):
    """The dossier store could not answer: down, too slow, or a malformed reply."""


class DossierStore(Protocol):
    def get(self, code: str) -> Dossier | None:
        """The dossier with this canonical code, or None if there is none."""
        ...

    def update_step(
        self, code: str, step: Step, note: str | None = None, at: dt.datetime | None = None
    ) -> Dossier | None:
        """Moves the dossier to ``step`` (appending to its history); None if unknown."""
        ...

    def open_dossiers(self, today: dt.date, limit: int) -> list[Dossier]:
        """Up to ``limit`` dossiers the department has not finished (see
        :data:`~server.dossiers.models.FINISHED_STEPS`): the overdue ones on ``today``
        first, the most overdue first, then the others by nearest due date."""
        ...


def by_urgency(found: Iterable[Dossier], today: dt.date) -> list[Dossier]:
    """The order of :meth:`DossierStore.open_dossiers`, for stores that cannot sort
    themselves: unfinished only, overdue first, then by due date (ties by code)."""
    unfinished = (d for d in found if d.step not in FINISHED_STEPS)
    return sorted(unfinished, key=lambda d: (not d.is_overdue(today), d.due_on, d.code))
