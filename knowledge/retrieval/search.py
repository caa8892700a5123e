"""Finds the procedures a citizen's words are about.

Lexical search (BM25) runs over word keys from :mod:`knowledge.vietnamese`, i.e. over
diacritic-free, segmented text, so that a question typed without diacritics matches as
well as one typed with them. Each compound key also contributes its syllables, which
keeps a match when two spellings were segmented differently.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from knowledge.catalogue import Catalogue, Snapshot
from knowledge.models import Procedure
from knowledge.retrieval.bm25 import BM25
from knowledge.vietnamese import keys

# Words that say nothing about *which* procedure is meant: function words, and the words
# of the question itself (documents, time, fee, where to submit), which the NLU intent reads.
STOP_KEYS = frozenset(
    """a ah ak anh ba ban bi bo cac cai can can_gi cau chi cho co con cua da dang de di duoc
    em gi giup hay hoi khi khong la lam lai liec minh muon nao nay neu nhe nho nhu nhu_the_nao
    nhung o o_dau oi phai ra roi sao se the_nao thi thi_sao thu_tuc toi tu va vay ve voi xin
    xin_hoi ho_so chuan_bi giay_to giay_to_gi thanh_phan bao_lau bao_nhieu thoi_gian thoi_han
    le_phi phi tien nop online buu_dien bo_phan mot_cua can_cu phap_ly thong_tu nghi_dinh
    quy_dinh ad admin a_a da_vang vang""".split()
)


def index_terms(text: str) -> list[str]:
    terms: list[str] = []
    for key in keys(text):
        if key in STOP_KEYS:
            continue
        terms.append(key)
        if "_" in key:
            terms.extend(part for part in key.split("_") if part not in STOP_KEYS)
    return terms


def procedure_text(p: Procedure) -> str:
    """What a procedure is found by: its names, situations and keywords."""
    return "\n".join([p.name, p.name, p.short_name, *p.situations, *p.keywords])


@dataclass(frozen=True)
class SearchHit:
    procedure: Procedure
    score: float


class ProcedureSearch:
    """Ranks catalogue records for a question; re-indexes when the catalogue changes."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self._lock = threading.Lock()
        self._indexed: Snapshot | None = None
        self._ids: list[str] = []
        self._bm25: BM25 | None = None

    def _index(self) -> tuple[Snapshot, list[str], BM25]:
        snapshot = self.catalogue.snapshot()
        with self._lock:
            if self._indexed is not snapshot or self._bm25 is None:
                ids = sorted(snapshot.procedures)
                docs = [index_terms(procedure_text(snapshot.procedures[i])) for i in ids]
                self._ids, self._bm25, self._indexed = ids, BM25(docs), snapshot
            return snapshot, self._ids, self._bm25

    def search(self, query: str, k: int = 5) -> list[SearchHit]:
        snapshot, ids, bm25 = self._index()
        terms = index_terms(query)
        if not terms:
            return []
        scored = sorted(zip(bm25.scores(terms), ids, strict=True), key=lambda x: (-x[0], x[1]))
        return [SearchHit(snapshot.procedures[i], s) for s, i in scored[:k] if s > 0]
