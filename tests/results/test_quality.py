"""Data-quality marks on a small warehouse built with the project's own loader from hand-made CSVs.

Expected values are counted by hand from the rows written below (see each test's comment).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from wardwatch.contracts.schema import CONTRACTS
from wardwatch.contracts.validate import create_table_sql
from wardwatch.indicators import INDICATORS
from wardwatch.indicators.engine import write_measures
from wardwatch.indicators.fields import INDICATOR_FIELDS
from wardwatch.indicators.model import EventSpec, SnapshotSpec
from wardwatch.indicators.published import AE_MONTHLY_SOURCE
from wardwatch.indicators.store import replace_measures
from wardwatch.ingest import load
from wardwatch.results.quality import ALLOWED_LAG_DAYS, QUALITY_COLUMNS, data_quality_marks, mark
from wardwatch.warehouse import connect_duckdb, connect_raw

ED_HEADER = (
    "attendance_id,org_code,site_code,department_type,arrival_at,initial_assessment_at,clinician_seen_at,"
    "departed_at,arrival_mode,acuity,age,disposal"
)
ED = ("ed_initial_assessment_15min", "ed_4h", "ed_12h_from_arrival")


def _ed_line(aid: str, org: str, day: date, assessed: bool = True, departed: bool = True, age: int = 40) -> str:
    d = day.isoformat()
    return ",".join([
        aid, org, f"{org}01", "1", f"{d} 10:00", f"{d} 10:05" if assessed else "", "",
        f"{d} 13:00" if departed else "", "walk_in", "3", str(age), "discharged" if departed else "",
    ])


def _ed_csv() -> str:
    lines = [ED_HEADER]
    # AAA: 20 complete attendances, 1-20 March 2024 -> cut-off 2024-03-20, nothing refused.
    lines += [_ed_line(f"A{i}", "AAA", date(2024, 3, i)) for i in range(1, 21)]
    # BBB: 17 complete (1-17 March); one departed with no assessment time (a gap for the 15-minute
    # indicator only); one still in the department, not yet assessed (legitimately blank);
    # one refused (age -4). Loaded 19, quarantined 1 -> 1/20 = 5%.
    lines += [_ed_line(f"B{i}", "BBB", date(2024, 3, i)) for i in range(1, 18)]
    lines.append(_ed_line("B18", "BBB", date(2024, 3, 18), assessed=False))
    lines.append(_ed_line("B19", "BBB", date(2024, 3, 19), assessed=False, departed=False))
    lines.append(_ed_line("B20", "BBB", date(2024, 3, 19), age=-4))
    # CCC: 5 complete attendances in January only -> cut-off 2024-01-14, stale by 20 March.
    lines += [_ed_line(f"C{i}", "CCC", date(2024, 1, 9 + i)) for i in range(1, 6)]
    # A refused row whose organisation code is malformed: attributable to no organisation.
    lines.append(_ed_line("X1", "b b", date(2024, 3, 5)))
    return "\n".join(lines) + "\n"


STAFFING_CSV = (
    "org_code,staff_group,month,establishment_wte,in_post_wte,bank_agency_wte\n"
    "AAA,nursing,2023-11-01,100,90,\n"
    "AAA,nursing,2023-12-01,100,95,\n"
)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("quality")
    extract = root / "extract"
    extract.mkdir()
    (extract / "ed_attendances.csv").write_text(_ed_csv())
    (extract / "staffing.csv").write_text(STAFFING_CSV)
    db = root / "wh.duckdb"
    report = load(extract, db)
    assert report["ed_attendances"].quarantined == 2  # B20 and X1, as intended
    con = connect_duckdb(db)
    try:
        write_measures(con)
        published = pd.DataFrame({
            "indicator_id": ["ae_4h_type1", "ae_4h_type1"],
            "org_code": ["AAA", "BBB"],
            "site_code": [None, None],
            "unit_code": [None, None],
            # AAA: January 2024 (ends 31 Jan, 49 days before 20 March: within 75);
            # BBB: October 2023 (ends 31 Oct, 141 days before: stale).
            "period_start": [date(2024, 1, 1), date(2023, 10, 1)],
            "period_grain": ["month", "month"],
            "numerator": [90.0, 80.0],
            "denominator": [100.0, 100.0],
            "value": [0.9, 0.8],
            "source": [AE_MONTHLY_SOURCE, AE_MONTHLY_SOURCE],
        })
        replace_measures(con, published, source=AE_MONTHLY_SOURCE)
    finally:
        con.disconnect()
    return db


@pytest.fixture(scope="module")
def marks(warehouse: Path) -> pd.DataFrame:
    con = connect_duckdb(warehouse, read_only=True)
    try:
        return data_quality_marks(con)
    finally:
        con.disconnect()


def _one(marks: pd.DataFrame, indicator: str, org: str) -> pd.Series:
    rows = marks[(marks.indicator_id == indicator) & (marks.org_code == org)]
    assert len(rows) == 1, (indicator, org)
    return rows.iloc[0]


def test_columns_and_pairs(marks: pd.DataFrame) -> None:
    assert tuple(marks.columns) == QUALITY_COLUMNS
    pairs = set(zip(marks.indicator_id, marks.org_code))
    expected = {(i, org) for i in ED for org in ("AAA", "BBB", "CCC")}
    expected |= {("staffing_fill_rate", "AAA"), ("ae_4h_type1", "AAA"), ("ae_4h_type1", "BBB")}
    assert pairs == expected  # the malformed "b b" is no organisation of its own
    assert not marks.duplicated(["indicator_id", "org_code"]).any()


def test_complete_organisation_is_good(marks: pd.DataFrame) -> None:
    for indicator in ED:
        row = _one(marks, indicator, "AAA")
        assert row.dataset == "ed_attendances"
        assert row.rows == 20 and row.complete_share == 1.0
        assert row.quarantined == 0 and row.quarantined_share == 0.0
        assert row.data_until == date(2024, 3, 20) and row.days_behind == 0
        assert row.latest_period == date(2024, 3, 18)  # the ISO week starting Monday 18 March
        assert not row.stale and row.mark == "good"


def test_missing_field_lowers_completeness_only_where_required(marks: pd.DataFrame) -> None:
    # 19 loaded rows; B18 left without an assessment time (a gap), B19 is still in the department.
    assessed = _one(marks, "ed_initial_assessment_15min", "BBB")
    assert assessed.rows == 19
    assert assessed.complete_share == pytest.approx(18 / 19)
    assert "initial_assessment_at" in assessed.fields and "departed_at" in assessed.event_fields
    assert _one(marks, "ed_4h", "BBB").complete_share == 1.0  # the 4-hour count needs no assessment time


def test_quarantined_rows_counted_per_organisation(marks: pd.DataFrame) -> None:
    for indicator in ED:
        row = _one(marks, indicator, "BBB")
        assert row.quarantined == 1
        assert row.quarantined_share == pytest.approx(1 / 20)
        assert row.quarantined_unattributed == 1  # X1 with org "b b"
        assert not row.stale and row.days_behind == 1
        # 5% refused is at the poor bound, not over it; 18/19 = 94.7% complete is below 99%.
        assert row.mark == "check"
    assert _one(marks, "ed_4h", "AAA").quarantined_unattributed == 1


def test_stale_series_flagged(marks: pd.DataFrame) -> None:
    for indicator in ED:
        row = _one(marks, indicator, "CCC")
        assert row.data_until == date(2024, 1, 14)
        assert row.days_behind == (date(2024, 3, 20) - date(2024, 1, 14)).days == 66
        assert row.allowed_lag_days == 14 and row.stale and row.mark == "poor"
        assert row.complete_share == 1.0 and row.quarantined == 0  # poor from staleness alone
    staffing = _one(marks, "staffing_fill_rate", "AAA")
    # No stored cut-off for a monthly return: data until the end of December, 80 days before 20 March.
    assert staffing.data_until == date(2023, 12, 31) and staffing.days_behind == 80
    assert staffing.latest_period == date(2023, 12, 1)
    assert staffing.rows == 2 and staffing.complete_share == 1.0
    assert staffing.stale and staffing.mark == "poor"


def test_published_marked_on_staleness_only(marks: pd.DataFrame) -> None:
    fresh, old = _one(marks, "ae_4h_type1", "AAA"), _one(marks, "ae_4h_type1", "BBB")
    for row in (fresh, old):
        assert row.dataset is None and row.fields is None
        assert pd.isna(row.rows) and pd.isna(row.complete_share) and pd.isna(row.quarantined)
    assert fresh.data_until == date(2024, 1, 31) and fresh.days_behind == 49 and fresh.mark == "good"
    assert old.days_behind == 141 and old.stale and old.mark == "poor"


def test_as_of_moves_staleness(warehouse: Path) -> None:
    con = connect_duckdb(warehouse, read_only=True)
    try:
        later = data_quality_marks(con, as_of=date(2024, 3, 20) + timedelta(days=15))
    finally:
        con.disconnect()
    row = _one(later, "ed_4h", "AAA")
    assert row.days_behind == 15 and row.stale and row.mark == "poor"


def test_same_output_twice_and_from_a_raw_connection(warehouse: Path, marks: pd.DataFrame) -> None:
    raw = connect_raw(warehouse, read_only=True)
    try:
        again = data_quality_marks(raw)
    finally:
        raw.close()
    pd.testing.assert_frame_equal(marks, again)


def test_empty_warehouse_gives_empty_frame() -> None:
    frame = data_quality_marks(duckdb.connect())
    assert frame.empty and tuple(frame.columns) == QUALITY_COLUMNS


@pytest.mark.parametrize(
    ("complete", "quarantined", "stale", "expected"),
    [
        (0.99, 0.01, False, "good"),
        (0.9899, 0.0, False, "check"),
        (1.0, 0.0101, False, "check"),
        (0.90, 0.05, False, "check"),
        (0.8999, 0.0, False, "poor"),
        (1.0, 0.0501, False, "poor"),
        (1.0, 0.0, True, "poor"),
        (float("nan"), 1.0, False, "poor"),
        (None, None, False, "good"),
        (None, None, True, "poor"),
    ],
)
def test_mark_thresholds(complete, quarantined, stale, expected) -> None:
    assert mark(complete, quarantined, stale) == expected


def test_every_patient_level_indicator_declares_fields_in_its_contract() -> None:
    con = duckdb.connect()
    for ind in INDICATORS.values():
        assert ind.id in ALLOWED_LAG_DAYS, ind.id
        if not isinstance(ind.spec, (EventSpec, SnapshotSpec)):
            assert ind.id not in INDICATOR_FIELDS
            continue
        used = INDICATOR_FIELDS[ind.id]
        assert used.dataset == ind.spec.table, ind.id
        contract = CONTRACTS[used.dataset]
        for column in (*used.required, *used.events):
            assert column in contract.column_names, (ind.id, column)
        assert not set(used.required) & set(used.events), ind.id
        if isinstance(ind.spec, EventSpec):
            assert ind.spec.period_column in (*used.required, *used.events), ind.id
        con.execute(create_table_sql(contract, used.dataset))
        for column, condition in used.required_when:
            assert column in used.required, (ind.id, column)
            con.execute(f"SELECT count(*) FILTER (WHERE {condition}) FROM {used.dataset}")  # valid SQL
    assert set(INDICATOR_FIELDS) <= set(INDICATORS)


def test_conditional_fields_on_hand_made_tables() -> None:
    """Tables written directly (no loader, no measures): a blank site on a spell and a blank modality
    on an IR(ME)R course count; a blank modality on a mandatory course does not."""
    con = duckdb.connect()
    for name in ("admissions", "staff_training"):
        con.execute(create_table_sql(CONTRACTS[name], name))
    spells = [  # 10 spells of ZZZ, 2 without a site -> 8/10 complete: poor
        (f"S{i}", "ZZZ", None if i < 2 else "ZZZ01", "2024-01-01 10:00", "2024-01-03 10:00", 70, "F",
         "emergency", "other", 1, False, False)
        for i in range(10)
    ]
    # contract columns named: the table also has the loader's <timestamp>_utc columns (left blank)
    columns = ", ".join(CONTRACTS["admissions"].column_names)
    con.executemany(f"INSERT INTO admissions ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", spells)
    training = [  # 4 rows: IR(ME)R with modality, IR(ME)R without (a gap), two mandatory without (fine)
        ("R1", "P1", "ZZZ", "radiography", "Radiographer", "irmer_operator", "CT", "2023-01-01", None, None),
        ("R2", "P1", "ZZZ", "radiography", "Radiographer", "irmer_operator", None, "2023-01-01", None, None),
        ("R3", "P1", "ZZZ", "radiography", "Radiographer", "fire_safety", None, "2023-01-01", None, None),
        ("R4", "P2", "ZZZ", "nursing", "Nurse", "health_safety", None, "2023-01-01", None, None),
    ]
    con.executemany("INSERT INTO staff_training VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", training)
    marks = data_quality_marks(con, as_of=date(2024, 2, 1))
    spell = _one(marks, "mortality_crude_30d", "ZZZ")
    assert spell.rows == 10 and spell.complete_share == pytest.approx(0.8)
    assert spell.quarantined == 0 and spell.quarantined_unattributed == 0
    # no measures computed: no data_until, so stale and poor
    assert spell.data_until is None and spell.stale and spell.mark == "poor"
    assert _one(marks, "irmer_training_in_date", "ZZZ").complete_share == pytest.approx(3 / 4)
    assert _one(marks, "mandatory_training_compliance", "ZZZ").complete_share == 1.0
