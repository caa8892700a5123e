"""School levels a citizen names: "THCS", "cấp 2" and "con học lớp 7" all mean lower secondary.

Shared by retrieval (a record for another level than the one named ranks lower) and by the
clarifying question (the citizen's answer picks a level).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from knowledge.vietnamese import key_forms

# Word keys (see knowledge.vietnamese.keys) that name each level; "cấp 2", "c2" and
# "trung học cơ sở" are already rewritten to "thcs" by the analyzer.
LEVEL_WORDS: dict[str, tuple[str, ...]] = {
    "mam_non": ("mam_non", "mau_giao", "nha_tre", "nhom_tre"),
    "tieu_hoc": ("tieu_hoc",),
    "thcs": ("thcs",),
    "thpt": ("thpt",),
}


def grade_level(grade: int) -> str | None:
    """The level of a grade of general education: 1-5 primary, 6-9 THCS, 10-12 THPT."""
    if 1 <= grade <= 5:
        return "tieu_hoc"
    if 6 <= grade <= 9:
        return "thcs"
    if 10 <= grade <= 12:
        return "thpt"
    return None


def school_levels(words: Sequence[str]) -> set[str]:
    """Every level the word keys name, by name or by grade ("lop 11")."""
    forms = key_forms(words)
    levels = {level for level, cues in LEVEL_WORDS.items() if forms.intersection(cues)}
    for word, following in pairwise(words):
        if word == "lop" and following.isdigit():
            level = grade_level(int(following))
            if level:
                levels.add(level)
    return levels
