from __future__ import annotations

import pytest

from server.core.privacy import mask_personal_data, sender_hash


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("sđt 0912 345 678 ạ", "sđt *******678 ạ"),
        ("gọi +84912345678", "gọi ********678"),
        ("cccd 001203004567", "cccd *********567"),
        ("mail me: a.b+c@gmail.com", "mail me: [email]"),
    ],
)
def test_personal_data_is_masked(text: str, masked: str) -> None:
    assert mask_personal_data(text) == masked


def test_dossier_codes_years_and_short_numbers_are_kept() -> None:
    text = "hồ sơ 000.00.17.H10-240115-0001 năm 2024, 4 số cuối 5678"
    assert mask_personal_data(text) == text


def test_sender_hash_is_stable_and_does_not_reveal_the_id() -> None:
    assert sender_hash("telegram:12345") == sender_hash("telegram:12345")
    assert "12345" not in sender_hash("telegram:12345")
