"""Completed episodes come out in the warehouse contract tables' columns."""

from __future__ import annotations

import pandas as pd
import pytest

from wardwatch.contracts import CONTRACTS
from wardwatch.live import messages as m
from wardwatch.live.completed import completed_rows


@pytest.fixture
def filled(store):
    store.ingest_hl7([
        m.adt("A04", "A1", "2024-03-01 08:00", "1", "V1", "E", "ED", "ZFV01", birth_date="19600315",
              acuity=3, arrival_mode="walk_in"),
        m.adt("A01", "A2", "2024-03-01 12:30", "1", "V1", "I", "WARD1", "ZFV01"),
        m.adt("A04", "A3", "2024-03-01 09:00", "2", "V2", "E", "ED", "ZFV01"),  # still in the ED
        m.orm("NW", "B1", "2024-03-01 07:00", "3", "R1", modality="MR", priority="soon", site="ZFV01"),
        m.orm("SC", "B2", "2024-03-01 10:00", "3", "R1", status="CM", performed_at="2024-03-01 10:00"),
        m.orm("NW", "B3", "2024-03-01 07:30", "4", "R2", modality="XR"),  # still waiting
        m.oru_observation("C1", "2024-03-01 08:30", "1", "V1", "NEWS2", "8", "E", "ED", "ZFV01"),
        m.ras("C2", "2024-03-01 09:05", "1", "V1", patient_class="E", location="ED"),
        m.oru_observation("C3", "2024-03-01 08:30", "5", "V5", "NEWS2", "5", "I", "AMU", "ZFV01"),  # open
    ])
    return store


@pytest.mark.parametrize("table", ["imaging_requests", "ed_attendances", "sepsis_episodes"])
def test_columns_are_the_contract_columns(filled, table):
    frame = completed_rows(filled.con, table)
    assert list(frame.columns) == list(CONTRACTS[table].column_names)
    assert len(frame) == 1  # only the completed episode; the open one stays on the watchlist


def test_completed_values(filled):
    ed = completed_rows(filled.con, "ed_attendances").iloc[0]
    assert ed["attendance_id"] == "V1" and ed["org_code"] == "ZFV" and ed["site_code"] == "ZFV01"
    assert ed["arrival_at"] == pd.Timestamp("2024-03-01 08:00") and ed["departed_at"] == pd.Timestamp("2024-03-01 12:30")
    assert ed["disposal"] == "admitted" and ed["age"] == 63 and ed["acuity"] == 3
    assert ed["arrival_mode"] == "walk_in" and ed["department_type"] == 1
    img = completed_rows(filled.con, "imaging_requests").iloc[0]
    assert (img["request_id"], img["modality"], img["priority"], img["patient_type"]) == ("R1", "MR", "soon", "inpatient")
    assert img["performed_at"] == pd.Timestamp("2024-03-01 10:00") and pd.isna(img["reported_at"])
    sep = completed_rows(filled.con, "sepsis_episodes").iloc[0]
    assert (sep["episode_id"], sep["location"], sep["news2"]) == ("V1-S1", "emergency_department", 8)
    assert sep["antibiotics_at"] == pd.Timestamp("2024-03-01 09:05") and pd.isna(sep["died_within_30d"])


def test_codes_respect_the_contract(filled):
    for table in ("imaging_requests", "ed_attendances", "sepsis_episodes"):
        frame = completed_rows(filled.con, table)
        for column in CONTRACTS[table].columns:
            if column.codes:
                values = set(frame[column.name].dropna().astype(str))
                assert values <= set(column.codes), (table, column.name, values)
