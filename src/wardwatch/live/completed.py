"""Completed episodes as rows in the warehouse contract tables' columns.

An item leaves the live lists when it completes: an imaging request performed (or cancelled),
an ED attendance departed, a sepsis episode given antibiotics (or closed by discharge). These
rows have the columns of ``imaging_requests``, ``ed_attendances`` and ``sepsis_episodes``
(src/wardwatch/contracts/schema.py); `wardwatch live-sync` (wardwatch.live.export) loads them into
the warehouse through the ordinary loader.
Columns the live feeds do not carry are left empty (NA); ``sepsis_episodes.died_within_30d``
needs linkage to deaths after 30 days and is always NA here.
"""

from __future__ import annotations

import sqlite3

import pandas as pd

from wardwatch.contracts import CONTRACTS

_QUERIES = {
    "imaging_requests": """
        SELECT request_id, org_code, site_code, modality, patient_type, priority, requested_at,
               performed_at, reported_at, cancelled_at
        FROM imaging
        WHERE requested_at IS NOT NULL AND (performed_at IS NOT NULL OR cancelled_at IS NOT NULL)
        ORDER BY requested_at, request_id""",
    "ed_attendances": """
        SELECT visit_id AS attendance_id, org_code, site_code, 1 AS department_type,
               ed_arrival_at AS arrival_at, NULL AS initial_assessment_at, NULL AS clinician_seen_at,
               CASE WHEN disposal = 'admitted' THEN ed_departed_at END AS decision_to_admit_at,
               ed_departed_at AS departed_at, arrival_mode, acuity, age, disposal
        FROM encounters
        WHERE ed_arrival_at IS NOT NULL AND ed_departed_at IS NOT NULL
        ORDER BY ed_arrival_at, visit_id""",
    "sepsis_episodes": """
        SELECT episode_id, org_code, site_code, location, trigger_at, news2, screened_at, antibiotics_at,
               age, NULL AS died_within_30d
        FROM sepsis
        WHERE antibiotics_at IS NOT NULL OR closed_at IS NOT NULL
        ORDER BY trigger_at, episode_id""",
}

_ARRIVAL_MODES = {"ambulance", "walk_in", "police", "other"}


def completed_rows(con: sqlite3.Connection, table: str) -> pd.DataFrame:
    """Completed episodes of ``table`` (a contract name) with exactly that contract's columns."""
    if table not in _QUERIES:
        raise ValueError(f"no live source for {table!r}; choose one of {sorted(_QUERIES)}")
    contract = CONTRACTS[table]
    frame = pd.read_sql_query(_QUERIES[table], con)
    for column in contract.columns:
        if column.dtype == "timestamp":
            frame[column.name] = pd.to_datetime(frame[column.name], format="%Y-%m-%d %H:%M:%S")
        elif column.dtype == "int":
            frame[column.name] = frame[column.name].astype("Int64")
        elif column.dtype == "bool":
            frame[column.name] = frame[column.name].astype("boolean")
        else:
            frame[column.name] = frame[column.name].astype("string")
    if table == "ed_attendances":
        mode = frame["arrival_mode"]
        frame["arrival_mode"] = mode.where(mode.isna() | mode.isin(_ARRIVAL_MODES), "other")
    return frame[list(contract.column_names)]
