"""Retrieval of catalogue records from free-form questions."""

from knowledge.retrieval.search import ProcedureSearch, SearchHit

__all__ = ["ProcedureSearch", "SearchHit"]
