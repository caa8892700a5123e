"""Re-indexing after a catalogue change embeds only the passages whose text is new."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from knowledge.catalogue import Catalogue
from knowledge.retrieval import ProcedureSearch
from knowledge.retrieval.search import procedure_passages
from tests.knowledge.published_source import FILE_RECORD, FakeClock, FakeSource, small_catalogue
from tests.knowledge.sample import sample_record

RENAMED = "Xác nhận hoàn thành chương trình bồi dưỡng giáo viên"
QUESTION = "thủ tục mẫu bồi dưỡng giáo viên"


class CountingEncoder:
    """A deterministic stand-in for e5 that records every text it is asked to embed."""

    name = "counting-fake"

    def __init__(self) -> None:
        self.encoded: list[list[str]] = []
        self.queries: list[str] = []

    @staticmethod
    def _vector(text: str) -> NDArray[np.float32]:
        digest = hashlib.sha256(text.encode()).digest()
        vector = np.frombuffer(digest, dtype=np.uint8).astype(np.float32) - 127.5
        return vector / np.linalg.norm(vector)

    def passages(self, texts: Sequence[str]) -> NDArray[np.float32]:
        self.encoded.append(list(texts))
        return np.stack([self._vector(t) for t in texts])

    def query(self, text: str) -> NDArray[np.float32]:
        self.queries.append(text)
        return self._vector(text)


def setup(tmp_path: Path) -> tuple[Catalogue, FakeSource, FakeClock]:
    source, clock = FakeSource(), FakeClock()
    catalogue = Catalogue(small_catalogue(tmp_path / "procedures"), published=source, clock=clock)
    return catalogue, source, clock


def publish(source: FakeSource, clock: FakeClock, **changes: object) -> None:
    source.publish(sample_record(**changes))
    clock.now += 1.0


def test_a_publish_re_embeds_only_the_changed_passage(tmp_path: Path) -> None:
    catalogue, source, clock = setup(tmp_path)
    encoder = CountingEncoder()
    search = ProcedureSearch(catalogue, encoder, dense_weight=0.5)
    search.search(QUESTION)
    every_passage = [t for p in catalogue.all() for t in procedure_passages(p)]
    assert sorted(encoder.encoded[0]) == sorted(set(every_passage))
    search.search(QUESTION)
    assert len(encoder.encoded) == 1, "an unchanged catalogue is not re-embedded"

    publish(source, clock, name=RENAMED)
    hits = search.search(QUESTION)
    assert encoder.encoded[1:] == [[RENAMED]]
    assert hits[0].procedure.name == RENAMED
    assert encoder.queries == [QUESTION] * 3, "one query embedding per search"

    fresh = ProcedureSearch(catalogue, CountingEncoder(), dense_weight=0.5)
    assert fresh.search(QUESTION) == hits, "same ranking as an index embedded from scratch"


def test_the_cache_keeps_only_the_current_passages(tmp_path: Path) -> None:
    catalogue, source, clock = setup(tmp_path)
    encoder = CountingEncoder()
    search = ProcedureSearch(catalogue, encoder, dense_weight=0.5)
    original = sample_record()["name"]
    search.search(QUESTION)
    publish(source, clock, name=RENAMED)
    search.search(QUESTION)
    publish(source, clock, name=original)
    search.search(QUESTION)
    assert encoder.encoded[1:] == [[RENAMED], [original]], "a dropped passage was forgotten"
    assert FILE_RECORD in catalogue.snapshot().published
