"""SPC for every (indicator, organisation, site, grain) series of ``measures``, in two editions.

A series is the whole trust (``site_code`` ``""``) or one site, at one grain, unit-level rows
left out. When an indicator is measured only per site, the trust series is built from the sites
(sum of numerators over sum of denominators for proportions, rates and ratios; mean otherwise),
summed exactly so the result does not depend on the order of the sites.

Before any SPC, each period of a series gets a status (docs/methods/disclosure-control.md and
docs/methods.md 7.7):

* ``incomplete``: the period ends after the data's cut-off (``measures_data_until``), or, with
  no cut-off, it is the last period and its denominator is under half the median of the 12
  before it. Never drawn, never the "latest" value.
* ``partial_first``: a first period under half the median of the 12 after it (a week cut by the
  start of the data window).
* ``suppressed`` (public edition only): its numerator, denominator (or count) is in the
  small-number range; when that is more than 10% of the periods, the whole series is
  ``suppressed`` rather than drawn with gaps that would bias it.
* ``charted``: everything else; the SPC is computed on these points only.

The ``clinical`` edition suppresses nothing; the ``public`` edition is what viewers outside the
clinical role see. Where the public edition hides nothing its SPC is the clinical one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from wardwatch.disclosure import SmallNumberRule
from wardwatch.errors import InputError
from wardwatch.indicator_meta import IndicatorMeta, metadata_for
from wardwatch.stats.spc import POINT_COLUMNS, SUMMARY_COLUMNS, spc

SERIES_KEY = ("indicator_id", "org_code", "site_code", "grain")
EDITIONS = ("clinical", "public")
TRUST_SITE = ""
#: Charts that take counts (numerator over denominator); the rest chart the value.
COUNT_CHARTS = {"p", "pp", "u", "up", "c"}
#: Public edition: a series with more than this share of periods suppressed is not drawn.
SUPPRESSED_SERIES_SHARE = 0.10
#: A last (or first) period whose denominator is under this share of the median is incomplete.
INCOMPLETE_SHARE = 0.5
#: Bumped when the way a series is prepared or charted changes: every fingerprint changes with it.
METHOD_VERSION = "spc-3"
#: The overview's "as at" picker: icons as they stood at the month end on or after each series'
#: latest charted period and at each of this many month ends before it.
AS_OF_MONTHS = 12

CHARTED, INCOMPLETE, PARTIAL_FIRST, SUPPRESSED = "charted", "incomplete", "partial_first", "suppressed"


def chart_for(meta: IndicatorMeta) -> str:
    """The indicator's SPC chart: ED indicators p′ (large denominators, over-dispersed); ``none``
    for indicators that are not charted (e.g. a band)."""
    return "pp" if meta.is_ed else (meta.chart or "xmr")


def read_series(raw) -> pd.DataFrame:  # noqa: ANN001 - a duckdb connection from wardwatch.warehouse
    """Every series row: ``SERIES_KEY``, period_start, numerator, denominator, value, source,
    from_sites (the trust row was built from its sites)."""
    from wardwatch.warehouse import MEASURES_TABLE

    sql = f"""
    WITH base AS (
        SELECT indicator_id, org_code, coalesce(site_code, '') AS site_code, period_grain AS grain,
               period_start, numerator, denominator, value, source
        FROM {MEASURES_TABLE} WHERE unit_code IS NULL
    ), with_trust AS (
        SELECT DISTINCT indicator_id, org_code, grain FROM base WHERE site_code = ''
    )
    SELECT *, false AS from_sites FROM base
    UNION ALL
    SELECT b.indicator_id, b.org_code, '' AS site_code, b.grain, b.period_start,
           sum(b.numerator::DECIMAL(38, 9))::DOUBLE, sum(b.denominator::DECIMAL(38, 9))::DOUBLE,
           avg(b.value::DECIMAL(38, 9))::DOUBLE, min(b.source), true
    FROM base b ANTI JOIN with_trust t USING (indicator_id, org_code, grain)
    WHERE b.site_code <> ''
    GROUP BY b.indicator_id, b.org_code, b.grain, b.period_start
    ORDER BY indicator_id, org_code, site_code, grain, period_start
    """
    frame = raw.execute(sql).df()
    frame["period_start"] = pd.to_datetime(frame["period_start"]).astype("datetime64[us]")
    for col in ("numerator", "denominator", "value"):
        frame[col] = frame[col].astype("float64")
    return frame


def read_cut_offs(raw) -> pd.DataFrame:  # noqa: ANN001
    """indicator_id, org_code, data_until (empty when ``measures`` wrote none)."""
    from wardwatch.warehouse import CUT_OFFS_TABLE, table_exists

    if not table_exists(raw, CUT_OFFS_TABLE):
        return pd.DataFrame({"indicator_id": pd.Series(dtype=object), "org_code": pd.Series(dtype=object),
                             "data_until": pd.Series(dtype="datetime64[us]")})
    frame = raw.execute(f"SELECT indicator_id, org_code, data_until FROM {CUT_OFFS_TABLE}").df()
    frame["data_until"] = pd.to_datetime(frame["data_until"]).astype("datetime64[us]")
    return frame


def with_settings(series: pd.DataFrame, cut_offs: pd.DataFrame,
                  registry: Mapping | None = None) -> tuple[pd.DataFrame, dict[str, IndicatorMeta]]:
    """Series rows with their indicator's trust-built values fixed and the cut-off attached."""
    metas = metadata_for(sorted(series["indicator_id"].unique()), registry)
    unit = series["indicator_id"].map({i: m.unit for i, m in metas.items()})
    ratio = series["from_sites"] & unit.isin(["proportion", "rate", "ratio"]) & (series["denominator"] > 0)
    series.loc[ratio, "value"] = series.loc[ratio, "numerator"] / series.loc[ratio, "denominator"]
    series = series.merge(cut_offs, on=["indicator_id", "org_code"], how="left")
    series["data_until"] = pd.to_datetime(series["data_until"]).astype("datetime64[us]")
    return series, metas


