from __future__ import annotations

import pytest

from server.core.privacy import mask_citizen_message, mask_personal_data


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # No digit of a phone is kept: its last 4 verify a dossier lookup.
        ("sđt 0912 345 678 ạ", "sđt ********** ạ"),
        ("gọi +84912345678", "gọi ***********"),
        ("cccd 001203004567", "cccd ************"),
        ("mail me: a.b+c@gmail.com", "mail me: [email]"),
    ],
)
def test_personal_data_is_masked_whole(text: str, masked: str) -> None:
    assert mask_personal_data(text) == masked


def test_dossier_codes_years_and_short_numbers_are_kept() -> None:
    text = "hồ sơ 000.00.17.H10-240115-0001 năm 2024, 4 số cuối 5678"
    assert mask_personal_data(text) == text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("5678", "****"),
        ("4 số cuối là 5678 ạ", "4 số cuối là **** ạ"),
        ("H10.22-241203-0042", "H10.22-241203-0042"),
        ("sđt 0912345678, 4 số 5678", "sđt **********, 4 số ****"),
    ],
)
def test_a_citizen_message_is_masked_as_it_may_be_kept(text: str, masked: str) -> None:
    assert mask_citizen_message(text) == masked
