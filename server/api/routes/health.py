"""Health check: is every part of the stack up?"""

from __future__ import annotations

import httpx
from fastapi import APIRouter, Response, status
from pydantic import BaseModel

from server import db
from server.api.deps import RasaDep, SettingsDep

router = APIRouter(prefix="/api/health", tags=["health"])


class Health(BaseModel):
    status: str
    rasa: bool
    action_server: bool
    database: bool


async def _action_server_up(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=3) as client:
            return (await client.get(f"{url.rstrip('/')}/health")).status_code == 200
    except httpx.HTTPError:
        return False


@router.get(
    "",
    response_model=Health,
    responses={503: {"model": Health, "description": "A part of the stack is down"}},
)
async def health(rasa: RasaDep, settings: SettingsDep, response: Response) -> Health:
    parts = {
        "rasa": await rasa.is_up(),
        "action_server": await _action_server_up(settings.action_server_url),
        "database": db.is_up(),
    }
    ok = all(parts.values())
    if not ok:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return Health(status="ok" if ok else "degraded", **parts)
