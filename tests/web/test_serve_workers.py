"""`wardwatch serve --workers N`: N > 1 hands uvicorn an app factory that each worker process
builds from the environment; out-of-range values give one error line."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from wardwatch.cli import get_app
from wardwatch.cli import web as cli_web

from .conftest import sign_in


@pytest.mark.parametrize("workers", ["0", "33"])
def test_workers_out_of_range_is_one_error_line(db, workers):
    result = CliRunner().invoke(get_app(), ["serve", "--db", str(db), "--workers", workers])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "--workers" in lines[0]


def test_workers_hand_uvicorn_a_factory_that_builds_the_app(db, monkeypatch):
    import uvicorn

    # serve sets these for its worker processes; monkeypatch restores them after the test
    monkeypatch.setenv(cli_web._DB_VARIABLE, "unset")
    monkeypatch.setenv(cli_web._INSECURE_VARIABLE, "unset")
    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    result = CliRunner().invoke(get_app(), ["serve", "--db", str(db), "--workers", "3", "--insecure-cookie"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (target, options), = calls
    assert target == "wardwatch.cli.web:_worker_app"
    assert options["factory"] is True and options["workers"] == 3 and options["host"] == "127.0.0.1"
    assert Path(cli_web.os.environ[cli_web._DB_VARIABLE]) == db.resolve()
    # what a worker process builds: the same warehouse, with the plain-HTTP cookie asked for
    answer = sign_in(TestClient(cli_web._worker_app()), "viewer")
    assert answer.status_code == 303
    session_cookie = [c for c in answer.headers.get_list("set-cookie") if c.startswith("ww_session=")]
    assert session_cookie and "secure" not in session_cookie[0].lower()
