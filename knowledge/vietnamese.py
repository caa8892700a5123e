"""Vietnamese text analysis shared by the Rasa tokenizer and the catalogue retrieval.

Citizens type the same words in many ways: with or without diacritics, decomposed (NFD)
or composed Unicode, old or new tone placement ("hoà"/"hòa"), chat abbreviations ("ko",
"dc", "cấp 3"). :func:`analyze` turns any of them into the same sequence of word *keys*
(lower case, no diacritics, syllables of one word joined by "_"), while every word keeps
its span in the original text so that entities still point at what the user wrote.

Words are found with underthesea's word segmentation when the text carries diacritics.
underthesea segments text without diacritics badly ("xin cap lai_bang tot nghiep"), so
such text is split into the most probable words under a unigram model of the words
underthesea found in this domain's own accented text, stripped of their diacritics; both
spellings of a sentence then get the same keys in most cases.

A syllable that is no Vietnamese word at all ("nghieep", "bnag") is a typo: it is read as
the most frequent domain syllable one edit away, if there is one.
"""

from __future__ import annotations

import importlib.util
import math
import re
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

from knowledge.paths import DOMAIN_WORDS_FILE

# A syllable: letters/digits (with combining marks, for NFD input), optionally joined by
# . - / inside it so that codes such as "000.00.17.H10-240115-0001" stay one piece.
_SYLLABLE = re.compile(r"(?:[^\W_]|[\u0300-\u036f])+(?:[./-](?:[^\W_]|[\u0300-\u036f])+)*")
_LETTERS_ONLY = re.compile(r"^(?:[^\W\d_]|[\u0300-\u036f])+$")
_MAX_WORD_SYLLABLES = 4

# How people shorten words in chat, keyed by the lower-case syllables they type (for
# several syllables, without diacritics); the value is what they stand for. School levels
# are rewritten to one canonical word so that "cấp 3", "c3" and "THPT" read the same.
# Ambiguous ones stay out: "hs" is "học sinh" as often as "hồ sơ".
REWRITES: dict[tuple[str, ...], str] = {
    ("ko",): "không", ("k",): "không", ("kh",): "không", ("khg",): "không", ("kg",): "không",
    ("hok",): "không", ("hong",): "không", ("hem",): "không", ("hk",): "không",
    ("dc",): "được", ("đc",): "được", ("dk",): "đăng ký", ("đk",): "đăng ký",
    ("bn",): "bao nhiêu", ("ntn",): "như thế nào", ("j",): "gì", ("z",): "vậy", ("v",): "vậy",
    ("vs",): "với", ("mk",): "mình", ("mik",): "mình", ("mn",): "mọi người", ("ng",): "người",
    ("r",): "rồi", ("bt",): "biết", ("bik",): "biết", ("cx",): "cũng", ("cug",): "cũng",
    ("e",): "em", ("a",): "anh", ("c",): "chị", ("ck",): "chồng", ("vk",): "vợ",
    ("ib",): "nhắn tin", ("tl",): "trả lời", ("onl",): "online", ("truc", "tuyen"): "online",
    ("sdt",): "số điện thoại", ("sđt",): "số điện thoại", ("đt",): "điện thoại",
    ("cccd",): "căn cước", ("cmnd",): "căn cước", ("cmt",): "căn cước",
    ("gv",): "giáo viên", ("ph",): "phụ huynh", ("hsg",): "học sinh giỏi",
    ("tn",): "tốt nghiệp", ("hsơ",): "hồ sơ", ("hso",): "hồ sơ", ("ttin",): "thông tin",
    ("gddt",): "giáo dục đào tạo", ("gdđt",): "giáo dục đào tạo", ("sgd",): "sở giáo dục",
    ("pgd",): "phòng giáo dục", ("ubnd",): "ủy ban nhân dân", ("tthc",): "thủ tục hành chính",
    ("dvc",): "dịch vụ công", ("ptdtnt",): "dân tộc nội trú",
    ("qđ",): "quyết định", ("qd",): "quyết định", ("gcn",): "giấy chứng nhận",
    ("kq",): "kết quả", ("hp",): "học phí", ("trg",): "trường", ("lm",): "làm",
    ("đh",): "đại học", ("dh",): "đại học", ("sv",): "sinh viên", ("bgd",): "bộ giáo dục",
    ("trc",): "trước", ("nhìu",): "nhiều", ("hông",): "không", ("wá",): "quá",
    ("dky",): "đăng ký", ("đky",): "đăng ký", ("dki",): "đăng ký", ("đki",): "đăng ký",
    ("ms",): "mới", ("mún",): "muốn", ("wa",): "quá", ("lun",): "luôn", ("thui",): "thôi",
    ("rùi",): "rồi", ("zậy",): "vậy", ("dzậy",): "vậy", ("s",): "sao", ("t",): "tôi",
    ("h",): "giờ", ("pk",): "phải không", ("fai",): "phải", ("bít",): "biết",
    ("kbt",): "không biết", ("đag",): "đang", ("dag",): "đang", ("nhg",): "nhưng",
    ("nhưg",): "nhưng", ("ngta",): "người ta", ("mng",): "mọi người", ("hc",): "học",
    ("ktra",): "kiểm tra", ("ktr",): "kiểm tra", ("xn",): "xác nhận", ("gxn",): "giấy xác nhận",
    ("ts",): "thí sinh", ("tsinh",): "tuyển sinh", ("hv",): "học viên", ("mg",): "mẫu giáo",
    ("cđ",): "cao đẳng", ("gđ",): "gia đình", ("cty",): "công ty", ("tp",): "thành phố",
    ("gvcn",): "giáo viên chủ nhiệm", ("bgh",): "ban giám hiệu", ("ktx",): "ký túc xá",
    ("ctrinh",): "chương trình", ("lquan",): "liên quan", ("tks",): "cảm ơn",
    ("thks",): "cảm ơn", ("trl",): "trả lời", ("sr",): "xin lỗi", ("uk",): "ừ", ("ak",): "à",
    # "mn" is "mọi người" in a greeting and "mầm non" after a school or teacher.
    ("truong", "mn"): "trường mầm non", ("trg", "mn"): "trường mầm non",
    ("gv", "mn"): "giáo viên mầm non", ("giao", "vien", "mn"): "giáo viên mầm non",
    ("c3",): "thpt", ("cap", "3"): "thpt", ("cap", "ba"): "thpt",
    ("trung", "hoc", "pho", "thong"): "thpt", ("pho", "thong", "trung", "hoc"): "thpt",
    ("c2",): "thcs", ("cap", "2"): "thcs", ("cap", "hai"): "thcs",
    ("trung", "hoc", "co", "so"): "thcs",
    ("c1",): "tiểu học", ("cap", "1"): "tiểu học", ("cap", "mot"): "tiểu học",
}  # fmt: skip
_MAX_REWRITE = max(len(k) for k in REWRITES)

