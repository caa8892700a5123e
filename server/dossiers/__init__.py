"""Submitted dossiers: their status for citizens (after verification) and updates by staff.

Importing the package registers the dossier tables on :data:`server.db.metadata`, so the
first :func:`server.db.engine` call creates them with the rest of the app database.
"""

from __future__ import annotations

from server.core.config import Settings
from server.dossiers.http import HttpDossierStore
from server.dossiers.sql import SqlDossierStore
from server.dossiers.store import DossierBackendError, DossierStore

__all__ = ["DossierBackendError", "DossierStore", "build_store"]


def build_store(settings: Settings) -> DossierStore:
    """The store the settings ask for (``DOSSIER_BACKEND``)."""
    if settings.dossier_backend == "sql":
        return SqlDossierStore()
    if not settings.dossier_api_url:
        raise ValueError("DOSSIER_BACKEND=http needs DOSSIER_API_URL")
    return HttpDossierStore(
        settings.dossier_api_url,
        timeout_s=settings.dossier_api_timeout_s,
        retries=settings.dossier_api_retries,
        token=settings.dossier_api_token.get_secret_value(),
    )
