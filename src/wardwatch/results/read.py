"""Reading the result tables back, as the objects the drawing code takes (nothing recomputed)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb
import pandas as pd

from wardwatch.errors import InputError
from wardwatch.results import funnels, mortality
from wardwatch.results.store import read_table
from wardwatch.stats.cusum import CusumResult
from wardwatch.stats.funnel import FunnelResult
from wardwatch.stats.spc import SUMMARY_COLUMNS, SPCOptions, SPCResult
from wardwatch.warehouse import MEASURES_TABLE, RUNS_TABLE, table_exists

POINT_RENAMES = {"period_start": "x", "plot_y": "y", "plot_n": "n"}
SPC_POINT_COLUMNS = ("x", "y", "n", "centre", "lpl", "upl", "lower_near", "upper_near", "segment",
                     "special_cause", "point_type")


def latest_run(raw: duckdb.DuckDBPyConnection, db: object = "the warehouse") -> pd.Series:
    """The newest ``runs`` row; a one-line error when the warehouse was never refreshed."""
    if not table_exists(raw, RUNS_TABLE):
        raise InputError(f"{db}: no results yet; run `wardwatch refresh --db {db}` first")
    run = raw.execute(f"SELECT * FROM {RUNS_TABLE} ORDER BY finished_at DESC LIMIT 1").df()
    if run.empty:
        raise InputError(f"{db}: no results yet; run `wardwatch refresh --db {db}` first")
    return run.iloc[0]


def organisations(raw: duckdb.DuckDBPyConnection) -> list[str]:
    """Every organisation with an SPC series."""
    rows = raw.execute("SELECT DISTINCT org_code FROM result_spc_series ORDER BY org_code").fetchall()
    return [r[0] for r in rows]


def require_org(raw: duckdb.DuckDBPyConnection, org_code: str) -> None:
    found = raw.execute("SELECT count(*) FROM result_spc_series WHERE org_code = ?", [org_code]).fetchone()[0]
    if found:
        return
    known = organisations(raw)
    sample = ", ".join(known[:12]) + (f" and {len(known) - 12} more" if len(known) > 12 else "")
    raise InputError(f"--org {org_code}: no results for this organisation in the warehouse; it has {sample}")


def series_catalogue(raw: duckdb.DuckDBPyConnection, org_code: str, edition: str) -> pd.DataFrame:
    """The organisation's SPC series (whole trust and sites, every grain) for one edition."""
    return read_table(raw, "result_spc_series", "org_code = ? AND edition = ?", [org_code, edition])


@dataclass(frozen=True)
class StoredSeries:
    """One series as stored: every period with its status, and the SPC result of the charted ones."""

    rows: pd.DataFrame  # period_start, numerator, denominator, value, source, status (+ SPC columns)
    spc: SPCResult | None

    @property
    def shown(self) -> pd.DataFrame:
        """Complete periods (charted or suppressed): what the latest value is read from."""
        return self.rows[self.rows["status"].isin(["charted", "suppressed"])].reset_index(drop=True)

    @property
    def charted(self) -> pd.DataFrame:
        return self.rows[self.rows["status"] == "charted"].reset_index(drop=True)


def series(raw: duckdb.DuckDBPyConnection, entry: pd.Series) -> StoredSeries:
    """Points and SPC of the catalogue row ``entry``."""
    key = [entry["indicator_id"], entry["org_code"], entry["site_code"], entry["grain"], entry["edition"]]
    where = "indicator_id = ? AND org_code = ? AND site_code = ? AND grain = ? AND edition = ?"
    rows = raw.execute(f"SELECT * FROM result_spc_points WHERE {where} ORDER BY period_start", key).df()
    rows["period_start"] = pd.to_datetime(rows["period_start"]).dt.date
    summary = raw.execute(f"SELECT * FROM result_spc_summary WHERE {where} ORDER BY segment", key).df()
    charted = rows[(rows["status"] == "charted") & rows["point_type"].notna()]
    if charted.empty or summary.empty:
        return StoredSeries(rows, None)
    points = charted.rename(columns=POINT_RENAMES)[list(SPC_POINT_COLUMNS)].reset_index(drop=True)
    points["x"] = pd.to_datetime(points["x"])
    target = entry["target"]
    options = SPCOptions(
        x="x", y="y", n="n", by=(), chart=str(entry["chart"]), improvement=str(entry["improvement"]),
        target=None if pd.isna(target) else float(target), rebase=None, fix_after=None, rules="mdc",
        screen=str(entry["chart"]) in ("pp", "up", "xmr"), run_length=7,
    )
    return StoredSeries(rows, SPCResult(points=points, summary=summary[list(SUMMARY_COLUMNS)], options=options))


