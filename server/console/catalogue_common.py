"""What the catalogue, review and import pages share: the catalogue the bot answers from,
the record a change is compared with, times in Vietnam time, and refusals as pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse

from knowledge.catalogue import Catalogue
from knowledge.models import FACT_LABELS, FactGroup, Procedure
from server.console.deps import render
from server.staff.catalogue_versions import CatalogueVersions, Version, VersionRefused
from server.staff.record_diff import FieldDiff, diff_records
from server.staff.record_words import LEVEL_LABELS, ONLINE_LABELS


def catalogue(request: Request) -> Catalogue:
    """The catalogue this replica's bot answers from (built in the gateway's lifespan)."""
    found: Catalogue = request.app.state.catalogue
    return found


def versions() -> CatalogueVersions:
    return CatalogueVersions()


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page of this area, with the helpers its templates use."""
    return render(
        request,
        template,
        status_code,
        LEVEL_LABELS=LEVEL_LABELS,
        ONLINE_LABELS=ONLINE_LABELS,
        FACT_LABELS=FACT_LABELS,
        **context,
    )


def refused(request: Request, exc: VersionRefused) -> HTMLResponse:
    return render(request, "error.html", exc.status, message=exc.message)


def known_record(request: Request, procedure_id: str) -> Procedure:
    """The record as the console edits it: before the department's local facts."""
    record = catalogue(request).snapshot().unmerged.get(procedure_id)
    if record is None:
        raise HTTPException(404, "Dạ, không có thủ tục này trong danh mục ạ.")
    return record


def current_record(
    request: Request, store: CatalogueVersions, procedure_id: str
) -> Procedure | None:
    """What a change is compared with: the published version read from the database (this
    replica's catalogue may not have polled it yet), else the record file."""
    current = store.current(procedure_id)
    if current is not None:
        return current.record()
    return catalogue(request).snapshot().unmerged.get(procedure_id)


def version_diff(request: Request, store: CatalogueVersions, version: Version) -> list[FieldDiff]:
    return diff_records(current_record(request, store, version.procedure_id), version.record())


def uncertain_groups(record: Procedure) -> list[tuple[FactGroup, str]]:
    """The groups of facts no source confirms, with what is doubtful."""
    return [
        (group, entry.uncertain)
        for group, entry in record.provenance.items()
        if entry.uncertain is not None
    ]


def last_checked(record: Procedure) -> dt.date:
    """The newest check of any of the record's sources."""
    return max(source.checked for source in record.sources)
