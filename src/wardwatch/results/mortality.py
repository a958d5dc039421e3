"""Mortality results: SMRs with bands, the sepsis SMR funnel, CUSUM alerts, thresholds, paths and
VLAD, calibration, and the settings behind them (docs/methods/risk-adjusted-mortality.md).

One unit, ``all``: every trust's expected deaths come from leave-one-trust-out fits over all
admissions, so any changed admission changes every trust's result. Its fingerprint is the
admissions table's (row count and an order-independent hash of every row) with the method
settings.
"""

from __future__ import annotations

import hashlib
import json

import duckdb
import pandas as pd

from wardwatch.mortality import (
    ADMISSION_COLUMNS,
    DEFAULT_DEATH_LAG_DAYS,
    MortalityResult,
    run_mortality,
    settings_record,
)
from wardwatch.stats.cusum import CusumResult
from wardwatch.warehouse import table_exists

METHOD_VERSION = "mortality-1"
UNIT = "all"
SEPSIS_FUNNEL = "sepsis_smr"  # indicator_id of the sepsis SMR funnel in the funnel tables
WHOLE_PERIOD = "whole period"  # its grain
ADMISSIONS = "admissions"
#: Every table the stage writes (a unit whose admissions are gone has its rows deleted from each).
TABLES = ("result_mortality_smr", "result_mortality_alerts", "result_mortality_cusum",
          "result_mortality_thresholds", "result_mortality_calibration", "result_mortality_settings",
          "result_funnel_units", "result_funnel_limits")
SETTINGS = {"fit": "leave-one-trust-out", "death_lag_days": DEFAULT_DEATH_LAG_DAYS, "arl_years": 100.0,
            "n_sim": 200, "seed": 0}


def fingerprints(raw: duckdb.DuckDBPyConnection) -> dict[str, str]:
    if not table_exists(raw, ADMISSIONS):
        return {}
    columns = ", ".join(ADMISSION_COLUMNS)
    count, folded = raw.execute(f"SELECT count(*), bit_xor(hash({columns})) FROM {ADMISSIONS}").fetchone()
    if not count:
        return {}
    text = f"{METHOD_VERSION}|{json.dumps(SETTINGS, sort_keys=True)}|{duckdb.__version__}|{count}|{folded}"
    return {UNIT: hashlib.sha256(text.encode()).hexdigest()}


def compute(raw: duckdb.DuckDBPyConnection, progress=None) -> dict[str, pd.DataFrame]:  # noqa: ANN001
    """Rows for every mortality result table (and the sepsis funnel for the funnel tables)."""
    result = run_mortality(raw, None, None, charts=False, progress=progress, fit=SETTINGS["fit"],
                           death_lag_days=SETTINGS["death_lag_days"], arl_years=SETTINGS["arl_years"],
                           n_sim=SETTINGS["n_sim"], seed=SETTINGS["seed"])
    return tables(result)


def tables(result: MortalityResult) -> dict[str, pd.DataFrame]:
    settings = settings_record(result.fit, result.follow_up)
    paths = result.cusum.paths
    out = {
        "result_mortality_smr": result.smr,
        "result_mortality_alerts": result.alerts,
        "result_mortality_cusum": paths,
        "result_mortality_thresholds": result.thresholds,
        "result_mortality_calibration": result.calibration,
        "result_mortality_settings": pd.DataFrame([{
            "fit": settings["fit"], "follow_up": json.dumps(settings["follow_up"], sort_keys=True),
            "statement": settings["statement"], "bands": settings["bands"], "cusum_risks": settings["cusum_risks"],
        }]),
    }
    if result.funnel_sepsis is not None:
        units = result.funnel_sepsis.units.rename(columns={"group": "org_code"})
        out["result_funnel_units"] = units.assign(
            indicator_id=SEPSIS_FUNNEL, grain=WHOLE_PERIOD, period_start=pd.NaT,
            funnel_type=result.funnel_sepsis.type, method=result.funnel_sepsis.method)
        out["result_funnel_limits"] = result.funnel_sepsis.limits.assign(
            indicator_id=SEPSIS_FUNNEL, grain=WHOLE_PERIOD, period_start=pd.NaT)
    return {name: frame.assign(unit_key=UNIT) for name, frame in out.items()}


def cusum_result(paths: pd.DataFrame, alerts: pd.DataFrame, thresholds: pd.DataFrame) -> CusumResult:
    """Stored paths as the statistics module's result object, for drawing."""
    return CusumResult(paths=paths, alerts=alerts, thresholds=thresholds)
