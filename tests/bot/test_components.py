"""The Rasa components, run through Rasa's own Message objects (Rasa venv)."""

from __future__ import annotations

import unicodedata

import pytest
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.dossier_code_extractor import DossierCodeExtractor
from bot.components.vietnamese_tokenizer import VietnameseTokenizer


def tokens(text: str) -> list:
    tokenizer = VietnameseTokenizer(VietnameseTokenizer.get_default_config())
    message = Message(data={TEXT: text})
    tokenizer.process([message])
    return message.get(TOKENS_NAMES[TEXT])


def lemmas(text: str) -> list[str]:
    return [t.lemma for t in tokens(text)]


def test_compound_words_are_one_token_with_the_typed_span() -> None:
    text = "Xin cấp bản sao văn bằng tốt nghiệp"
    found = tokens(text)
    assert [t.lemma for t in found] == ["xin", "cap", "ban_sao", "van_bang", "tot_nghiep"]
    assert [text[t.start : t.end] for t in found] == [t.text for t in found]
    assert found[3].text == "văn bằng"


@pytest.mark.parametrize(
    "variant",
    [
        "xin cap ban sao van bang tot nghiep",
        "XIN CẤP BẢN SAO VĂN BẰNG TỐT NGHIỆP",
        unicodedata.normalize("NFD", "xin cấp bản sao văn bằng tốt nghiệp"),
    ],
)
def test_spelling_variants_give_the_same_lemmas(variant: str) -> None:
    assert lemmas(variant) == lemmas("xin cấp bản sao văn bằng tốt nghiệp")


def test_nfd_spans_point_into_the_decomposed_text() -> None:
    text = unicodedata.normalize("NFD", "Bằng tốt nghiệp")
    found = tokens(text)
    assert [text[t.start : t.end] for t in found] == [t.text for t in found]
    assert unicodedata.normalize("NFC", found[1].text) == "tốt nghiệp"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("nộp onl dc ko", ["nop", "online", "duoc", "khong"]),
        ("le phi bn z", ["le_phi", "bao_nhieu", "vay"]),
        ("chuyển trường cấp 3", ["chuyen", "truong", "thpt"]),
        ("tuyen sinh c2", ["tuyen_sinh", "thcs"]),
        ("qđ cho phép trg mầm non", ["quyet_dinh", "cho_phep", "truong", "mam_non"]),
        ("bao giờ có kq, miễn hp k", ["bao_gio", "co", "ket_qua", "mien", "hoc_phi", "khong"]),
    ],
)
def test_chat_abbreviations_are_expanded(typed: str, expected: list[str]) -> None:
    assert lemmas(typed) == expected


def test_emoji_only_message_still_has_a_token() -> None:
    assert len(tokens("😀😀")) == 1


@pytest.mark.parametrize(
    ("text", "typed", "canonical"),
    [
        ("hồ sơ 000.00.17.H10-240115-0001 đến đâu rồi", "000.00.17.H10-240115-0001",
         "000.00.17.H10-240115-0001"),
        ("mã h10.22 - 241203 - 0042 ạ", "h10.22 - 241203 - 0042", "H10.22-241203-0042"),
        ("000 00 17 h10 240115 0001", "000 00 17 h10 240115 0001", "000.00.17.H10-240115-0001"),
    ],
)  # fmt: skip
def test_dossier_code_extractor(text: str, typed: str, canonical: str) -> None:
    message = Message(data={TEXT: text})
    DossierCodeExtractor().process([message])
    (entity,) = message.get(ENTITIES)
    assert entity["entity"] == "dossier_code"
    assert text[entity["start"] : entity["end"]] == typed
    assert entity["value"] == canonical


def test_no_code_no_entity() -> None:
    message = Message(data={TEXT: "số điện thoại 0912345678, năm 2024"})
    DossierCodeExtractor().process([message])
    assert message.get(ENTITIES) == []
