from __future__ import annotations

import os
import shutil
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

from knowledge.catalogue import Catalogue, CatalogueError, load_all
from knowledge.models import Level, OnlineService
from knowledge.paths import PROCEDURES_DIR
from knowledge.retrieval import ProcedureSearch
from tests.knowledge.published_source import (
    FILE_RECORD,
    OTHER_RECORD,
    FakeClock,
    FakeSource,
    small_catalogue,
)
from tests.knowledge.sample import sample_record

COPY = "cap-ban-sao-van-bang-tu-so-goc"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "procedures"
    shutil.copytree(PROCEDURES_DIR, target)
    return target


def edit(path: Path, **changes: object) -> None:
    record = yaml.safe_load(path.read_text(encoding="utf-8"))
    record.update(changes)
    path.write_text(yaml.safe_dump(record, allow_unicode=True), encoding="utf-8")
    later = time.time() + 1
    os.utime(path, (later, later))


def test_shipped_catalogue_covers_what_a_department_and_a_commune_publish() -> None:
    current = [p for p in load_all().procedures.values() if p.repealed is None]
    assert len(current) >= 110
    levels = Counter(p.level for p in current)
    assert levels[Level.province] >= 50 and levels[Level.commune] >= 30
    assert len({p.field for p in current}) >= 8
    assert sum(p.code is not None for p in current) >= 0.9 * len(current)


def test_every_current_record_is_complete() -> None:
    for p in load_all().procedures.values():
        if p.repealed is not None:
            continue
        assert p.authorities and p.applicants and p.valid_from, p.id
        assert p.documents and all(d.copies >= 1 for d in p.documents), p.id
        assert p.processing_time.text and p.fee.text and p.result and p.steps, p.id
        assert p.legal_basis and p.sources, p.id
        assert p.channels.desk or p.channels.post or p.channels.online is not OnlineService.none


def test_a_replaced_code_is_no_current_record() -> None:
    records = load_all().procedures.values()
    replaced = {old.code for p in records for old in p.replaces if old.code}
    assert replaced and not replaced & {p.code for p in records}


def test_staff_edit_is_served_without_restart(folder: Path) -> None:
    catalogue = Catalogue(folder)
    assert catalogue.get(COPY) is not None
    edit(folder / f"{COPY}.yml", fee={"amount_vnd": 0, "text": "Miễn phí (đã sửa)"})
    record = catalogue.get(COPY)
    assert record is not None and record.fee.text == "Miễn phí (đã sửa)"
    assert catalogue.last_error is None


def test_broken_edit_keeps_the_last_valid_catalogue(folder: Path) -> None:
    catalogue = Catalogue(folder)
    edit(folder / f"{COPY}.yml", documents=[])
    record = catalogue.get(COPY)
    assert record is not None and record.documents, "last valid record still served"
    assert catalogue.last_error and COPY in catalogue.last_error


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": "other-id"}, "must equal the file name"),
        ({"unknown_key": 1}, "Extra inputs are not permitted"),
        ({"code": "12345"}, "String should match pattern"),
        ({"level": "huyen"}, "Input should be"),
    ],
)
def test_validator_names_file_and_problem(
    folder: Path, change: dict[str, object], message: str
) -> None:
    edit(folder / f"{COPY}.yml", **change)
    with pytest.raises(CatalogueError, match=message):
        load_all(folder)


def test_duplicate_national_codes_are_rejected(folder: Path) -> None:
    code = load_all(folder).procedures[COPY].code
    edit(folder / "chinh-sua-noi-dung-van-bang-chung-chi.yml", code=code)
    with pytest.raises(CatalogueError, match="more than one record"):
        load_all(folder)


# The published layer: records a reviewer published from the staff console.

RENAMED = "Xác nhận hoàn thành chương trình bồi dưỡng giáo viên"
NEW_RECORD = "cap-the-thu-vien-truong-hoc"


def published_catalogue(
    tmp_path: Path, **kwargs: object
) -> tuple[Catalogue, FakeSource, FakeClock]:
    source, clock = FakeSource(), FakeClock()
    folder = small_catalogue(tmp_path / "procedures")
    return Catalogue(folder, published=source, clock=clock, **kwargs), source, clock  # type: ignore[arg-type]


def test_a_published_record_replaces_the_file_and_is_found_by_its_new_name(
    tmp_path: Path,
) -> None:
    catalogue, source, clock = published_catalogue(tmp_path)
    search = ProcedureSearch(catalogue)
    assert search.search("bồi dưỡng giáo viên") == []
    source.publish(sample_record(name=RENAMED))
    clock.now += 1.0
    hits = search.search("bồi dưỡng giáo viên")
    assert [h.procedure.id for h in hits][:1] == [FILE_RECORD]
    assert hits[0].procedure.name == RENAMED
    snapshot = catalogue.snapshot()
    assert snapshot.published == {FILE_RECORD} and len(snapshot) == 2
    assert snapshot.signature[1] == source.current
    assert catalogue.last_error is None


def test_a_published_record_with_a_new_id_is_added(tmp_path: Path) -> None:
    catalogue, source, clock = published_catalogue(tmp_path)
    source.publish(sample_record(id=NEW_RECORD, code="1.999997", name="Cấp thẻ thư viện trường"))
    clock.now += 1.0
    snapshot = catalogue.snapshot()
    assert set(snapshot.procedures) == {FILE_RECORD, OTHER_RECORD, NEW_RECORD}
    assert snapshot.published == {NEW_RECORD}


