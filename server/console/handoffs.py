"""Live hand-off: the desk's queue of citizens waiting for an officer, and the page where
an officer takes a conversation over, answers, and hands it back to the assistant.

Taking pauses the assistant in Rasa, so the citizen's next messages reach only the
officer; handing back resumes it and runs ``action_hand_back``, which asks the citizen to
rate the officer's help. When Rasa does not answer, the queue is left (or put back) as
the conversation really is: never silenced without an officer on it.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import HTMLResponse, Response

from server.api.deps import chat_service, rasa_client
from server.console.deps import FormDep, form_text, redirect, render, require
from server.core.config import get_settings
from server.rasa_client import BotMessage, RasaUnavailable
from server.staff.accounts import Account, Role
from server.staff.handoffs import MAX_REPLY_CHARS, HandoffConflict, HandoffError, Handoffs

router = APIRouter(prefix="/staff", include_in_schema=False)
Desk = require(Role.desk)
HAND_BACK_ACTION = "action_hand_back"
CHANNELS = {"web": "Trang web", "telegram": "Telegram", "zalo": "Zalo"}
RASA_DOWN_TAKE = (
    "Chưa kết nối được với trợ lý ảo nên chưa thể tạm dừng trợ lý; yêu cầu vẫn ở trạng thái "
    "chờ. Anh/chị thử lại sau ít phút."
)
RASA_DOWN_RELEASE = (
    "Chưa kết nối được với trợ lý ảo nên chưa trả lại được; anh/chị vẫn đang hỗ trợ công dân "
    "này. Anh/chị thử lại sau ít phút."
)
NOT_SENT = (
    "Chưa gửi được tin nhắn tới công dân qua {channel} (mạng hoặc nền tảng đang lỗi, hoặc "
    "công dân đã chặn tài khoản của Sở). Anh/chị thử gửi lại sau ít phút."
)
NOT_ASKED = (
    "Đã trả cuộc trò chuyện cho trợ lý, nhưng chưa gửi được lời mời đánh giá tới công dân "
    "qua {channel}."
)


def handoffs() -> Handoffs:
    return Handoffs()


HandoffsDep = Annotated[Handoffs, Depends(handoffs)]


def _names(request: Request, procedure_ids: list[str | None]) -> dict[str, str]:
    """Procedure names for the page; an id the catalogue does not know stays an id."""
    catalogue = getattr(request.app.state, "catalogue", None)
    names: dict[str, str] = {}
    for pid in {p for p in procedure_ids if p}:
        procedure = catalogue.get(pid) if catalogue is not None else None
        names[pid] = procedure.name if procedure is not None else pid
    return names


@router.get("/handoffs", response_class=HTMLResponse)
def queue_page(request: Request, store: HandoffsDep, officer: Account = Desk) -> HTMLResponse:
    entries = store.queue()
    return render(
        request,
        "handoffs.html",
        entries=entries,
        names=_names(request, [e.procedure_id for e in entries]),
        channels=CHANNELS,
        max_wait=get_settings().handoff_max_wait_minutes,
    )


@router.get("/handoffs/{handoff_id}", response_class=HTMLResponse)
def handoff_page(
    request: Request, handoff_id: int, store: HandoffsDep, officer: Account = Desk
) -> HTMLResponse:
    return _page(request, store, officer, handoff_id)


@router.post("/handoffs/{handoff_id}/take", response_model=None)
async def take(
    request: Request, handoff_id: int, form: FormDep, store: HandoffsDep, officer: Account = Desk
) -> Response:
    try:
        recipient = await asyncio.to_thread(store.take, officer, handoff_id)
    except HandoffError as refused:
        return await _refused(request, store, officer, handoff_id, refused)
    try:
        await rasa_client(request).pause(recipient.conversation)
    except RasaUnavailable:
        await asyncio.to_thread(store.undo_take, officer, handoff_id)
        return await _error(request, store, officer, handoff_id, RASA_DOWN_TAKE, 503)
    return redirect(f"/staff/handoffs/{handoff_id}", "taken")


@router.post("/handoffs/{handoff_id}/reply", response_model=None)
async def reply(
    request: Request, handoff_id: int, form: FormDep, store: HandoffsDep, officer: Account = Desk
) -> Response:
    draft = form_text(form, "text", max_chars=MAX_REPLY_CHARS * 4)  # longer ones are refused
    try:
        recipient, text = await asyncio.to_thread(store.reply, officer, handoff_id, draft)
    except HandoffError as refused:
        return await _refused(request, store, officer, handoff_id, refused, draft)
    messages = [BotMessage(text=text)]
    if not await chat_service(request).deliver(
        recipient.channel, recipient.user_id, messages, "officer"
    ):
        message = NOT_SENT.format(channel=CHANNELS.get(recipient.channel, recipient.channel))
        return await _error(request, store, officer, handoff_id, message, 502, draft)
    return redirect(f"/staff/handoffs/{handoff_id}", "sent")


@router.post("/handoffs/{handoff_id}/release", response_model=None)
async def release(
    request: Request, handoff_id: int, form: FormDep, store: HandoffsDep, officer: Account = Desk
) -> Response:
    """Hands the conversation back: the assistant answers again and asks for a rating.
    The request closes last, so a polling widget sees the question while it is open.
    (The same officer releasing twice at once would ask twice; the form's confirmation
    makes that unlikely, and nothing worse follows.)"""
    try:
        recipient = await asyncio.to_thread(store.holder, officer, handoff_id)
    except HandoffError as refused:
        return await _refused(request, store, officer, handoff_id, refused)
    rasa = rasa_client(request)
    try:
        await rasa.resume(recipient.conversation)
    except RasaUnavailable:
        return await _error(request, store, officer, handoff_id, RASA_DOWN_RELEASE, 503)
    try:
        said = await rasa.execute(recipient.conversation, HAND_BACK_ACTION)
        chat = chat_service(request)
        asked = await chat.deliver(recipient.channel, recipient.user_id, said, "bot")
    except RasaUnavailable:
        asked = False
    try:
        await asyncio.to_thread(store.release, officer, handoff_id)
    except HandoffError as refused:  # released meanwhile in another tab
        return await _refused(request, store, officer, handoff_id, refused)
    if not asked:
        message = NOT_ASKED.format(channel=CHANNELS.get(recipient.channel, recipient.channel))
        return await _error(request, store, officer, handoff_id, message, 502)
    return redirect("/staff/handoffs", "released")


@router.post("/handoffs/{handoff_id}/close", response_model=None)
async def close(
    request: Request, handoff_id: int, form: FormDep, store: HandoffsDep, officer: Account = Desk
) -> Response:
    try:
        await asyncio.to_thread(store.close, officer, handoff_id)
    except HandoffError as refused:
        return await _refused(request, store, officer, handoff_id, refused)
    return redirect("/staff/handoffs", "handoff_closed")


async def _refused(
    request: Request,
    store: Handoffs,
    officer: Account,
    handoff_id: int,
    refused: HandoffError,
    draft: str = "",
) -> Response:
    code = status.HTTP_409_CONFLICT if isinstance(refused, HandoffConflict) else 422
    return await _error(request, store, officer, handoff_id, str(refused), code, draft)


async def _error(
    request: Request,
    store: Handoffs,
    officer: Account,
    handoff_id: int,
    message: str,
    status_code: int,
    draft: str = "",
) -> Response:
    """The request's page again, saying what went wrong (and keeping the typed message)."""
    return await asyncio.to_thread(
        _page, request, store, officer, handoff_id, message, status_code, draft
    )


def _page(
    request: Request,
    store: Handoffs,
    officer: Account,
    handoff_id: int,
    error: str | None = None,
    status_code: int = 200,
    draft: str = "",
) -> HTMLResponse:
    detail = store.get(handoff_id)
    if detail is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Không tìm thấy yêu cầu này.")
    handoff = detail.handoff
    return render(
        request,
        "handoff.html",
        status_code,
        handoff=handoff,
        messages=detail.messages,
        mine=handoff.status == "taken" and handoff.taken_by == officer.id,
        procedure=_names(request, [handoff.procedure_id]).get(handoff.procedure_id or ""),
        channels=CHANNELS,
        error=error,
        draft=draft,
        max_chars=MAX_REPLY_CHARS,
    )
