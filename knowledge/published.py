"""Records published from the staff console, as the catalogue reads them.

Staff edit a record in the console and a reviewer publishes it; the server keeps the
published body in the app database. The catalogue must not import the server, so it sees
that store only through :class:`PublishedSource`. A published body replaces the file record
of the same id (or adds a new procedure); the department's local overrides still apply on
top of it (:mod:`knowledge.overrides`).

Every replica of the bot asks the store for its revision, a number that changes at each
publish or rollback, at most once per poll interval (:class:`RevisionPoller`): a publish is
served everywhere within about that interval, and the full records are read only when the
revision moved.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from pydantic import ValidationError

from knowledge.models import Procedure

Clock = Callable[[], float]


class PublishedSource(Protocol):
    """The published layer of the catalogue, kept outside the knowledge package."""

    def revision(self) -> int:
        """A number that changes whenever anything is published or rolled back; cheap."""
        ...

    def records(self) -> dict[str, dict[str, Any]]:
        """Procedure id -> the published body, the same shape as a YAML record file."""
        ...


def published_records(bodies: Mapping[str, Any]) -> tuple[dict[str, Procedure], list[str]]:
    """The valid published records and one message per broken body (named by its id)."""
    records: dict[str, Procedure] = {}
    errors: list[str] = []
    for procedure_id, body in sorted(bodies.items()):
        if not isinstance(body, Mapping):
            errors.append(f"published {procedure_id}: expected a mapping")
            continue
        try:
            record = Procedure.model_validate(dict(body))
        except ValidationError as exc:
            errors.append(f"published {procedure_id}: {exc}")
            continue
        if record.id != procedure_id:
            errors.append(f"published {procedure_id}: id '{record.id}' must equal its key")
            continue
        records[procedure_id] = record
    return records, errors


class RevisionPoller:
    """Asks a published source for its revision at most once per ``interval_s`` seconds.

    ``revision()`` is None while the source cannot be reached (``error`` then says why), so
    that the first successful poll afterwards differs from it and reloads the records.
    """

    def __init__(self, source: PublishedSource, interval_s: float, clock: Clock) -> None:
        self.source = source
        self.interval_s = interval_s
        self._clock = clock
        self._lock = threading.Lock()
        self._asked_at: float | None = None
        self._revision: int | None = None
        self.error: str | None = None

    def _due(self, now: float) -> bool:
        return self._asked_at is None or now - self._asked_at >= self.interval_s

    def revision(self) -> int | None:
        now = self._clock()
        if not self._due(now):
            return self._revision
        with self._lock:
            if self._due(now):
                self._asked_at = now
                try:
                    self._revision = int(self.source.revision())
                    self.error = None
                except Exception as exc:  # noqa: BLE001 - a database blip must not stop the bot
                    self.failed(f"published records: cannot read the revision: {exc}")
            return self._revision

    def failed(self, error: str) -> None:
        """Forget the revision until the next poll, e.g. when reading the records failed."""
        self._revision = None
        self.error = error
