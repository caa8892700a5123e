"""Masking of personal data before anything is logged or stored.

Phone numbers, citizen-ID numbers and e-mail addresses are replaced; dossier codes are
kept (staff need them) since they reveal nothing without the verification step.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from knowledge.dossier_code import find_codes

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_LONG_NUMBER = re.compile(r"(?<![\d\w])\+?\d(?:[\s.-]?\d){7,11}(?!\d)")


# Dossier lookups ask for the last 4 digits of the citizen's phone: those answers must not
# be stored in clear. mask_personal_data keeps short numbers (years, counts) on purpose, so
# a 4-6 digit number in a message of a few words ("5678", "4 số cuối là 5678 ạ") is masked
# by mask_verification_answer.
_VERIFICATION_NUMBER = re.compile(r"(?<![\w.-])\d{4,6}(?![\w.-])")
_VERIFICATION_MAX_WORDS = 6


def _inside_a_code(text: str) -> Callable[[re.Match[str]], bool]:
    codes = [(m.start, m.end) for m in find_codes(text)]
    return lambda match: any(s <= match.start() < e for s, e in codes)


def mask_personal_data(text: str) -> str:
    in_code = _inside_a_code(text)

    def _mask_number(match: re.Match[str]) -> str:
        if in_code(match):
            return match.group()
        digits = re.sub(r"\D", "", match.group())
        return "*" * (len(digits) - 3) + digits[-3:]

    return _LONG_NUMBER.sub(_mask_number, _EMAIL.sub("[email]", text))


def mask_verification_answer(text: str) -> str:
    """Masks a short answer's 4-6 digit number; dossier codes stay readable."""
    if len(text.split()) > _VERIFICATION_MAX_WORDS:
        return text
    in_code = _inside_a_code(text)
    return _VERIFICATION_NUMBER.sub(
        lambda m: m.group() if in_code(m) else "*" * len(m.group()), text
    )


def sender_hash(sender: str) -> str:
    """A stable pseudonym for a sender id, so logs group a conversation without naming it."""
    return hashlib.sha256(sender.encode("utf-8")).hexdigest()[:32]
