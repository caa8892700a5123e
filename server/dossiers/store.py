"""Where dossiers come from: one small interface, two implementations.

The lookup, the bot and the staff API only know :class:`DossierStore`; the settings pick
the app database (:mod:`server.dossiers.sql`, the default) or the provincial one-stop
system (:mod:`server.dossiers.http`). Either raises :class:`DossierBackendError` when it
cannot answer, so callers apologise instead of crashing or guessing.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from server.dossiers.models import Dossier, Step


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
