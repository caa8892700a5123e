"""The gateway: channels (web widget, Telegram, Zalo), catalogue API, staff console and
API, health check and the static pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from knowledge.catalogue import Catalogue
from knowledge.retrieval import build_search
from server import console
from server.api.routes import checklist, dossiers, health, procedures
from server.api.security_headers import SecurityHeaders
from server.channels import telegram, web, zalo
from server.chat import ChatService
from server.chat.buttons import ButtonTokens
from server.core.config import get_settings
from server.rasa_client import RasaClient
from server.records import Records
from server.staff.catalogue_versions import PublishedRecords

STATIC_DIR = Path(__file__).resolve().parent / "static"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    app.state.rasa = RasaClient(
        settings.rasa_url, settings.rasa_timeout_s, token=settings.rasa_api_token
    )
    # Senders to citizens outside a reply (officers' messages, notifications); the Zalo
    # and Telegram channels add theirs to this same dict.
    app.state.outbound = getattr(app.state, "outbound", {})
    app.state.chat = ChatService(
        app.state.rasa,
        Records(),
        ButtonTokens(),
        settings.max_message_chars,
        outbound=app.state.outbound,
    )
    # Records published from the staff console are read from the app database: every
    # replica answers with a publish within CATALOGUE_POLL_S, without restart or retraining.
    app.state.catalogue = Catalogue(
        settings.catalogue_dir,
        settings.local_overrides_file,
        published=PublishedRecords(),
        poll_s=settings.catalogue_poll_s,
    )
    app.state.search = build_search(
        app.state.catalogue, settings.embedding_model, settings.dense_weight
    )
    if settings.zalo_enabled:
        zalo.register(app)  # app.state.outbound["zalo"]
    yield
    await app.state.rasa.aclose()
    if settings.zalo_enabled:
        await app.state.outbound["zalo"].aclose()


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(title="Trợ lý thủ tục hành chính ngành giáo dục", lifespan=lifespan)
    # The widget runs on the department's own pages: only the origins configured may call.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.widget_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type"],
        max_age=600,
    )
    app.add_middleware(SecurityHeaders, frame_ancestors=settings.widget_origins)
    app.include_router(web.router)
    if settings.zalo_enabled:
        app.include_router(zalo.router)
    if settings.telegram_enabled:  # its lifespan sets app.state.outbound["telegram"]
        app.include_router(telegram.router)
    app.include_router(health.router)
    app.include_router(procedures.router)
    app.include_router(dossiers.router)
    app.include_router(checklist.router)  # /c/{code}, the parents' checklist
    console.install(app)  # /staff, the staff console
    app.mount("/", StaticFiles(directory=STATIC_DIR, html=True), name="static")
    return app


app = create_app()