# Words in Latin script that people mix into Vietnamese chat: words, not typos.
CHAT_LOANWORDS = frozenset(
    "ok oke oki okay hi hello helo bye thank thanks you yes no sorry please admin ad app "
    "web website link email mail gmail online offline file pdf scan zalo facebook fb google "
    "bot chatbot test code pass password login logout form ielts toefl sat gpa visa".split()
)


@dataclass(frozen=True)
class Word:
    """One word of a message: where it is in the original text and its normalized key."""

    text: str
    start: int
    end: int
    key: str


@dataclass(frozen=True)
class _Syllable:
    start: int
    end: int
    accented: str  # NFC, lower case, standard tone placement
    key: str  # ``accented`` without diacritics


def strip_diacritics(text: str) -> str:
    """'Bằng tốt nghiệp' -> 'Bang tot nghiep' (đ becomes d)."""
    decomposed = unicodedata.normalize("NFD", text)
    without_marks = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return without_marks.replace("đ", "d").replace("Đ", "D")


# Open syllables written with either final "i" or "y" ("đăng kí"/"đăng ký", "lí do"/"lý do",
# "bác sĩ"/"bác sỹ", "Mĩ"/"Mỹ", "công ti"/"công ty", "hi vọng"/"hy vọng"): one key, with "y".
_I_OR_Y = {"ki": "ky", "li": "ly", "mi": "my", "si": "sy", "ti": "ty", "hi": "hy"}


def syllable_key(syllable: str) -> str:
    """A syllable's key: no diacritics, lower case, one spelling for the i/y variants."""
    key = strip_diacritics(syllable.lower())
    return _I_OR_Y.get(key, key)


def normalize_unicode(text: str) -> str:
    """NFC form with control characters removed; what every channel should store."""
    composed = unicodedata.normalize("NFC", text)
    return "".join(ch for ch in composed if ch in "\n\t" or unicodedata.category(ch)[0] != "C")


def has_diacritics(text: str) -> bool:
    return strip_diacritics(text) != text


# underthesea's package imports every optional pipeline that is installed, and the translation
# one loads transformers and PyTorch: about 500 MB in every process that segments words, for
# nothing (README "Load benchmark"). A None entry in sys.modules makes an import fail, which
# underthesea takes for "not installed". Only modules not imported yet are blocked.
UNUSED_UNDERTHESEA = (
    "underthesea.pipeline.classification", "underthesea.pipeline.sentiment",
    "underthesea.pipeline.lang_detect", "underthesea.pipeline.dependency_parse",
    "underthesea.pipeline.translate", "underthesea.agent", "underthesea.address",
)  # fmt: skip


