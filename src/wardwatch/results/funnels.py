"""Funnel plots of every proportion indicator, one per (indicator, grain, period), across the
organisations in the warehouse (docs/methods.md 3: Spiegelhalter limits, additive
over-dispersion with 10% winsorising, as CQC's outlier programme uses).

Only whole-trust figures of complete periods enter (a period ending after an organisation's
cut-off is left out for that organisation), and only where at least three organisations have a
denominator: fewer cannot estimate the spread.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import numpy as np
import pandas as pd

from wardwatch.indicator_meta import IndicatorMeta
from wardwatch.results.spc_series import TRUST_SITE, _period_end
from wardwatch.stats.funnel import FunnelResult, funnel

METHOD_VERSION = "funnel-1"
GRAINS = ("month", "year")
MIN_ORGS = 3
FUNNEL_OPTIONS = {"type": "PR", "method": "spiegelhalter", "od": "additive", "trim": 0.1}
KEY = ("indicator_id", "grain", "period_start")
UNIT_COLUMNS = ("numerator", "denominator", "value", "target", "ll95", "ul95", "ll998", "ul998", "z", "outlier",
                "band", "phi", "tau2", "od_adjusted")
LIMIT_COLUMNS = ("denominator", "ll95", "ul95", "ll998", "ul998")


def funnel_rows(series: pd.DataFrame, metas: Mapping[str, IndicatorMeta]) -> pd.DataFrame:
    """The rows funnels are drawn from: whole-trust, complete periods, proportions, month and year."""
    proportions = [i for i, m in metas.items() if m.unit == "proportion"]
    rows = series[(series["site_code"] == TRUST_SITE) & series["grain"].isin(GRAINS)
                  & series["indicator_id"].isin(proportions) & (series["denominator"] > 0)
                  & series["numerator"].notna()]
    ends = pd.Series(pd.NaT, index=rows.index, dtype="datetime64[us]")
    for grain, part in rows.groupby("grain"):
        ends.loc[part.index] = _period_end(part["period_start"], grain)
    complete = rows["data_until"].isna() | (ends <= rows["data_until"])
    rows = pd.concat([rows[complete], financial_years(rows[complete])], ignore_index=True)
    enough = rows.groupby(list(KEY))["org_code"].transform("size") >= MIN_ORGS
    return rows[enough].sort_values([*KEY, "org_code"], kind="stable").reset_index(drop=True)


def financial_years(rows: pd.DataFrame) -> pd.DataFrame:
    """Year rows (April to March, as NHS data are reported) built from monthly rows, for indicators
    with no year rows of their own: an organisation enters a year only with all 12 months."""
    monthly = rows[rows["grain"] == "month"]
    has_year = set(rows.loc[rows["grain"] == "year", "indicator_id"])
    monthly = monthly[~monthly["indicator_id"].isin(has_year)]
    if monthly.empty:
        return monthly
    start = monthly["period_start"]
    fin_year = start.dt.year - (start.dt.month < 4).astype(int)
    grouped = monthly.assign(fin_year=fin_year).groupby(["indicator_id", "org_code", "fin_year"], sort=True)
    years = grouped.agg(numerator=("numerator", "sum"), denominator=("denominator", "sum"),
                        months=("period_start", "nunique"), source=("source", "first")).reset_index()
    years = years[years["months"] == 12]
    return pd.DataFrame({
        "indicator_id": years["indicator_id"], "org_code": years["org_code"], "site_code": TRUST_SITE,
        "grain": "year", "period_start": pd.to_datetime(years["fin_year"].astype(str) + "-04-01").astype(
            "datetime64[us]"),
        "numerator": years["numerator"], "denominator": years["denominator"],
        "value": years["numerator"] / years["denominator"], "source": years["source"],
    })


def unit_keys(frame: pd.DataFrame) -> pd.Series:
    return frame["indicator_id"] + "|" + frame["grain"] + "|" + frame["period_start"].dt.strftime("%Y-%m-%d")


def fingerprints(rows: pd.DataFrame) -> dict[str, str]:
    if rows.empty:
        return {}
    row_hash = pd.util.hash_pandas_object(rows[["org_code", "numerator", "denominator"]], index=False).to_numpy()
    keys = unit_keys(rows)
    starts = np.flatnonzero(~keys.duplicated().to_numpy())
    folded = np.bitwise_xor.reduceat(row_hash, starts)
    counts = np.diff(np.append(starts, len(rows)))
    return {k: hashlib.sha256(f"{METHOD_VERSION}|{n}|{h}".encode()).hexdigest()
            for k, n, h in zip(keys.iloc[starts], counts, folded, strict=True)}


def compute(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(units, limits) for every funnel in ``rows``."""
    units, limits = [], []
    for key, group in rows.groupby(list(KEY), sort=True):
        result = funnel(group, "org_code", "numerator", "denominator", **FUNNEL_OPTIONS)
        head = dict(zip(KEY, key, strict=True))
        units.append(result.units.rename(columns={"group": "org_code"})[["org_code", *UNIT_COLUMNS]].assign(
            **head, funnel_type=result.type, method=result.method))
        limits.append(result.limits[list(LIMIT_COLUMNS)].assign(**head))
    if not units:
        return pd.DataFrame(columns=[*KEY, "org_code", *UNIT_COLUMNS]), pd.DataFrame(columns=[*KEY, *LIMIT_COLUMNS])
    return pd.concat(units, ignore_index=True), pd.concat(limits, ignore_index=True)


def as_result(units: pd.DataFrame, limits: pd.DataFrame) -> FunnelResult:
    """A stored funnel as the statistics module's result object, for drawing."""
    first = units.iloc[0]
    return FunnelResult(
        units=units.rename(columns={"org_code": "group"}).reset_index(drop=True),
        limits=limits.sort_values("denominator").reset_index(drop=True),
        type=str(first["funnel_type"]), method=str(first["method"]), od=FUNNEL_OPTIONS["od"],
        trim=FUNNEL_OPTIONS["trim"], style="spiegelhalter", target=float(first["target"]),
        phi=float(first["phi"]), tau2=float(first["tau2"]), n_used=len(units),
        od_adjusted=bool(first["od_adjusted"]),
    )
