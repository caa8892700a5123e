"""Looking up a dossier for a citizen: verification first, one neutral answer, a rate limit.

A dossier code is printed on a paper receipt and partly guessable (agency, date, sequence
number), so the code alone reveals nothing: the citizen must also give the last 4 digits
of the phone registered with the dossier. A wrong code and wrong digits get the same
answer, so nobody can find out which codes exist. Failures are counted per sender and per
code tried (a sender id is easy to change; the code under attack is not), and past the
limit every lookup is refused until the window has passed, even with the right answer.

No Rasa here: the action is a thin wrapper, and all of this is unit-tested directly.
"""

from __future__ import annotations

import datetime as dt
import hmac
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from knowledge.dossier_code import canonical, find_codes
from server.core.security import sender_hash
from server.dossiers.models import Dossier, utc_now
from server.dossiers.store import DossierBackendError, DossierStore

_DIGIT_RUN = re.compile(r"\d(?:[\s.-]?\d)*")


class Outcome(str, Enum):
    found = "found"
    not_verified = "not_verified"  # wrong code or wrong digits: deliberately one outcome
    rate_limited = "rate_limited"
    unavailable = "unavailable"  # the store or the failure log could not answer


@dataclass(frozen=True)
class LookupResult:
    outcome: Outcome
    dossier: Dossier | None = None
    retry_after_s: int = 0


class FailureLog(Protocol):
    def failures_since(self, key_hash: str, since: dt.datetime) -> list[dt.datetime]: ...

    def record(
        self, key_hashes: list[str], at: dt.datetime, forget_before: dt.datetime
    ) -> None: ...


def verification_digits(text: str) -> str | None:
    """The 4 digits a citizen typed to prove the dossier is theirs, or None.

    Takes a number of exactly 4 digits ("5678", "4 số cuối là 56 78"), or the last 4 of a
    whole phone number ("0912 345 678"); a dossier code in the same message is not a
    number. 5 to 8 digits are most likely a typo, so they are asked again, not guessed.
    """
    for match in reversed(find_codes(text)):
        text = text[: match.start] + " " + text[match.end :]
    numbers = [re.sub(r"\D", "", m.group()) for m in _DIGIT_RUN.finditer(text)]
    usable = [n for n in numbers if len(n) == 4 or len(n) >= 9]
    return usable[-1][-4:] if usable else None


def _sender_key(sender: str) -> str:
    return sender_hash(f"dossier-lookup-sender:{sender}")


def _code_key(code: str) -> str:
    return sender_hash(f"dossier-lookup-code:{canonical(code) or code.strip().upper()}")


class DossierLookup:
    def __init__(
        self,
        store: DossierStore,
        failures: FailureLog,
        max_failures: int = 5,
        window_s: float = 3600,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self.store = store
        self.failures = failures
        self.max_failures = max(1, max_failures)
        self.window = dt.timedelta(seconds=window_s)
        self.clock = clock

    def retry_after(self, sender: str, code: str | None = None) -> int:
        """Seconds until this sender (and this code) may try again; 0 = now.

        Raises :class:`DossierBackendError` when the failure log cannot be read.
        """
        now = self.clock()
        keys = [_sender_key(sender)] + ([_code_key(code)] if code else [])
        wait = 0.0
        for key in keys:
            recent = self.failures.failures_since(key, now - self.window)
            if len(recent) >= self.max_failures:
                # allowed again once enough of the recent failures have left the window
                freed_at = sorted(recent)[-self.max_failures] + self.window
                wait = max(wait, (freed_at - now).total_seconds())
        return max(1, math.ceil(wait)) if wait > 0 else 0

    def lookup(self, sender: str, code: str, verification: str) -> LookupResult:
        """The dossier if ``verification`` matches it; never says which of the two was wrong."""
        try:
            wait = self.retry_after(sender, code)
            if wait:
                return LookupResult(Outcome.rate_limited, retry_after_s=wait)
            key = canonical(code)
            dossier = self.store.get(key) if key else None
            if dossier is not None and _same_digits(dossier.phone_last4, verification):
                return LookupResult(Outcome.found, dossier)
            now = self.clock()
            self.failures.record(
                [_sender_key(sender), _code_key(code)], now, forget_before=now - self.window
            )
        except DossierBackendError:
            # Fail closed: without the store or the failure log nothing can be shown safely.
            return LookupResult(Outcome.unavailable)
        return LookupResult(Outcome.not_verified)


def _same_digits(expected: str, given: str) -> bool:
    """Constant-time comparison, so response time says nothing about a partial match."""
    return hmac.compare_digest(expected.encode(), (verification_digits(given) or "").encode())
