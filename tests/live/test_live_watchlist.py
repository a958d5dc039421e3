"""Watchlist rules: thresholds on an injected clock, status filters, as-of queries, rules file."""

from __future__ import annotations

from datetime import datetime, timedelta
from importlib import resources

import pytest

from wardwatch.errors import InputError
from wardwatch.live import messages as m
from wardwatch.live.rules import load_rules
from wardwatch.live.watchlist import format_items, watchlist

T0 = datetime(2024, 3, 1, 8, 0)


def _at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_packaged_rules_have_the_thresholds_of_the_brief():
    rules = load_rules()
    expected = {"imaging_inpatient_waiting": (720, 1440), "ed_long_stay": (240, 720),
                "sepsis_antibiotics_due": (45, 60), "sepsis_screen_due": (30, 60)}
    assert {n: (r.amber_minutes, r.red_minutes) for n, r in rules.rules.items()} == expected
    assert rules.version >= 1
    assert rules.vocabulary.screen_threshold == 5 and rules.vocabulary.antibiotic_threshold == 7


@pytest.mark.parametrize(
    ("name", "minutes", "status"),
    [
        ("ed_long_stay", 239, "green"), ("ed_long_stay", 240, "amber"), ("ed_long_stay", 719, "amber"),
        ("ed_long_stay", 720, "red"),
        ("imaging_inpatient_waiting", 719, "green"), ("imaging_inpatient_waiting", 720, "amber"),
        ("imaging_inpatient_waiting", 1440, "red"),
        ("sepsis_antibiotics_due", 44, "green"), ("sepsis_antibiotics_due", 45, "amber"),
        ("sepsis_antibiotics_due", 60, "red"),
        ("sepsis_screen_due", 29, "green"), ("sepsis_screen_due", 30, "amber"), ("sepsis_screen_due", 60, "red"),
    ],
)
def test_status_at_threshold_boundaries(store, name, minutes, status):
    store.ingest_hl7([
        m.adt("A04", "A", T0, "1", "V1", "E", "ED", "ZFV01"),
        m.orm("NW", "B", T0, "2", "R1", patient_type="inpatient", location="WARD2"),
        m.oru_observation("C", T0, "3", "V3", "NEWS2", "7", location="WARD4"),
    ])
    (item,) = watchlist(store.con, store.rules, name, _at(minutes))
    assert item.status == status and item.minutes == pytest.approx(minutes)
    assert item.patient_ref.startswith("P-")


def test_items_leave_the_list_when_done_and_as_of_queries_see_the_past(store):
    store.ingest_hl7([
        m.adt("A04", "A1", T0, "1", "V1", "E", "ED", "ZFV01"),
        m.adt("A03", "A2", _at(300), "1", "V1", "E", "ED", "ZFV01"),
        m.orm("NW", "B1", T0, "2", "R1", patient_type="outpatient"),  # not inpatient: never listed
        m.oru_observation("C1", T0, "3", "V3", "NEWS2", "6"),
        m.oru_observation("C2", _at(20), "3", "V3", "SEPSIS_SCREEN", "done"),
    ])
    assert [i.item_id for i in watchlist(store.con, store.rules, "ed_long_stay", _at(299))] == ["V1"]
    assert watchlist(store.con, store.rules, "ed_long_stay", _at(300)) == []
    assert watchlist(store.con, store.rules, "imaging_inpatient_waiting", _at(2000)) == []
    assert [i.item_id for i in watchlist(store.con, store.rules, "sepsis_screen_due", _at(10))] == ["V3-S1"]
    assert watchlist(store.con, store.rules, "sepsis_screen_due", _at(25)) == []
    # NEWS2 6 is below the antibiotic threshold: no antibiotics clock
    assert watchlist(store.con, store.rules, "sepsis_antibiotics_due", _at(25)) == []


def test_status_filter_and_longest_wait_first(store):
    store.ingest_hl7([
        m.adt("A04", f"A{i}", _at(-minutes), str(i), f"V{i}", "E", "ED", "ZFV01")
        for i, minutes in enumerate([30, 300, 800, 1000])
    ])
    at = _at(0)
    everything = watchlist(store.con, store.rules, "ed_long_stay", at)
    assert [round(i.minutes) for i in everything] == [1000, 800, 300, 30]
    assert [i.status for i in everything] == ["red", "red", "amber", "green"]
    assert [round(i.minutes) for i in watchlist(store.con, store.rules, "ed_long_stay", at, "red")] == [1000, 800]
    assert [round(i.minutes) for i in watchlist(store.con, store.rules, "ed_long_stay", at, "amber")] == [300]
    text = format_items(everything, store.rules.rule("ed_long_stay"), at, store.rules.version)
    assert "4 open: 2 red, 1 amber, 1 green" in text


def test_unknown_watchlist_is_a_user_error(store):
    with pytest.raises(InputError, match="unknown watchlist"):
        watchlist(store.con, store.rules, "ward_round", T0)


def test_site_rules_file_is_validated(tmp_path):
    path = tmp_path / "rules.yaml"
    text = resources.files("wardwatch.live").joinpath("rules.yaml").read_text()
    path.write_text(text.replace("red_minutes: 60\n", "red_minutes: 10\n", 1))
    with pytest.raises(InputError, match="amber_minutes <= red_minutes"):
        load_rules(path)


def test_org_and_site_filters(store):
    store.ingest_hl7([
        m.adt("A04", "A1", T0, "1", "V1", "E", "ED", "ZFV01", facility="ZFV"),
        m.adt("A04", "A2", T0, "2", "V2", "E", "ED", "ZFV02", facility="ZFV"),
        m.adt("A04", "A3", T0, "3", "V3", "E", "ED", "ZQQ01", facility="ZQQ"),
        m.orm("NW", "B1", T0, "4", "R1", patient_type="inpatient", location="WARD2", site="ZFV02"),
    ])
    at = _at(10)
    everything = watchlist(store.con, store.rules, "ed_long_stay", at)
    assert [(i.item_id, i.org_code, i.site_code) for i in everything] == [
        ("V1", "ZFV", "ZFV01"), ("V2", "ZFV", "ZFV02"), ("V3", "ZQQ", "ZQQ01")]
    assert [i.item_id for i in watchlist(store.con, store.rules, "ed_long_stay", at, org="ZFV")] == ["V1", "V2"]
    assert [i.item_id for i in watchlist(store.con, store.rules, "ed_long_stay", at, org="ZFV", site="ZFV02")] == ["V2"]
    assert watchlist(store.con, store.rules, "ed_long_stay", at, site="NOPE") == []
    (scan,) = watchlist(store.con, store.rules, "imaging_inpatient_waiting", at, site="ZFV02")
    assert (scan.item_id, scan.org_code) == ("R1", "ZFV")


def test_rules_file_webhooks(tmp_path):
    path = tmp_path / "rules.yaml"
    text = resources.files("wardwatch.live").joinpath("rules.yaml").read_text()
    assert load_rules().webhooks == ()
    path.write_text(text.replace("  webhooks: []", "  webhooks: [http://127.0.0.1:9000/hook]"))
    assert load_rules(path).webhooks == ("http://127.0.0.1:9000/hook",)
    path.write_text(text.replace("  webhooks: []", "  webhooks: {url: x}"))
    with pytest.raises(InputError, match="notify.webhooks"):
        load_rules(path)
