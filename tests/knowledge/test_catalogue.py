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
