"""What the dashboard and the API show, read from the stored result tables (nothing recomputed).

The edition decides what a reader sees: ``public`` (viewers) has small numbers suppressed as the
refresh stored them (a suppressed period keeps its row but loses its numbers here), ``clinical``
(analysts and above) shows everything.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import duckdb
import pandas as pd

from wardwatch.disclosure import SmallNumberRule
from wardwatch.indicator_meta import as_meta
from wardwatch.report.sections import trust_name
from wardwatch.results import read
from wardwatch.results.actions import read_plan
from wardwatch.results.ratings import read_history
from wardwatch.results.store import read_table
from wardwatch.warehouse import table_exists
from wardwatch.web.cache import cached
from wardwatch.web.store import Account


def edition(user: Account) -> str:
    """The edition a signed-in account sees: ``clinical`` from analyst up, else ``public``."""
    return "clinical" if user.at_least("analyst") else "public"


class NotFound(LookupError):
    """An organisation, indicator or series the warehouse has no results for (HTTP 404)."""


def clean(value: Any) -> Any:
    """A JSON-ready scalar: NaN/NaT become None, dates ISO text, NumPy numbers Python numbers."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return clean(value.item())
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def records(frame: pd.DataFrame) -> list[dict]:
    return [{k: clean(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


@cached
def org_codes(raw: duckdb.DuckDBPyConnection) -> list[str]:
    codes = set(read.organisations(raw)) if table_exists(raw, "result_spc_series") else set()
    codes |= set(read_table(raw, "result_ratings")["org_code"].dropna())
    return sorted(codes)


def orgs(raw: duckdb.DuckDBPyConnection) -> list[dict]:
    return [{"org_code": code, "org_name": org_name(raw, code)} for code in org_codes(raw)]


@cached
def org_name(raw: duckdb.DuckDBPyConnection, org: str) -> str:
    name = trust_name(raw, org)
    if name == org:
        history = read_history(raw, org)
        if history is not None and history.name and history.name != "nan":
            return history.name
    return name


def require_org(raw: duckdb.DuckDBPyConnection, org: str) -> None:
    if org not in org_codes(raw):
        raise NotFound(f"organisation {org!r}: no results for it in this warehouse (GET /api/v1/orgs lists them)")


@cached
def indicator_ids(raw: duckdb.DuckDBPyConnection) -> list[str]:
    ids: set[str] = set()
    for table in ("result_spc_series", "result_funnel_units"):
        if table_exists(raw, table):
            ids |= {r[0] for r in raw.execute(f"SELECT DISTINCT indicator_id FROM {table} "
                                              "WHERE indicator_id IS NOT NULL").fetchall()}
    return sorted(ids)


def require_indicator(raw: duckdb.DuckDBPyConnection, indicator: str) -> None:
    if indicator not in indicator_ids(raw):
        raise NotFound(f"indicator {indicator!r}: no results for it in this warehouse "
                       "(GET /api/v1/indicators lists them)")


@cached
def indicators(raw: duckdb.DuckDBPyConnection, registry: Mapping[str, Any]) -> list[dict]:
    out = []
    for ind in indicator_ids(raw):
        meta = as_meta(ind, registry.get(ind))
        out.append({"indicator_id": ind, "title": meta.title, "key_questions": list(meta.key_questions),
                    "unit": meta.unit, "improvement": meta.improvement, "target": meta.target})
    return out


def _catalogue_entry(raw: duckdb.DuckDBPyConnection, org: str, indicator: str, grain: str, site: str | None,
                     edition: str) -> pd.Series:
    require_org(raw, org)
    require_indicator(raw, indicator)
    cat = read.series_catalogue(raw, org, edition)
    rows = cat[(cat["indicator_id"] == indicator) & (cat["grain"] == grain)]
    rows = rows[rows["site_code"].fillna("") == (site or "")]  # "" is the whole trust
    if rows.empty:
        where = "the whole trust" if site is None else f"site {site}"
        raise NotFound(f"no {grain}ly SPC series of {indicator!r} for {org} ({where})")
    return rows.iloc[0]


@cached
def spc(raw: duckdb.DuckDBPyConnection, org: str, indicator: str, grain: str, site: str | None,
        edition: str) -> dict:
    """Points (x, y, n, centre, lpl, upl, special_cause, point_type, status) and summary of one series."""
    entry = _catalogue_entry(raw, org, indicator, grain, site, edition)
    stored = read.series(raw, entry)
    shown = stored.rows[stored.rows["status"].isin(["charted", "suppressed"])]
    points = shown.rename(columns=read.POINT_RENAMES)[
        ["x", "y", "n", "numerator", "denominator", "centre", "lpl", "upl", "special_cause", "point_type", "status"]
    ].copy()
    hidden = points["status"] == "suppressed"
    for column in ("y", "n", "numerator", "denominator"):
        points[column] = points[column].astype(object).where(~hidden, None)
    summary = stored.spc.summary if stored.spc is not None else pd.DataFrame()
    series = {k: clean(entry[k]) or None if k == "site_code" else clean(entry[k]) for k in ("indicator_id", "org_code", "site_code", "grain", "edition", "chart",
                                          "improvement", "target", "unit", "data_until", "variation", "assurance",
                                          "note")}
    return {"series": series, "points": records(points), "summary": records(summary)}


@cached
def spc_result(raw: duckdb.DuckDBPyConnection, org: str, indicator: str, grain: str, site: str | None,
               edition: str):
    """The stored SPCResult (for the chart) or None when nothing is charted."""
    return read.series(raw, _catalogue_entry(raw, org, indicator, grain, site, edition)).spc


@cached
def funnel(raw: duckdb.DuckDBPyConnection, indicator: str, period: str | None, edition: str,
           grain: str = "month") -> dict:
    """One grain's funnel (a month and the financial year starting that month are two funnels)."""
    require_indicator(raw, indicator)
    units = read_table(raw, "result_funnel_units", "indicator_id = ? AND grain = ?", [indicator, grain])
    if units.empty:
        raise NotFound(f"indicator {indicator!r}: no {grain}ly funnel stored for it")
    periods = sorted({clean(p) for p in units["period_start"]} - {None})
    if period is None:
        chosen = periods[-1] if periods else None
    elif period in periods:
        chosen = period
    else:
        raise NotFound(f"period {period!r}: no funnel of {indicator!r} for it; stored periods: "
                       f"{', '.join(periods[-6:]) or 'none'}")
    keep = units["period_start"].map(clean) == chosen
    units = units[keep].drop(columns=["unit_key", "run_id"]).sort_values("org_code")
    if edition == "public":
        rule = SmallNumberRule()
        small = units["numerator"].map(rule.hides)
        for column in ("numerator", "denominator", "value"):
            units[column] = units[column].astype(object).where(~small, None)
    return {"indicator_id": indicator, "grain": grain, "period": chosen, "periods": periods,
            "units": records(units)}


@cached
def alerts(raw: duckdb.DuckDBPyConnection, org: str, edition: str) -> list[dict]:
    """Special-cause concerns of the latest points of the org's series, and mortality CUSUM alerts."""
    require_org(raw, org)
    out = []
    cat = read.series_catalogue(raw, org, edition)
    for row in cat.itertuples():
        variation = str(row.variation or "")
        if "concern" in variation:
            out.append({"kind": "spc", "indicator_id": row.indicator_id, "site_code": clean(row.site_code) or None,
                        "grain": row.grain, "detail": variation, "date": clean(row.data_until)})
    mortality = read_table(raw, "result_mortality_alerts", "org_code = ?", [org])
    for row in mortality.itertuples():
        out.append({"kind": "mortality_cusum", "indicator_id": row.diagnosis_group, "site_code": None,
                    "grain": None, "detail": f"{row.direction} CUSUM signal", "date": clean(row.date_signalled)})
    return out


@cached
def ratings(raw: duckdb.DuckDBPyConnection, org: str) -> list[dict]:
    require_org(raw, org)
    history = read_history(raw, org)
    if history is None:
        return []
    cells = history.cells.drop(columns=["unit_key", "run_id"]).sort_values(
        ["publication_date", "level", "location", "service", "key_question"], na_position="first")
    return records(cells)


@cached
def actions(raw: duckdb.DuckDBPyConnection, org: str) -> list[dict]:
    stored = read_plan(raw, org)
    if stored is None:
        return []
    plan, effects = stored
    rows = [{"action_id": a.id, "title": a.title, "status": str(getattr(a.status, "value", a.status))}
            for a in plan.actions]
    verdicts: dict[str, list[str]] = {}
    for r in effects.itertuples():  # one row per linked indicator
        verdicts.setdefault(r.action_id, []).append(f"{r.indicator_id}: {r.verdict}")
    for row in rows:
        row["verdict"] = "; ".join(verdicts.get(row["action_id"], [])) or None
    return rows
