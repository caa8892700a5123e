"""The gateway: REST chat API, catalogue API, health check and the web chat page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from knowledge.catalogue import Catalogue
from knowledge.retrieval import build_search
from server.api.routes import chat, dossiers, health, procedures
from server.core.config import get_settings
from server.rasa_client import RasaClient

STATIC_DIR = Path(__file__).resolve().parent / "static"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    app.state.rasa = RasaClient(settings.rasa_url, settings.rasa_timeout_s)
    app.state.catalogue = Catalogue(settings.catalogue_dir)
    app.state.search = build_search(
        app.state.catalogue, settings.embedding_model, settings.dense_weight
    )
    yield
    await app.state.rasa.aclose()


def create_app() -> FastAPI:
    app = FastAPI(title="Trợ lý thủ tục hành chính ngành giáo dục", lifespan=lifespan)
    app.include_router(chat.router)
    app.include_router(health.router)
    app.include_router(procedures.router)
    app.include_router(dossiers.router)
    app.mount("/", StaticFiles(directory=STATIC_DIR, html=True), name="widget")
    return app


app = create_app()
