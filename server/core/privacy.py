"""Masking of personal data before anything is logged or stored.

Phone numbers, citizen-ID numbers and e-mail addresses are replaced whole (the last digits
of a phone verify a dossier lookup, so none are kept); dossier codes are kept (staff need
them) since they reveal nothing without the verification step. Pure functions with no
settings: Rasa's tracker store (bot/tracker_store.py, Rasa's venv) masks with them too.
"""

from __future__ import annotations

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
        return "*" * len(re.sub(r"\D", "", match.group()))

    return _LONG_NUMBER.sub(_mask_number, _EMAIL.sub("[email]", text))


def mask_verification_answer(text: str) -> str:
    """Masks a short answer's 4-6 digit number; dossier codes stay readable."""
    if len(text.split()) > _VERIFICATION_MAX_WORDS:
        return text
    in_code = _inside_a_code(text)
    return _VERIFICATION_NUMBER.sub(
        lambda m: m.group() if in_code(m) else "*" * len(m.group()), text
    )


def mask_citizen_message(text: str) -> str:
    """Everything a citizen typed, as it may be kept: personal data and a verification
    answer masked."""
    return mask_verification_answer(mask_personal_data(text))
