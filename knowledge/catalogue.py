"""The procedure catalogue: YAML records on disk, reloaded when staff edit them.

Reads every ``*.yml`` under the catalogue folder, validates it against
:class:`knowledge.models.Procedure`, merges the department's local overrides into it
(:mod:`knowledge.overrides`) and keeps the result until a file changes. The bot answers
from these records, so an edit shows up at the next question without retraining.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from knowledge.models import Procedure
from knowledge.overrides import apply_override, load_overrides
from knowledge.paths import PROCEDURES_DIR


class CatalogueError(ValueError):
    """A record that cannot be loaded; the message names the file and the problem."""


@dataclass(frozen=True)
class Snapshot:
    """An immutable view of the catalogue at one moment, keyed by procedure id."""

    procedures: dict[str, Procedure]  # with the department's local facts merged in
    signature: tuple[tuple[str, int, int], ...]
    overridden: frozenset[str] = frozenset()  # ids whose local facts the department set

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


def _signature(folder: Path, overrides: Path | None) -> tuple[tuple[str, int, int], ...]:
    files = sorted(folder.glob("*.yml"))
    if overrides is not None and overrides.is_file():
        files.append(overrides)
    return tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)


def _merge_overrides(procedures: dict[str, Procedure], path: Path) -> frozenset[str]:
    try:
        overrides = load_overrides(path)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise CatalogueError(f"{path.name}: {exc}") from exc
    if overrides is None:
        return frozenset()
    unknown = sorted(set(overrides.procedures) - set(procedures))
    if unknown:
        raise CatalogueError(f"{path.name}: no record with id {', '.join(unknown)}")
    for procedure_id, facts in overrides.procedures.items():
        try:
            procedures[procedure_id] = apply_override(procedures[procedure_id], facts)
        except ValidationError as exc:
            raise CatalogueError(f"{path.name}: {procedure_id}: {exc}") from exc
    return frozenset(overrides.procedures)


def load_all(folder: Path = PROCEDURES_DIR, overrides: Path | None = None) -> Snapshot:
    """Load and validate every record and merge the department's overrides; raise one error
    listing every broken file."""
    signature = _signature(folder, overrides)
    procedures: dict[str, Procedure] = {}
    errors: list[str] = []
    for path in sorted(folder.glob("*.yml")):
        try:
            record = load_record(path)
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
    overridden = _merge_overrides(procedures, overrides) if overrides else frozenset()
    return Snapshot(procedures, signature, overridden)


class Catalogue:
    """Thread-safe access to the newest valid snapshot of a catalogue folder.

    A broken edit never takes the bot down: the last valid snapshot stays in service and
    the error is kept in ``last_error`` for the staff pages and the health check.
    """

    def __init__(self, folder: Path = PROCEDURES_DIR, overrides: Path | None = None) -> None:
        self.folder = folder
        self.overrides = overrides
        self._lock = threading.Lock()
        self._snapshot = load_all(folder, overrides)
        self._seen = self._snapshot.signature
        self.last_error: str | None = None

    def snapshot(self) -> Snapshot:
        signature = _signature(self.folder, self.overrides)
        if signature == self._seen:
            return self._snapshot
        with self._lock:
            if signature != self._seen:
                self._seen = signature
                try:
                    self._snapshot = load_all(self.folder, self.overrides)
                    self.last_error = None
                except CatalogueError as exc:
                    self.last_error = str(exc)
        return self._snapshot

    def get(self, procedure_id: str) -> Procedure | None:
        return self.snapshot().procedures.get(procedure_id)

    def all(self) -> list[Procedure]:
        return list(self.snapshot().procedures.values())
