"""Shared dependencies of the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from server.core.config import Settings, get_settings
from server.rasa_client import RasaClient


def rasa_client(request: Request) -> RasaClient:
    client: RasaClient = request.app.state.rasa
    return client


SettingsDep = Annotated[Settings, Depends(get_settings)]
RasaDep = Annotated[RasaClient, Depends(rasa_client)]
