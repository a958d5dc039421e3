"""Every synthetic file satisfies its data contract (checked with pandas, independently of ingest)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from synth_contract_check import violations

from wardwatch.contracts.schema import CONTRACTS

EXPECTED_FILES = {
    "ed_attendances.parquet",
    "sepsis_episodes.parquet",
    "imaging_requests.parquet",
    "staff_training.parquet",
    "irmer_entitlements.parquet",
    "staffing.parquet",
    "admissions.parquet",
    "organisations.csv",
}


def test_one_file_per_contract_plus_organisations(small_world):
    assert {p.name for p in small_world.values()} == EXPECTED_FILES
    assert all(p.exists() and p.stat().st_size > 0 for p in small_world.values())


@pytest.mark.parametrize("name", list(CONTRACTS))
def test_file_satisfies_contract(frames, name):
    frame = frames[name]
    assert len(frame) > 0
    assert violations(frame, CONTRACTS[name]) == []


@pytest.mark.parametrize("name", list(CONTRACTS))
def test_parquet_types_follow_contract(small_world, name):
    schema = pq.read_schema(small_world[name])
    expected = {
        "string": pa.string(),
        "int": pa.int64(),
        "float": pa.float64(),
        "bool": pa.bool_(),
        "date": pa.date32(),
    }
    assert schema.names == list(CONTRACTS[name].column_names)
    for col in CONTRACTS[name].columns:
        field = schema.field(col.name)
        if col.dtype == "timestamp":
            assert pa.types.is_timestamp(field.type) and field.type.tz is None, col.name
        else:
            assert field.type == expected[col.dtype], col.name


def test_checker_catches_broken_rows(frames):
    """The independent checker is not vacuous: each kind of break is reported."""
    ed = frames["ed_attendances"].head(50).copy()
    contract = CONTRACTS["ed_attendances"]
    broken = ed.copy()
    broken.loc[broken.index[0], "arrival_mode"] = "helicopter"
    broken.loc[broken.index[1], "age"] = 130
    broken.loc[broken.index[2], "org_code"] = "zfv!"
    broken.loc[broken.index[3], "departed_at"] = broken.loc[broken.index[3], "arrival_at"] - pd.Timedelta(
        "1min"
    )
    broken.loc[broken.index[4], "attendance_id"] = broken.loc[broken.index[5], "attendance_id"]
    found = " | ".join(violations(broken, contract))
    for fragment in (
        "arrival_mode",
        "age: 1 above",
        "org_code",
        "departed_at before arrival_at",
        "duplicate",
    ):
        assert fragment in found


def test_organisations_file(small_world):
    orgs = pd.read_csv(small_world["organisations"])
    assert list(orgs.columns[:6]) == [
        "org_code",
        "org_name",
        "site_code",
        "site_name",
        "site_type",
        "ed_department_type",
    ]
    assert sorted(orgs.org_code.unique()) == ["ZFV"] + [f"ZP{i:02d}" for i in range(1, 15)]
    focal = orgs[orgs.is_focal]
    assert set(focal.org_code) == {"ZFV"} and list(focal.site_code) == ["ZFV01", "ZFV02"]
    assert orgs.site_code.is_unique
    assert orgs.site_code.str.fullmatch(r"[A-Z0-9]{3,9}").all()


def test_codes_used_by_data_are_listed_in_organisations(small_world, frames):
    orgs = pd.read_csv(small_world["organisations"])
    for name in ("ed_attendances", "sepsis_episodes", "imaging_requests", "admissions"):
        frame = frames[name]
        pairs = set(map(tuple, frame[["org_code", "site_code"]].dropna().drop_duplicates().values))
        assert pairs <= set(map(tuple, orgs[["org_code", "site_code"]].values)), name


def test_everything_inside_the_window(frames):
    start, end = pd.Timestamp("2017-04-01"), pd.Timestamp("2020-04-01")
    ts_columns = {
        "ed_attendances": [
            "arrival_at",
            "initial_assessment_at",
            "clinician_seen_at",
            "decision_to_admit_at",
            "departed_at",
        ],
        "sepsis_episodes": ["trigger_at", "screened_at", "antibiotics_at"],
        "imaging_requests": ["requested_at", "performed_at", "reported_at", "cancelled_at"],
        "admissions": ["admitted_at", "discharged_at"],
    }
    for name, cols in ts_columns.items():
        for col in cols:
            values = frames[name][col].dropna()
            assert values.min() >= start and values.max() < end, (name, col)
    months = frames["staffing"].month
    assert months.min() == dt.date(2017, 4, 1) and months.max() == dt.date(2020, 3, 1)
    assert all(m.day == 1 for m in months)


def test_csv_format_is_iso_text_and_valid(tmp_path):
    from wardwatch.synth import synthesise

    paths = synthesise(
        tmp_path,
        seed=3,
        scale="small",
        ed_rows=3000,
        fmt="csv",
        datasets=["ed_attendances", "irmer_entitlements", "sepsis_episodes", "admissions"],
    )
    assert paths["ed_attendances"].name == "ed_attendances.csv"
    text = paths["ed_attendances"].read_text().splitlines()
    header = text[0].replace('"', "").split(",")
    assert header == list(CONTRACTS["ed_attendances"].column_names)
    assert len(text) == 3001
    first = text[1].split(",")
    assert pd.Timestamp(first[4]).isoformat(sep=" ") == first[4]  # "YYYY-MM-DD HH:MM:SS"
    for name in ("ed_attendances", "irmer_entitlements", "sepsis_episodes", "admissions"):
        contract = CONTRACTS[name]
        raw = pd.read_csv(paths[name], dtype=str, keep_default_na=False, na_values=[""])
        typed = {}
        for col in contract.columns:
            s = raw[col.name]
            if col.dtype == "timestamp":
                typed[col.name] = pd.to_datetime(s, format="%Y-%m-%d %H:%M:%S")
            elif col.dtype == "date":
                typed[col.name] = pd.to_datetime(s, format="%Y-%m-%d").dt.date.where(s.notna(), None)
            elif col.dtype == "int":
                typed[col.name] = pd.to_numeric(s).astype("Int64")
            elif col.dtype == "bool":
                assert set(s.dropna()) <= {"true", "false"}
                typed[col.name] = s == "true"
            else:
                typed[col.name] = s
        assert violations(pd.DataFrame(typed), contract) == [], name


def test_activity_happens_only_where_the_site_can_host_it(small_world, frames):
    orgs = pd.read_csv(small_world["organisations"], dtype={"ed_department_type": "Int64"})
    ed_sites = orgs.dropna(subset=["ed_department_type"]).set_index("site_code").ed_department_type
    ed = frames["ed_attendances"]
    assert set(ed.site_code) == set(ed_sites.index)
    assert (ed.department_type.to_numpy() == ed_sites.loc[ed.site_code].to_numpy()).all()
    assert set(ed[ed.org_code == "ZFV"].site_code) == {"ZFV01", "ZFV02"}
    assert (ed[ed.site_code == "ZFV01"].department_type == 1).all()
    # no inpatients at a diagnostic centre without beds
    for name in ("sepsis_episodes", "admissions"):
        assert "ZP1302" not in set(frames[name].site_code.dropna()), name


def test_no_local_time_in_the_hour_the_clocks_skip(frames):
    # A real clock never shows 01:00-01:59 on the last Sunday of March (Europe/London); the loader
    # refuses such times (nonexistent_local_time). Checked with pandas' own zone rules.
    checked = 0
    for name, frame in frames.items():
        for col in frame.columns:
            if not pd.api.types.is_datetime64_dtype(frame[col]):
                continue
            values = frame[col].dropna()
            zoned = values.dt.tz_localize("Europe/London", ambiguous="NaT", nonexistent="NaT")
            ambiguous_or_gap = zoned.isna()
            # the repeated autumn hour is allowed: only the spring hour is a fault
            gap = ambiguous_or_gap & (values.dt.month == 3)
            assert not gap.any(), (name, col, values[gap].head().tolist())
            checked += len(values)
    assert checked > 10_000
