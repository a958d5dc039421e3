"""`wardwatch users add` / `tokens create`: Argon2id hashes, tokens stored only hashed, audit rows,
and one-line errors for bad paths and values."""

from __future__ import annotations

import hashlib

import duckdb
import pytest
from report.conftest import make_measures
from typer.testing import CliRunner

from wardwatch.cli import get_app

from .conftest import _write_measures


@pytest.fixture
def bare_db(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    _write_measures(path, make_measures())
    return path


def run(*args, input=None):
    return CliRunner().invoke(get_app(), [str(a) for a in args], input=input, catch_exceptions=False)


def _all_text(path) -> str:
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        return "\n".join(str(con.execute(f"SELECT * FROM {t}").fetchall()) for t in tables if t != "measures")


def test_users_add_stores_an_argon2id_hash_and_audits_without_the_password(bare_db):
    result = run("users", "add", "alice", "--role", "analyst", "--db", bare_db, input="s3cret-password-1\n")
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(bare_db), read_only=True) as con:
        name, role, digest = con.execute("SELECT name, role, password_hash FROM web_users").fetchone()
        audit = con.execute("SELECT user_name, action, target FROM audit_log").fetchall()
    assert (name, role) == ("alice", "analyst")
    assert digest.startswith("$argon2id$")
    assert audit == [("alice", "user.add", "alice (analyst)")]
    assert "s3cret-password-1" not in _all_text(bare_db)


def test_tokens_create_prints_a_token_stored_only_as_its_sha256(bare_db):
    run("users", "add", "bob", "--role", "viewer", "--db", bare_db, input="another-password\n")
    result = run("tokens", "create", "bob", "--db", bare_db)
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert len(token) >= 40
    text = _all_text(bare_db)
    assert token not in text
    assert hashlib.sha256(token.encode()).hexdigest() in text
    with duckdb.connect(str(bare_db), read_only=True) as con:
        actions = [r[0] for r in con.execute("SELECT action FROM audit_log").fetchall()]
    assert sorted(actions) == ["token.create", "user.add"]


@pytest.mark.parametrize("args, stdin, fragment", [
    (["users", "add", "x", "--role", "viewer", "--db", "{tmp}/missing.duckdb"], "long-enough-pw\n", "does not exist"),
    (["users", "add", "x", "--role", "viewer", "--db", "{tmp}/plain.csv"], "long-enough-pw\n", "not a wardwatch warehouse"),
    (["users", "add", "x", "--role", "viewer", "--db", "{tmp}"], "long-enough-pw\n", "folder"),
    (["users", "add", "x", "--role", "superuser", "--db", "{db}"], "long-enough-pw\n", "--role superuser"),
    (["users", "add", "x", "--role", "viewer", "--db", "{db}"], "short\n", "at least 10"),
    (["users", "add", "x", "--role", "viewer", "--db", "{db}"], "", "standard input"),
    (["users", "add", "=1+1", "--role", "viewer", "--db", "{db}"], "long-enough-pw\n", "user name"),
    (["tokens", "create", "nobody", "--db", "{db}"], None, "no such account"),
    (["tokens", "create", "x", "--db", "{tmp}/plain.csv"], None, "not a wardwatch warehouse"),
    (["serve", "--db", "{tmp}/missing.duckdb"], None, "does not exist"),
    (["serve", "--db", "{tmp}/plain.csv"], None, "not a wardwatch warehouse"),
    (["serve", "--db", "{db}", "--port", "70000"], None, "--port"),
])
def test_bad_input_gives_one_error_line_and_exit_2(bare_db, args, stdin, fragment):
    tmp = bare_db.parent
    (tmp / "plain.csv").write_text("a,b\n1,2\n")
    args = [a.format(tmp=tmp, db=bare_db) for a in args]
    result = CliRunner().invoke(get_app(), args, input=stdin)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert fragment in lines[0]
    assert "Traceback" not in result.output


def test_serve_checks_its_options_then_hands_the_app_to_uvicorn(bare_db, monkeypatch):
    import uvicorn
    from fastapi import FastAPI

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    result = run("serve", "--db", bare_db, "--port", "8123", "--insecure-cookie")
    assert result.exit_code == 0, result.output
    (app, options), = calls
    assert isinstance(app, FastAPI)
    assert options["host"] == "127.0.0.1" and options["port"] == 8123
