"""Fixtures for the mortality tests: small admissions tables generated here, stored in DuckDB."""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd
import pytest

ORGS = ["AAA", "BBB", "CCC", "DDD", "EEE", "FFF", "GGG", "HIGH"]
GROUPS = {"sepsis": -1.6, "pneumonia": -2.0, "stroke": -2.3}


def make_admissions(seed: int = 1, per_org_group: int = 700, high_or: float = 2.2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for org in ORGS:
        for group, b0 in GROUPS.items():
            n = per_org_group
            age = rng.integers(20, 99, n)
            charlson = rng.poisson(1.5, n)
            sex = rng.choice(["M", "F"], n)
            method = rng.choice(["emergency", "elective"], n, p=[0.85, 0.15])
            admitted = pd.Timestamp("2017-04-01") + pd.to_timedelta(rng.integers(0, 3 * 365 * 24, n), unit="h")
            eta = b0 + 0.035 * (age - 70) + 0.25 * np.minimum(charlson, 5) - 0.8 * (method == "elective")
            if org == "HIGH":
                eta = eta + math.log(high_or)
            p = 1 / (1 + np.exp(-eta))
            died = rng.random(n) < p
            in_hosp = died & (rng.random(n) < 0.75)
            rows.append(pd.DataFrame({
                "org_code": org, "site_code": None, "admitted_at": admitted,
                "discharged_at": admitted + pd.Timedelta(days=5), "age": age, "sex": sex,
                "admission_method": method, "diagnosis_group": group, "charlson_index": charlson,
                "died_in_hospital": in_hosp, "died_within_30d_of_discharge": died,
            }))
    frame = pd.concat(rows, ignore_index=True)
    frame.insert(0, "spell_id", [f"S{i:06d}" for i in range(len(frame))])
    return frame


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    path = tmp_path_factory.mktemp("wh") / "wh.duckdb"
    data = make_admissions()
    with duckdb.connect(str(path)) as con:
        con.register("frame", data)
        con.execute("create table admissions as select * from frame")
    return path, data


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("wh") / "wh.duckdb"
    data = make_admissions(seed=2, per_org_group=300)
    with duckdb.connect(str(path)) as con:
        con.register("frame", data)
        con.execute("create table admissions as select * from frame")
    return path


