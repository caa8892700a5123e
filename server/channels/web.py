"""The website channel: the embeddable widget (``/widget.js``) and the full-page chat.

The server issues the session: ``POST /api/web/session`` returns a signed token the
browser keeps and sends back as a bearer token. The client never names its conversation
or its channel, and a forged or expired token gets 401. The history comes back from the
server's (masked) chat log, so a reload or another tab shows the conversation so far.

A web page cannot be written to first: while the citizen waits for an officer or one is
answering (``handoff`` in both answers), the widget polls ``/history?after=<last id>``
for the officer's messages and the assistant's when the officer hands back.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from server.api.deps import ChatDep, SettingsDep
from server.api.errors import errors
from server.chat import UNAVAILABLE, ChatInputError, Reply
from server.core.security import new_web_session, web_session_id
from server.rasa_client import RasaUnavailable
from server.records import LoggedButton, LoggedMessage
from server.staff.handoffs import HandoffState

router = APIRouter(prefix="/api/web", tags=["web channel"])
log = logging.getLogger(__name__)
_bearer = HTTPBearer(auto_error=False)
SESSION_EXPIRED = "Phiên trò chuyện không hợp lệ hoặc đã hết hạn."
# While Rasa restarts (it loads its model for about half a minute) a message gets 503 with
# this Retry-After; the message itself is already in the chat log.
RETRY_AFTER_S = 30
# The largest message id (chat_messages.id is an INTEGER column: 32 bits on PostgreSQL); a
# larger ``after`` is refused (422) before it reaches the database, which would fail on it.
MAX_MESSAGE_ID = 2**31 - 1


def web_session(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    sid = web_session_id(credentials.credentials) if credentials else None
    if sid is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, SESSION_EXPIRED, headers={"WWW-Authenticate": "Bearer"}
        )
    return sid


SessionDep = Annotated[str, Depends(web_session)]


class Session(BaseModel):
    token: str
    expires_in_s: int


class WebMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=20_000, description="Typed text or a button token")
    button: bool = Field(default=False, description="text is the token of a pressed button")


class WebReplies(BaseModel):
    messages: list[Reply]  # empty while an officer has the conversation
    handoff: HandoffState | None = None
    logged: list[int] = Field(
        default=[], description="History ids of this turn's messages, already shown"
    )


class HistoryItem(BaseModel):
    id: int
    role: Literal["user", "bot", "officer"]
    text: str
    buttons: list[LoggedButton]
    at: dt.datetime


class History(BaseModel):
    messages: list[HistoryItem]
    handoff: HandoffState | None = None


@router.post("/session", response_model=Session, status_code=status.HTTP_201_CREATED)
async def open_session(settings: SettingsDep) -> Session:
    return Session(token=new_web_session(), expires_in_s=settings.web_session_days * 86400)


@router.post(
    "/messages", response_model=WebReplies, responses=errors(400, 401, 413, 422, 503, bearer=True)
)
async def send_message(body: WebMessage, sid: SessionDep, chat: ChatDep) -> WebReplies:
    try:
        exchange = await chat.exchange("web", sid, body.text, button=body.button)
    except ChatInputError as exc:
        code = status.HTTP_413_CONTENT_TOO_LARGE if exc.too_long else 422
        raise HTTPException(code, exc.reason) from exc
    except RasaUnavailable as exc:
        log.warning("rasa unavailable: %s", exc)
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_S)},
        ) from exc
    try:
        handoff = await chat.handoff_state("web", sid)
    except Exception:  # the answer matters more; the widget learns it from the history
        log.exception("could not read the hand-off state")
        handoff = None
    return WebReplies(messages=exchange.replies, handoff=handoff, logged=exchange.logged)


@router.get("/history", response_model=History, responses=errors(401, 422, bearer=True))
async def history(
    sid: SessionDep,
    chat: ChatDep,
    after: Annotated[
        int | None, Query(ge=0, le=MAX_MESSAGE_ID, description="Only messages after this id")
    ] = None,
) -> History:
    logged = await chat.history("web", sid, after)
    return History(
        messages=[_item(m) for m in logged], handoff=await chat.handoff_state("web", sid)
    )


def _item(message: LoggedMessage) -> HistoryItem:
    role = "user" if message.direction == "in" else message.author or "bot"
    return HistoryItem(
        id=message.id, role=role, text=message.text, buttons=message.buttons, at=message.created_at
    )
