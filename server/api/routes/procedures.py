"""Catalogue search and records: the same data the bot answers from."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from pydantic import BaseModel

from knowledge.catalogue import Catalogue
from knowledge.models import Procedure
from knowledge.retrieval import ProcedureSearch
from server.api.errors import errors

router = APIRouter(prefix="/api/procedures", tags=["procedures"])


class ProcedureHit(BaseModel):
    id: str
    code: str | None
    name: str
    level: str
    field: str
    score: float


class SearchResult(BaseModel):
    query: str
    results: list[ProcedureHit]


@router.get("/search", response_model=SearchResult)
def search(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=2000)],
    k: Annotated[int, Query(ge=1, le=20)] = 5,
) -> SearchResult:
    engine: ProcedureSearch = request.app.state.search
    hits = engine.search(q, k=k)
    return SearchResult(
        query=q,
        results=[
            ProcedureHit(
                id=h.procedure.id,
                code=h.procedure.code,
                name=h.procedure.name,
                level=h.procedure.level.value,
                field=h.procedure.field.value,
                score=round(h.score, 4),
            )
            for h in hits
        ],
    )


@router.get("/{procedure_id}", response_model=Procedure, responses=errors(404))
def get_procedure(request: Request, procedure_id: str) -> Procedure:
    catalogue: Catalogue = request.app.state.catalogue
    record = catalogue.get(procedure_id)
    if record is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Không tìm thấy thủ tục này.")
    return record
