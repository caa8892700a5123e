from __future__ import annotations

import unicodedata

import pytest

from knowledge.vietnamese import (
    analyze,
    correct_typo,
    key_forms,
    keys,
    normalize_unicode,
    strip_diacritics,
)


def test_strip_diacritics_handles_d_bar_and_nfd() -> None:
    assert strip_diacritics("Đăng ký dự thi") == "Dang ky du thi"
    assert strip_diacritics(unicodedata.normalize("NFD", "trường")) == "truong"


def test_old_and_new_tone_placement_read_the_same() -> None:
    assert keys("hoà") == keys("hòa") == ["hoa"]


@pytest.mark.parametrize(
    ("one", "other"),
    [("đăng kí thi", "đăng ký thi"), ("dang ki", "dang ky"), ("lí do", "lý do"),
     ("kì thi", "kỳ thi"), ("du học Mĩ", "du học Mỹ"), ("công ti", "công ty")],
)  # fmt: skip
def test_i_and_y_spellings_read_the_same(one: str, other: str) -> None:
    assert keys(one) == keys(other)


def test_normalize_unicode_composes_and_drops_control_characters() -> None:
    assert normalize_unicode(unicodedata.normalize("NFD", "bằng") + "\x00\u200b") == "bằng"


@pytest.mark.parametrize(
    "variant",
    [
        "mẹ em bị mất bằng tốt nghiệp cấp 3",
        "me em bi mat bang tot nghiep cap 3",
        "mẹ e bị mất bằng tn c3",
        unicodedata.normalize("NFD", "Mẹ em bị mất bằng tốt nghiệp THPT"),
    ],
)
def test_key_syllables_survive_every_spelling(variant: str) -> None:
    # Without diacritics, segmentation may differ ("mất bằng" vs "mặt bằng" both read
    # "mat bang"), but the syllables and the canonical school level are always there.
    found = keys(variant)
    syllables = {part for key in found for part in key.split("_")}
    assert {"mat", "bang", "tot", "nghiep"} <= syllables
    assert "thpt" in found


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("e ms đky thi tn", "em mới đăng ký thi tốt nghiệp"),
        ("dky cho con vao lop 1", "đăng ký cho con vào lớp 1"),
        ("h mk phải lm s", "giờ mình phải làm sao"),
        ("gxn cư trú", "giấy xác nhận cư trú"),
        ("trg mn tư thục", "trường mầm non tư thục"),
        ("gv mn", "giáo viên mầm non"),
    ],
)
def test_chat_abbreviations_read_as_the_words_meant(typed: str, meant: str) -> None:
    assert keys(typed) == keys(meant)


def test_mn_is_everyone_in_a_greeting() -> None:
    assert keys("chào mn") == keys("chào mọi người")


def test_words_keep_spans_of_the_original_text() -> None:
    text = "  Hồ sơ 000.00.17.H10-240115-0001 nộp onl đc ko?"
    for word in analyze(text):
        assert text[word.start : word.end] == word.text
    assert "000.00.17.h10-240115-0001" in keys(text)


@pytest.mark.parametrize("junk", ["", "   ", "😀🎉", "???!!!", "\x00\x01"])
def test_junk_gives_no_words(junk: str) -> None:
    assert analyze(junk) == []


def test_long_input_is_handled() -> None:
    assert len(keys("thủ tục chuyển trường " * 500)) >= 1000


def test_key_forms_cover_other_segmentations() -> None:
    forms = key_forms(["lam", "mat_bang", "tot_nghiep"])
    assert forms >= {"mat", "bang", "mat_bang", "lam_mat_bang"}
    assert "nhom_tre" in key_forms(keys("nhóm trẻ gia đình"))


@pytest.mark.parametrize(
    "typed",
    [
        "xin cấp lại bằgn tốt nghệip",  # swapped letters
        "xin cấp lại bằng tốtt nghiệp",  # a doubled letter
        "xin cap lai bang tot ngiep",  # a dropped letter, no diacritics
        "xin cap lai bang tot nghiep",
    ],
)
def test_one_letter_typos_read_as_the_word_meant(typed: str) -> None:
    assert keys(typed) == ["xin", "cap", "lai", "bang", "tot_nghiep"]


def test_a_corrected_word_keeps_the_span_typed() -> None:
    text = "cần phưương án gì"
    (word,) = [w for w in analyze(text) if w.key == "phuong_an"]
    assert text[word.start : word.end] == word.text == "phưương án"


@pytest.mark.parametrize(
    "word", ["bye", "thank", "you", "lia", "hs", "kq", "thpt", "ielts", "H10-0042", "xyzw"]
)
def test_words_abbreviations_and_codes_are_not_typos(word: str) -> None:
    assert correct_typo(strip_diacritics(word).lower()) == strip_diacritics(word).lower()
