"""Finds the procedures a citizen's words are about.

Hybrid retrieval. Lexical search (BM25) runs over word keys from :mod:`knowledge.vietnamese`,
i.e. over diacritic-free, segmented text, so that a question typed without diacritics
matches as well as one typed with them; each compound key also contributes its syllables,
which keeps a match when two spellings were segmented differently. Dense search (an e5
sentence embedding, see :mod:`knowledge.retrieval.dense`) matches meaning where the words
differ ("thất lạc" / "bị mất"). Each is scaled to [0, 1] per query and the two are mixed;
a record for another school level than the one the question names ("lớp 9", "cấp 3") then
loses some of its score.

When the catalogue changes (a file edit, a publish from the staff console) the index is
rebuilt, but only passages whose text is new are embedded again: embedding every passage
takes long on a CPU.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from knowledge.catalogue import Catalogue, Snapshot
from knowledge.models import Procedure, ReplacedProcedure
from knowledge.retrieval.bm25 import BM25
from knowledge.school_levels import school_levels
from knowledge.vietnamese import keys, normalize_unicode

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

# A record for another school level than the one the citizen named ("lớp 9" -> THCS) is
# most likely not meant, but stays in the list in case the citizen misnamed the level.
OTHER_LEVEL_FACTOR = 0.8
MIN_LEXICAL = 2.5  # BM25 score below which the words barely touch the procedure
MIN_GAP = 0.15  # lead of the best hybrid score over the runner-up that makes it decisive


def terms_of(word_keys: list[str]) -> list[str]:
    terms: list[str] = []
    for key in word_keys:
        if key in STOP_KEYS:
            continue
        terms.append(key)
        if "_" in key:
            terms.extend(part for part in key.split("_") if part not in STOP_KEYS)
    return terms


def procedure_text(p: Procedure) -> str:
    """What a procedure is found by: its names (the older ones it replaced too: citizens
    still use them), situations and keywords."""
    old_names = [r.name for r in p.replaces]
    return "\n".join([p.name, p.name, p.short_name, *old_names, *p.situations, *p.keywords])


def procedure_passages(p: Procedure) -> list[str]:
    """The texts embedded for dense search; a procedure scores its best passage."""
    return [p.name, *(r.name for r in p.replaces), *p.situations]


OLD_NAME_COVERAGE = 0.6  # share of an old name's words a question must use to name it


def old_name_asked(question: str, p: Procedure) -> ReplacedProcedure | None:
    """The replaced procedure a question names by its old name or code, if it names one
    better than the current name, so the answer can say what replaced it."""
    if not p.replaces or not question:
        return None
    for old in p.replaces:
        if old.code and old.code in question:
            return old
    asked = set(terms_of(keys(question)))

    def coverage(name: str) -> float:
        words = set(terms_of(keys(name)))
        return len(asked & words) / len(words) if words else 0.0

    best = max(p.replaces, key=lambda old: coverage(old.name))
    share = coverage(best.name)
    return best if share >= OLD_NAME_COVERAGE and share > coverage(p.name) else None


def dense_query(text: str) -> str:
    """The question as the embedding model reads it best: composed Unicode, and lower case
    when typed in capitals (the model is case-sensitive and saw few shouted questions)."""
    text = normalize_unicode(text)
    return text.lower() if text.isupper() else text


class PassageEncoder(Protocol):
    """Sentence embeddings, normalised (see :class:`knowledge.retrieval.dense.DenseEncoder`)."""

    name: str  # the model, named in evaluation reports

    def query(self, text: str) -> NDArray[np.float32]: ...

    def passages(self, texts: Sequence[str]) -> NDArray[np.float32]: ...


@dataclass(frozen=True)
class SearchHit:
    procedure: Procedure
    score: float  # hybrid score in [0, 1]
    lexical: float  # raw BM25 score: 0 means no word in common
    dense: float  # cosine similarity of the best passage (0 without a dense model)
    other_level: bool = False  # for another school level than the question names


def decisive(hits: list[SearchHit]) -> bool:
    """Whether the best hit is clear enough to answer without asking the citizen."""
    if not hits or hits[0].lexical < MIN_LEXICAL:
        return False
    return len(hits) == 1 or hits[0].score - hits[1].score >= MIN_GAP


@dataclass(frozen=True)
class _Index:
    snapshot: Snapshot
    ids: list[str]
    bm25: BM25
    passage_owner: NDArray[np.int64]  # procedure index of each passage
    passage_vectors: NDArray[np.float32] | None
    school_levels: list[str | None]  # per procedure, from its facets


def _scaled(values: NDArray[np.float64]) -> NDArray[np.float64]:
    low, high = float(values.min()), float(values.max())
    return (values - low) / (high - low) if high > low else np.zeros_like(values)


class ProcedureSearch:
    """Ranks catalogue records for a question; re-indexes when the catalogue changes."""

    def __init__(
        self,
        catalogue: Catalogue,
        encoder: PassageEncoder | None = None,
        dense_weight: float = 0.5,
    ) -> None:
        self.catalogue = catalogue
        self.encoder = encoder
        self.dense_weight = dense_weight if encoder is not None else 0.0
        self._lock = threading.Lock()
        self._index: _Index | None = None
        # Passage text -> its vector, for the passages of the current index only.
        self._vectors: dict[str, NDArray[np.float32]] = {}

    def _current(self) -> _Index:
        snapshot = self.catalogue.snapshot()
        with self._lock:
            if self._index is None or self._index.snapshot is not snapshot:
                self._index = self._build(snapshot)
            return self._index

    def _build(self, snapshot: Snapshot) -> _Index:
        ids = sorted(snapshot.procedures)
        records = [snapshot.procedures[i] for i in ids]
        bm25 = BM25([terms_of(keys(procedure_text(p))) for p in records])
        owners, texts = [], []
        for n, record in enumerate(records):
            for passage in procedure_passages(record):
                owners.append(n)
                texts.append(passage)
        vectors = self._embed(self.encoder, texts) if self.encoder is not None else None
        levels: list[str | None] = [p.facets.school_level for p in records]
        return _Index(snapshot, ids, bm25, np.asarray(owners, dtype=np.int64), vectors, levels)

    def _embed(self, encoder: PassageEncoder, texts: list[str]) -> NDArray[np.float32]:
        """The passages' vectors, encoding only texts the previous index did not have; the
        cache then keeps the current passages alone, so edits cannot make it grow forever."""
        known = self._vectors
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:
            known = {**known, **dict(zip(missing, encoder.passages(missing), strict=True))}
        self._vectors = {t: known[t] for t in texts}
        return np.stack([known[t] for t in texts]).astype(np.float32, copy=False)

    def search(self, query: str, k: int = 5) -> list[SearchHit]:
        index = self._current()
        query_keys = keys(query)
        terms = terms_of(query_keys)
        if not terms:
            return []
        lexical = np.asarray(index.bm25.scores(terms), dtype=np.float64)
        if not lexical.any():
            return []
        dense = np.zeros(len(index.ids))
        if self.encoder is not None and index.passage_vectors is not None:
            similarity = index.passage_vectors @ self.encoder.query(dense_query(query))
            dense = np.full(len(index.ids), -1.0)
            np.maximum.at(dense, index.passage_owner, similarity)
        w = self.dense_weight
        combined = (1 - w) * _scaled(lexical) + w * _scaled(dense)
        named_levels = school_levels(query_keys)
        other_level = [
            bool(named_levels) and level is not None and level not in named_levels
            for level in index.school_levels
        ]
        combined *= np.where(other_level, OTHER_LEVEL_FACTOR, 1.0)
        order = sorted(range(len(index.ids)), key=lambda i: (-combined[i], index.ids[i]))
        return [
            SearchHit(
                index.snapshot.procedures[index.ids[i]],
                float(combined[i]),
                float(lexical[i]),
                float(dense[i]),
                other_level[i],
            )
            for i in order[:k]
        ]
