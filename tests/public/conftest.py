"""One warehouse of the shipped published files per test session (the slow part), reused by every test."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def public_db(tmp_path_factory):
    return tmp_path_factory.mktemp("public") / "published.duckdb"


@pytest.fixture(scope="session")
def public_data(public_db):
    from wardwatch.public import load_public_data

    # builds the DuckDB file from the shipped files; the CLI tests then open the same file read-only
    return load_public_data(public_db)