def funnel(raw: duckdb.DuckDBPyConnection, indicator_id: str, grain: str,
           period_start: object | None) -> FunnelResult | None:
    """A stored funnel (``period_start`` None for the whole-period sepsis SMR funnel)."""
    if period_start is None:
        where, params = "indicator_id = ? AND grain = ? AND period_start IS NULL", [indicator_id, grain]
    else:
        where, params = "indicator_id = ? AND grain = ? AND period_start = ?", [indicator_id, grain, period_start]
    units = read_table(raw, "result_funnel_units", where, params)
    if units.empty:
        return None
    limits = read_table(raw, "result_funnel_limits", where, params)
    return funnels.as_result(units.sort_values("org_code"), limits)


def latest_funnel_period(raw: duckdb.DuckDBPyConnection, indicator_id: str, grain: str, org_code: str) -> object | None:
    """The newest period of the indicator's funnels that includes ``org_code``."""
    row = raw.execute(
        "SELECT max(period_start) FROM result_funnel_units WHERE indicator_id = ? AND grain = ? AND org_code = ?",
        [indicator_id, grain, org_code],
    ).fetchone()
    return None if row[0] is None else pd.Timestamp(row[0]).date()


@dataclass(frozen=True, eq=False)
class StoredMortality:
    """What the report's mortality section reads, as stored by the mortality stage."""

    smr: pd.DataFrame
    funnel_sepsis: FunnelResult | None
    alerts: pd.DataFrame
    cusum: CusumResult
    settings: dict


def mortality_results(raw: duckdb.DuckDBPyConnection, patient_level: bool) -> StoredMortality | None:
    """Stored mortality results; the patient-by-patient CUSUM paths only when ``patient_level``."""
    smr = read_table(raw, "result_mortality_smr")
    if smr.empty:
        return None
    alerts = read_table(raw, "result_mortality_alerts").drop(columns=["unit_key", "run_id"])
    thresholds = read_table(raw, "result_mortality_thresholds").drop(columns=["unit_key", "run_id"])
    paths = (read_table(raw, "result_mortality_cusum").drop(columns=["unit_key", "run_id"])
             if patient_level else pd.DataFrame())
    settings = read_table(raw, "result_mortality_settings")
    record = {} if settings.empty else {
        **settings.iloc[0].drop(["unit_key", "run_id"]).to_dict(),
        "follow_up": json.loads(settings.iloc[0]["follow_up"]),
    }
    return StoredMortality(
        smr=smr.drop(columns=["unit_key", "run_id"]),
        funnel_sepsis=funnel(raw, mortality.SEPSIS_FUNNEL, mortality.WHOLE_PERIOD, None),
        alerts=alerts, cusum=CusumResult(paths=paths, alerts=alerts, thresholds=thresholds), settings=record,
    )


def data_quality(raw: duckdb.DuckDBPyConnection, org_code: str) -> pd.DataFrame:
    return read_table(raw, "result_data_quality", "org_code = ?", [org_code])


def quarantine_summary(raw: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return read_table(raw, "result_quarantine_summary")


def has_measures(raw: duckdb.DuckDBPyConnection) -> bool:
    return table_exists(raw, MEASURES_TABLE)