def test_published_records_are_there_from_the_start(tmp_path: Path) -> None:
    source = FakeSource()
    source.publish(sample_record(name=RENAMED))
    catalogue = Catalogue(small_catalogue(tmp_path / "p"), published=source, clock=FakeClock())
    record = catalogue.get(FILE_RECORD)
    assert record is not None and record.name == RENAMED


@pytest.mark.parametrize(
    ("key", "body", "message"),
    [
        (FILE_RECORD, sample_record(documents=[]), "published thu-tuc-mau"),
        ("Sai Ten", sample_record(id="Sai Ten"), "published Sai Ten"),
        (FILE_RECORD, sample_record(id=OTHER_RECORD), "must equal its key"),
        (NEW_RECORD, sample_record(id=NEW_RECORD, code="1.999998"), "more than one record"),
    ],
)
def test_a_broken_publish_keeps_the_last_valid_catalogue(
    tmp_path: Path, key: str, body: dict[str, object], message: str
) -> None:
    catalogue, source, clock = published_catalogue(tmp_path)
    before = catalogue.snapshot()
    source.bodies[key] = body
    source.current += 1
    clock.now += 1.0
    assert catalogue.snapshot() is before
    assert catalogue.last_error is not None and message in catalogue.last_error
    records_read = source.records_calls
    clock.now += 5.0
    assert catalogue.snapshot() is before
    assert source.records_calls == records_read, "a broken body is read again only on a publish"
    source.bodies = {}
    source.current += 1
    clock.now += 1.0
    assert catalogue.snapshot() is not before and catalogue.last_error is None


def test_a_source_that_is_down_keeps_the_bot_serving(tmp_path: Path) -> None:
    catalogue, source, clock = published_catalogue(tmp_path)
    source.publish(sample_record(name=RENAMED))
    clock.now += 1.0
    served = catalogue.snapshot()
    source.down = True
    clock.now += 1.0
    assert catalogue.snapshot() is served
    assert catalogue.last_error and "could not connect" in catalogue.last_error
    source.down = False
    clock.now += 1.0
    record = catalogue.get(FILE_RECORD)
    assert record is not None and record.name == RENAMED and catalogue.last_error is None


def test_records_unreadable_after_the_revision_are_read_again_at_the_next_poll(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalogue, source, clock = published_catalogue(tmp_path)
    source.publish(sample_record(name=RENAMED))
    monkeypatch.setattr(source, "records", lambda: (_ for _ in ()).throw(OSError("timeout")))
    clock.now += 1.0
    assert catalogue.get(FILE_RECORD).name != RENAMED  # type: ignore[union-attr]
    assert catalogue.last_error and "timeout" in catalogue.last_error
    monkeypatch.undo()
    clock.now += 0.5
    assert catalogue.get(FILE_RECORD).name != RENAMED  # type: ignore[union-attr]
    clock.now += 0.5
    assert catalogue.get(FILE_RECORD).name == RENAMED  # type: ignore[union-attr]
    assert catalogue.last_error is None


def test_a_source_that_is_down_at_start_leaves_the_files_in_service(tmp_path: Path) -> None:
    source = FakeSource()
    source.publish(sample_record(name=RENAMED))
    source.down = True
    clock = FakeClock()
    catalogue = Catalogue(small_catalogue(tmp_path / "p"), published=source, clock=clock)
    assert len(catalogue.snapshot()) == 2 and catalogue.last_error
    source.down = False
    clock.now += 1.0
    assert catalogue.get(FILE_RECORD).name == RENAMED  # type: ignore[union-attr]


def test_the_revision_is_asked_at_most_once_per_poll_interval(tmp_path: Path) -> None:
    catalogue, source, clock = published_catalogue(tmp_path, poll_s=2.0)
    assert source.revision_calls == 1
    source.publish(sample_record(name=RENAMED))
    for _ in range(3):
        clock.now += 0.5
        assert catalogue.get(FILE_RECORD).name != RENAMED  # type: ignore[union-attr]
    assert source.revision_calls == 1 and source.records_calls == 1
    clock.now += 0.5
    assert catalogue.get(FILE_RECORD).name == RENAMED  # type: ignore[union-attr]
    assert source.revision_calls == 2 and source.records_calls == 2
    clock.now += 2.0
    catalogue.snapshot()
    assert source.revision_calls == 3 and source.records_calls == 2, "unchanged: not read"


def test_local_facts_apply_on_top_of_a_published_record_and_are_not_in_unmerged(
    tmp_path: Path,
) -> None:
    overrides = tmp_path / "local.yml"
    local = {
        "fee": {"amount_vnd": 20000, "text": "20.000 đồng"},
        "source": {
            "title": "Quyết định của tỉnh",
            "url": "https://tinh.example.gov.vn/qd",
            "checked": "2026-11-30",
        },
    }
    overrides.write_text(
        yaml.safe_dump({"department": "Sở GDĐT tỉnh X", "procedures": {FILE_RECORD: local}}),
        encoding="utf-8",
    )
    catalogue, source, clock = published_catalogue(tmp_path, overrides=overrides)
    source.publish(sample_record(name=RENAMED))
    clock.now += 1.0
    snapshot = catalogue.snapshot()
    merged, unmerged = snapshot.procedures[FILE_RECORD], snapshot.unmerged[FILE_RECORD]
    assert merged.name == unmerged.name == RENAMED
    assert merged.fee.text == "20.000 đồng" and unmerged.fee.text == "Không thu phí"
    assert snapshot.overridden == {FILE_RECORD} and snapshot.published == {FILE_RECORD}
    assert snapshot.unmerged[OTHER_RECORD] is snapshot.procedures[OTHER_RECORD]
