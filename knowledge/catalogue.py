"""The procedure catalogue: YAML records on disk, reloaded when staff edit them.

Reads every ``*.yml`` under the catalogue folder, validates it against
:class:`knowledge.models.Procedure`, and keeps the result until a file changes. The bot
answers from these records, so an edit shows up at the next question without retraining.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from knowledge.models import Procedure
from knowledge.paths import PROCEDURES_DIR


class CatalogueError(ValueError):
    """A record that cannot be loaded; the message names the file and the problem."""


@dataclass(frozen=True)
class Snapshot:
    """An immutable view of the catalogue at one moment, keyed by procedure id."""

    procedures: dict[str, Procedure]
    signature: tuple[tuple[str, int, int], ...]

    def __len__(self) -> int:
        return len(self.procedures)


def load_record(path: Path) -> Procedure:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CatalogueError(f"{path.name}: cannot read YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise CatalogueError(f"{path.name}: expected a mapping at the top level")
    try:
        record = Procedure.model_validate(raw)
    except ValidationError as exc:
        raise CatalogueError(f"{path.name}: {exc}") from exc
    if record.id != path.stem:
        raise CatalogueError(f"{path.name}: id '{record.id}' must equal the file name")
    return record


def _signature(folder: Path) -> tuple[tuple[str, int, int], ...]:
    files = sorted(folder.glob("*.yml"))
    return tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files)


def load_all(folder: Path = PROCEDURES_DIR) -> Snapshot:
    """Load and validate every record; raise one error listing every broken file."""
    signature = _signature(folder)
    procedures: dict[str, Procedure] = {}
    errors: list[str] = []
    for name, _, _ in signature:
        try:
            record = load_record(folder / name)
        except CatalogueError as exc:
            errors.append(str(exc))
            continue
        procedures[record.id] = record
    codes = [p.code for p in procedures.values() if p.code]
    duplicated = sorted({c for c in codes if codes.count(c) > 1})
    if duplicated:
        errors.append(f"national codes used by more than one record: {', '.join(duplicated)}")
    if errors:
        raise CatalogueError("\n".join(errors))
    return Snapshot(procedures=procedures, signature=signature)


class Catalogue:
    """Thread-safe access to the newest valid snapshot of a catalogue folder.

    A broken edit never takes the bot down: the last valid snapshot stays in service and
    the error is kept in ``last_error`` for the staff pages and the health check.
    """

    def __init__(self, folder: Path = PROCEDURES_DIR) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._snapshot = load_all(folder)
        self._seen = self._snapshot.signature
        self.last_error: str | None = None

    def snapshot(self) -> Snapshot:
        signature = _signature(self.folder)
        if signature == self._seen:
            return self._snapshot
        with self._lock:
            if signature != self._seen:
                self._seen = signature
                try:
                    self._snapshot = load_all(self.folder)
                    self.last_error = None
                except CatalogueError as exc:
                    self.last_error = str(exc)
        return self._snapshot

    def get(self, procedure_id: str) -> Procedure | None:
        return self.snapshot().procedures.get(procedure_id)

    def all(self) -> list[Procedure]:
        return list(self.snapshot().procedures.values())
