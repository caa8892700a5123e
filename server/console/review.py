"""The reviewer's pages: what waits for review, each change as a diff against the version the
bot answers from, and publish or send back with a note.

A publish is read by every replica's catalogue at its next poll (``CATALOGUE_POLL_S``), so
the bot answers with it within about a second, without a restart or retraining. A reviewer
cannot publish a change they made themselves (four eyes); the page says so instead of
offering the button.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from server.console import catalogue_common as common
from server.console.deps import FormDep, form_text, redirect, require
from server.staff.accounts import Account, Role
from server.staff.catalogue_versions import CatalogueVersions, Status, Version, VersionRefused
from server.staff.record_diff import FieldDiff

router = APIRouter(prefix="/staff", tags=["staff console"], include_in_schema=False)

VersionsDep = Annotated[CatalogueVersions, Depends(common.versions)]
Reviewer = Annotated[Account, require(Role.reviewer)]


@dataclass(frozen=True)
class Batch:
    """A submitted import: its versions, one per record it changes."""

    id: str
    versions: list[Version]


@router.get("/review", response_class=HTMLResponse)
def review_list(request: Request, officer: Reviewer, store: VersionsDep) -> HTMLResponse:
    pending = store.pending()
    singles = [v for v in pending if v.batch_id is None]
    batches: dict[str, list[Version]] = {}
    for version in pending:
        if version.batch_id is not None:
            batches.setdefault(version.batch_id, []).append(version)
    names = {v.procedure_id: _name(request, v) for v in pending}
    return common.page(
        request,
        "review_list.html",
        singles=singles,
        batches=[Batch(batch_id, found) for batch_id, found in batches.items()],
        names=names,
    )


def _name(request: Request, version: Version) -> str:
    record = common.catalogue(request).get(version.procedure_id)
    return record.name if record is not None else str(version.body.get("name", ""))


def _submitted(store: CatalogueVersions, version_id: int) -> Version:
    version = store.get(version_id)
    if version is None:
        raise HTTPException(404, "Dạ, không tìm thấy phiên bản này ạ.")
    return version


def _review_page(
    request: Request,
    store: CatalogueVersions,
    officer: Account,
    version: Version,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return common.page(
        request,
        "review_version.html",
        status_code,
        version=version,
        name=_name(request, version),
        diffs=common.version_diff(request, store, version),
        stale=version.status is Status.submitted and store.is_stale(version),
        own=version.created_by == officer.id,
        error=error,
    )


@router.get("/review/{version_id}", response_class=HTMLResponse)
def review_version(
    request: Request, officer: Reviewer, version_id: int, store: VersionsDep
) -> HTMLResponse:
    return _review_page(request, store, officer, _submitted(store, version_id))


def _decide(
    request: Request,
    store: CatalogueVersions,
    officer: Account,
    version_id: int,
    act: Callable[[], None],
    notice: str,
) -> Response:
    version = _submitted(store, version_id)
    try:
        act()
    except VersionRefused as exc:
        return _review_page(request, store, officer, version, exc.message, exc.status)
    return redirect("/staff/review", notice)


@router.post("/review/{version_id}/publish", response_model=None)
def publish(
    request: Request,
    officer: Reviewer,
    version_id: int,
    store: VersionsDep,
    form: FormDep,
) -> Response:
    note = form_text(form, "review_note", 1000)
    act = partial(store.publish, officer, version_id, note)
    return _decide(request, store, officer, version_id, act, "published")


@router.post("/review/{version_id}/reject", response_model=None)
def reject(
    request: Request,
    officer: Reviewer,
    version_id: int,
    store: VersionsDep,
    form: FormDep,
) -> Response:
    note = form_text(form, "review_note", 1000)
    act = partial(store.reject, officer, version_id, note)
    return _decide(request, store, officer, version_id, act, "rejected")


# Imports


def _batch_page(
    request: Request,
    store: CatalogueVersions,
    officer: Account,
    batch_id: str,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    found = store.batch(batch_id)
    if not found:
        raise HTTPException(404, "Dạ, không tìm thấy lần nhập này ạ.")
    changes: list[tuple[Version, str, list[FieldDiff], bool]] = [
        (v, _name(request, v), common.version_diff(request, store, v), store.is_stale(v))
        for v in found
    ]
    return common.page(
        request,
        "review_batch.html",
        status_code,
        batch_id=batch_id,
        first=found[0],
        changes=changes,
        own=found[0].created_by == officer.id,
        error=error,
    )


@router.get("/review/imports/{batch_id}", response_class=HTMLResponse)
def review_batch(
    request: Request, officer: Reviewer, batch_id: str, store: VersionsDep
) -> HTMLResponse:
    return _batch_page(request, store, officer, batch_id)


@router.post("/review/imports/{batch_id}/publish", response_model=None)
def publish_batch(
    request: Request, officer: Reviewer, batch_id: str, store: VersionsDep, form: FormDep
) -> Response:
    try:
        store.publish_batch(officer, batch_id, form_text(form, "review_note", 1000))
    except VersionRefused as exc:
        return _batch_page(request, store, officer, batch_id, exc.message, exc.status)
    return redirect("/staff/review", "published")


@router.post("/review/imports/{batch_id}/reject", response_model=None)
def reject_batch(
    request: Request, officer: Reviewer, batch_id: str, store: VersionsDep, form: FormDep
) -> Response:
    try:
        store.reject_batch(officer, batch_id, form_text(form, "review_note", 1000))
    except VersionRefused as exc:
        return _batch_page(request, store, officer, batch_id, exc.message, exc.status)
    return redirect("/staff/review", "rejected")