def settings_text(meta: IndicatorMeta) -> str:
    return f"{METHOD_VERSION}|{chart_for(meta)}|{meta.improvement}|{meta.target}|{meta.unit}"


#: (indicator_id, org_code, site_code) -> dates from which that series' chart is rebased
Rebases = Mapping[tuple[str, str, str], Sequence[date]]


def fingerprints(series: pd.DataFrame, metas: Mapping[str, IndicatorMeta],
                 rebases: Rebases | None = None) -> pd.DataFrame:
    """One row per series: ``unit_key`` and ``fingerprint`` (sha-256 of the series' rows, its
    cut-off, its chart settings and its rebase dates; independent of row order)."""
    rebases = rebases or {}
    if series.empty:
        return pd.DataFrame({"unit_key": [], "fingerprint": []})
    keyed = series.sort_values([*SERIES_KEY, "period_start"], kind="stable").reset_index(drop=True)
    row_hash = pd.util.hash_pandas_object(
        keyed[["period_start", "numerator", "denominator", "value", "source", "data_until"]], index=False
    ).to_numpy()
    keys = keyed[list(SERIES_KEY)]
    starts = np.flatnonzero(~keys.duplicated().to_numpy())
    folded = np.bitwise_xor.reduceat(row_hash, starts)
    counts = np.diff(np.append(starts, len(keyed)))
    heads = keys.iloc[starts].reset_index(drop=True)
    prints = [
        hashlib.sha256(f"{settings_text(metas[r.indicator_id])}|{n}|{h}|"
                       f"{_rebase_text(rebases, r.indicator_id, r.org_code, r.site_code)}".encode()).hexdigest()
        for r, n, h in zip(heads.itertuples(index=False), counts, folded, strict=True)
    ]
    return pd.DataFrame({"unit_key": unit_keys(heads), "fingerprint": prints})


def _rebase_text(rebases: Rebases, indicator: str, org: str, site: str) -> str:
    return ",".join(d.isoformat() for d in rebases.get((indicator, org, site), ()))


def unit_keys(frame: pd.DataFrame) -> pd.Series:
    return (frame["indicator_id"] + "|" + frame["org_code"] + "|" + frame["site_code"] + "|" + frame["grain"])


def _period_end(start: pd.Series, grain: str) -> pd.Series:
    step = {"week": pd.DateOffset(weeks=1), "month": pd.DateOffset(months=1), "year": pd.DateOffset(years=1)}
    if grain not in step:
        raise InputError(f"measures: unknown period_grain {grain!r} (week, month or year)")
    return start + step[grain] - pd.Timedelta(days=1)


