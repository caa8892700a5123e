"""The gateway: channels (web widget, Telegram, Zalo), catalogue API, staff API, health
check and the static pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from knowledge.catalogue import Catalogue
from knowledge.retrieval import build_search
from server.api.routes import dossiers, health, procedures
from server.channels import web
from server.chat import ChatService
from server.chat.buttons import ButtonTokens
from server.core.config import get_settings
from server.rasa_client import RasaClient
from server.records import Records

STATIC_DIR = Path(__file__).resolve().parent / "static"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    app.state.rasa = RasaClient(settings.rasa_url, settings.rasa_timeout_s)
    app.state.chat = ChatService(
        app.state.rasa, Records(), ButtonTokens(), settings.max_message_chars
    )
    app.state.catalogue = Catalogue(settings.catalogue_dir)
    app.state.search = build_search(
        app.state.catalogue, settings.embedding_model, settings.dense_weight
    )
    yield
    await app.state.rasa.aclose()


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
    app.include_router(web.router)
    app.include_router(health.router)
    app.include_router(procedures.router)
    app.include_router(dossiers.router)
    app.mount("/", StaticFiles(directory=STATIC_DIR, html=True), name="static")
    return app


app = create_app()
