"""Staff API: move a dossier to its next step, with a note the citizen will see.

Citizens who asked for it (on Telegram or Zalo, after a verified lookup) are told of the
new step in the background, after the answer to staff: the move goes through
:func:`server.notifications.move_dossier` and the body is checked by
:class:`~server.dossiers.staff_update.StepUpdate`, as on the console's dossier page.

Authenticated with the bearer token in STAFF_TOKEN. With no token configured every call is
refused, so a deployment that forgot to set one is closed rather than open. Errors come in
this order: 403 (staff API off), 401 (no bearer token), 403 (wrong token), then 422 (bad
code or body) and 404 (no such dossier), so nothing is learnt without the token.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from knowledge.dossier_code import canonical
from server.api.deps import SettingsDep
from server.api.errors import errors
from server.dossiers import DossierBackendError, DossierStore
from server.dossiers.models import Dossier, Step, StepEvent
from server.dossiers.staff_update import StepUpdate, dossier_store
from server.notifications import move_dossier

__all__ = ["StepUpdate", "dossier_store", "router"]

router = APIRouter(prefix="/api/staff/dossiers", tags=["staff"])
log = logging.getLogger(__name__)
_bearer = HTTPBearer(auto_error=False)


def require_staff(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    expected = settings.staff_token.get_secret_value()
    if not expected:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "API cho cán bộ đang tắt: chưa đặt STAFF_TOKEN."
        )
    if credentials is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "Cần mã truy cập của cán bộ (Authorization: Bearer …).",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not hmac.compare_digest(credentials.credentials.encode(), expected.encode()):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Mã truy cập không đúng.")


class StaffDossierView(BaseModel):
    """What staff get back: the dossier's progress, without the applicant's personal data."""

    code: str
    procedure_id: str
    received_on: dt.date
    due_on: dt.date
    step: Step
    step_note: str | None
    pickup_place: str
    history: list[StepEvent]

    @classmethod
    def of(cls, d: Dossier) -> StaffDossierView:
        return cls(
            code=d.code,
            procedure_id=d.procedure_id,
            received_on=d.received_on,
            due_on=d.due_on,
            step=d.step,
            step_note=d.step_note,
            pickup_place=d.pickup_place,
            history=list(d.history),
        )


StoreDep = Annotated[DossierStore, Depends(dossier_store)]


@router.patch(
    "/{code}",
    response_model=StaffDossierView,
    dependencies=[Depends(require_staff)],
    responses=errors(400, 401, 403, 404, 422, 502, bearer=True),
)
def update_step(
    code: str, body: StepUpdate, store: StoreDep, request: Request, background: BackgroundTasks
) -> StaffDossierView:
    key = canonical(code)
    if key is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "Mã hồ sơ không đúng định dạng.")
    try:
        dossier = move_dossier(store, key, body, request.app.state, background)
    except DossierBackendError as exc:
        log.warning("staff update failed: %s", exc)
        raise HTTPException(
            status.HTTP_502_BAD_GATEWAY, "Hệ thống quản lý hồ sơ không phản hồi, thử lại sau."
        ) from exc
    if dossier is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Không tìm thấy hồ sơ này.")
    return StaffDossierView.of(dossier)
