"""A department's local facts: merged into the national record, nothing else overridable."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
import yaml

from knowledge.catalogue import Catalogue, CatalogueError, load_all
from knowledge.models import FactGroup
from knowledge.overrides import LOCAL_SOURCE_ID
from knowledge.paths import PROCEDURES_DIR
from knowledge.validate import main as validate

RECORD = "cap-ban-sao-van-bang-tu-so-goc"
LOCAL_SOURCE = {
    "title": "Quyết định công bố TTHC của tỉnh",
    "url": "https://tinh.example.gov.vn/qd",
    "checked": "2026-11-30",
}


def write(path: Path, procedures: dict[str, object]) -> Path:
    path.write_text(
        yaml.safe_dump({"department": "Sở GDĐT tỉnh X", "procedures": procedures}),
        encoding="utf-8",
    )
    later = time.time() + 1
    os.utime(path, (later, later))
    return path


def test_local_facts_replace_the_national_ones_and_cite_the_local_source(tmp_path: Path) -> None:
    overrides = write(
        tmp_path / "local.yml",
        {
            RECORD: {
                "fee": {"amount_vnd": 20000, "text": "20.000 đồng/bản"},
                "desk_note": "Bộ phận Một cửa, 12 đường Lê Lợi",
                "desk_hours": "7h00–17h00, thứ Hai đến thứ Bảy",
                "source": LOCAL_SOURCE,
            }
        },
    )
    national = load_all().procedures[RECORD]
    merged = load_all(PROCEDURES_DIR, overrides).procedures[RECORD]
    assert merged.fee.text == "20.000 đồng/bản"
    assert merged.channels.desk_note == "Bộ phận Một cửa, 12 đường Lê Lợi"
    assert merged.channels.online == national.channels.online
    assert merged.documents == national.documents
    assert merged.provenance[FactGroup.fee].sources == [LOCAL_SOURCE_ID]
    assert not merged.uncertain(FactGroup.fee)
    assert merged.provenance[FactGroup.documents] == national.provenance[FactGroup.documents]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"hotline_fee": 1, "source": LOCAL_SOURCE}, "hotline_fee"),
        ({"documents": [], "source": LOCAL_SOURCE}, "documents"),
        ({"fee": {"amount_vnd": 0, "text": "Miễn phí"}}, "source"),
        ({"source": LOCAL_SOURCE}, "at least one local fact"),
    ],
)
def test_an_override_of_a_field_that_cannot_be_overridden_is_rejected(
    tmp_path: Path, entry: dict[str, object], message: str
) -> None:
    overrides = write(tmp_path / "local.yml", {RECORD: entry})
    with pytest.raises(CatalogueError, match=message):
        load_all(PROCEDURES_DIR, overrides)
    assert validate(["--overrides", str(overrides)]) == 1


def test_an_override_of_a_record_that_does_not_exist_is_rejected(tmp_path: Path) -> None:
    overrides = write(
        tmp_path / "local.yml", {"khong-co-thu-tuc-nay": {"notes": ["x"], "source": LOCAL_SOURCE}}
    )
    with pytest.raises(CatalogueError, match="no record with id khong-co-thu-tuc-nay"):
        load_all(PROCEDURES_DIR, overrides)


def test_an_edited_override_is_served_without_restart(tmp_path: Path) -> None:
    folder = tmp_path / "procedures"
    shutil.copytree(PROCEDURES_DIR, folder)
    overrides = write(tmp_path / "local.yml", {})
    catalogue = Catalogue(folder, overrides)
    write(
        overrides,
        {RECORD: {"online_url": "https://dichvucong.tinh.gov.vn", "source": LOCAL_SOURCE}},
    )
    record = catalogue.get(RECORD)
    assert record is not None and str(record.channels.online_url).startswith(
        "https://dichvucong.tinh.gov.vn"
    )


def test_the_shipped_overrides_file_is_valid() -> None:
    assert validate([]) == 0
