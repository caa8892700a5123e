"""Retrieval of catalogue records from free-form questions."""

from knowledge.catalogue import Catalogue
from knowledge.retrieval.search import (
    MIN_LEXICAL,
    ProcedureSearch,
    SearchHit,
    decisive,
    old_name_asked,
)

# Share of the dense score in the hybrid score, chosen on a validation fifth of the training
# pairs (never on the evaluation questions).
DEFAULT_DENSE_WEIGHT = 0.7


def build_search(
    catalogue: Catalogue, embedding_model: str, dense_weight: float
) -> ProcedureSearch:
    """Hybrid search when a model is named, lexical only when ``embedding_model`` is empty."""
    if not embedding_model:
        return ProcedureSearch(catalogue)
    from knowledge.retrieval.dense import DenseEncoder

    return ProcedureSearch(catalogue, DenseEncoder(embedding_model), dense_weight)


__all__ = [
    "DEFAULT_DENSE_WEIGHT",
    "MIN_LEXICAL",
    "ProcedureSearch",
    "SearchHit",
    "build_search",
    "decisive",
    "old_name_asked",
]
