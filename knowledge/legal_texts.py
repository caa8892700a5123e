"""Legal texts replaced as a whole, kept as data so that a record citing one is caught.

Regulations change often; a record that still cites a replaced circular is the first sign
that its facts are out of date. The list lives in ``knowledge/data/replaced_legal_texts.yml``
and the validator, the freshness report and the tests all read it through here.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from knowledge.models import Procedure
from knowledge.paths import REPLACED_LEGAL_TEXTS_FILE


class ReplacedLegalText(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    number: str = Field(min_length=5, description="e.g. 21/2019/TT-BGDĐT")
    title: str
    replaced_by: str
    replaced_from: dt.date = Field(alias="from")
    source: HttpUrl


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    texts: list[ReplacedLegalText]


def load_replaced_texts(path: Path = REPLACED_LEGAL_TEXTS_FILE) -> list[ReplacedLegalText]:
    return _File.model_validate(yaml.safe_load(path.read_text(encoding="utf-8"))).texts


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text).upper()


def replaced_citations(
    record: Procedure, replaced: list[ReplacedLegalText]
) -> list[tuple[str, ReplacedLegalText]]:
    """The lines of a record's legal basis that cite a replaced text, with that text.

    A repealed record is exempt: it is kept to say the procedure is gone, and cites the texts
    it was based on.
    """
    if record.repealed is not None:
        return []
    return [
        (line, text)
        for line in record.legal_basis
        for text in replaced
        if _compact(text.number) in _compact(line)
    ]
