"""The web's answer cache (wardwatch.web.cache): an unchanged warehouse is not reopened, and any
write (a refresh, a new token, a sign-out) is seen by the next request."""

from __future__ import annotations

import os
import shutil
import time

import duckdb
import pytest
from fastapi.testclient import TestClient
from report.conftest import REGISTRY

from wardwatch.warehouse import web_writer
from wardwatch.web import cache, store
from wardwatch.web.app import create_app

from .conftest import FOCAL, bearer, sign_in

SPC = f"/api/v1/orgs/{FOCAL}/indicators/sepsis_screened_1h/spc"


@pytest.fixture
def own_db(web_db, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(web_db[0], path)
    return path, web_db[1]


@pytest.fixture
def opens(monkeypatch):
    """Counts the read-only connections the web opens."""
    count = {"n": 0}
    real = cache.reader

    def counting(db, **options):
        count["n"] += 1
        return real(db, **options)

    monkeypatch.setattr(cache, "reader", counting)
    return count


def _age(path, seconds: float = 10) -> None:
    """Set the file's modification time ``seconds`` back: as if written that long ago."""
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_an_unchanged_warehouse_is_read_once(own_db, opens):
    db, tokens = own_db
    _age(db)
    client = TestClient(create_app(db, secure_cookies=False, registry=REGISTRY))
    first = client.get(SPC, headers=bearer(tokens["analyst"]))
    assert first.status_code == 200 and opens["n"] == 2  # one for the token, one for the series
    for _ in range(3):
        again = client.get(SPC, headers=bearer(tokens["analyst"]))
        assert again.content == first.content
    assert opens["n"] == 2
    # a viewer's answer is another entry (the public edition), not the analyst's
    public = client.get(SPC, headers=bearer(tokens["viewer"])).json()
    assert public["series"]["edition"] == "public" and opens["n"] == 4


def test_a_csv_answer_does_not_change_the_cached_json(own_db):
    db, tokens = own_db
    _age(db)
    client = TestClient(create_app(db, secure_cookies=False, registry=REGISTRY))
    head = bearer(tokens["viewer"])
    before = client.get("/api/v1/indicators", headers=head).json()
    client.get("/api/v1/indicators?format=csv", headers=head)  # joins key_questions into text
    after = client.get("/api/v1/indicators", headers=head).json()
    assert after == before and isinstance(after["items"][0]["key_questions"], list)


def test_a_write_is_seen_by_the_next_request(own_db, opens):
    db, tokens = own_db
    _age(db)
    client = TestClient(create_app(db, secure_cookies=False, registry=REGISTRY))
    head = bearer(tokens["analyst"])
    assert client.get(SPC, headers=head).json()["series"]["note"] == ""
    # another process (e.g. a refresh) rewrites the stored series ...
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE result_spc_series SET note = 'rewritten' WHERE org_code = ? "
                    "AND indicator_id = 'sepsis_screened_1h'", [FOCAL])
    assert client.get(SPC, headers=head).json()["series"]["note"] == "rewritten"
    # ... and still after the file has settled (its size or time differs from the cached state)
    _age(db, 5)
    wal = db.with_name(db.name + ".wal")
    if wal.exists():
        _age(wal, 5)
    assert client.get(SPC, headers=head).json()["series"]["note"] == "rewritten"


def test_a_new_token_works_at_once_and_a_signed_out_session_stops(own_db):
    db, tokens = own_db
    _age(db)
    client = TestClient(create_app(db, secure_cookies=False, registry=REGISTRY))
    assert client.get("/api/v1/orgs", headers=bearer(tokens["viewer"])).status_code == 200
    with web_writer(db) as raw:
        fresh = store.create_token(raw, "viewer")
    assert client.get("/api/v1/orgs", headers=bearer(fresh)).status_code == 200
    assert sign_in(client, "viewer").status_code == 303
    assert client.get("/").status_code == 200
    csrf = client.get("/").text.split('name="csrf" value="')[1].split('"')[0]
    _age(db)
    assert client.get("/").status_code == 200  # the session, now from the cache
    secret = client.cookies.get("ww_session")
    assert client.post("/sign-out", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    client.cookies.clear()
    client.cookies.set("ww_session", secret)  # the old cookie, sent again
    assert client.get("/api/v1/orgs").status_code == 401
    assert client.get("/", follow_redirects=False).headers["location"] == "/sign-in"
