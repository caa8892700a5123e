"""The procedure catalogue: YAML records on disk and records published from the console.

Reads every ``*.yml`` under the catalogue folder and validates it against
:class:`knowledge.models.Procedure`, lays the records published from the staff console over
them (:mod:`knowledge.published`), merges the department's local overrides into the result
(:mod:`knowledge.overrides`) and keeps it until a file changes or something is published.
The bot answers from these records, so an edit shows up at the next question without
retraining.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml
from pydantic import ValidationError

from knowledge.models import Procedure
from knowledge.overrides import apply_override, load_overrides
from knowledge.paths import PROCEDURES_DIR
from knowledge.published import Clock, PublishedSource, RevisionPoller, published_records

FileSignature = tuple[tuple[str, int, int], ...]
Signature = tuple[FileSignature, int | None]  # the files, then the published revision


class CatalogueError(ValueError):
    """A record that cannot be loaded; the message names the file and the problem."""


@dataclass(frozen=True)
class Snapshot:
    """An immutable view of the catalogue at one moment, keyed by procedure id."""

    procedures: dict[str, Procedure]  # published layer and the department's local facts merged
    signature: Signature
    overridden: frozenset[str] = frozenset()  # ids whose local facts the department set
    published: frozenset[str] = frozenset()  # ids whose record comes from the published layer
    # The records before the local facts: what the console edits, so that the department's
    # values are not baked into a published record. Defaults to ``procedures`` without them.
    unmerged: dict[str, Procedure] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.unmerged:
            if self.overridden:
                raise ValueError("a snapshot with local facts needs the records before them")
            object.__setattr__(self, "unmerged", self.procedures)

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


class RecordFiles:
    """The record files of a folder, each parsed again only when its size or time changes.

    Parsing every YAML file takes seconds; a publish or an edit of one file should not. The
    parsed records are shared by every catalogue of the process (records are immutable), so
    a second catalogue of the same folder costs no parsing either.
    """

    _shared: ClassVar[dict[Path, tuple[int, int, Procedure | str]]] = {}

    def __init__(self) -> None:
        self._parsed = RecordFiles._shared

    def read(self, folder: Path) -> tuple[dict[str, Procedure], list[str]]:
        """The valid records by id, and one message per broken file."""
        parsed: dict[Path, tuple[int, int, Procedure | str]] = {}
        for path in sorted(folder.glob("*.yml")):
            stat = path.stat()
            entry = self._parsed.get(path)
            if entry is None or entry[:2] != (stat.st_mtime_ns, stat.st_size):
                try:
                    result: Procedure | str = load_record(path)
                except CatalogueError as exc:
                    result = str(exc)
                entry = (stat.st_mtime_ns, stat.st_size, result)
            parsed[path] = entry
        self._parsed.update(parsed)
        records = {r.id: r for _, _, r in parsed.values() if isinstance(r, Procedure)}
        return records, [r for _, _, r in parsed.values() if isinstance(r, str)]


def _signature(folder: Path, overrides: Path | None) -> FileSignature:
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


def load_all(
    folder: Path = PROCEDURES_DIR,
    overrides: Path | None = None,
    published: Mapping[str, Any] | None = None,
    revision: int | None = None,
    files: RecordFiles | None = None,
) -> Snapshot:
    """Load and validate every record, lay the ``published`` bodies (read at ``revision``)
    over them and merge the department's overrides; raise one error listing every broken
    file and published body."""
    signature = (_signature(folder, overrides), revision)
    procedures, errors = (files or RecordFiles()).read(folder)
    layer, published_errors = published_records(published or {})
    errors += published_errors
    procedures.update(layer)
    codes = [p.code for p in procedures.values() if p.code]
    duplicated = sorted({c for c in codes if codes.count(c) > 1})
    if duplicated:
        errors.append(f"national codes used by more than one record: {', '.join(duplicated)}")
    if errors:
        raise CatalogueError("\n".join(errors))
    unmerged = dict(procedures)
    overridden = _merge_overrides(procedures, overrides) if overrides else frozenset()
    return Snapshot(procedures, signature, overridden, frozenset(layer), unmerged)


class Catalogue:
    """Thread-safe access to the newest valid snapshot of a catalogue folder and, when given,
    of the records published from the staff console.

    A broken edit or publish never takes the bot down, nor does a published source that
    cannot be reached: the last valid snapshot stays in service and the error is kept in
    ``last_error`` for the staff pages and the health check. The source's revision is asked
    at most once per ``poll_s`` seconds, and its records are read only when it moved.
    """

    def __init__(
        self,
        folder: Path = PROCEDURES_DIR,
        overrides: Path | None = None,
        published: PublishedSource | None = None,
        poll_s: float = 1.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self.folder = folder
        self.overrides = overrides
        self.published = published
        self._poller = RevisionPoller(published, poll_s, clock) if published else None
        self._files = RecordFiles()
        self._lock = threading.Lock()
        self.last_error: str | None = None
        self._seen = self._signature()
        try:
            self._snapshot = self._load(self._seen)
        except CatalogueError as exc:
            if published is None:
                raise
            # Better the files alone than no bot; the next publish or poll tries again.
            self._snapshot = load_all(folder, overrides, files=self._files)
            self.last_error = str(exc)

    def _signature(self) -> Signature:
        revision = self._poller.revision() if self._poller is not None else None
        return _signature(self.folder, self.overrides), revision

    def _load(self, signature: Signature) -> Snapshot:
        revision = signature[1]
        if self.published is None or self._poller is None:
            return load_all(self.folder, self.overrides, files=self._files)
        if revision is None:
            raise CatalogueError(self._poller.error or "published records: no revision")
        try:
            # Read after the revision: a publish in between is loaded now and again later,
            # never missed.
            bodies = self.published.records()
        except Exception as exc:  # any failure of the store: a database blip must not stop the bot
            # Forgetting the revision makes the next poll read them again.
            message = f"published records: cannot read them: {exc}"
            self._poller.failed(message)
            raise CatalogueError(message) from exc
        return load_all(self.folder, self.overrides, bodies, revision, self._files)

    def snapshot(self) -> Snapshot:
        signature = self._signature()
        if signature == self._seen:
            return self._snapshot
        with self._lock:
            if signature != self._seen:
                self._seen = signature
                try:
                    self._snapshot = self._load(signature)
                    self.last_error = None
                except CatalogueError as exc:
                    self.last_error = str(exc)
        return self._snapshot

    def get(self, procedure_id: str) -> Procedure | None:
        return self.snapshot().procedures.get(procedure_id)

    def all(self) -> list[Procedure]:
        return list(self.snapshot().procedures.values())
