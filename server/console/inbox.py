"""The inbox page: citizens' questions the assistant did not handle well, for officers to
label, and the labels as training data to download.

The list keeps its filters in the query string, so a label saved from a filtered page comes
back to the same page. Downloads are text only: the service writes no file, and the page
names the one command that puts both files where the next training reads them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import get_args
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from knowledge.catalogue import Catalogue, Snapshot
from server.chat.models import Channel
from server.console.deps import FormDep, form_text, render, require
from server.core.config import get_settings
from server.dossiers.models import VN_TZ
from server.staff import audit
from server.staff.accounts import Account, Role
from server.staff.inbox import (
    Inbox,
    InboxError,
    InboxFilters,
    Labelled,
    Reason,
    TrainingExport,
)
from server.staff.inbox_export import FALLBACK_INTENT

router = APIRouter(prefix="/staff", tags=["staff console"], include_in_schema=False)
OFFICER = require(Role.desk, Role.editor, Role.reviewer)
LIST_PATH = "/staff/inbox"
_STAMP = re.compile(r"\d{8}-\d{4}")

REASON_LABELS: dict[Reason, tuple[str, str]] = {  # text, flag class
    Reason.fallback: ("Không hiểu", "bad"),
    Reason.low_confidence: ("Hiểu chưa chắc", "warn"),
    Reason.out_of_scope: ("Ngoài phạm vi", "warn"),
    Reason.unsatisfied: ("Công dân chưa hài lòng", "bad"),
}
LABELLED_LABELS = {
    Labelled.unlabelled: "Chưa gán nhãn",
    Labelled.labelled: "Đã gán nhãn",
    Labelled.all: "Tất cả",
}
# What each intent of bot/domain/ means, for officers; an intent missing here shows its name.
INTENT_LABELS = {
    "ask_procedure": "Hỏi về thủ tục",
    "ask_documents": "Hỏi giấy tờ cần nộp",
    "ask_processing_time": "Hỏi thời gian giải quyết",
    "ask_fee": "Hỏi lệ phí",
    "ask_submission": "Hỏi nơi, cách nộp hồ sơ",
    "ask_legal_basis": "Hỏi căn cứ pháp lý",
    "choose_procedure": "Chọn thủ tục (nút bấm)",
    "share_checklist": "Xin danh sách giấy tờ để gửi, in",
    "ask_dossier_status": "Tra cứu hồ sơ đã nộp",
    "give_verification": "Trả lời 4 số cuối điện thoại",
    "subscribe_dossier_updates": "Đăng ký nhận tin hồ sơ",
    "unsubscribe_dossier_updates": "Huỷ nhận tin hồ sơ",
    "request_human": "Muốn gặp cán bộ",
    "rate": "Đánh giá (nút bấm)",
    "greet": "Chào hỏi",
    "goodbye": "Chào tạm biệt",
    "thank": "Cảm ơn",
    "affirm": "Đồng ý, đúng rồi",
    "deny": "Không, không phải",
    "bot_challenge": "Hỏi có phải người máy",
    "out_of_scope": "Ngoài phạm vi ngành giáo dục",
    FALLBACK_INTENT: "Không hiểu",
}
CHANNEL_LABELS = {"web": "Trang web", "telegram": "Telegram", "zalo": "Zalo"}


def intent_label(intent: str | None) -> str:
    return INTENT_LABELS.get(intent, intent) if intent else "—"


def catalogue(request: Request) -> Snapshot:
    """The gateway's catalogue (published records included); an app started without its
    lifespan (tests, tools) gets one of the settings' files on first use."""
    current: Catalogue | None = getattr(request.app.state, "catalogue", None)
    if current is None:
        settings = get_settings()
        current = Catalogue(settings.catalogue_dir, settings.local_overrides_file)
        request.app.state.catalogue = current
    return current.snapshot()


def _filters(params: Mapping[str, str]) -> tuple[InboxFilters, str | None]:
    try:
        return InboxFilters.model_validate(dict(params)), None
    except ValidationError:
        return InboxFilters(), "Bộ lọc chưa hợp lệ; em hiện danh sách mặc định ạ."