def _statuses(rows: pd.DataFrame, grain: str) -> np.ndarray:
    """Status of each period of one series (rows sorted by period_start), before suppression."""
    n = len(rows)
    status = np.full(n, CHARTED, dtype=object)
    den = rows["denominator"].to_numpy()
    has_den = not np.isnan(den).all()
    if n >= 4 and has_den:
        following = np.nanmedian(den[1:13]) if n > 1 else np.nan
        if not np.isnan(den[0]) and following > 0 and den[0] < INCOMPLETE_SHARE * following:
            status[0] = PARTIAL_FIRST
    until = rows["data_until"].iloc[0] if n else pd.NaT
    if pd.notna(until):
        late = (_period_end(rows["period_start"], grain) > until).to_numpy()
        status[late] = INCOMPLETE
    elif n >= 4 and has_den:
        kept = np.flatnonzero(status == CHARTED)
        if len(kept) >= 2:
            last = den[kept[-1]]
            recent = np.nanmedian(den[kept[-13:-1]])
            if not np.isnan(last) and recent > 0 and last < INCOMPLETE_SHARE * recent:
                status[kept[-1]] = INCOMPLETE
    return status


def _hidden(rows: pd.DataFrame, unit: str, rule: SmallNumberRule) -> np.ndarray:
    def hides(values: np.ndarray) -> np.ndarray:
        return (values >= rule.low) & (values <= rule.high)

    hidden = hides(rows["numerator"].to_numpy()) | hides(rows["denominator"].to_numpy())
    if unit == "count":
        hidden |= hides(rows["value"].to_numpy())
    return hidden


@dataclass(frozen=True)
class SeriesResults:
    """The three result tables of the SPC stage (rows for the series computed)."""

    series: pd.DataFrame  # one row per series x edition: settings, counts, latest icons, note
    points: pd.DataFrame  # one row per series x edition x period: status and SPC values
    summary: pd.DataFrame  # one row per series x edition x segment (stats.spc summary columns)
    as_of: pd.DataFrame  # one row per series x edition x month end: the icons as they stood then


def compute(series: pd.DataFrame, metas: Mapping[str, IndicatorMeta],
            rule: SmallNumberRule | None = None, rebases: Rebases | None = None) -> SeriesResults:
    """Statuses, then SPC for every series and edition (one vectorised ``spc`` call per chart
    setting, not one per series); ``rebases``: a new segment from the first period on or after
    each date (every grain of the series)."""
    rule = rule or SmallNumberRule()
    rebases = rebases or {}
    series = series.sort_values([*SERIES_KEY, "period_start"], kind="stable").reset_index(drop=True)
    status = np.empty(len(series), dtype=object)
    public = np.empty(len(series), dtype=object)
    catalogue: list[dict] = []
    for key, rows in series.groupby(list(SERIES_KEY), sort=False):
        meta = metas[key[0]]
        idx = rows.index.to_numpy()
        clinical_status = _statuses(rows, key[3])
        status[idx] = clinical_status
        complete = clinical_status == CHARTED
        hidden = _hidden(rows, meta.unit, rule) & complete
        share = float(hidden.sum() / complete.sum()) if complete.any() else 0.0
        public_status = clinical_status.copy()
        public_status[complete & (hidden if share <= SUPPRESSED_SERIES_SHARE else True)] = SUPPRESSED
        public[idx] = public_status
        incomplete = rows["period_start"].to_numpy()[clinical_status == INCOMPLETE]
        base = dict(zip(SERIES_KEY, key, strict=True))
        for edition, st in (("clinical", clinical_status), ("public", public_status)):
            catalogue.append({
                **base, "edition": edition, "chart": chart_for(meta), "improvement": meta.improvement,
                "target": meta.target, "unit": meta.unit,
                "data_until": rows["data_until"].iloc[0],
                "first_incomplete": incomplete[0] if len(incomplete) else pd.NaT,
                "n_periods": len(rows), "n_charted": int((st == CHARTED).sum()),
                "hidden_periods": int(hidden.sum()) if edition == "public" else 0,
                "hidden_share": share if edition == "public" else 0.0,
            })
    points = pd.concat([series.assign(edition="clinical", status=status),
                        series.assign(edition="public", status=public)], ignore_index=True)
    cat = pd.DataFrame(catalogue)
    spc_points, spc_summary, notes = _run_spc(points, cat, rebases=rebases)
    points = points.merge(spc_points, on=[*SERIES_KEY, "edition", "period_start"], how="left")
    cat = _latest_icons(cat, spc_summary, points, notes)
    return SeriesResults(series=cat, points=points.drop(columns=["from_sites"]), summary=spc_summary,
                         as_of=_as_of(points, cat, rebases))


