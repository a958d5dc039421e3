"""Published national statistics per trust -> ``measures``: SHMI, RTT, KH03, NHS Staff Survey, A&E annual.

File formats are those of the files shipped in ``wardwatch/data`` (``SOURCES.md`` there); extra
columns (``org_name`` and the like) are ignored. Each ``prepare_*`` reads and checks a file and
returns the rows to write, without touching a warehouse; ``load_published`` writes them. A file
holds one row per organisation and period: a repeated row is refused, never summed or averaged.

Periods: ``period_start`` is the first day of the period the row covers; ``period_grain`` is
``month`` (RTT month-end snapshots, stored as the 1st of that month) or ``year`` (1 January of the
labelled year for SHMI, KH03 and the staff survey, whose files do not give the exact window;
1 April for the financial-year A&E compilation).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from wardwatch.errors import InputError
from wardwatch.indicators.published import (
    AE_ANNUAL_SOURCE,
    KH03_SOURCE,
    RTT_SOURCE,
    SHMI_SOURCE,
    STAFF_SURVEY_SOURCE,
)
from wardwatch.published._common import (
    LoadResult,
    check_org_codes,
    check_unique,
    dates,
    fail_first,
    measures_frame,
    numbers,
    read_rows,
    sort_measures,
    whole_numbers,
    years,
)

#: NHS Digital's banding codes (docs/methods.md 3.3; the labels of ``wardwatch.stats.funnel``)
SHMI_BAND_CODES = {"higher than expected": 1, "as expected": 2, "lower than expected": 3}
_BAND_TEXT = {"1": 1, "2": 2, "3": 3, "higher than expected": 1, "as expected": 2, "lower than expected": 3}
#: accepted spellings of the optional SHMI columns (NHS Digital's own headers and short forms)
_SHMI_OPTIONAL = {
    "observed": ("observed", "observed_deaths", "Provider spells observed deaths"),
    "expected": ("expected", "expected_deaths"),
    "banding": ("banding", "shmi_banding", "SHMI banding"),
}
#: the published SHMI is O/E rounded to 4 decimals; allow for that and a little more
SHMI_TOLERANCE = 0.001


def _jan1(year: pd.Series) -> pd.Series:
    return pd.to_datetime(year.astype(str) + "-01-01")


def _optional(frame: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    return next((n for n in names if n in frame.columns), None)


def _result(kind: str, path: Path, frame: pd.DataFrame, parts: list[pd.DataFrame], source: str,
            no_rows_reason: str, notes: tuple[str, ...] = ()) -> LoadResult:
    """Collect measures rows; a file row that gave no measures row at all is refused."""
    rows = pd.concat(parts) if parts else pd.DataFrame()
    used = set(rows.index) if len(rows) else set()
    result = LoadResult(kind, path, read=len(frame), rows=sort_measures(rows) if len(rows) else rows,
                        source=source, notes=notes)
    refused = int((~frame.index.isin(list(used))).sum())
    if refused:
        result.refused[no_rows_reason] = refused
    return result


# --------------------------------------------------------------------------------------------- SHMI


def prepare_shmi(path: str | Path) -> LoadResult:
    """NHS Digital SHMI by trust and year: ``year, org_code, shmi`` (+ optional observed, expected, banding).

    Banding (indicator ``shmi_band``): the file's banding column when it has one; otherwise, when it
    has observed and expected deaths, computed for each year against all trusts of that year with
    the SHMI funnel method (``stats.funnel``, docs/methods.md 3.3); otherwise none (said in the notes).
    """
    path = Path(path)
    frame = read_rows(path, ("year", "org_code", "shmi"),
                      "the NHS Digital SHMI CSV (year, org_code, shmi)")
    year = years(path, frame, "year")
    check_org_codes(path, frame)
    shmi = numbers(path, frame, "shmi", 0.0, 10.0)
    fail_first(path, frame, "shmi", shmi == 0, "a SHMI above 0")
    check_unique(path, frame, ["year", "org_code"], "trust and year")
    obs_col = _optional(frame, _SHMI_OPTIONAL["observed"])
    exp_col = _optional(frame, _SHMI_OPTIONAL["expected"])
    band_col = _optional(frame, _SHMI_OPTIONAL["banding"])
    observed = expected = None
    if (obs_col is None) != (exp_col is None):
        raise InputError(f"{path}: has {obs_col or exp_col} but not {'expected' if obs_col else 'observed'} "
                         "deaths; give both columns or neither")
    if obs_col and exp_col:
        observed = whole_numbers(path, frame, obs_col, blank_ok=True)
        expected = numbers(path, frame, exp_col, 0.0, None)
        fail_first(path, frame, exp_col, expected == 0, "an expected count above 0")
        ratio = observed / expected
        fail_first(path, frame, "shmi", (ratio - shmi).abs() > SHMI_TOLERANCE,
                   f"{obs_col} / {exp_col} on the same line (to {SHMI_TOLERANCE})")
    ok = shmi.notna()
    period = _jan1(year)
    parts = [measures_frame("shmi", frame["org_code"][ok], period[ok], "year", shmi[ok], SHMI_SOURCE,
                            None if observed is None else observed[ok],
                            None if expected is None else expected[ok])]
    notes: tuple[str, ...] = ()
    if band_col:
        text = frame[band_col].str.lower()
        fail_first(path, frame, band_col, ~(text.isin(list(_BAND_TEXT)) | (text == "")),
                   "a SHMI band (1, 2, 3, 'higher than expected', 'as expected', 'lower than expected')")
        band = text.map(_BAND_TEXT).astype("float64")
        has = band.notna() & ok
        parts.append(measures_frame("shmi_band", frame["org_code"][has], period[has], "year", band[has],
                                    SHMI_SOURCE))
    elif observed is not None and expected is not None:
        band, skipped = _computed_bands(frame["org_code"], year, observed, expected)
        has = band.notna()
        parts.append(measures_frame("shmi_band", frame["org_code"][has], period[has], "year", band[has],
                                    SHMI_SOURCE))
        if skipped:
            notes = ((f"no banding for year(s) {', '.join(map(str, skipped))}: fewer than 3 trusts with "
                     "observed and expected deaths"),)
    else:
        notes = (("no shmi_band rows: the file has neither a banding column nor observed and expected "
                 "deaths to compute one from"),)
    return _result("shmi", path, frame, parts, SHMI_SOURCE, "with no SHMI value", notes)


def _computed_bands(org: pd.Series, year: pd.Series, observed: pd.Series, expected: pd.Series
                    ) -> tuple[pd.Series, list[int]]:
    from wardwatch.stats.funnel import funnel  # SciPy: imported only when there is something to band

    band = pd.Series(np.nan, index=org.index)
    skipped = []
    usable = observed.notna() & expected.notna()
    for y in sorted(year[usable].unique()):
        idx = year.index[(year == y) & usable]
        if len(idx) < 3:
            skipped.append(int(y))
            continue
        data = pd.DataFrame({"org": org[idx], "o": observed[idx], "e": expected[idx]})
        units = funnel(data, "org", "o", "e", type="SR", method="shmi", od="additive").units
        codes = units.set_index("group")["band"].map(SHMI_BAND_CODES)
        band[idx] = org[idx].map(codes).to_numpy()
    return band, skipped


# ---------------------------------------------------------------------------------------------- RTT


def prepare_rtt(path: str | Path) -> LoadResult:
    """NHS England RTT incomplete pathways by trust at month ends: ``snapshot_date, org_code,
    incomplete_pathways, within_18_weeks`` (+ optional ``rtt_18wk_share``, checked)."""
    path = Path(path)
    frame = read_rows(path, ("snapshot_date", "org_code", "incomplete_pathways", "within_18_weeks"),
                      "the NHS England RTT incomplete pathways CSV (snapshot_date, org_code, "
                      "incomplete_pathways, within_18_weeks)")
    snapshot = dates(path, frame, "snapshot_date", "a month-end date YYYY-MM-DD")
    fail_first(path, frame, "snapshot_date", ~snapshot.dt.is_month_end, "the last day of a month")
    check_org_codes(path, frame)
    waiting = whole_numbers(path, frame, "incomplete_pathways")
    within = whole_numbers(path, frame, "within_18_weeks")
    fail_first(path, frame, "within_18_weeks", within > waiting,
               "at most incomplete_pathways on the same line")
    if "rtt_18wk_share" in frame.columns:
        share = numbers(path, frame, "rtt_18wk_share", 0.0, 1.0)
        # the published share has 6 decimals
        off = (share - (within / waiting.where(waiting > 0))).abs() > 5e-6
        fail_first(path, frame, "rtt_18wk_share", off & share.notna(),
                   "within_18_weeks / incomplete_pathways on the same line")
    check_unique(path, frame, ["snapshot_date", "org_code"], "trust and snapshot date")
    ok = waiting > 0
    month = snapshot.dt.to_period("M").dt.to_timestamp()
    parts = [measures_frame("rtt_incomplete_18wk", frame["org_code"][ok], month[ok], "month",
                            within[ok] / waiting[ok], RTT_SOURCE, within[ok], waiting[ok])]
    return _result("rtt", path, frame, parts, RTT_SOURCE, "with no patients waiting")


# --------------------------------------------------------------------------------------------- KH03


def prepare_kh03(path: str | Path) -> LoadResult:
    """NHS England KH03 beds by trust and year: ``year, org_code, beds, occupancy_share``."""
    path = Path(path)
    frame = read_rows(path, ("year", "org_code", "beds", "occupancy_share"),
                      "the NHS England KH03 beds CSV (year, org_code, beds, occupancy_share)")
    year = years(path, frame, "year")
    check_org_codes(path, frame)
    beds = numbers(path, frame, "beds", 0.0, None)
    occupancy = numbers(path, frame, "occupancy_share", 0.0, 1.0)
    check_unique(path, frame, ["year", "org_code"], "organisation and year")
    period = _jan1(year)
    has_beds = beds.notna()
    # with no beds available an occupancy share means nothing, whatever the file says
    has_occ = occupancy.notna() & (beds > 0)
    parts = [
        measures_frame("kh03_beds_available", frame["org_code"][has_beds], period[has_beds], "year",
                       beds[has_beds], KH03_SOURCE),
        measures_frame("kh03_bed_occupancy", frame["org_code"][has_occ], period[has_occ], "year",
                       occupancy[has_occ], KH03_SOURCE, denominator=beds[has_occ]),
    ]
    no_occ = int((occupancy.notna() & (beds == 0)).sum())
    notes = (f"kh03_bed_occupancy not written for {no_occ} row(s) with 0 beds",) if no_occ else ()
    return _result("kh03", path, frame, parts, KH03_SOURCE, "with no beds or occupancy", notes)


# ------------------------------------------------------------------------------------- Staff Survey

#: indicator id -> (column, low, high)
STAFF_SURVEY_COLUMNS = {
    "staff_engagement": ("engagement_score", 1.0, 5.0),
    "staff_recommend_work": ("recommend_as_place_to_work_score", 1.0, 5.0),
    "staff_recommend_care": ("recommend_care_score", 1.0, 5.0),
    "staff_work_stress": ("work_stress_share", 0.0, 1.0),
}


def prepare_staff_survey(path: str | Path) -> LoadResult:
    """NHS Staff Survey indicators by trust and year (format of ``staff_survey_and_shmi_by_trust``).

    The file's ``shmi`` columns are not loaded: they are the compilers' figures for other windows;
    load SHMI from the NHS Digital file (``load-published shmi``)."""
    path = Path(path)
    columns = tuple(c for c, _, _ in STAFF_SURVEY_COLUMNS.values())
    frame = read_rows(path, ("org_code", "year", "staff_survey_responses", *columns),
                      "the NHS Staff Survey CSV (org_code, year, staff_survey_responses, "
                      + ", ".join(columns) + ")")
    check_org_codes(path, frame)
    year = years(path, frame, "year")
    responses = whole_numbers(path, frame, "staff_survey_responses", blank_ok=True)
    check_unique(path, frame, ["org_code", "year"], "trust and year")
    period = _jan1(year)
    parts = []
    for indicator_id, (column, low, high) in STAFF_SURVEY_COLUMNS.items():
        values = numbers(path, frame, column, low, high)
        ok = values.notna()
        parts.append(measures_frame(indicator_id, frame["org_code"][ok], period[ok], "year", values[ok],
                                    STAFF_SURVEY_SOURCE, denominator=responses[ok]))
    return _result("staff-survey", path, frame, parts, STAFF_SURVEY_SOURCE, "with no staff survey figures")


# ---------------------------------------------------------------------------------------- A&E annual


def prepare_ae_annual(path: str | Path) -> LoadResult:
    """A&E 4-hour share by trust and financial year: ``fin_year_start, org_code, ae_4hr_within_share``."""
    path = Path(path)
    frame = read_rows(path, ("fin_year_start", "org_code", "ae_4hr_within_share"),
                      "the annual A&E 4-hour CSV (fin_year_start, org_code, ae_4hr_within_share)")
    year = years(path, frame, "fin_year_start")
    # the compilation marks some codes "RJ1-X"; what the suffix means is not documented, so these
    # rows are refused (counted) rather than guessed to be the trust's own figures
    suffixed = frame["org_code"].str.fullmatch(r"[A-Z0-9]{3}-X")
    check_org_codes(path, frame[~suffixed])
    share = numbers(path, frame, "ae_4hr_within_share", 0.0, 1.0)
    check_unique(path, frame, ["fin_year_start", "org_code"], "organisation and financial year")
    ok = share.notna() & ~suffixed
    april = pd.to_datetime(year.astype(str) + "-04-01")
    parts = [measures_frame("ae_4h_annual", frame["org_code"][ok], april[ok], "year", share[ok],
                            AE_ANNUAL_SOURCE)]
    result = _result("ae-annual", path, frame, parts, AE_ANNUAL_SOURCE, "with no 4-hour share")
    n_suffixed = int(suffixed.sum())
    if n_suffixed:
        result.refused["with no 4-hour share"] -= n_suffixed
        result.refused["with an org code ending -X (not an ODS code; meaning undocumented)"] = n_suffixed
        result.refused += Counter()  # drops a reason left at zero
    return result


__all__ = [
    "prepare_ae_annual",
    "prepare_kh03",
    "prepare_rtt",
    "prepare_shmi",
    "prepare_staff_survey",
]