@lru_cache(maxsize=1)
def _underthesea() -> tuple[object, object]:
    if "underthesea" not in sys.modules:
        for name in UNUSED_UNDERTHESEA:
            sys.modules.setdefault(name, None)  # type: ignore[arg-type]
    from underthesea import word_tokenize
    from underthesea.pipeline.text_normalize import token_normalize

    return word_tokenize, token_normalize


def _accented(surface: str) -> str:
    lowered = unicodedata.normalize("NFC", surface).lower()
    if not has_diacritics(lowered):
        return lowered
    _, token_normalize = _underthesea()
    return str(token_normalize(lowered))  # type: ignore[operator]


def _syllables(text: str) -> list[_Syllable]:
    found = []
    for match in _SYLLABLE.finditer(text):
        accented = _accented(match.group())
        found.append(_Syllable(match.start(), match.end(), accented, syllable_key(accented)))
    return found


def _lookup_rewrite(syllables: Sequence[_Syllable], i: int) -> tuple[int, str] | None:
    """Longest rewrite starting at ``i``: (syllables consumed, replacement)."""
    for size in range(min(_MAX_REWRITE, len(syllables) - i), 0, -1):
        window = syllables[i : i + size]
        if size == 1:
            found = REWRITES.get((window[0].accented,))
        else:
            found = REWRITES.get(tuple(s.key for s in window))
        if found:
            return size, found
    return None


def _expand(syllables: list[_Syllable]) -> list[_Syllable]:
    """Apply :data:`REWRITES`; the new syllables keep the span of what was typed."""
    expanded: list[_Syllable] = []
    i = 0
    while i < len(syllables):
        rewrite = _lookup_rewrite(syllables, i)
        if rewrite is None:
            expanded.append(syllables[i])
            i += 1
            continue
        size, replacement = rewrite
        start, end = syllables[i].start, syllables[i + size - 1].end
        for part in replacement.split():
            expanded.append(_Syllable(start, end, part, syllable_key(part)))
        i += size
    return expanded


@lru_cache(maxsize=1)
def domain_words() -> dict[str, int]:
    """The domain's words (lower case, with diacritics) and how often they occur."""
    counts: dict[str, int] = {}
    if DOMAIN_WORDS_FILE.exists():
        for line in DOMAIN_WORDS_FILE.read_text(encoding="utf-8").splitlines():
            word, _, count = line.rpartition("\t")
            if word.strip() and count.isdigit():
                word = word.lower()
                counts[word] = counts.get(word, 0) + int(count)
    return counts


@lru_cache(maxsize=1)
def word_log_probs() -> dict[tuple[str, ...], float]:
    """Unigram log-probabilities of the domain's words, without diacritics.

    Counted on underthesea's segmentation of this domain's own accented text (see
    :mod:`knowledge.build_domain_words`). A general word list such as Viet74K would glue
    unrelated syllables once diacritics are gone ("bi mat" would become "bí mật"); counts
    let a frequent reading ("mất" + "bằng") beat a rare one ("mặt bằng").
    """
    counts: dict[tuple[str, ...], int] = {}
    for word, count in domain_words().items():
        parts = tuple(syllable_key(part) for part in word.split())
        counts[parts] = counts.get(parts, 0) + count
    total = sum(counts.values()) or 1
    return {word: math.log(count / total) for word, count in counts.items()}


@lru_cache(maxsize=1)
def domain_syllables() -> dict[str, dict[str, int]]:
    """The syllables of the domain's words: key (no diacritics) -> {spelling: occurrences}."""
    spellings: dict[str, dict[str, int]] = {}
    for word, count in domain_words().items():
        for part in word.split():
            found = spellings.setdefault(syllable_key(part), {})
            found[part] = found.get(part, 0) + count
    return spellings


@lru_cache(maxsize=1)
def known_syllables() -> frozenset[str]:
    """Syllables that are words, never typos: the domain's, the abbreviations and loanwords
    people type and those of underthesea's Vietnamese dictionary (Viet74K), no diacritics."""
    known = set(domain_syllables()) | CHAT_LOANWORDS
    known.update(syllable_key(part) for typed in REWRITES for part in typed)
    spec = importlib.util.find_spec("underthesea")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        dictionary = Path(folder) / "corpus" / "data" / "Viet74K.txt"
        if dictionary.exists():  # common words only: place names carry odd syllables
            words = dictionary.read_text(encoding="utf-8").splitlines()
            common = " ".join(w for w in words if w.islower())
            known.update(syllable_key(part) for part in common.split())
    return frozenset(known)


