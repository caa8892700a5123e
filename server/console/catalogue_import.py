"""Importing a published procedure list (CSV or XLSX): upload, preview, submit for review.

The officer uploads the list with the source it comes from; the page reads it
(:func:`server.staff.catalogue_import.preview_import`) and shows, row by row, what it would
change, and every error. A list with any error stores nothing and offers nothing to apply.

An error-free list is saved at once as one batch of *drafts*, which is what the preview
shows. Drafts are not applied: reviewers do not see them and the bot never reads them. The
officer's "Gửi duyệt" submits exactly that batch, "Huỷ" withdraws it. Why not keep the file
until the confirmation: the gateway runs as several replicas, so the next request may reach
another process (no server memory), a browser cannot re-send a file without the officer
choosing it again, and carrying the records through the page would let the client change
them. Saving drafts also pins each record's base version at preview time, so a publish made
between preview and review is caught as stale rather than silently undone. A new preview
withdraws the officer's earlier unsubmitted imports, so none is left behind.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from knowledge.models import Source
from server.console import catalogue_common as common
from server.console.deps import FormDep, form_text, redirect, require
from server.dossiers.models import today_vn
from server.staff.accounts import Account, Role
from server.staff.catalogue_import import ImportPreview, preview_import
from server.staff.catalogue_versions import CatalogueVersions, Status, VersionRefused
from server.staff.import_sheet import MAX_BYTES
from server.staff.import_values import text_key

router = APIRouter(prefix="/staff", tags=["staff console"], include_in_schema=False)

VersionsDep = Annotated[CatalogueVersions, Depends(common.versions)]
Editor = Annotated[Account, require(Role.editor)]
SOURCE_FIELDS = ("source_title", "source_url", "source_legal_text", "source_checked", "note")


def _form_page(
    request: Request,
    store: CatalogueVersions,
    officer: Account,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    preview: ImportPreview | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return common.page(
        request,
        "catalogue_import.html",
        status_code,
        values=values or {"source_checked": today_vn().isoformat()},
        errors=errors or {},
        preview=preview,
        open_batches=store.draft_batches(officer),
    )


@router.get("/catalogue/import", response_class=HTMLResponse)
def import_page(request: Request, officer: Editor, store: VersionsDep) -> HTMLResponse:
    return _form_page(request, store, officer)


def _source_id(title: str, legal_text: str) -> str:
    """A slug for the list as a source ("Quyết định 123/QĐ-UBND" -> "quyet-dinh-123-qd-ubnd")."""
    slug = "-".join(re.findall(r"[a-z0-9]+", text_key(legal_text or title)))[:40].strip("-")
    return slug or "danh-muc"


def _checked(text: str) -> dt.date | None:
    for layout in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, layout).date()
        except ValueError:
            continue
    return None


def _source(values: dict[str, str], errors: dict[str, str]) -> Source | None:
    """The list as a source the records cite, or None with messages under its fields."""
    title, url, legal = values["source_title"], values["source_url"], values["source_legal_text"]
    checked = _checked(values["source_checked"])
    if len(title) < 3:
        errors["source_title"] = "Dạ, xin ghi tên văn bản hoặc trang công bố danh mục ạ."
    if not url and not legal:
        errors["source_url"] = "Dạ, cần đường dẫn hoặc số hiệu văn bản của danh mục ạ."
    if checked is None or checked > today_vn():
        errors["source_checked"] = "Dạ, xin chọn ngày đã đối chiếu danh mục (không sau hôm nay) ạ."
    if errors or checked is None:
        return None
    try:
        return Source(
            id=_source_id(title, legal),
            title=title,
            url=url or None,
            legal_text=legal or None,
            checked=checked,
        )
    except ValidationError:
        errors["source_url"] = "Dạ, đường dẫn chưa đúng (cần dạng https://...) ạ."
        return None


@router.post("/catalogue/import", response_model=None)
def preview(request: Request, officer: Editor, store: VersionsDep, form: FormDep) -> Response:
    values = {name: form_text(form, name, 1000) for name in SOURCE_FIELDS}
    errors: dict[str, str] = {}
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors["file"] = "Dạ, xin chọn tệp danh mục (.csv hoặc .xlsx) ạ."
    source = _source(values, errors)
    if errors or source is None or not isinstance(upload, UploadFile):
        return _form_page(request, store, officer, values, errors, None, 422)
    data = upload.file.read(MAX_BYTES + 1)
    filename = upload.filename or ""
    try:
        snapshot, bases = store.snapshot()
    except VersionRefused as exc:
        return common.refused(request, exc)
    result = preview_import(data, filename, snapshot, source)
    if not result.ok or not result.proposed:
        status_code = 200 if result.ok else 422
        return _form_page(request, store, officer, values, {}, result, status_code)
    earlier = list(store.draft_batches(officer))
    note = f"Nhập “{filename}” theo {source.legal_text or source.title}. {values['note']}"
    try:
        batch_id = store.save_import(officer, result.proposed, note.strip(), bases)
    except VersionRefused as exc:
        errors["file"] = exc.message
        return _form_page(request, store, officer, values, errors, result, exc.status)
    for replaced in earlier:
        store.withdraw_batch(officer, replaced)
    context = _batch(request, store, officer, batch_id)
    return common.page(request, "catalogue_import_batch.html", preview=result, **context)


def _batch(
    request: Request, store: CatalogueVersions, officer: Account, batch_id: str
) -> dict[str, Any]:
    found = store.batch(batch_id)
    if not found or found[0].created_by != officer.id:
        raise HTTPException(404, "Dạ, không tìm thấy lần nhập này của anh/chị ạ.")
    return {
        "batch_id": batch_id,
        "first": found[0],
        "changes": [(v, v.record().name, common.version_diff(request, store, v)) for v in found],
        "draft": found[0].status is Status.draft,
    }


@router.get("/catalogue/import/{batch_id}", response_class=HTMLResponse)
def batch_page(
    request: Request, officer: Editor, batch_id: str, store: VersionsDep
) -> HTMLResponse:
    context = _batch(request, store, officer, batch_id)
    return common.page(request, "catalogue_import_batch.html", preview=None, **context)


@router.post("/catalogue/import/{batch_id}/submit", response_model=None)
def submit_batch(
    request: Request, officer: Editor, batch_id: str, store: VersionsDep, form: FormDep
) -> Response:
    try:
        store.submit_batch(officer, batch_id)
    except VersionRefused as exc:
        return common.refused(request, exc)
    return redirect(f"/staff/catalogue/import/{batch_id}", "imported")


@router.post("/catalogue/import/{batch_id}/withdraw", response_model=None)
def withdraw_batch(
    request: Request, officer: Editor, batch_id: str, store: VersionsDep, form: FormDep
) -> Response:
    try:
        store.withdraw_batch(officer, batch_id)
    except VersionRefused as exc:
        return common.refused(request, exc)
    return redirect("/staff/catalogue/import", "withdrawn")
