"""Users, passwords and display tokens.

Passwords are stored as scrypt hashes; display tokens are random and stored
only as their SHA-256, so a copy of the store cannot impersonate a screen.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from sqlite_utils import Database

from signage.errors import UserError

# What each role may do is decided in scheduler.policy, nowhere else.
ROLES = ("viewer", "editor", "approver", "admin")
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    return (
        f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"
    )


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    digest = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt_b64), n=int(n), r=int(r), p=int(p))
    return hmac.compare_digest(digest, base64.b64decode(digest_b64))


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    db: Database, username: str, role: str, password: str | None, now_iso: str, language: str = "id"
) -> str:
    """Create a user; returns the password (generated when ``password`` is None)."""
    username = username.strip()
    if not username or len(username) > 64 or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise UserError("username: use 1-64 letters, digits, '-', '_' or '.'", field="username")
    if role not in ROLES:
        raise UserError(f"role: must be one of {', '.join(ROLES)}", field="role")
    if db.table("users").count_where("lower(username) = lower(?)", [username]):  # "ADMIN" beside "admin": no
        raise UserError(f"username: {username!r} already exists", field="username")
    password = password or generate_password()
    check_new_password(password, username)
    db.table("users").insert(
        {
            "username": username,
            "password_hash": hash_password(password),
            "role": role,
            "language": language,
            "created_at": now_iso,
            "disabled": 0,
        }
    )
    return password


def authenticate(
    db: Database, username: str, password: str, db_lock: AbstractContextManager[Any] | None = None
) -> dict[str, Any] | None:
    """The user, if the password matches; the slow scrypt check runs outside ``db_lock``."""
    with db_lock or nullcontext():  # "Budi" is budi; a store made before names were unique in any case prefers
        # the exact name and refuses a typed case that matches two accounts
        rows = list(db.table("users").rows_where("username = ? and disabled = 0", [username]))
        if not rows:
            rows = list(db.table("users").rows_where("lower(username) = lower(?) and disabled = 0", [username]))
            rows = rows if len(rows) == 1 else []
    # An unknown (or disabled) name costs the same scrypt check as a wrong password: no timing oracle.
    stored = rows[0]["password_hash"] if rows else _dummy_hash()
    if not verify_password(password, stored) or not rows:
        return None
    return rows[0]


_DUMMY_HASH: list[str] = []


def _dummy_hash() -> str:
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hash_password(secrets.token_urlsafe(16)))
    return _DUMMY_HASH[0]


#: Passwords people pick first (lower case): refused whatever their length. Indonesian favourites included.
COMMON_PASSWORDS = frozenset({
    "password", "password1", "password123", "passw0rd", "qwerty123", "qwertyuiop", "asdfghjkl", "abcd1234",
    "abc12345", "1q2w3e4r", "1qaz2wsx", "zaq12wsx", "iloveyou", "sunshine", "princess", "football", "baseball",
    "welcome1", "admin123", "admin1234", "administrator", "superman", "letmein1", "trustno1", "bismillah",
    "bismillah123", "indonesia", "indonesia1", "sayangku", "kalimantan", "mempawah", "pontianak", "diskominfo",
    "kominfo123", "rahasia123", "katasandi", "sandi1234", "qwerty12345", "aaaaaaaa", "abcdefgh",
})  # fmt: skip
#: The common passwords and their cores (without the digits and symbols at the ends: "rahasia123" -> "rahasia").
COMMON_CORES = frozenset(COMMON_PASSWORDS | {w.strip("0123456789!@#$%^&*()_-+=.,?~ ") for w in COMMON_PASSWORDS} - {""})
#: All-digit passwords shorter than this are refused (a date or a PIN is guessed first).
MIN_DIGITS_ONLY = 12
#: A password holding the user name needs at least this many characters besides it ("tono1234" is refused).
MIN_BEYOND_NAME = 6
#: Fewer different characters than this is refused ("aaaa1111").
MIN_DISTINCT_CHARS = 5


#: Keyboard and counting runs: a password made of one of these (or a piece of one, 5+ long) is guessed early.
RUNS = ("abcdefghijklmnopqrstuvwxyz", "qwertyuiop[]", "asdfghjkl;'", "zxcvbnm,./", "01234567890", "1qaz2wsx3edc",
        "`1234567890-=", "!@#$%^&*()_+")


_LEET = str.maketrans({"@": "a", "4": "a", "0": "o", "1": "i", "!": "i", "3": "e", "$": "s", "5": "s", "7": "t"})


def _guessable_core(password: str) -> str:
    """``password`` in lower case without the digits and symbols people add at either end ("Admin2026!")."""
    return password.lower().strip("0123456789!@#$%^&*()_-+=.,?~ ")


def _common(password: str) -> bool:
    """A common password, also with digits or symbols at either end ("Rahasia2026", "Admin123!") or letters
    written as digits and symbols ("P@ssw0rd")."""
    lowered = password.lower()
    cores = {lowered, _guessable_core(password), _guessable_core(lowered.translate(_LEET))}
    return bool(cores & COMMON_CORES)


def _repeated(text: str) -> bool:
    """One short piece said again and again ("adminadmin", "abcabcabc", "12341234")."""
    return any(len(text) % n == 0 and text == text[:n] * (len(text) // n) for n in range(1, len(text) // 2 + 1))


def _is_run(text: str) -> bool:
    return len(text) >= 5 and any(text in run or text in run[::-1] for run in RUNS)


def weak_password_code(password: str, username: str = "") -> str | None:
    """Which rule ``password`` breaks, as a code, or None when it will do.

    Refused: under 8 characters (``short``); a common password, also with digits or symbols added at either end
    ("Password2026!"), or the user name itself (``common``); the user name with fewer than 6 characters added
    ("tono1234", ``name``); digits only under 12 (``digits``); one piece repeated ("adminadmin") or a keyboard or
    counting run ("qwertyui", "12345678") (``pattern``); fewer than 5 different characters (``few_chars``)."""
    if len(password) < 8:
        return "short"
    lowered, core = password.lower(), _guessable_core(password)
    name = username.strip().lower()
    if _common(password) or (name and lowered == name):
        return "common"
    for shown in (name, name[::-1]):  # the name, or the name backwards ("3revorppa")
        if len(shown) >= 3 and shown in lowered and len(lowered.replace(shown, "")) < MIN_BEYOND_NAME:
            return "name"
    if password.isdigit() and len(password) < MIN_DIGITS_ONLY:
        return "digits"
    if _repeated(lowered) or _repeated(core) or _is_run(lowered) or _is_run(core):
        return "pattern"
    if len(set(password)) < MIN_DISTINCT_CHARS:
        return "few_chars"
    return None


#: What each refusal says (English, for the API and CLI; the web admin says the same in the staff's language).
WEAK_PASSWORD_REASONS = {
    "short": "use at least 8 characters",
    "common": "it is one of the passwords guessed first (or your user name); use a longer phrase, e.g. three words",
    "name": "it is your user name with a little added, which is guessed first; use a longer phrase, e.g. three words",
    "digits": f"digits only are guessed first; use letters too, or at least {MIN_DIGITS_ONLY} digits",
    "pattern": "a repeated piece or a run of keys is guessed first; use a longer phrase, e.g. three words",
    "few_chars": f"use at least {MIN_DISTINCT_CHARS} different characters",
}


def weak_password_reason(password: str, username: str = "") -> str | None:
    """Why ``password`` is too easy to guess (English, for the API and CLI), or None when it will do
    (the rules: :func:`weak_password_code`)."""
    code = weak_password_code(password, username)
    return None if code is None else WEAK_PASSWORD_REASONS[code]


def check_new_password(password: str, username: str = "") -> None:
    reason = weak_password_reason(password, username)
    if reason is not None:
        raise UserError(f"password: {reason}", field="password")


def set_password(db: Database, user_id: int, password: str, must_change: bool) -> None:
    """Store a new password; ``must_change`` sends the user to the change-password page at next login."""
    rows = list(db.table("users").rows_where("id = ?", [user_id]))
    check_new_password(password, str(rows[0]["username"]) if rows else "")
    db.table("users").update(
        user_id, {"password_hash": hash_password(password), "must_change_password": 1 if must_change else 0}
    )
