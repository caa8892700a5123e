"""Long-lived objects the actions share: catalogue, search, department contacts, dossiers,
and the records kept for staff.

Built on first use, from the one settings object, so importing an action module is cheap.
"""

from __future__ import annotations

from functools import lru_cache

from knowledge.catalogue import Catalogue
from knowledge.department import Department, load_department
from knowledge.retrieval import ProcedureSearch, build_search
from server.core.config import get_settings
from server.dossiers import DossierStore, build_store
from server.records import Records
from server.staff.catalogue_versions import PublishedRecords


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    """The files with the records published from the staff console laid over them, read
    from the app database at most every CATALOGUE_POLL_S."""
    settings = get_settings()
    return Catalogue(
        settings.catalogue_dir,
        settings.local_overrides_file,
        published=PublishedRecords(),
        poll_s=settings.catalogue_poll_s,
    )


@lru_cache(maxsize=1)
def procedure_search() -> ProcedureSearch:
    settings = get_settings()
    return build_search(catalogue(), settings.embedding_model, settings.dense_weight)


def department() -> Department:
    return load_department(get_settings().department_file)


@lru_cache(maxsize=1)
def dossier_store() -> DossierStore:
    return build_store(get_settings())


@lru_cache(maxsize=1)
def records() -> Records:
    return Records()
