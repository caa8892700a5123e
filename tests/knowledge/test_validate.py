"""What CI rejects: a record without a source, a duplicate national code, a replaced text."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from knowledge.legal_texts import load_replaced_texts, replaced_citations
from knowledge.models import Procedure
from knowledge.paths import PROCEDURES_DIR
from knowledge.validate import main as validate
from tests.knowledge.sample import sample_record


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "procedures"
    shutil.copytree(PROCEDURES_DIR, target)
    return target


def add(folder: Path, record: dict[str, object]) -> None:
    path = folder / f"{record['id']}.yml"
    path.write_text(yaml.safe_dump(record, allow_unicode=True), encoding="utf-8")


def test_the_shipped_catalogue_passes(folder: Path) -> None:
    assert validate([str(folder)]) == 0


def test_a_record_without_a_source_fails(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    add(folder, sample_record(sources=[]))
    assert validate([str(folder)]) == 1
    assert "thu-tuc-mau.yml" in capsys.readouterr().err


def test_a_duplicate_national_code_fails(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = next(p for p in folder.glob("*.yml") if yaml.safe_load(p.read_text())["code"])
    add(folder, sample_record(code=yaml.safe_load(code.read_text())["code"]))
    assert validate([str(folder)]) == 1
    assert "more than one record" in capsys.readouterr().err


def test_a_replaced_legal_basis_fails(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    add(folder, sample_record(legal_basis=["Thông tư 21/2019/TT-BGDĐT (quy chế văn bằng)"]))
    assert validate([str(folder)]) == 1
    assert "thu-tuc-mau: cites" in capsys.readouterr().err


def test_replaced_texts_match_whatever_the_spacing_but_spare_repealed_records() -> None:
    replaced = load_replaced_texts()
    cited = Procedure.model_validate(sample_record(legal_basis=["TT 21 / 2019 / tt-bgdđt"]))
    assert replaced_citations(cited, replaced)
    repealed = Procedure.model_validate(
        sample_record(
            legal_basis=["Thông tư 21/2019/TT-BGDĐT"],
            repealed={
                "on": "2026-04-15",
                "by": "Thông tư 10/2026/TT-BGDĐT",
                "source": "dvcqg",
                "instead": "Anh/chị làm thủ tục mới.",
            },
        )
    )
    assert replaced_citations(repealed, replaced) == []
