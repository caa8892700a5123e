"""Retrieval of catalogue records from free-form questions."""

from knowledge.catalogue import Catalogue
from knowledge.retrieval.search import MIN_LEXICAL, ProcedureSearch, SearchHit, decisive


def build_search(
    catalogue: Catalogue, embedding_model: str, dense_weight: float
) -> ProcedureSearch:
    """Hybrid search when a model is named, lexical only when ``embedding_model`` is empty."""
    if not embedding_model:
        return ProcedureSearch(catalogue)
    from knowledge.retrieval.dense import DenseEncoder

    return ProcedureSearch(catalogue, DenseEncoder(embedding_model), dense_weight)


__all__ = ["MIN_LEXICAL", "ProcedureSearch", "SearchHit", "build_search", "decisive"]
