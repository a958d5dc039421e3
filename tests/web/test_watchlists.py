"""Live watchlists in the web app: route x role, items and filters against hand-computed waits,
CSV, escaping, FHIR intake, staff actions with their audit rows, server-sent events, webhooks."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta

import duckdb
import pytest
from fastapi.testclient import TestClient

from wardwatch.live import messages as m
from wardwatch.live.store import live_path
from wardwatch.web.app import create_app
from wardwatch.web.live import LiveHub
from wardwatch.web.watchlists import configure

from .conftest import NASTY, REGISTRY, bearer, sign_in

T0 = datetime(2024, 3, 1, 8, 0)
ROLES = ["viewer", "analyst", "clinician", "admin"]


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
def live(web_db, tmp_path):
    """A copy of the web warehouse with a started live hub on a fixed clock (T0 + 300 min)."""
    db = tmp_path / "w.duckdb"
    shutil.copy(web_db[0], db)
    clock = Clock(at(300))
    hub = LiveHub(db, clock=clock, poll=0.02, tick=3600)
    hub.start()
    app = create_app(db, secure_cookies=False, registry=REGISTRY)
    configure(app, hub)
    hub.ingest = lambda messages: hub.writer.call(lambda s: s.ingest_hl7(messages)).result(30)
    yield app, hub, clock, db
    hub.stop()


def seed(hub) -> None:
    """Four ED patients: arrived 290, 250, 100 and 30 minutes before the clock (T0 + 300)."""
    hub.ingest([
        m.adt("A04", "A1", at(10), "9000001", "V1", "E", "ED", "SITE1"),
        m.adt("A04", "A2", at(50), "9000002", "V2", "E", NASTY, "SITE2"),
        m.adt("A04", "A3", at(200), "9000003", "V3", "E", "=HYPERLINK(\"x\")", "SITE1"),
        m.adt("A04", "A4", at(270), "9000004", "V4", "E", "RESUS", "SITE2"),
    ])


API = "/api/v1/watchlists/ed_long_stay"
GETS = [API, "/api/v1/watchlists", "/watchlists", "/watchlists/ed_long_stay"]


@pytest.mark.parametrize("role", ROLES)
def test_route_role_matrix(live, tokens, role):
    app, _hub, _, _ = live
    client = TestClient(app)
    allowed = role in ("clinician", "admin")
    for route in GETS:
        assert client.get(route, headers=bearer(tokens[role])).status_code == (200 if allowed else 403), route
    posted = client.post("/api/v1/fhir", headers={**bearer(tokens[role]), "Content-Type": "application/fhir+json"},
                         content=json.dumps({"resourceType": "Bundle", "entry": []}))
    assert posted.status_code == (200 if allowed else 403)
    assert sign_in(client, role).status_code == 303
    assert client.get("/watchlists/ed_long_stay").status_code == (200 if allowed else 403)
    nav = client.get("/").text
    assert ('href="/watchlists"' in nav) == allowed


def test_signed_out_is_refused(live):
    client = TestClient(live[0])
    assert client.get(API).status_code == 401
    assert client.post("/api/v1/fhir", content="{}", headers={"Content-Type": "application/json"}).status_code == 401
    for route in ("/watchlists", "/watchlists/ed_long_stay", "/watchlists/ed_long_stay/events"):
        response = client.get(route, follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, "/sign-in")


def test_unknown_list_is_404_for_clinicians_403_for_viewers(live, tokens):
    client = TestClient(live[0])
    assert client.get("/api/v1/watchlists/no_such", headers=bearer(tokens["clinician"])).status_code == 404
    assert client.get("/api/v1/watchlists/no_such", headers=bearer(tokens["viewer"])).status_code == 403
    assert client.get("/watchlists/no_such", headers=bearer(tokens["admin"])).status_code == 404


def test_items_waits_statuses_and_filters(live, tokens):
    app, hub, clock, _ = live
    seed(hub)
    client = TestClient(app)
    body = client.get(API, headers=bearer(tokens["clinician"])).json()
    # waits by hand: 300 - 10, 300 - 50, 300 - 200, 300 - 270; amber from 240, red from 720
    assert [i["minutes"] for i in body["items"]] == [290, 250, 100, 30]
    assert [i["status"] for i in body["items"]] == ["amber", "amber", "green", "green"]
    assert body["counts"] == {"red": 0, "amber": 2, "green": 2} and body["total"] == 4
    assert body["rules_version"] == 1 and all(i["rules_version"] == 1 for i in body["items"])
    assert [i["site_code"] for i in body["items"]] == ["SITE1", "SITE2", "SITE1", "SITE2"]
    assert body["items"][0]["started_at"] == "2024-03-01 08:10:00"
    assert all(i["patient_ref"].startswith("P-") and i["item_ref"].startswith("W-") for i in body["items"])
    text = json.dumps(body)
    # patient numbers and visit numbers never leave the store
    assert not any(ident in text for ident in ("9000001", "9000004", '"V1"', '"V4"'))
    headers = bearer(tokens["admin"])
    only = client.get(API, params={"status": "amber", "site": "SITE2"}, headers=headers).json()
    assert [i["minutes"] for i in only["items"]] == [250]
    assert [i["minutes"] for i in client.get(API, params={"org": "ZFV"}, headers=headers).json()["items"]] == \
        [290, 250, 100, 30]
    assert client.get(API, params={"org": "ZZZ"}, headers=headers).json()["items"] == []
    assert client.get(API, params={"status": "purple"}, headers=headers).status_code == 422
    # the clock moves: the first patient reaches 720 minutes and turns red
    clock.now = at(730)
    first = client.get(API, params={"limit": 1}, headers=headers).json()
    assert (first["items"][0]["minutes"], first["items"][0]["status"], len(first["items"])) == (720, "red", 1)


def test_csv_is_spreadsheet_safe(live, tokens):
    app, hub, _, _ = live
    seed(hub)
    response = TestClient(app).get(API, params={"format": "csv"}, headers=bearer(tokens["clinician"]))
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text.splitlines()
    assert lines[0].startswith("item_ref,patient_ref,location,org_code,site_code,started_at,minutes,status")
    assert len(lines) == 5
    assert "'=HYPERLINK" in response.text and ",=HYPERLINK" not in response.text


def test_page_escapes_sorts_and_uses_tags(live):
    app, hub, _, _ = live
    seed(hub)
    client = TestClient(app)
    sign_in(client, "clinician")
    response = client.get("/watchlists/ed_long_stay")
    page = response.text
    assert NASTY not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.index("4 h 50 min") < page.index("4 h 10 min") < page.index("1 h 40 min") < page.index("30 min</td>")
    assert page.count('class="ww-tag ww-tag--amber"') == 2 and page.count('class="ww-tag ww-tag--green"') == 2
    assert '<script src="/static/watchlist.js"></script>' in page
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "connect-src 'self'" in response.headers["content-security-policy"]
    assert 'role="status"' in page and "not connected" in page
    filtered = client.get("/watchlists/ed_long_stay", params={"site": "SITE1", "status": "green"}).text
    assert filtered.count('class="ww-tag ') == 1 and "1 h 40 min" in filtered
    assert client.get("/static/watchlist.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/static/nothing.js").status_code == 404


def _csrf(page: str) -> str:
    return page.split('name="csrf" value="')[1].split('"')[0]


def _audit(db, action):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT user_name, target FROM audit_log WHERE action = ? ORDER BY happened_at",
                           [action]).fetchall()


def test_acknowledge_assign_escalate_are_stored_shown_and_audited(live, tokens):
    app, hub, _, db = live
    seed(hub)
    client = TestClient(app)
    sign_in(client, "clinician")
    page = client.get("/watchlists/ed_long_stay").text
    token = _csrf(page)
    ref = client.get(API, headers=bearer(tokens["clinician"])).json()["items"][0]["item_ref"]
    base = f"/watchlists/ed_long_stay/items/{ref}"
    # CSRF: no token or a forged one is refused, nothing is stored
    assert client.post(f"{base}/acknowledge", data={"csrf": "forged"}).status_code == 403
    done = client.post(f"{base}/acknowledge", data={"csrf": token, "site": "SITE1"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/watchlists/ed_long_stay?site=SITE1#{ref}"
    assert client.post(f"{base}/assign", data={"csrf": token, "assignee": "Dr Ann O'Neil"},
                       follow_redirects=False).status_code == 303
    assert client.post(f"{base}/assign", data={"csrf": token, "assignee": NASTY}).status_code == 422
    assert client.post(f"{base}/escalate", data={"csrf": token}, follow_redirects=False).status_code == 303
    assert client.post(f"{base}/delete", data={"csrf": token}).status_code == 404
    assert client.post("/watchlists/ed_long_stay/items/W-0000/acknowledge", data={"csrf": token}).status_code == 404
    item = client.get(API, headers=bearer(tokens["clinician"])).json()["items"][0]
    assert (item["acknowledged_by"], item["assigned_to"], item["assigned_by"], item["escalated_by"]) == \
        ("clinician", "Dr Ann O'Neil", "clinician", "clinician")
    assert item["acknowledged_at"] == "2024-03-01 13:00:00"  # the injected clock
    shown = client.get("/watchlists/ed_long_stay").text
    assert "Acknowledged by clinician at 13:00" in shown and "Assigned to Dr Ann O&#39;Neil by clinician" in shown
    assert _audit(db, "watchlist.acknowledge") == [("clinician", f"ed_long_stay {ref}")]
    assert _audit(db, "watchlist.assign") == [("clinician", f"ed_long_stay {ref} to Dr Ann O'Neil")]
    assert _audit(db, "watchlist.escalate") == [("clinician", f"ed_long_stay {ref}")]
    import sqlite3

    con = sqlite3.connect(live_path(db))
    assert con.execute("SELECT action, item_id, by_user FROM actions ORDER BY id").fetchall() == [
        ("acknowledge", "V1", "clinician"), ("assign", "V1", "clinician"), ("escalate", "V1", "clinician")]
    con.close()
    # an analyst may not act (and a bearer token has no CSRF token for forms)
    analyst = TestClient(app)
    sign_in(analyst, "analyst")
    assert analyst.post(f"{base}/acknowledge", data={"csrf": token}).status_code == 403
    assert TestClient(app).post(f"{base}/acknowledge", data={"csrf": token},
                                headers=bearer(tokens["admin"])).status_code == 403


BUNDLE = {"resourceType": "Bundle", "type": "transaction", "entry": [
    {"resource": {"resourceType": "Encounter", "id": "enc1", "meta": {"versionId": "1"}, "status": "in-progress",
                  "class": {"code": "EMER"}, "subject": {"reference": "Patient/9990001"},
                  "period": {"start": "2024-03-01T08:00:00"}, "location": [{"location": {"display": "ED"}}]}},
    {"resource": {"resourceType": "Observation", "id": "obs1", "status": "final",
                  "code": {"coding": [{"code": "1104051000000101"}]}, "subject": {"reference": "Patient/9990001"},
                  "encounter": {"reference": "Encounter/enc1"}, "effectiveDateTime": "2024-03-01T08:30:00",
                  "valueInteger": 9}},
    {"resource": {"resourceType": "Observation", "id": "obs2", "status": "final",
                  "code": {"coding": [{"code": "1104051000000101"}]}, "encounter": {"reference": "Encounter/enc1"},
                  "effectiveDateTime": "2024-03-01T08:40:00", "valueInteger": 40}},
]}


def test_fhir_post_applies_counts_and_quarantines(live, tokens, db):
    app, _hub, _, copy = live
    client = TestClient(app)
    headers = {**bearer(tokens["clinician"]), "Content-Type": "application/fhir+json"}
    response = client.post("/api/v1/fhir", content=json.dumps(BUNDLE), headers=headers)
    assert response.status_code == 200
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert (outcome["applied"], outcome["duplicates"], outcome["quarantined"]) == (2, 0, 1)
    assert any(i["severity"] == "error" and "Observation/obs2" in i["diagnostics"] for i in outcome["issue"])
    # the list the CLI reads: NEWS2 9 at 08:30, clock 13:00 -> 270 minutes, red
    items = client.get("/api/v1/watchlists/sepsis_antibiotics_due", headers=headers).json()["items"]
    assert [(i["minutes"], i["status"], i["location"]) for i in items] == [(270, "red", "ED")]
    again = client.post("/api/v1/fhir", content=json.dumps(BUNDLE), headers=headers).json()
    assert (again["applied"], again["duplicates"]) == (0, 2)  # same versions, same content: duplicates
    bad = client.post("/api/v1/fhir", content="{not json", headers=headers)
    assert bad.status_code == 400 and "not JSON" in bad.json()["issue"][0]["diagnostics"]
    shape = client.post("/api/v1/fhir", content="[1, 2]", headers=headers)
    assert shape.status_code == 422 and "resourceType" in shape.json()["issue"][0]["diagnostics"]
    only_bad = {"resourceType": "Observation", "id": "o9", "status": "final"}
    assert client.post("/api/v1/fhir", content=json.dumps(only_bad), headers=headers).status_code == 422
    assert client.post("/api/v1/fhir", content=json.dumps(BUNDLE),
                       headers={**bearer(tokens["clinician"]), "Content-Type": "text/plain"}).status_code == 415
    import sqlite3

    con = sqlite3.connect(live_path(copy))
    kept = con.execute("SELECT source, raw FROM quarantine ORDER BY id").fetchall()
    con.close()
    assert [source for source, _ in kept] == ["api"] * 5  # obs2 twice, the non-JSON, the list, o9
    assert kept[2][1] == "{not json"
    assert [row[0] for row in _audit(copy, "fhir.ingest")] == ["clinician", "clinician", "clinician"]
    assert len(_audit(copy, "fhir.refused")) == 2


def test_event_stream_sends_the_items_and_a_new_message(live, tokens):
    app, hub, _, _ = live
    app.state.sse_max_events = 2
    client = TestClient(app)
    sign_in(client, "clinician")
    events = []
    with client.stream("GET", "/watchlists/ed_long_stay/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
                if len(events) == 1:
                    assert events[0]["total"] == 0
                    hub.ingest([m.adt("A04", "S1", at(100), "9000009", "V9", "E", "ED", "SITE1")])
    assert [e["total"] for e in events] == [0, 1]
    assert events[1]["items"][0]["minutes"] == 200 and events[1]["items"][0]["patient_ref"].startswith("P-")


def test_serve_options_clock_from_and_webhook_checks(tmp_path, monkeypatch):
    import uvicorn
    from typer.testing import CliRunner

    from wardwatch.cli import get_app

    from report.conftest import make_measures

    from .conftest import _write_measures

    db = tmp_path / "warehouse.duckdb"
    _write_measures(db, make_measures())
    apps = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: apps.append(app))

    def run(*args):
        return CliRunner().invoke(get_app(), ["serve", "--db", str(db), *args], catch_exceptions=False)

    assert run("--clock-from", "2019-01-14T12:00").exit_code == 0
    hub = apps[0].state.live
    assert not hub.started  # without --mllp or a webhook the live side starts on the first watchlist request
    now = hub.clock()
    assert now.date().isoformat() == "2019-01-14" and now.hour == 12  # the clock runs from the given time
    for bad, fragment in ((["--clock-from", "noon"], "--clock-from"), (["--webhook", "ftp://x/y"], "webhook"),
                          (["--mllp", "nohost"], "--mllp")):
        result = run(*bad)
        assert result.exit_code != 0 and fragment in result.output and "Traceback" not in result.output
