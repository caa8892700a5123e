"""Shared dependencies of the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from server.chat import ChatService
from server.core.config import Settings, get_settings
from server.rasa_client import RasaClient


def rasa_client(request: Request) -> RasaClient:
    client: RasaClient = request.app.state.rasa
    return client


def chat_service(request: Request) -> ChatService:
    service: ChatService = request.app.state.chat
    return service


SettingsDep = Annotated[Settings, Depends(get_settings)]
RasaDep = Annotated[RasaClient, Depends(rasa_client)]
ChatDep = Annotated[ChatService, Depends(chat_service)]
