"""The parents' checklist: a printable page per procedure behind a short link.

A student who asked the bot on behalf of a parent can hand the answer on: the link opens
in Zalo's in-app browser or prints on one A4 sheet, with the documents to bring, where to
go, the hours, the fee, the time limit and a QR code of the online submission link.

The short code is a hash of the procedure id, so the same procedure always has the same
link, on every replica and after every restart, with no table to keep; it is not keyed
with SECRET_KEY, so a link already printed survives a key rotation (a procedure id is no
secret). The page is built from the catalogue record and the department file only: it
holds nothing about the citizen who asked.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass

import segno

from knowledge.catalogue import Catalogue
from knowledge.department import Department
from knowledge.models import FACT_LABELS, DocumentForm, FactGroup, OnlineService, Procedure

CODE_LENGTH = 8  # base32: 40 bits, no collision among thousands of procedures
CODE = re.compile(rf"^[a-z2-7]{{{CODE_LENGTH}}}$")
PATH = "/c/"

# Short labels for a table column; the chat answers (actions/answers.py) explain more.
FORM_LABELS = {
    DocumentForm.original: "Bản chính",
    DocumentForm.copy: "Bản sao",
    DocumentForm.certified_copy: "Bản sao có chứng thực (hoặc bản sao kèm bản chính)",
    DocumentForm.original_or_copy: "Bản chính hoặc bản sao",
    DocumentForm.electronic: "Bản điện tử",
}


def short_code(procedure_id: str) -> str:
    """``cap-ban-sao-van-bang-tu-so-goc`` → 8 lower-case letters and digits 2-7."""
    digest = hashlib.sha256(f"checklist\x00{procedure_id}".encode()).digest()
    return base64.b32encode(digest).decode().lower()[:CODE_LENGTH]


def checklist_url(public_url: str, procedure_id: str) -> str:
    return f"{public_url.rstrip('/')}{PATH}{short_code(procedure_id)}"


def find(catalogue: Catalogue, code: str) -> Procedure | None:
    """The procedure a short code names; None for an unknown or malformed code."""
    if not CODE.match(code):
        return None
    return next((p for p in catalogue.all() if short_code(p.id) == code), None)


@dataclass(frozen=True)
class DocumentRow:
    name: str
    form: str
    copies: int
    note: str | None


@dataclass(frozen=True)
class Checklist:
    """What the page shows, in the order a parent needs it."""

    name: str
    code: str | None  # the national procedure code (mã TTHC), when confirmed
    documents: list[DocumentRow]
    places: list[str]  # where and how to submit
    authority: str
    hours: str
    fee: str
    time_limit: str
    notes: list[str]
    online_url: str | None
    qr_svg: str | None  # inline SVG markup: no script, no style attribute
    hotline: str
    department: str
    valid_from: str  # the date the rules shown apply from
    checked: str  # the day the stalest fact shown was last checked against its source
    uncertain: list[str]  # labels of the facts shown that no source confirms


def qr_svg(url: str) -> str:
    """A QR code as inline SVG that a strict CSP allows (no style, no script), scaled by
    the stylesheet through its viewBox."""
    qr = segno.make(url, error="m")
    markup: str = qr.svg_inline(
        scale=1, border=4, omitsize=True, svgclass="qr", lineclass=None, title="Mã QR"
    )
    return markup


def _places(p: Procedure, dept: Department, online_url: str | None) -> list[str]:
    places = []
    if p.channels.desk:
        places.append(
            "Nộp trực tiếp: "
            + (p.channels.desk_note or f"{dept.desk_address} hoặc Bộ phận Một cửa của cơ quan")
        )
    if p.channels.post:
        places.append("Gửi qua dịch vụ bưu chính")
    if online_url:
        partial = p.channels.online is OnlineService.partial
        places.append(
            "Nộp trực tuyến" + (" (một phần, có bước phải đến trực tiếp)" if partial else "")
        )
    return places


# The fact groups the page shows, whose doubts and check dates it states.
SHOWN = [
    FactGroup.documents,
    FactGroup.authorities,
    FactGroup.channels,
    FactGroup.fee,
    FactGroup.processing_time,
]


def _last_checked(p: Procedure) -> str:
    dates = [d for group in SHOWN if (d := p.checked(group)) is not None]
    return min(dates).strftime("%d/%m/%Y") if dates else ""


def build(p: Procedure, dept: Department) -> Checklist:
    online = p.channels.online is not OnlineService.none
    online_url = str(p.channels.online_url or dept.portal_url) if online else None
    return Checklist(
        name=p.name,
        code=p.code,
        documents=[DocumentRow(d.name, FORM_LABELS[d.form], d.copies, d.note) for d in p.documents],
        places=_places(p, dept, online_url),
        authority="; ".join(a.name for a in p.authorities),
        hours=p.channels.desk_hours or dept.working_hours,
        fee=p.fee.text,
        time_limit=p.processing_time.text,
        notes=list(p.notes),
        online_url=online_url,
        qr_svg=qr_svg(online_url) if online_url else None,
        hotline=dept.hotline,
        department=dept.name,
        valid_from=p.valid_from.strftime("%d/%m/%Y"),
        checked=_last_checked(p),
        uncertain=[FACT_LABELS[g] for g in p.uncertain_among(SHOWN)],
    )
