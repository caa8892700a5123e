from __future__ import annotations

import pytest

from knowledge.dossier_code import canonical, find_codes


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("000.00.17.H10-240115-0001", "000.00.17.H10-240115-0001"),
        ("000.00.17.h10-240115-0001", "000.00.17.H10-240115-0001"),
        ("000.00.17.H10 - 240115 - 0001", "000.00.17.H10-240115-0001"),
        ("000 00 17 H10-240115-0001", "000.00.17.H10-240115-0001"),
        ("00000 17 H10 240115 0001", "000.00.17.H10-240115-0001"),
        ("0000017H10240115 0001", "000.00.17.H10-240115-0001"),
        ("H10.22-241203-0042", "H10.22-241203-0042"),
        ("h10.22 - 241203 - 0042", "H10.22-241203-0042"),
        ("H1022-241203-0042", "H10.22-241203-0042"),
        ("h10 22 241203 0042", "H10.22-241203-0042"),
    ],
)
def test_variants_parse_to_the_printed_form(typed: str, expected: str) -> None:
    assert canonical(f"mã hồ sơ {typed} ạ") == expected


@pytest.mark.parametrize(
    "text",
    ["0912345678", "H10.22-2412-0042", "000.00.17.H10-240115-001", "năm 2024", "",
     "abc000.00.17.H10-240115-0001", "000.00.17.H10-240115-00011"],
)  # fmt: skip
def test_non_codes_are_ignored(text: str) -> None:
    assert find_codes(text) == []


def test_two_codes_are_not_one() -> None:
    text = "H10.22-241203-0042 và H27.15-250310-0107"
    assert [m.code for m in find_codes(text)] == ["H10.22-241203-0042", "H27.15-250310-0107"]
    assert canonical(text) is None