def _one_edit_away(key: str) -> tuple[set[str], set[str]]:
    """(two neighbouring letters swapped, one letter deleted, inserted or replaced)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(key[:i], key[i:]) for i in range(len(key) + 1)]
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    deletes = {a + b[1:] for a, b in splits if b}
    replaces = {a + c + b[1:] for a, b in splits if b for c in letters}
    inserts = {a + c + b for a, b in splits for c in letters}
    return swaps, deletes | replaces | inserts


def correct_typo(key: str) -> str:
    """``key`` itself if it is a word (or too short to tell); else the most frequent domain
    syllable one edit away, a swap first since it keeps every letter typed; else ``key``."""
    if len(key) < 3 or not key.isascii() or not key.isalpha() or key in known_syllables():
        return key
    domain = domain_syllables()
    for edits in _one_edit_away(key):
        candidates = [c for c in edits if c in domain]
        if candidates:
            return max(candidates, key=lambda c: (sum(domain[c].values()), c))
    return key


def _edit_distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
    return row[-1]


def _correct_typos(syllables: list[_Syllable]) -> list[_Syllable]:
    """Typos corrected; the spelling kept is the domain's closest to what was typed, so that
    underthesea still finds the word ("phưương án" -> "phương án", not "phường án")."""
    corrected = []
    for syl in syllables:
        key = correct_typo(syl.key)
        if key != syl.key:
            spellings = domain_syllables()[key]
            accented = min(
                spellings, key=lambda s: (_edit_distance(s, syl.accented), -spellings[s])
            )
            syl = replace(syl, accented=accented, key=key)
        corrected.append(syl)
    return corrected


def _segment_stripped(keys: Sequence[str]) -> list[int]:
    """Word lengths (in syllables): the most probable split under the unigram model."""
    log_probs = word_log_probs()
    unknown = math.log(0.1 / (len(log_probs) + 1))  # an unseen single syllable
    best = [0.0] + [-math.inf] * len(keys)
    back = [0] * (len(keys) + 1)
    for end in range(1, len(keys) + 1):
        for size in range(1, min(_MAX_WORD_SYLLABLES, end) + 1):
            word = tuple(keys[end - size : end])
            score = log_probs.get(word, unknown if size == 1 else -math.inf)
            if best[end - size] + score > best[end]:
                best[end], back[end] = best[end - size] + score, size
    lengths: list[int] = []
    end = len(keys)
    while end > 0:
        lengths.append(back[end])
        end -= back[end]
    return lengths[::-1]


def _segment_accented(accented: Sequence[str]) -> list[int]:
    """Word lengths (in syllables) from underthesea's segmentation of accented text."""
    word_tokenize, _ = _underthesea()
    words = word_tokenize(" ".join(accented))  # type: ignore[operator]
    lengths = [len(str(w).split()) for w in words]
    if sum(lengths) != len(accented):  # underthesea re-split something: keep syllables
        return [1] * len(accented)
    return lengths


def _segment(run: list[_Syllable], accented_text: bool) -> list[list[_Syllable]]:
    if accented_text:
        lengths = _segment_accented([s.accented for s in run])
    else:
        lengths = _segment_stripped([s.key for s in run])
    words, i = [], 0
    for size in lengths:
        words.append(run[i : i + size])
        i += size
    return words


def analyze(text: str) -> list[Word]:
    """Split ``text`` into words with normalized keys and spans in ``text`` itself."""
    typed = _syllables(text)
    letters = [s for s in typed if _LETTERS_ONLY.match(s.accented)]
    accented_count = sum(1 for s in letters if has_diacritics(s.accented))
    accented_text = accented_count >= max(1, round(0.3 * len(letters)))
    syllables = _expand(_correct_typos(typed))

    words: list[list[_Syllable]] = []
    run: list[_Syllable] = []
    for syl in syllables:
        if _LETTERS_ONLY.match(syl.accented):
            run.append(syl)
            continue
        if run:
            words.extend(_segment(run, accented_text))
            run = []
        words.append([syl])
    if run:
        words.extend(_segment(run, accented_text))

    return [
        Word(text[w[0].start : w[-1].end], w[0].start, w[-1].end, "_".join(s.key for s in w))
        for w in words
    ]


def key_forms(word_keys: Sequence[str]) -> set[str]:
    """Every key, the syllables of compound keys, and neighbouring keys joined: what to look
    a cue word up in, since two spellings may be segmented differently ("mat_bang" / "mat")."""
    forms = set(word_keys)
    forms.update(part for key in word_keys for part in key.split("_"))
    forms.update(f"{a}_{b}" for a, b in pairwise(word_keys))
    return forms


def keys(text: str) -> list[str]:
    """The normalized word keys of ``text``: what features and search indexes are built on."""
    return [w.key for w in analyze(text)]
