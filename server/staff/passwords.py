"""Officers' passwords: the argon2 hashing, what the console accepts as a password, and the
passwords it generates for a new or a reset account.

argon2-cffi's defaults, rehashed at the next login when those change. The rules stay few
(length, variety, not the username), as NIST SP 800-63B advises: long passphrases beat
composition rules that officers write on a sticky note.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_CHARS = 10
MAX_CHARS = 200  # the login form's limit: a longer password could never log in
# Generated passwords avoid look-alikes (0/O, 1/l/I): an officer may copy them by hand.
_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"

_hasher = PasswordHasher()
# Compared against when the username is unknown, so both cases take as long.
DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def weakness(password: str, username: str = "") -> str | None:
    """Why the console refuses ``password`` (in Vietnamese), or None when it is fine."""
    if len(password) < MIN_CHARS:
        return f"Mật khẩu cần ít nhất {MIN_CHARS} ký tự."
    if len(password) > MAX_CHARS:
        return f"Mật khẩu dài tối đa {MAX_CHARS} ký tự."
    if len(set(password)) < 4:
        return "Mật khẩu quá dễ đoán: cần nhiều ký tự khác nhau hơn."
    if len(username) >= 4 and username.lower() in password.lower():  # "an" is in many words
        return "Mật khẩu không được chứa tên đăng nhập."
    return None


def generate() -> str:
    """16 random letters and digits in four groups (``k7mq-x3ta-…``): 80 bits, and easy to
    read out to the officer who receives it."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(16))
    return "-".join(chars[i : i + 4] for i in range(0, 16, 4))
