"""Dossiers from the provincial one-stop system (Hệ thống thông tin giải quyết TTHC) over HTTP.

Provinces expose their systems differently, so this adapter speaks one small JSON contract
and a deployment puts a thin proxy in front of its own system if it differs:

* ``GET {base}/dossiers/{code}`` → 200 with a dossier, 404 when there is none;
* ``PATCH {base}/dossiers/{code}`` with ``{"step", "note", "at"}`` → 200 with the updated
  dossier, 404 when there is none;
* ``GET {base}/dossiers?status=open&today=YYYY-MM-DD&limit=N`` → 200 with
  ``{"dossiers": [dossier, ...]}``: the dossiers not yet at ``result_ready`` or ``returned``,
  at most N of them, the overdue ones first (for the staff console's list). The order and
  the limit are applied again here, so a proxy that sends more, or unsorted, is still right.

A dossier is the JSON form of :class:`server.dossiers.models.Dossier` (``code``,
``procedure_id``, ``applicant_name``, ``phone_last4``, ``received_on``, ``due_on``,
``step``, ``step_note``, ``history`` of ``{step, at, note}``, ``pickup_place``).

Every failure (timeout, refused connection, 5xx, a reply that is not that JSON) becomes
:class:`DossierBackendError`. Reads are retried on timeouts, transport errors and 5xx;
an update is retried only when it cannot have reached the server (connection failed),
since repeating it could write the same step twice.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from server.dossiers.models import Dossier, Step, utc_now
from server.dossiers.store import DossierBackendError, by_urgency

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout)


class _DossierList(BaseModel):
    dossiers: list[Dossier]


class HttpDossierStore:
    def __init__(
        self,
        base_url: str,
        timeout_s: float = 5.0,
        retries: int = 2,
        token: str = "",
        backoff_s: float = 0.2,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.retries = max(0, retries)
        self.backoff_s = backoff_s
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"), timeout=timeout_s, headers=headers, transport=transport
        )

    def get(self, code: str) -> Dossier | None:
        return self._dossier(code, self._send("GET", _path(code), json=None, idempotent=True))

    def update_step(
        self, code: str, step: Step, note: str | None = None, at: dt.datetime | None = None
    ) -> Dossier | None:
        payload = {"step": step.value, "note": note, "at": (at or utc_now()).isoformat()}
        response = self._send("PATCH", _path(code), json=payload, idempotent=False)
        return self._dossier(code, response)

    def open_dossiers(self, today: dt.date, limit: int) -> list[Dossier]:
        params = {"status": "open", "today": today.isoformat(), "limit": str(max(0, limit))}
        response = self._send("GET", "/dossiers", json=None, idempotent=True, params=params)
        if response.status_code != 200:
            raise DossierBackendError(f"one-stop system: HTTP {response.status_code}")
        try:
            found = _DossierList.model_validate(response.json()).dossiers
        except (ValueError, ValidationError) as exc:
            raise DossierBackendError("one-stop system: unexpected reply") from exc
        return by_urgency(found, today)[: max(0, limit)]

    def close(self) -> None:
        self._http.close()

    def _send(
        self,
        method: str,
        url: str,
        json: dict[str, Any] | None,
        idempotent: bool,
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = self._http.request(method, url, json=json, params=params)
            except httpx.HTTPError as exc:
                if last or not (idempotent or isinstance(exc, _NOT_SENT)):
                    raise DossierBackendError(f"one-stop system: {type(exc).__name__}") from exc
            else:
                if response.status_code < 500:
                    return response
                if last or not idempotent:
                    raise DossierBackendError(f"one-stop system: HTTP {response.status_code}")
            time.sleep(self.backoff_s * 2**attempt)
        raise AssertionError("unreachable: the last attempt returns or raises")

    @staticmethod
    def _dossier(code: str, response: httpx.Response) -> Dossier | None:
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise DossierBackendError(f"one-stop system: HTTP {response.status_code}")
        try:
            dossier = Dossier.model_validate(response.json())
        except (ValueError, ValidationError) as exc:  # not JSON, or not a dossier
            raise DossierBackendError("one-stop system: unexpected reply") from exc
        if dossier.code != code:  # never show a citizen someone else's dossier
            raise DossierBackendError("one-stop system: reply for another dossier")
        return dossier


def _path(code: str) -> str:
    return f"/dossiers/{quote(code, safe='')}"
