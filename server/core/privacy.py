"""Masking of personal data before anything is logged or stored.

Phone numbers, citizen-ID numbers and e-mail addresses are replaced; dossier codes are
kept (staff need them) since they reveal nothing without the verification step.
"""

from __future__ import annotations

import hashlib
import re

from knowledge.dossier_code import find_codes

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_LONG_NUMBER = re.compile(r"(?<![\d\w])\+?\d(?:[\s.-]?\d){7,11}(?!\d)")


def mask_personal_data(text: str) -> str:
    keep = [(m.start, m.end) for m in find_codes(text)]

    def _mask_number(match: re.Match[str]) -> str:
        if any(s <= match.start() < e for s, e in keep):
            return match.group()
        digits = re.sub(r"\D", "", match.group())
        return "*" * (len(digits) - 3) + digits[-3:]

    return _LONG_NUMBER.sub(_mask_number, _EMAIL.sub("[email]", text))


def sender_hash(sender: str) -> str:
    """A stable pseudonym for a sender id, so logs group a conversation without naming it."""
    return hashlib.sha256(sender.encode("utf-8")).hexdigest()[:32]
