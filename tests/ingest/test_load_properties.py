"""Property: for random mixes of good rows and rows with one known defect, every row is counted
once, each refused row gets the reason of its defect, and the loaded rows satisfy every rule
(checked here in plain Python, independently of the SQL)."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wardwatch.contracts.schema import ED_ATTENDANCES, ORG_CODE_PATTERN, SITE_CODE_PATTERN
from wardwatch.ingest import load

COLUMNS = list(ED_ATTENDANCES.column_names)
BASE = datetime(2019, 4, 1)
FMT = "%Y-%m-%d %H:%M"

# defect -> (column to spoil, bad values, reason it must give)
DEFECTS: dict[str, tuple[str, list[str], str]] = {
    "blank_key": ("attendance_id", ["", "   "], "blank_key"),
    "bad_timestamp": (
        "arrival_at",
        ["2019-02-30 10:00", "yesterday", "2019-04-01", "01/04/2019 10:00", "2019-04-01 10:00+01:00"],
        "bad_timestamp",
    ),
    "bad_number": ("age", ["abc", "3.5", "1e400", "12a"], "bad_number"),
    "unknown_code": ("arrival_mode", ["bus", "Ambulance", "walk in"], "unknown_code"),
    "unknown_department": ("department_type", ["0", "4", "9"], "unknown_code"),
    "bad_code_format": ("org_code", ["zfv", "ZF", "TOOLONG", "Z-V"], "bad_code_format"),
    "out_of_range": ("age", ["-1", "-40", "121", "500"], "out_of_range"),
    "acuity_out_of_range": ("acuity", ["0", "6"], "out_of_range"),
    "blank_required_value": ("arrival_mode", [""], "blank_required_value"),
    "blank_age": ("age", [" "], "blank_required_value"),
}

good_row = st.fixed_dictionaries(
    {
        "arrival": st.integers(0, 3 * 365 * 24 * 60),
        "assess": st.none() | st.integers(0, 120),
        "seen": st.none() | st.integers(0, 240),
        "dta": st.none() | st.integers(0, 600),
        "stay": st.none() | st.integers(240, 1440),
        "mode": st.sampled_from(["ambulance", "walk_in", "police", "other"]),
        "acuity": st.none() | st.integers(1, 5),
        "age": st.integers(0, 120),
        "dept": st.sampled_from(["1", "2", "3"]),
        "disposal": st.sampled_from(["", "admitted", "discharged", "died"]),
    }
)
row_kind = st.one_of(
    st.just(("good", 0)),
    st.tuples(st.sampled_from(sorted(DEFECTS)), st.integers(0, 10)),
    st.just(("out_of_order", 0)),
    st.just(("duplicate", 0)),
)


def render(i: int, g: dict) -> dict[str, str]:
    arrival = BASE + timedelta(minutes=g["arrival"])

    def after(minutes: int | None) -> str:
        return "" if minutes is None else (arrival + timedelta(minutes=minutes)).strftime(FMT)

    return {
        "attendance_id": f"A{i}",
        "org_code": "ZFV",
        "site_code": "ZFV01",
        "department_type": g["dept"],
        "arrival_at": arrival.strftime(FMT),
        "initial_assessment_at": after(g["assess"]),
        "clinician_seen_at": after(g["seen"]),
        "decision_to_admit_at": after(g["dta"]),
        "departed_at": after(g["stay"]),  # stay >= 240 > any assessment or seen offset: in order
        "arrival_mode": g["mode"],
        "acuity": "" if g["acuity"] is None else str(g["acuity"]),
        "age": str(g["age"]),
        "disposal": g["disposal"],
    }


def build(specs: list[tuple[tuple[str, int], dict]]) -> tuple[list[dict[str, str]], dict[int, str]]:
    rows: list[dict[str, str]] = []
    expected: dict[int, str] = {}
    good_keys: list[str] = []
    for i, ((kind, pick), g) in enumerate(specs, start=1):
        row = render(i, g)
        if kind in DEFECTS:
            column, values, reason = DEFECTS[kind]
            row[column] = values[pick % len(values)]
            expected[i] = reason
        elif kind == "out_of_order":
            row["departed_at"] = (datetime.strptime(row["arrival_at"], FMT) - timedelta(minutes=1)).strftime(
                FMT
            )
            expected[i] = "events_out_of_order"
        elif kind == "duplicate" and good_keys:
            row["attendance_id"] = good_keys[pick % len(good_keys)]
            expected[i] = "duplicate_key"
        else:
            good_keys.append(row["attendance_id"])
        rows.append(row)
    return rows, expected


def check_loaded_row(r: dict) -> None:
    """Every contract rule, restated in Python."""
    assert r["attendance_id"] and r["attendance_id"].strip() == r["attendance_id"]
    assert re.fullmatch(ORG_CODE_PATTERN.strip("^$"), r["org_code"])
    assert re.fullmatch(SITE_CODE_PATTERN.strip("^$"), r["site_code"])
    assert r["department_type"] in (1, 2, 3)
    assert r["arrival_mode"] in ("ambulance", "walk_in", "police", "other")
    assert r["acuity"] is None or 1 <= r["acuity"] <= 5
    assert 0 <= r["age"] <= 120
    assert r["arrival_at"] is not None
    for rule in ED_ATTENDANCES.order_rules:
        if r[rule.earlier] is not None and r[rule.later] is not None:
            assert r[rule.later] >= r[rule.earlier]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.tuples(row_kind, good_row), min_size=1, max_size=40), st.sampled_from(["csv", "parquet"]))
def test_random_mix_of_good_and_bad_rows(tmp_path_factory, specs, fmt: str) -> None:
    rows, expected = build(specs)
    folder: Path = tmp_path_factory.mktemp("prop")
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        (folder / "ed_attendances.csv").write_text(buffer.getvalue())
    else:
        table = pa.table({c: pa.array([r[c] for r in rows], pa.string()) for c in COLUMNS})
        pq.write_table(table, folder / "ed_attendances.parquet")

    con = duckdb.connect()
    item = load(folder, con)["ed_attendances"]
    assert item.read == len(rows)
    assert item.read == item.loaded + item.quarantined
    assert item.quarantined == len(expected)
    got = dict(con.execute("SELECT row_number, reason FROM quarantine").fetchall())
    # The quarantine table keeps one row per refused record and reason (the first in the file).
    first_of_each: dict[tuple, int] = {}
    for i, reason in sorted(expected.items()):
        first_of_each.setdefault((reason, tuple(rows[i - 1].values())), i)
    assert got == {i: reason for (reason, _), i in first_of_each.items()}
    loaded = con.execute("SELECT * FROM ed_attendances").fetchall()
    names = [d[0] for d in con.description]
    assert len(loaded) == item.loaded
    keys = [r[0] for r in loaded]
    assert len(keys) == len(set(keys))
    for values in loaded:
        check_loaded_row(dict(zip(names, values)))
    con.close()
