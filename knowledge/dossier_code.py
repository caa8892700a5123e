"""Dossier codes printed on one-stop receipts, as citizens actually type them.

Two shapes are in use: ``000.00.17.H10-240115-0001`` (national agency code) and
``H10.22-241203-0042`` (provincial agency code); both end with the receipt date (YYMMDD)
and a sequence number. People type them in lower case, with spaces around the dashes or
without the dots; :func:`find_codes` tolerates that and :func:`canonical` restores the
printed form, which is the key of the dossier store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SEP = r"\s*[-–—_.]?\s*"
_PATTERN = re.compile(
    r"(?<![\w.])"
    r"(?:(?P<n1>\d{3})[.\s]?(?P<n2>\d{2})[.\s]?(?P<n3>\d{2})[.\s]?(?P<na>[A-Za-z]\d{2})"
    r"|(?P<pa>[A-Za-z]\d{2})[.\s]?(?P<p2>\d{2}))"
    rf"{_SEP}(?P<date>\d{{6}}){_SEP}(?P<seq>\d{{4}})"
    r"(?![\w])"
)


@dataclass(frozen=True)
class CodeMatch:
    start: int
    end: int
    text: str
    code: str


def _canonical_from(match: re.Match[str]) -> str:
    if match.group("na"):
        agency = f"{match['n1']}.{match['n2']}.{match['n3']}.{match['na'].upper()}"
    else:
        agency = f"{match['pa'].upper()}.{match['p2']}"
    return f"{agency}-{match['date']}-{match['seq']}"


def find_codes(text: str) -> list[CodeMatch]:
    """Every dossier code in ``text``, with its span and canonical form."""
    return [
        CodeMatch(m.start(), m.end(), m.group(), _canonical_from(m))
        for m in _PATTERN.finditer(text)
    ]


def canonical(text: str) -> str | None:
    """The canonical code if ``text`` holds exactly one, else None."""
    found = find_codes(text)
    return found[0].code if len(found) == 1 else None
