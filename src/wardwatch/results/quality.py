"""A data-quality mark per indicator and organisation, computed from the warehouse.

For every (indicator, organisation) the board sees how far the figures can be trusted:

* **completeness** — share of the organisation's rows in the indicator's dataset in which every
  *required* field (``wardwatch.indicators.fields``) is present. Fields blank until an event happens
  (a departure, antibiotics, a scan) are not held against the data. Rows loaded by ``wardwatch load``
  already meet the contract's not-blank rules, so completeness mostly measures the contract's
  optional fields an indicator still needs (a site code for the site rows, an assessment time once
  the patient has left, a modality on IR(ME)R training); a blank the contract forbids shows up as a
  quarantined row instead.
* **quarantine** — rows refused at load (``quarantine``) for the dataset and organisation, as a
  share of rows loaded plus refused. The quarantine stores the raw record as JSON, not a checked
  organisation: a row is attributed to the trimmed ``org_code`` of its record when that code is an
  organisation with rows in the dataset (or measures for the indicator); refused rows with a blank,
  malformed or unknown code are counted per dataset in ``quarantined_unattributed`` and in no
  organisation's share (charging them to every organisation would mark all of them down for one
  sender's error). Distinct records are counted, over every load the warehouse has had.
* **staleness** — days from ``data_until`` to ``as_of`` against the indicator's allowed lag
  (``ALLOWED_LAG_DAYS``). ``data_until`` is the extract cut-off the measures run stored
  (``measures_data_until``); indicators without one (monthly returns, month-end censuses, published
  statistics) take the last day of their latest period. ``as_of`` defaults to the newest cut-off in
  the warehouse, not today's date, so the same warehouse always gives the same marks.

All aggregation runs inside DuckDB: one query per dataset (grouped by organisation), one over the
quarantine, one over ``measures`` and one over the cut-offs; only the small per-organisation
results come back to Python.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import duckdb
import pandas as pd

from wardwatch.contracts.validate import quote_ident
from wardwatch.errors import InputError
from wardwatch.indicators import INDICATORS
from wardwatch.indicators.fields import INDICATOR_FIELDS, UsedFields
from wardwatch.indicators.model import Indicator
from wardwatch.warehouse import CUT_OFFS_TABLE, MEASURES_TABLE, QUARANTINE_TABLE

QUALITY_COLUMNS = (
    "indicator_id",
    "org_code",
    "dataset",
    "fields",
    "event_fields",
    "rows",
    "complete_share",
    "quarantined",
    "quarantined_unattributed",
    "quarantined_share",
    "latest_period",
    "data_until",
    "allowed_lag_days",
    "days_behind",
    "stale",
    "mark",
)

MARKS = ("good", "check", "poor")

#: good: at least this share of rows complete (1 row in 100 may lack a field) ...
GOOD_COMPLETE = 0.99
#: ... and at most this share quarantined, and not stale
GOOD_QUARANTINED = 0.01
#: poor: below this share complete (1 row in 10 missing a field the count needs) ...
POOR_COMPLETE = 0.90
#: ... or more than this share quarantined, or stale
POOR_QUARANTINED = 0.05

# Days a series may lag behind ``as_of`` before it is stale, per indicator. Why these numbers:
# * weekly computed indicators come from the same daily extracts as the newest cut-off, so two
#   weeks behind means a missed extract (14);
# * monthly computed returns and censuses cover whole months: the last complete month ends up to a
#   month before the extract, plus a fortnight to arrive (45);
# * crude 30-day mortality has its cut-off moved back by 30 days of follow-up and 14 of death-data
#   lag (indicators.mortality.FOLLOW_UP_DAYS = 44) on top of the monthly 45 (89);
# * published monthly statistics appear about six weeks after the month ends and are loaded when
#   they appear, a month later at worst (75);
# * published annual statistics cover a year and appear up to six months after it (550).
_WEEKLY, _MONTHLY, _MORTALITY, _PUBLISHED_MONTHLY, _PUBLISHED_YEARLY = 14, 45, 89, 75, 550
ALLOWED_LAG_DAYS: dict[str, int] = {
    "ed_initial_assessment_15min": _WEEKLY,
    "ed_4h": _WEEKLY,
    "ed_12h_from_arrival": _WEEKLY,
    "sepsis_antibiotics_1h_news2_7plus": _WEEKLY,
    "sepsis_antibiotics_3h_news2_5_6": _WEEKLY,
    "sepsis_screened_1h": _WEEKLY,
    "imaging_inpatient_scanned_24h": _WEEKLY,
    "imaging_report_turnaround_7d": _WEEKLY,
    "dm01_waiting_6wk_plus": _MONTHLY,
    "irmer_training_in_date": _MONTHLY,
    "irmer_entitlement_recorded": _MONTHLY,
    "mandatory_training_compliance": _MONTHLY,
    "staffing_fill_rate": _MONTHLY,
    "mortality_crude_30d": _MORTALITY,
    "sepsis_mortality_crude_30d": _MORTALITY,
    "ae_4h_type1": _PUBLISHED_MONTHLY,
    "ae_4h_all_types": _PUBLISHED_MONTHLY,
    "rtt_incomplete_18wk": _PUBLISHED_MONTHLY,
    "shmi": _PUBLISHED_YEARLY,
    "shmi_band": _PUBLISHED_YEARLY,
    "kh03_bed_occupancy": _PUBLISHED_YEARLY,
    "kh03_beds_available": _PUBLISHED_YEARLY,
    "staff_engagement": _PUBLISHED_YEARLY,
    "staff_recommend_work": _PUBLISHED_YEARLY,
    "staff_recommend_care": _PUBLISHED_YEARLY,
    "staff_work_stress": _PUBLISHED_YEARLY,
    "ae_4h_annual": _PUBLISHED_YEARLY,
}


def data_quality_marks(con: Any, as_of: date | None = None) -> pd.DataFrame:
    """One row per (indicator_id, org_code) with the columns ``QUALITY_COLUMNS``.

    ``con`` is an Ibis DuckDB backend (``warehouse.connect_duckdb``) or a duckdb connection
    (``warehouse.connect_raw``); read-only is enough. Pairs come from the measures, the cut-offs and
    the organisations with rows in each indicator's dataset. Sorted by registry order, then org.
    """
    raw = _raw(con)
    tables = _tables(raw)
    measures = _measures_summary(raw) if MEASURES_TABLE in tables else {}
    cut_offs = _cut_offs(raw) if CUT_OFFS_TABLE in tables else {}
    quarantine = _quarantine_counts(raw) if QUARANTINE_TABLE in tables else {}

    computed = [ind for ind in INDICATORS.values() if ind.id in INDICATOR_FIELDS]
    per_dataset: dict[str, list[Indicator]] = {}
    for ind in computed:
        per_dataset.setdefault(INDICATOR_FIELDS[ind.id].dataset, []).append(ind)
    counts: dict[str, dict[str, tuple[int, dict[str, int]]]] = {}
    for dataset, inds in per_dataset.items():
        if dataset in tables:
            counts[dataset] = _dataset_counts(raw, dataset, [INDICATOR_FIELDS[i.id] for i in inds],
                                              [i.id for i in inds])

    if as_of is None:
        as_of = _default_as_of(cut_offs, measures)
    rows: list[dict[str, Any]] = []
    for order, ind in enumerate(INDICATORS.values()):
        used = INDICATOR_FIELDS.get(ind.id)
        orgs = {org for (i, org) in measures if i == ind.id} | {org for (i, org) in cut_offs if i == ind.id}
        if used is not None:
            orgs |= set(counts.get(used.dataset, {}))
        unattributed = 0
        if used is not None:
            refused = quarantine.get(used.dataset, {})
            # Attribution to organisations known from the dataset or the measures only (module docstring).
            known = orgs | {org for (i, org) in measures if INDICATOR_FIELDS.get(i) is not None
                            and INDICATOR_FIELDS[i].dataset == used.dataset}
            unattributed = sum(n for org, n in refused.items() if org not in known)
            orgs |= {org for org in refused if org in known}
        for org in sorted(orgs):
            rows.append(_row(order, ind, org, used, counts, quarantine, unattributed,
                             measures.get((ind.id, org)), cut_offs.get((ind.id, org)), as_of))
    frame = pd.DataFrame(rows, columns=["_order", *QUALITY_COLUMNS])
    frame = frame.sort_values(["_order", "org_code"], kind="mergesort").drop(columns="_order")
    frame = frame.reset_index(drop=True)
    for column in ("rows", "quarantined", "quarantined_unattributed", "allowed_lag_days", "days_behind"):
        frame[column] = frame[column].astype("Int64")
    for column in ("complete_share", "quarantined_share"):
        frame[column] = frame[column].astype("float64")
    frame["stale"] = frame["stale"].astype(bool)
    # Text and dates stay plain Python objects, missing ones None (not NaN), as read_measures gives them.
    for column in ("dataset", "fields", "event_fields", "latest_period", "data_until"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


def mark(complete_share: float | None, quarantined_share: float | None, stale: bool) -> str:
    """``good``, ``check`` or ``poor`` (thresholds above). Missing shares (published data) are not
    judged, so a published series is marked on staleness alone; a share that cannot be computed for
    patient-level data (no rows) is passed in as NaN and fails the test it belongs to."""
    def low(share: float | None, bound: float) -> bool:
        return share is not None and (math.isnan(share) or share < bound)

    def high(share: float | None, bound: float) -> bool:
        return share is not None and (math.isnan(share) or share > bound)

    if stale or low(complete_share, POOR_COMPLETE) or high(quarantined_share, POOR_QUARANTINED):
        return "poor"
    if low(complete_share, GOOD_COMPLETE) or high(quarantined_share, GOOD_QUARANTINED):
        return "check"
    return "good"


def _row(order, ind, org, used: UsedFields | None, counts, quarantine, unattributed, measured, cut_off,
         as_of: date | None) -> dict[str, Any]:
    latest_period, last_period_end = measured if measured else (None, None)
    data_until = cut_off if cut_off is not None else last_period_end
    lag = ALLOWED_LAG_DAYS[ind.id]
    behind = (as_of - data_until).days if (as_of is not None and data_until is not None) else None
    # Nothing computed for a pair that has data is as bad as data too old to show.
    stale = behind is None or behind > lag
    row: dict[str, Any] = {
        "_order": order, "indicator_id": ind.id, "org_code": org,
        "dataset": None, "fields": None, "event_fields": None, "rows": None, "complete_share": None,
        "quarantined": None, "quarantined_unattributed": None, "quarantined_share": None,
        "latest_period": latest_period, "data_until": data_until, "allowed_lag_days": lag,
        "days_behind": behind, "stale": stale,
    }
    if used is None:  # published statistics: no patient-level dataset
        row["mark"] = mark(None, None, stale)
        return row
    n_rows, complete = counts.get(used.dataset, {}).get(org, (0, {}))
    refused = quarantine.get(used.dataset, {}).get(org, 0)
    complete_share = complete.get(ind.id, 0) / n_rows if n_rows else math.nan
    quarantined_share = refused / (n_rows + refused) if (n_rows + refused) else math.nan
    row.update(
        dataset=used.dataset, fields=", ".join(used.required), event_fields=", ".join(used.events) or None,
        rows=n_rows, complete_share=complete_share, quarantined=refused,
        quarantined_unattributed=unattributed, quarantined_share=quarantined_share,
    )
    row["mark"] = mark(complete_share, quarantined_share, stale)
    return row


# ---------------------------------------------------------------- queries (all run in DuckDB)


def _raw(con: Any) -> duckdb.DuckDBPyConnection:
    if isinstance(con, duckdb.DuckDBPyConnection):
        return con
    inner = getattr(con, "con", None)  # the duckdb connection behind an Ibis DuckDB backend
    if isinstance(inner, duckdb.DuckDBPyConnection):
        return inner
    raise InputError("data-quality marks need a DuckDB warehouse connection (warehouse.connect_duckdb).")


def _tables(raw: duckdb.DuckDBPyConnection) -> set[str]:
    rows = raw.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main'"
    ).fetchall()
    return {r[0] for r in rows}


def _dataset_counts(raw, dataset: str, used: list[UsedFields], ids: list[str]) -> dict[str, tuple[int, dict[str, int]]]:
    """org -> (rows, {indicator_id: rows with every required field present}), one scan of ``dataset``."""
    present = {r[0] for r in raw.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND table_name = ?", [dataset]).fetchall()}
    filters = []
    for fields in used:
        missing = [c for c in fields.required if c not in present]
        if missing:
            raise InputError(f"table {dataset} lacks column {', '.join(missing)}; reload it with wardwatch load.")
        checks = []
        for column in fields.required:
            condition = fields.condition(column)
            check = f"{quote_ident(column)} IS NOT NULL"
            # Needed only where the condition holds; an unknown condition (NULL) still needs it.
            checks.append(f"({check} OR ({condition}) IS NOT TRUE)" if condition else check)
        filters.append(" AND ".join(checks) or "TRUE")
    complete = ", ".join(f"count(*) FILTER (WHERE {f}) AS c{i}" for i, f in enumerate(filters))
    result = raw.execute(
        f"SELECT org_code, count(*) AS n, {complete} FROM {quote_ident(dataset)} "
        "WHERE org_code IS NOT NULL GROUP BY org_code"
    ).fetchall()
    return {r[0]: (int(r[1]), {ids[i]: int(r[2 + i]) for i in range(len(ids))}) for r in result}


def _quarantine_counts(raw) -> dict[str, dict[str | None, int]]:
    """dataset -> {trimmed org_code of the raw record (None if blank): distinct refused records}."""
    result = raw.execute(
        f"SELECT dataset, NULLIF(trim(json_extract_string(record, '$.org_code')), '') AS org, "
        f"count(DISTINCT record) FROM {QUARANTINE_TABLE} GROUP BY ALL"
    ).fetchall()
    out: dict[str, dict[str | None, int]] = {}
    for dataset, org, n in result:
        out.setdefault(dataset, {})[org] = int(n)
    return out


def _measures_summary(raw) -> dict[tuple[str, str], tuple[date, date]]:
    """(indicator, org) -> (latest period_start, last day of the latest period), any grain or level."""
    result = raw.execute(
        f"""SELECT indicator_id, org_code, max(period_start),
                   max(CAST(period_start + CASE period_grain WHEN 'week' THEN INTERVAL 7 DAY
                                                              WHEN 'month' THEN INTERVAL 1 MONTH
                                                              ELSE INTERVAL 1 YEAR END
                            - INTERVAL 1 DAY AS DATE))
            FROM {MEASURES_TABLE} WHERE org_code IS NOT NULL GROUP BY ALL"""
    ).fetchall()
    return {(i, org): (_date(first), _date(end)) for i, org, first, end in result}


def _cut_offs(raw) -> dict[tuple[str, str], date]:
    result = raw.execute(
        f"SELECT indicator_id, org_code, max(data_until) FROM {CUT_OFFS_TABLE} "
        "WHERE org_code IS NOT NULL GROUP BY ALL"
    ).fetchall()
    return {(i, org): _date(day) for i, org, day in result if day is not None}


def _default_as_of(cut_offs: dict, measures: dict) -> date | None:
    """The newest extract cut-off; with none stored, the end of the newest period measured."""
    if cut_offs:
        return max(cut_offs.values())
    ends = [end for _, end in measures.values() if end is not None]
    return max(ends) if ends else None


def _date(value: Any) -> date | None:
    if value is None:
        return None
    return value.date() if isinstance(value, datetime) else value


__all__ = ["ALLOWED_LAG_DAYS", "MARKS", "QUALITY_COLUMNS", "data_quality_marks", "mark"]


# ---------------------------------------------------------------------------------------------
# the refresh stage: one unit, everything the marks read

STAGE_VERSION = "quality-1"
STAGE_UNIT = "all"
STAGE_TABLES = ("result_data_quality", "result_quarantine_summary")


def stage_fingerprints(raw: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The contract tables, quarantine, measures and cut-offs, each hashed row-order-independently."""
    import hashlib

    from wardwatch.contracts.schema import CONTRACTS
    from wardwatch.warehouse import CUT_OFFS_TABLE, MEASURES_TABLE, QUARANTINE_TABLE, table_exists

    parts = [STAGE_VERSION]
    for name in (*sorted(CONTRACTS), QUARANTINE_TABLE, MEASURES_TABLE, CUT_OFFS_TABLE):
        if table_exists(raw, name):
            parts.append(f"{name}:{raw.execute(f'SELECT count(*), bit_xor(hash(columns(*))) FROM {name}').fetchone()}")
    return {STAGE_UNIT: hashlib.sha256("|".join(parts).encode()).hexdigest()}


def quarantine_summary(raw: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Quarantined rows by dataset and reason, with the number of files and the last load."""
    from wardwatch.warehouse import QUARANTINE_TABLE, table_exists

    if not table_exists(raw, QUARANTINE_TABLE):
        return pd.DataFrame(columns=["dataset", "reason", "rows", "files", "last_loaded_at"])
    return raw.execute(
        f"SELECT dataset, reason, count(*) AS rows, count(DISTINCT source_file) AS files, "
        f"max(loaded_at) AS last_loaded_at FROM {QUARANTINE_TABLE} GROUP BY dataset, reason "
        "ORDER BY dataset, reason"
    ).df()


def stage_rows(raw: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    return {
        "result_data_quality": data_quality_marks(raw).assign(unit_key=STAGE_UNIT),
        "result_quarantine_summary": quarantine_summary(raw).assign(unit_key=STAGE_UNIT),
    }