def _spc_frame(charted: pd.DataFrame, chart: str) -> pd.DataFrame:
    if chart in COUNT_CHARTS:
        charted = charted[charted["numerator"].notna() & (charted["denominator"] > 0)]
        return charted.assign(_y=charted["numerator"], _n=charted["denominator"])
    charted = charted[charted["value"].notna()]
    return charted.assign(_y=charted["value"], _n=np.nan)


def _run_spc(points: pd.DataFrame, cat: pd.DataFrame, also_by: tuple[str, ...] = (),
             rebases: Rebases | None = None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """SPC of the charted points, grouped by chart settings; notes for series not charted.
    ``also_by``: further columns that split a series (the "as at" date of a truncated copy)."""
    by = [*SERIES_KEY, "edition", *also_by]
    rebases = rebases or {}
    charted = points[points["status"] == CHARTED]
    notes: dict[tuple, str] = {}
    out_points, out_summary = [], []
    settings = cat[["indicator_id", "chart", "improvement", "target"]].drop_duplicates("indicator_id")
    for (chart, improvement, target), group in settings.groupby(
        ["chart", "improvement", "target"], dropna=False, sort=True
    ):
        if chart == "none":
            continue
        data = _spc_frame(charted[charted["indicator_id"].isin(group["indicator_id"])], chart)
        sizes = data.groupby(by, sort=False).size()
        too_few = sizes[sizes < 2].index
        for key in too_few:
            notes[key] = "Too few points for an SPC chart."
        data = data.set_index(by).drop(index=too_few).reset_index() if len(too_few) else data
        if data.empty:
            continue
        result = spc(data, x="period_start", y="_y", n="_n" if chart in COUNT_CHARTS else None, by=by,
                     chart=chart, improvement=improvement, target=None if pd.isna(target) else float(target),
                     rebase=_rebase_by_series(data, by, rebases) or None)
        out_points.append(result.points.rename(columns={"x": "period_start", "y": "plot_y", "n": "plot_n"}))
        out_summary.append(result.summary)
    spc_cols = [c for c in POINT_COLUMNS if c not in ("x", "y", "n")]
    empty_points = pd.DataFrame(columns=[*by, "period_start", "plot_y", "plot_n", *spc_cols])
    empty_summary = pd.DataFrame(columns=[*by, *SUMMARY_COLUMNS])
    spc_points = pd.concat(out_points, ignore_index=True) if out_points else empty_points
    spc_summary = pd.concat(out_summary, ignore_index=True) if out_summary else empty_summary
    spc_points["period_start"] = pd.to_datetime(spc_points["period_start"]).astype("datetime64[us]")
    return spc_points, spc_summary, notes


def _rebase_by_series(data: pd.DataFrame, by: list[str], rebases: Rebases) -> dict[tuple, list[pd.Timestamp]]:
    """``spc``'s rebase argument: each series of ``data`` (its by-values) that has rebase dates."""
    if not rebases:
        return {}
    keys = data[by].drop_duplicates()
    out = {}
    for key in keys.itertuples(index=False, name=None):
        named = dict(zip(by, key, strict=True))
        dates = rebases.get((named["indicator_id"], named["org_code"], named["site_code"]))
        if dates:
            out[key] = [pd.Timestamp(d) for d in dates]
    return out


def _latest_icons(cat: pd.DataFrame, summary: pd.DataFrame, points: pd.DataFrame, notes: dict) -> pd.DataFrame:
    """Variation and assurance of each series' latest segment; the note that explains a gap."""
    by = [*SERIES_KEY, "edition"]
    latest = summary.groupby(by, sort=False).tail(1)[[*by, "variation", "assurance"]]
    cat = cat.merge(latest, on=by, how="left")
    last_point = points[points["point_type"].notna()].groupby(by, sort=False).tail(1)[[*by, "point_type"]]
    cat = cat.merge(last_point, on=by, how="left")
    missing = cat["variation"].isna() & cat["point_type"].notna()
    cat.loc[missing, "variation"] = cat.loc[missing, "point_type"]
    no_assurance = cat["target"].isna() | (cat["improvement"] == "neutral")
    cat.loc[no_assurance & cat["variation"].notna(), "assurance"] = "none"
    cat = cat.drop(columns=["point_type"])
    cat["note"] = [_note(r, notes.get(tuple(getattr(r, c) for c in by))) for r in cat.itertuples()]
    return cat


AS_OF_COLUMNS = (*SERIES_KEY, "edition", "as_of", "latest_period", "n_points", "variation", "assurance")


def as_of_dates(last_end: pd.Series) -> pd.DataFrame:
    """For each latest period end: the month end on or after it and the ``AS_OF_MONTHS`` month
    ends before that (columns ``last_end``, ``as_of``)."""
    ends = pd.Series(pd.to_datetime(last_end.unique()))
    current = ends + pd.offsets.MonthEnd(0)
    frames = [pd.DataFrame({"last_end": ends, "as_of": current - pd.offsets.MonthEnd(k)})
              for k in range(AS_OF_MONTHS + 1)]
    out = pd.concat(frames, ignore_index=True)
    out["as_of"] = out["as_of"].astype("datetime64[us]")
    return out


def _as_of(points: pd.DataFrame, cat: pd.DataFrame, rebases: Rebases) -> pd.DataFrame:
    """Variation and assurance of every series as they stood at each month end of the last
    ``AS_OF_MONTHS``: the SPC of the charted periods that had ended by then, recomputed (a run
    completed later is not read back into an earlier month). Statuses are today's: a period
    corrected since is shown corrected, and the public edition's suppression is the whole
    series' decision."""
    by = [*SERIES_KEY, "edition"]
    charted = points.loc[points["status"] == CHARTED,
                         [*by, "period_start", "numerator", "denominator", "value", "status"]].copy()
    if charted.empty:
        return pd.DataFrame({c: [] for c in AS_OF_COLUMNS})
    charted["period_end"] = charted["period_start"]
    for grain, rows in charted.groupby("grain", sort=False):
        charted.loc[rows.index, "period_end"] = _period_end(rows["period_start"], str(grain))
    last_end = charted.groupby(by, sort=False)["period_end"].max().rename("last_end").reset_index()
    dates = last_end.merge(as_of_dates(last_end["last_end"]), on="last_end").drop(columns="last_end")
    stacked = charted.merge(dates, on=by)
    stacked = stacked[stacked["period_end"] <= stacked["as_of"]]
    spc_points, spc_summary, _notes = _run_spc(stacked, cat, also_by=("as_of",), rebases=rebases)
    keys = [*by, "as_of"]
    shown = stacked.groupby(keys, sort=False).agg(latest_period=("period_start", "max"),
                                                  n_points=("period_start", "size")).reset_index()
    latest = spc_summary.groupby(keys, sort=False).tail(1)[[*keys, "variation", "assurance"]]
    last_point = spc_points[spc_points["point_type"].notna()].groupby(keys, sort=False).tail(1)
    out = shown.merge(latest, on=keys, how="left").merge(last_point[[*keys, "point_type"]], on=keys, how="left")
    missing = out["variation"].isna() & out["point_type"].notna()
    out.loc[missing, "variation"] = out.loc[missing, "point_type"]
    settings = cat[[*by, "target", "improvement"]]
    out = out.merge(settings, on=by, how="left")
    no_assurance = out["target"].isna() | (out["improvement"] == "neutral")
    out.loc[no_assurance & out["variation"].notna(), "assurance"] = "none"
    return out[list(AS_OF_COLUMNS)].sort_values(keys, kind="stable").reset_index(drop=True)


def _note(row, spc_note: str | None) -> str:  # noqa: ANN001 - a catalogue row
    parts = []
    if row.edition == "public" and row.hidden_share > SUPPRESSED_SERIES_SHARE:
        parts.append(f"Not charted: {row.hidden_periods} of {row.n_periods} periods have counts in the "
                     "suppressed range, too many to leave out without biasing the chart.")
    elif row.edition == "public" and row.hidden_periods:
        parts.append(f"{row.hidden_periods} period(s) with counts in the suppressed range are not drawn.")
    if pd.notna(row.first_incomplete):
        reason = f" (data until {row.data_until:%d %b %Y})" if pd.notna(row.data_until) else ""
        parts.append(f"The last period ({row.first_incomplete:%d %b %Y}) is incomplete{reason} and not shown.")
    if row.chart == "none":
        parts.append("Not an SPC measure: shown as values.")
    elif spc_note:
        parts.append(spc_note)
    return " ".join(parts)


def select_keys(series: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Rows of the series whose unit key is in ``keys``."""
    wanted = set(keys)
    return series[unit_keys(series).isin(wanted)]


def last_day(start: date, grain: str) -> date:
    """The last day of the period starting ``start``."""
    return _period_end(pd.Series([pd.Timestamp(start)]), grain).iloc[0].date()
