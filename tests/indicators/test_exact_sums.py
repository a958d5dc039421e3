"""Measures are reproducible to the bit: sums of fractional values (staffing WTE) do not depend on
the order the engine adds rows in (issue: two `measures` runs differed in the last digits)."""

from __future__ import annotations

from decimal import Decimal

import ibis
import numpy as np
import pandas as pd

from tests.indicators.warehouse_helpers import build_warehouse, typed_frame
from wardwatch.indicators.engine import compute_measures

GROUPS = ("radiography", "nursing", "medical", "admin")


def _staffing(rng: np.random.Generator, n_orgs: int = 40) -> list[dict]:
    rows = []
    for o in range(n_orgs):
        for g in GROUPS:
            for m in range(1, 13):
                # values like 12.37 and 0.1 are not exact in binary: float sums of many of them
                # round differently in different orders
                est = round(float(rng.uniform(1, 500)), 2)
                rows.append({"org_code": f"Z{o:02d}", "staff_group": g, "month": f"2019-{m:02d}-01",
                             "establishment_wte": est, "in_post_wte": round(est * float(rng.uniform(0.7, 1.0)), 2)})
    return rows


def _measures(rows: list[dict]) -> pd.DataFrame:
    con = ibis.duckdb.connect()
    build_warehouse(con, {"staffing": typed_frame("staffing", rows)})
    frame = compute_measures(con, ["staffing_fill_rate"], grains=["month"])
    return frame.sort_values(["org_code", "unit_code", "period_start"], na_position="first").reset_index(drop=True)


def test_fill_rate_sums_are_exact_and_order_free():
    rng = np.random.default_rng(20261203)
    rows = _staffing(rng)
    first = _measures(rows)
    order = rng.permutation(len(rows))
    again = _measures([rows[i] for i in order])
    # byte-identical export whatever the row order
    assert first.to_csv(index=False) == again.to_csv(index=False)
    # and each trust-level numerator is the exact decimal sum of the 2-dp values, correctly rounded
    trust = first[first.unit_code.isna()]
    for org, month, num, den in trust[["org_code", "period_start", "numerator", "denominator"]].itertuples(index=False):
        mine = [r for r in rows if r["org_code"] == org and r["month"] == month.isoformat()]
        assert num == float(sum(Decimal(str(r["in_post_wte"])) for r in mine))
        assert den == float(sum(Decimal(str(r["establishment_wte"])) for r in mine))
