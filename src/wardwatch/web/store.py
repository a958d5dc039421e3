"""Web persistence: accounts (Argon2id), bearer tokens and sessions (stored only as SHA-256 of the
secret), and the audit log.

Every function takes a connection opened by ``wardwatch.warehouse`` (``web_writer`` for writes,
``reader`` for reads); the SQL for the web tables lives here, next to the table names it uses.
The audit log records when, who, what and on what: never a password, token or patient identifier.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from wardwatch.errors import InputError
from wardwatch.warehouse import AUDIT_TABLE, SESSIONS_TABLE, TOKENS_TABLE, USERS_TABLE, table_exists
from wardwatch.web import ROLES
from wardwatch.web.cache import cached

_HASHER = PasswordHasher()  # Argon2id with the library's current recommended parameters
_DUMMY_HASH = _HASHER.hash("wardwatch-no-such-user")  # equal work whether or not the name exists
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
MIN_PASSWORD = 10
SESSION_HOURS = 8
#: sign-in attempts refused after this many failures for one name within the window
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class Account:
    name: str
    role: str

    def at_least(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


def sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def now() -> datetime:
    return datetime.now().replace(microsecond=0)


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise InputError(f"user name {name[:64]!r}: use 1-64 letters, digits, '.', '_', '@' or '-', "
                         "starting with a letter or digit")
    return name


def audit(raw: duckdb.DuckDBPyConnection, user: str | None, action: str, target: str | None = None) -> None:
    raw.execute(f"INSERT INTO {AUDIT_TABLE} VALUES (?, ?, ?, ?)",
                [now(), None if user is None else user[:64], action, target])


def add_user(raw: duckdb.DuckDBPyConnection, name: str, role: str, password: str,
             by: str | None = None) -> Account:
    """Create account ``name`` (or replace its role and password) and audit it."""
    check_name(name)
    if role not in ROLES:
        raise InputError(f"--role {role}: must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise InputError(f"password: at least {MIN_PASSWORD} characters (read from standard input)")
    existed = raw.execute(f"SELECT count(*) FROM {USERS_TABLE} WHERE name = ?", [name]).fetchone()[0]
    raw.execute(f"DELETE FROM {USERS_TABLE} WHERE name = ?", [name])
    raw.execute(f"INSERT INTO {USERS_TABLE} VALUES (?, ?, ?, ?)", [name, role, _HASHER.hash(password), now()])
    audit(raw, by or name, "user.update" if existed else "user.add", f"{name} ({role})")
    return Account(name, role)


def account(raw: duckdb.DuckDBPyConnection, name: str) -> Account | None:
    if not table_exists(raw, USERS_TABLE):
        return None
    row = raw.execute(f"SELECT name, role FROM {USERS_TABLE} WHERE name = ?", [name]).fetchone()
    return None if row is None else Account(row[0], row[1])


def create_token(raw: duckdb.DuckDBPyConnection, name: str) -> str:
    """A new bearer token for account ``name``; only its SHA-256 is stored."""
    if account(raw, name) is None:
        raise InputError(f"user {name[:64]!r}: no such account; add it first (wardwatch users add NAME ...)")
    token = secrets.token_urlsafe(32)
    raw.execute(f"INSERT INTO {TOKENS_TABLE} VALUES (?, ?, ?)", [sha256(token), name, now()])
    audit(raw, name, "token.create", name)
    return token


def token_account(raw: duckdb.DuckDBPyConnection, token: str) -> Account | None:
    return _token_account(raw, sha256(token))


@cached
def _token_account(raw: duckdb.DuckDBPyConnection, digest: str) -> Account | None:
    if not table_exists(raw, TOKENS_TABLE):
        return None
    row = raw.execute(
        f"SELECT u.name, u.role FROM {TOKENS_TABLE} t JOIN {USERS_TABLE} u ON u.name = t.name "
        "WHERE t.token_sha256 = ?", [digest]).fetchone()
    return None if row is None else Account(row[0], row[1])


def recent_failures(raw: duckdb.DuckDBPyConnection, name: str) -> int:
    if not table_exists(raw, AUDIT_TABLE):
        return 0
    return raw.execute(
        f"SELECT count(*) FROM {AUDIT_TABLE} WHERE action = 'sign_in.failed' AND user_name = ? AND happened_at > ?",
        [name[:64], now() - FAILURE_WINDOW]).fetchone()[0]


def verify_password(raw: duckdb.DuckDBPyConnection, name: str, password: str) -> Account | None:
    """The account when ``password`` is right; None otherwise (the same work either way)."""
    row = None
    if table_exists(raw, USERS_TABLE):
        row = raw.execute(f"SELECT name, role, password_hash FROM {USERS_TABLE} WHERE name = ?",
                          [name]).fetchone()
    try:
        _HASHER.verify(_DUMMY_HASH if row is None else row[2], password)
    except (VerificationError, InvalidHashError):
        return None
    return None if row is None else Account(row[0], row[1])


def start_session(raw: duckdb.DuckDBPyConnection, user: Account) -> tuple[str, str]:
    """(session secret for the cookie, CSRF token); only the secret's SHA-256 is stored."""
    secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    raw.execute(f"DELETE FROM {SESSIONS_TABLE} WHERE expires_at < ?", [now()])
    raw.execute(f"INSERT INTO {SESSIONS_TABLE} VALUES (?, ?, ?, ?, ?)",
                [sha256(secret), user.name, csrf, now(), now() + timedelta(hours=SESSION_HOURS)])
    return secret, csrf


def session_account(raw: duckdb.DuckDBPyConnection, secret: str) -> tuple[Account, str] | None:
    """(account, CSRF token) of a live session, or None."""
    row = _session(raw, sha256(secret))
    return None if row is None or row[3] <= now() else (Account(row[0], row[1]), row[2])


@cached
def _session(raw: duckdb.DuckDBPyConnection, digest: str) -> tuple | None:
    """(name, role, csrf, expires_at) of a stored session (the caller checks the expiry)."""
    if not table_exists(raw, SESSIONS_TABLE):
        return None
    return raw.execute(
        f"SELECT u.name, u.role, s.csrf, s.expires_at FROM {SESSIONS_TABLE} s JOIN {USERS_TABLE} u "
        "ON u.name = s.name WHERE s.session_sha256 = ?", [digest]).fetchone()


def end_session(raw: duckdb.DuckDBPyConnection, secret: str) -> None:
    raw.execute(f"DELETE FROM {SESSIONS_TABLE} WHERE session_sha256 = ?", [sha256(secret)])


def audit_rows(raw: duckdb.DuckDBPyConnection, limit: int, offset: int) -> list[dict]:
    if not table_exists(raw, AUDIT_TABLE):
        return []
    rows = raw.execute(f"SELECT happened_at, user_name, action, target FROM {AUDIT_TABLE} ORDER BY happened_at DESC "
                       "LIMIT ? OFFSET ?", [limit, offset]).fetchall()
    return [{"at": r[0].isoformat(), "user": r[1], "action": r[2], "target": r[3]} for r in rows]