def _since(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _list_url(params: Mapping[str, str], **changes: object) -> str:
    """The list with these parameters (changed as asked), never the one-time notice."""
    kept = {k: str(v) for k, v in {**params, **changes}.items() if k != "notice" and v != ""}
    return f"{LIST_PATH}?{urlencode(kept)}" if kept else LIST_PATH


def _back(value: str) -> dict[str, str]:
    """The list parameters of the page a label form came from (only the inbox's own)."""
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path != LIST_PATH:
        return {}
    return dict(parse_qsl(parts.query))


def _stamp(value: str | None = None) -> str:
    """The export's time in its file names: the page's, so that its command names the files
    the officer downloads from it."""
    if value and _STAMP.fullmatch(value):
        return value
    return dt.datetime.now(VN_TZ).strftime("%Y%m%d-%H%M")


def export_filename(kind: str, stamp: str) -> str:
    return f"inbox-{kind}-{stamp}.yml"


def training_command(export: TrainingExport, stamp: str) -> str | None:
    """The one line that puts the downloaded files where the next training reads them."""
    steps = []
    if export.nlu.examples:
        nlu = export_filename("nlu", stamp)
        steps.append(f"cp ~/Downloads/{nlu} nlu_data/nlu/inbox-{stamp}.yml")
    if export.pairs.examples:
        # The file's own "pairs:" line and header go; its items join the existing list.
        pairs = export_filename("pairs", stamp)
        steps.append(f"sed '1,/^pairs:/d' ~/Downloads/{pairs} >> knowledge/data/train_pairs.yml")
    return " && ".join([*steps, "make model"]) if steps else None


def _page(
    request: Request,
    params: Mapping[str, str],
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    filters, filter_error = _filters(params)
    since = _since(params.get("since"))
    inbox = Inbox()
    snapshot = catalogue(request)
    stamp = _stamp()
    result = inbox.export(since)
    query = {"since": since.isoformat()} if since else {}
    return render(
        request,
        "inbox.html",
        status_code,
        page=inbox.items(filters),
        filters=filters,
        params=dict(params),
        list_url=lambda **changes: _list_url(params, **changes),
        error=error or filter_error,
        intents=inbox.intents(),
        filter_intents=[*inbox.intents(), FALLBACK_INTENT],
        procedures=sorted(snapshot.procedures.values(), key=lambda p: p.name),
        procedure_names={p.id: p.name for p in snapshot.procedures.values()},
        channels=get_args(Channel),
        since=since,
        export=result,
        command=training_command(result, stamp),
        export_url=lambda kind: (
            f"/staff/inbox/export?{urlencode({'kind': kind, **query, 'stamp': stamp})}"
        ),
        Reason=Reason,
        Labelled=Labelled,
        REASON_LABELS=REASON_LABELS,
        LABELLED_LABELS=LABELLED_LABELS,
        CHANNEL_LABELS=CHANNEL_LABELS,
        intent_label=intent_label,
        threshold=get_settings().inbox_low_confidence,
    )


@router.get("/inbox", response_class=HTMLResponse)
def inbox_page(request: Request, officer: Account = OFFICER) -> HTMLResponse:
    return _page(request, request.query_params)


@router.post("/inbox/{message_id}/label", response_model=None)
def label(request: Request, message_id: int, form: FormDep, officer: Account = OFFICER) -> Response:
    params = _back(form_text(form, "back", 2000))
    try:
        Inbox().label(
            officer,
            message_id,
            intent=form_text(form, "intent", 64) or None,
            procedure_id=form_text(form, "procedure_id", 120) or None,
            out_of_scope=bool(form_text(form, "out_of_scope")),
            catalogue=catalogue(request),
        )
    except InboxError as refused:
        return _page(request, params, str(refused), status.HTTP_400_BAD_REQUEST)
    target = _list_url(params)
    target += f"{'&' if '?' in target else '?'}notice=labelled"
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


@router.get("/inbox/export", response_model=None)
def export(
    request: Request,
    kind: str = "",
    since: str = "",
    stamp: str = "",
    officer: Account = OFFICER,
) -> Response:
    """One of the two files, as a download; the export is logged (it holds citizens' words,
    masked)."""
    if kind not in ("nlu", "pairs"):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Không có tệp xuất này.")
    result: TrainingExport = Inbox().export(_since(since))
    file = result.nlu if kind == "nlu" else result.pairs
    audit.log(officer, "inbox_export", kind, {"examples": file.examples, "since": since or None})
    return Response(
        file.text,
        media_type="text/yaml; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{export_filename(kind, _stamp(stamp))}"',
            "Cache-Control": "no-store",
        },
    )
