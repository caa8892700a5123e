"""Staff API: move a dossier to its next step, with a note the citizen will see.

Citizens who asked for it (on Telegram or Zalo, after a verified lookup) are told of the
new step in the background, after the answer to staff (:mod:`server.notifications`).

Authenticated with the bearer token in STAFF_TOKEN. With no token configured every call is
refused, so a deployment that forgot to set one is closed rather than open. Errors come in
this order: 403 (staff API off), 401 (no bearer token), 403 (wrong token), then 422 (bad
code or body) and 404 (no such dossier), so nothing is learnt without the token.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
from functools import lru_cache
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, model_validator

from knowledge.catalogue import Catalogue
from knowledge.dossier_code import canonical
from server.api.deps import SettingsDep
from server.core.config import get_settings
from server.dossiers import DossierBackendError, DossierStore, build_store
from server.dossiers.models import Dossier, Step, StepEvent
from server.notifications import notify_step_change

router = APIRouter(prefix="/api/staff/dossiers", tags=["staff"])
log = logging.getLogger(__name__)
_bearer = HTTPBearer(auto_error=False)


@lru_cache(maxsize=1)
def dossier_store() -> DossierStore:
    return build_store(get_settings())


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


class StepUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    step: Step
    note: str | None = Field(default=None, max_length=1000, description="Shown to the citizen")

    @model_validator(mode="after")
    def _reason_for_additional_documents(self) -> StepUpdate:
        if self.step is Step.additional_documents and not self.note:
            raise ValueError("Yêu cầu bổ sung hồ sơ phải ghi rõ giấy tờ cần bổ sung (note).")
        return self


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


@router.patch("/{code}", response_model=StaffDossierView, dependencies=[Depends(require_staff)])
def update_step(
    code: str, body: StepUpdate, store: StoreDep, request: Request, background: BackgroundTasks
) -> StaffDossierView:
    key = canonical(code)
    if key is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "Mã hồ sơ không đúng định dạng.")
    try:
        dossier = store.update_step(key, body.step, body.note)
    except DossierBackendError as exc:
        log.warning("staff update failed: %s", exc)
        raise HTTPException(
            status.HTTP_502_BAD_GATEWAY, "Hệ thống quản lý hồ sơ không phản hồi, thử lại sau."
        ) from exc
    if dossier is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Không tìm thấy hồ sơ này.")
    log.info("staff moved dossier %s to %s", key, body.step.value)
    state = request.app.state
    catalogue: Catalogue | None = getattr(state, "catalogue", None)  # set by the lifespan
    procedure = catalogue.get(dossier.procedure_id) if catalogue is not None else None
    name = procedure.name if procedure is not None else dossier.procedure_id
    background.add_task(notify_step_change, dossier, name, getattr(state, "outbound", {}))
    return StaffDossierView.of(dossier)
