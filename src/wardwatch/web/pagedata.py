"""What the read-only pages of the dashboard show (funnel, mortality, ratings, data quality,
search, the filtered trust overview), read from the stored result tables: nothing recomputed.

Editions as in ``data``: ``public`` (viewers) has small numbers (1-7) hidden, ``clinical``
(analysts and above) everything. The one table read here that is not a result table is the
load's ``quarantine`` (the refused rows themselves), for the analysts' CSV download.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import pandas as pd

from wardwatch.disclosure import SmallNumberRule
from wardwatch.indicator_meta import IndicatorMeta, as_meta
from wardwatch.ratings.model import SERVICES
from wardwatch.results import read
from wardwatch.results.actions import TABLE as EFFECTS_TABLE
from wardwatch.results.funnels import as_result
from wardwatch.results.read import StoredMortality
from wardwatch.results.store import read_table
from wardwatch.vocabulary import KEY_QUESTION_LABELS
from wardwatch.warehouse import ORGANISATIONS_TABLE, QUARANTINE_TABLE, RUNS_TABLE, table_exists
from wardwatch.web.cache import cached
from wardwatch.web.data import NotFound, clean, org_codes, records, require_indicator, require_org, spc_result
from wardwatch.web.data import spc as stored_spc

GRAINS = ("month", "week")


# --- the indicator page's chart ------------------------------------------------------------------
@dataclass(frozen=True)
class DrawnChart:
    """The indicator page's SPC chart as drawn (SVG text), the tooltip of each of its markers and
    the action start lines drawn on it. Shared by every request while the warehouse is unchanged:
    read-only."""

    svg: str
    tips: tuple
    notes: tuple
    rebased_from: tuple = ()  # the first period of each segment after the first (ISO dates)


@cached
def drawn_chart(raw: duckdb.DuckDBPyConnection, org: str, indicator: str, grain: str, site: str | None,
                edition: str, registry: Mapping[str, Any]) -> DrawnChart:
    """The stored series drawn once (drawing the SVG was three quarters of the page's work); no
    chart when the series has no SPC (too few points, or not an SPC measure)."""
    from wardwatch.render.results import plot_spc

    stored = spc_result(raw, org, indicator, grain, site, edition)
    notes = tuple(annotations(raw, org, indicator))
    if stored is None:
        return DrawnChart("", (), notes)
    points = stored_spc(raw, org, indicator, grain, site, edition)["points"]
    svg = plot_spc(stored, title=as_meta(indicator, registry.get(indicator)).title, annotations=list(notes) or None)
    segment = stored.points["segment"].to_numpy()
    starts = stored.points["x"].to_numpy()[1:][segment[1:] != segment[:-1]]
    return DrawnChart(svg, tuple(point_tips(stored, points)), notes,
                      tuple(pd.Timestamp(x).date().isoformat() for x in starts))


def annotations(raw: duckdb.DuckDBPyConnection, org: str, indicator: str) -> list[tuple[Any, str]]:
    """(start, "A01 starts") for each action linked to ``indicator`` in the stored effects."""
    rows = read_table(raw, EFFECTS_TABLE, "org_code = ? AND indicator_id = ?", [org, indicator])
    seen = {}
    for row in rows.sort_values(["start", "action_id"]).itertuples():
        if pd.notna(row.start):
            seen.setdefault(row.action_id, (pd.Timestamp(row.start), f"{row.action_id} starts"))
    return list(seen.values())


def point_tips(stored: Any, points: list[dict]) -> list[dict | None]:
    """For each marker of the chart (its ``data-index``: the stored SPC point's position), what the
    tooltip says, read from the stored points."""
    from wardwatch.render.svg import format_value

    percent = stored.options.chart in ("p", "pp")  # as plot_spc labels them

    def shown(value: Any) -> str:
        if value is None:
            return "–"
        return f"{format_value(value, 'percent')} ({value:.4g})" if percent else f"{value:.4g}"

    by_x = {p["x"]: p for p in points}
    frame = stored.points.reset_index(drop=True)
    tips: list[dict | None] = []
    for i, row in frame.iterrows():
        x = clean(row["x"])
        point = by_x.get(x)
        if point is None:
            tips.append(None)
            continue
        tips.append({"i": int(i), "x": x, "y": point["y"], "numerator": point["numerator"],
                     "denominator": point["denominator"], "centre": point["centre"], "lpl": point["lpl"],
                     "upl": point["upl"], "point_type": point["point_type"] or "",
                     "segment": clean(row.get("segment")),
                     "text": {"y": "suppressed" if point["y"] is None else shown(point["y"]),
                              "centre": shown(point["centre"]), "lpl": shown(point["lpl"]),
                              "upl": shown(point["upl"])}})
    return tips


# --- the trust overview, filtered -----------------------------------------------------------
@cached
def series_catalogue(raw: duckdb.DuckDBPyConnection, org: str, edition: str) -> pd.DataFrame:
    """``results.read.series_catalogue``, kept while the warehouse is unchanged (read-only)."""
    return read.series_catalogue(raw, org, edition)


@dataclass(frozen=True)
class OverviewFilter:
    """The overview form: one site (None: the whole trust), one grain (None: monthly where there
    is one), one CQC service (None: all) and an "as at" month end (None: the latest)."""

    site: str | None = None
    grain: str | None = None
    service: str | None = None
    as_of: date | None = None


def service_label(code: str) -> str:
    if code in SERVICES:
        return SERVICES[code].label
    return "Trust-wide" if code == "TRUST_WIDE" else code


@cached
def overview_choices(raw: duckdb.DuckDBPyConnection, org: str, edition: str,
                     registry: Mapping[str, Any]) -> dict:
    """The sites, grains, CQC services and "as at" dates the organisation's stored series have
    (for the filter form; dates newest first)."""
    require_org(raw, org)
    cat = series_catalogue(raw, org, edition)
    sites = sorted({s for s in cat["site_code"].dropna() if s})
    grains = [g for g in GRAINS if g in set(cat["grain"])] + sorted(set(cat["grain"]) - set(GRAINS))
    codes = {as_meta(i, registry.get(i)).core_service for i in set(cat["indicator_id"])}
    services = sorted(((c, service_label(c)) for c in codes), key=lambda cl: (cl[0] == "TRUST_WIDE", cl[1]))
    # a warehouse last refreshed before the "as at" table existed offers the latest only
    dates = raw.execute("SELECT DISTINCT as_of FROM result_spc_as_of WHERE org_code = ? AND edition = ? "
                        "ORDER BY as_of DESC", [org, edition]).fetchall() \
        if table_exists(raw, "result_spc_as_of") else []
    return {"sites": sites, "grains": grains, "services": services, "as_of": [d for (d,) in dates]}


@cached
def overview(raw: duckdb.DuckDBPyConnection, org: str, edition: str, registry: Mapping[str, Any],
             chosen: OverviewFilter = OverviewFilter()) -> list[tuple[str, list[dict]]]:
    """The org's series for the filter, grouped by CQC key question, each with its variation and
    assurance: the latest (the last segment of result_spc_summary), or as they stood at the
    chosen month end (result_spc_as_of: the last stored date on or before it)."""
    require_org(raw, org)
    site = chosen.site
    cat = series_catalogue(raw, org, edition)
    cat = cat[cat["site_code"].fillna("") == (site or "")]
    if site and cat.empty:
        raise NotFound(f"site {site!r}: no stored series of {org} for it")
    if chosen.grain is not None:
        cat = cat[cat["grain"] == chosen.grain]
    metas: dict[str, IndicatorMeta] = {i: as_meta(i, registry.get(i)) for i in set(cat["indicator_id"])}
    if chosen.service is not None:
        stored = {m.core_service for m in metas.values()}
        if chosen.service not in stored:
            raise NotFound(f"service {chosen.service!r}: no stored series of {org} for it; stored: "
                           f"{', '.join(sorted(stored)) or 'none'}")
        cat = cat[cat["indicator_id"].map(lambda i: metas[i].core_service) == chosen.service]
    icons = _as_of_icons(raw, org, edition, site, chosen.as_of) if chosen.as_of else \
        _latest_icons(raw, org, edition, site)
    groups: dict[str, list[dict]] = {kq: [] for kq in KEY_QUESTION_LABELS}
    groups["other"] = []
    for ind, rows in cat.groupby("indicator_id"):
        meta = metas[ind]
        grain = chosen.grain or ("month" if "month" in set(rows["grain"]) else str(rows["grain"].iloc[0]))
        row = rows[rows["grain"] == grain].iloc[0]
        if chosen.as_of:
            variation, assurance, latest = icons.get((ind, grain), (None, None, None))
            note = "" if latest else f"No chart as at {chosen.as_of:%d %b %Y}: fewer than two periods by then, " \
                "or earlier than the stored dates."
            shown = {"latest_period": clean(latest), "note": note}
        else:
            variation, assurance = icons.get((ind, grain), (row["variation"], row["assurance"]))
            shown = {"note": clean(row["note"]), "data_until": clean(row["data_until"])}
        groups.setdefault(meta.primary_key_question, []).append({
            "indicator_id": ind, "title": meta.title, "grain": grain, "improvement": meta.improvement,
            "service": service_label(meta.core_service),
            "variation": clean(variation), "assurance": clean(assurance), **shown})
    labels = KEY_QUESTION_LABELS | {"other": "Other"}
    return [(labels.get(k, k), v) for k, v in groups.items() if v]


def _latest_icons(raw: duckdb.DuckDBPyConnection, org: str, edition: str, site: str | None) -> dict:
    summary = read_table(raw, "result_spc_summary", "org_code = ? AND edition = ? AND coalesce(site_code, '') = ?",
                         [org, edition, site or ""])
    latest = summary.sort_values("segment").groupby(["indicator_id", "grain"]).tail(1)
    return {(r.indicator_id, r.grain): (r.variation, r.assurance) for r in latest.itertuples()}


def _as_of_icons(raw: duckdb.DuckDBPyConnection, org: str, edition: str, site: str | None, as_of: date) -> dict:
    """(indicator, grain) -> (variation, assurance, latest period charted) at the last stored month
    end on or before ``as_of`` (a series' data after its newest stored date did not change it)."""
    if not table_exists(raw, "result_spc_as_of"):
        return {}
    rows = raw.execute(
        "SELECT indicator_id, grain, arg_max(variation, as_of), arg_max(assurance, as_of), "
        "arg_max(latest_period, as_of) FROM result_spc_as_of "
        "WHERE org_code = ? AND edition = ? AND coalesce(site_code, '') = ? AND as_of <= ? "
        "GROUP BY indicator_id, grain", [org, edition, site or "", as_of]).fetchall()
    return {(i, g): (v, a, p) for i, g, v, a, p in rows}


@cached
def funnel_indicators(raw: duckdb.DuckDBPyConnection) -> frozenset[str]:
    if not table_exists(raw, "result_funnel_units"):
        return frozenset()
    return frozenset(r[0] for r in raw.execute(
        "SELECT DISTINCT indicator_id FROM result_funnel_units WHERE period_start IS NOT NULL").fetchall())


# --- funnel ----------------------------------------------------------------------------------
def funnel(raw: duckdb.DuckDBPyConnection, indicator: str, grain: str | None, period: str | None,
           edition: str) -> dict:
    """One stored funnel: its organisations (small numerators hidden in the public edition), the
    limit curves, and the grains and periods there are. The newest period of the grain by default
    (monthly if there is one)."""
    require_indicator(raw, indicator)
    units = read_table(raw, "result_funnel_units", "indicator_id = ?", [indicator])
    units = units[units["period_start"].notna()]
    if units.empty:
        raise NotFound(f"indicator {indicator!r}: no funnel stored for it")
    grains = sorted(set(units["grain"]), key=lambda g: (g != "month", g))
    grain = grain or grains[0]
    if grain not in grains:
        raise NotFound(f"grain {grain!r}: no funnel of {indicator!r} at it; stored: {', '.join(grains)}")
    units = units[units["grain"] == grain]
    periods = sorted({clean(p) for p in units["period_start"]})
    chosen = period or periods[-1]
    if chosen not in periods:
        raise NotFound(f"period {period!r}: no {grain}ly funnel of {indicator!r} for it; stored periods: "
                       f"{', '.join(periods[-6:])}")
    units = units[units["period_start"].map(clean) == chosen].sort_values("org_code")
    limits = read_table(raw, "result_funnel_limits", "indicator_id = ? AND grain = ? AND period_start = ?",
                        [indicator, grain, chosen])
    hidden = pd.Series(False, index=units.index)
    if edition == "public":
        hidden = units["numerator"].map(SmallNumberRule().hides).astype(bool)
    shown = units[~hidden]
    result = as_result(shown, limits) if not shown.empty else None
    table = units.drop(columns=["unit_key", "run_id"]).copy()
    for column in ("numerator", "denominator", "value", "z"):
        table[column] = table[column].astype(object).where(~hidden, None)
    table["outlier"] = table["outlier"].astype(object).where(~hidden, None)
    table["suppressed"] = hidden
    return {"indicator_id": indicator, "grain": grain, "grains": grains, "period": chosen, "periods": periods,
            "units": records(table), "result": result, "hidden": int(hidden.sum()),
            "type": str(units["funnel_type"].iloc[0])}


# --- mortality ---------------------------------------------------------------------------------
def mortality(raw: duckdb.DuckDBPyConnection, org: str, edition: str) -> dict:
    """The org's SMRs (observed deaths 1-7 hidden from viewers), its CUSUM alerts, thresholds and,
    for the clinical edition only, the patient-by-patient CUSUM and VLAD paths."""
    require_org(raw, org)
    stored: StoredMortality | None = read.mortality_results(raw, patient_level=edition == "clinical")
    if stored is None:
        return {"smr": [], "alerts": [], "thresholds": [], "groups": [], "paths": None, "settings": {}}
    smr = stored.smr[stored.smr["org_code"] == org].sort_values(["diagnosis_group", "period"]).copy()
    if edition == "public":
        small = smr["observed"].map(SmallNumberRule().hides).astype(bool)
        for column in ("observed", "smr", "ci_low", "ci_high"):
            smr[column] = smr[column].astype(object).where(~small, None)
        smr["suppressed"] = small
    else:
        smr["suppressed"] = False
    alerts = stored.alerts[stored.alerts["org_code"] == org].sort_values("date_signalled").copy()
    if edition == "public":
        small = alerts["observed_since_reset"].map(SmallNumberRule().hides).astype(bool)
        alerts["observed_since_reset"] = alerts["observed_since_reset"].astype(object).where(~small, None)
    thresholds = stored.cusum.thresholds
    thresholds = thresholds[thresholds["org_code"] == org].sort_values("diagnosis_group")
    paths = stored.cusum.paths
    if not paths.empty:
        paths = paths[paths["org_code"] == org]
    groups = sorted(set(thresholds["diagnosis_group"]) | set(alerts["diagnosis_group"]))
    return {"smr": records(smr), "alerts": records(alerts), "thresholds": records(thresholds), "groups": groups,
            "paths": paths if edition == "clinical" else None, "cusum": stored.cusum,
            "settings": {k: clean(v) for k, v in stored.settings.items() if k in ("fit", "statement")}}


# --- ratings -------------------------------------------------------------------------------------
def ratings(raw: duckdb.DuckDBPyConnection, org: str) -> list[dict]:
    """Every stored inspection of the org, newest first, each with its cells (trust, location,
    service) carrying the rating, the rule that gave it and the rule's explanation."""
    require_org(raw, org)
    cells = read_table(raw, "result_ratings", "org_code = ?", [org])
    if cells.empty:
        return []
    level_order = {"trust": 0, "location": 1, "service": 2}
    cells = cells.assign(_level=cells["level"].map(level_order).fillna(3))
    out = []
    for (inspection, published), rows in cells.groupby(["inspection_id", "publication_date"], sort=False):
        rows = rows.sort_values(["_level", "location", "service", "key_question"], na_position="first")
        first = rows.iloc[0]
        out.append({"inspection_id": inspection, "publication_date": clean(published),
                    "inspection_start": clean(first["inspection_start"]), "inspection_end": clean(first["inspection_end"]),
                    "framework": clean(first["framework"]), "ruleset": clean(first["ruleset"]),
                    "cells": records(rows.drop(columns=["unit_key", "run_id", "_level"]))})
    return sorted(out, key=lambda i: str(i["publication_date"]), reverse=True)


# --- data quality --------------------------------------------------------------------------------
def data_quality(raw: duckdb.DuckDBPyConnection) -> dict:
    """The last refresh, each dataset's rows, quarantined rows and newest data (from
    result_data_quality), and the quarantine by dataset and reason (result_quarantine_summary)."""
    run = None
    if table_exists(raw, RUNS_TABLE):
        row = raw.execute(f"SELECT run_id, started_at, finished_at, units_recomputed, units_total FROM {RUNS_TABLE} "
                          "ORDER BY started_at DESC LIMIT 1").fetchone()
        if row is not None:
            run = dict(zip(("run_id", "started_at", "finished_at", "units_recomputed", "units_total"),
                           (clean(v) for v in row)))
    marks = read_table(raw, "result_data_quality")
    datasets = []
    if not marks.empty:
        marks = marks[marks["dataset"].notna()]
        for dataset, rows in marks.groupby("dataset"):
            per_org = rows.drop_duplicates("org_code")
            datasets.append({
                "dataset": dataset, "rows": int(per_org["rows"].fillna(0).sum()),
                "quarantined": int(per_org["quarantined"].fillna(0).sum()
                                   + per_org["quarantined_unattributed"].fillna(0).max()),
                "latest_period": clean(rows["latest_period"].max()), "data_until": clean(rows["data_until"].max()),
                "stale": int(rows["stale"].fillna(False).astype(bool).sum()),
                "marks": {m: int((rows["mark"] == m).sum()) for m in ("good", "check", "poor")},
                "series": len(rows)})
    quarantine = read.quarantine_summary(raw)
    if not quarantine.empty:
        quarantine = quarantine.drop(columns=["unit_key", "run_id"], errors="ignore").sort_values(["dataset", "reason"])
    return {"run": run, "datasets": datasets, "quarantine": records(quarantine) if not quarantine.empty else []}


QUARANTINE_COLUMNS = ["dataset", "source_file", "row_number", "reason", "column_name", "record", "loaded_at"]


def quarantined_rows(raw: duckdb.DuckDBPyConnection, dataset: str) -> pd.DataFrame:
    """The refused rows of one dataset, as the load stored them (analysts' CSV download)."""
    if not table_exists(raw, QUARANTINE_TABLE):
        raise NotFound(f"dataset {dataset!r}: no quarantined rows in this warehouse")
    frame = raw.execute(f"SELECT {', '.join(QUARANTINE_COLUMNS)} FROM {QUARANTINE_TABLE} WHERE dataset = ? "
                        "ORDER BY loaded_at, source_file, row_number", [dataset]).df()
    if frame.empty:
        raise NotFound(f"dataset {dataset!r}: no quarantined rows for it")
    return frame


# --- names -------------------------------------------------------------------------------------
def org_names(raw: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Every organisation with results and its name, as ``data.org_name`` gives it (the synthetic
    world's list, the loaded organisations, the imported inspection history, else the code), in
    three queries rather than two per organisation."""
    from wardwatch.synth.orgs import ORGS

    synthetic = {p.code: p.name for p in ORGS}
    loaded: dict[str, str] = {}
    if table_exists(raw, ORGANISATIONS_TABLE):
        loaded = dict(raw.execute(f"SELECT org_code, min(org_name) FROM {ORGANISATIONS_TABLE} "
                                  "WHERE coalesce(org_name, '') <> '' GROUP BY org_code").fetchall())
    rated: dict[str, str] = {}
    if table_exists(raw, "result_ratings"):
        rated = dict(raw.execute("SELECT org_code, min(org_name) FROM result_ratings "
                                 "WHERE coalesce(org_name, '') NOT IN ('', 'nan') GROUP BY org_code").fetchall())
    return {code: synthetic.get(code) or loaded.get(code) or rated.get(code) or code for code in org_codes(raw)}


# --- search --------------------------------------------------------------------------------------
def search(raw: duckdb.DuckDBPyConnection, query: str, registry: Mapping[str, Any]) -> dict:
    """Organisations (code or name) and indicators (id or title) containing ``query``, ignoring case."""
    words = query.strip().lower()
    if not words:
        return {"orgs": [], "indicators": []}
    orgs = []
    for code, name in org_names(raw).items():
        if words in code.lower() or words in name.lower():
            orgs.append({"org_code": code, "org_name": name})
    from wardwatch.web.data import indicator_ids

    funnels = funnel_indicators(raw)
    found = []
    for ind in indicator_ids(raw):
        meta = as_meta(ind, registry.get(ind))
        if words in ind.lower() or words in meta.title.lower():
            found.append({"indicator_id": ind, "title": meta.title, "funnel": ind in funnels,
                          "key_question": KEY_QUESTION_LABELS.get(meta.primary_key_question, "Other")})
    return {"orgs": orgs, "indicators": found}


def org_indicator_grains(raw: duckdb.DuckDBPyConnection, indicator: str, edition: str) -> list[dict]:
    """Which organisations have a whole-trust series of ``indicator`` (for the search results)."""
    cat = read_table(raw, "result_spc_series", "indicator_id = ? AND edition = ? AND coalesce(site_code, '') = ''",
                     [indicator, edition])
    return [{"org_code": o, "grain": "month" if "month" in set(r["grain"]) else str(r["grain"].iloc[0])}
            for o, r in cat.groupby("org_code")]
