"""One organisation's page from the precomputed :class:`~wardwatch.public.data.PublicData`.

Only selection, formatting and drawing happen here (no statistics are recomputed), so a page for
every organisation in the files takes seconds. Every chart and table carries a caption naming its
source, licence and period; a dataset without rows for the organisation gives one line saying so,
never another trust's figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from markupsafe import escape

from wardwatch.indicators.published import (
    AE_MONTHLY_SOURCE,
    CQC_RATINGS_SOURCE,
    KH03_SOURCE,
    PUBLISHED_SOURCES,
    RTT_SOURCE,
    SHMI_SOURCE,
    STAFF_SURVEY_SOURCE,
)
from wardwatch.public.data import RULE, SPC_INDICATORS, PublicData
from wardwatch.render.funnel_svg import funnel_svg
from wardwatch.render.icons import (
    assurance_icon_svg,
    assurance_label,
    variation_icon_svg,
    variation_label,
)
from wardwatch.render.line_svg import line_svg
from wardwatch.render.spc_svg import spc_chart_svg
from wardwatch.report.format import format_count, format_period, format_value
from wardwatch.vocabulary import RATED_QUESTION_LABELS

TITLES = {
    "ae_4h_type1": "A&E four-hour performance, type 1 (major) departments",
    "ae_4h_all_types": "A&E four-hour performance, all department types",
    "rtt_incomplete_18wk": "RTT: patients waiting 18 weeks or less (incomplete pathways)",
}
SHORT = {"ae_4h_type1": "type 1 (major) A&E four-hour performance",
         "ae_4h_all_types": "all-types A&E four-hour performance"}
STAFF_COLUMNS = (
    ("staff_engagement", "Engagement (1–5)", "score"),
    ("staff_recommend_work", "Recommend as place to work (1–5)", "score"),
    ("staff_recommend_care", "Recommend the care (1–5)", "score"),
    ("staff_work_stress", "Unwell from work stress", "proportion"),
)
KEY_QUESTIONS = tuple(RATED_QUESTION_LABELS.values())
SHMI_BANDS = {1.0: "1 higher than expected", 2.0: "2 as expected", 3.0: "3 lower than expected"}
CQC_CSS = {"Outstanding": "rating outstanding", "Good": "rating good",
           "Requires improvement": "rating requires-improvement", "Inadequate": "rating inadequate",
           "Not rated": "rating not-rated"}


@dataclass(frozen=True)
class Figure:
    svg: str
    caption: str


@dataclass(frozen=True)
class Table:
    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]  # cells: text, or (text, css class)


@dataclass
class Section:
    id: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class PageView:
    org_code: str
    org_name: str
    name_source: str
    org_type: str
    story: list[str]
    summary: Table | None
    sections: list[Section]
    sources: list[tuple[str, str, str, str]]  # (source, publisher, licence, period)
    suppression: str
    db_label: str


def _period_range(starts: pd.Series, grain: str) -> str:
    first, last = min(starts), max(starts)
    if first == last:
        return format_period(first, grain)
    return f"{format_period(first, grain)} to {format_period(last, grain)}"


def source_line(source: str, starts: pd.Series | None = None, grain: str = "month", period: str = "") -> str:
    """"Source: publisher. Licence: OGL v3.0. Period: first to last (what a period is)."""
    meta = PUBLISHED_SOURCES[source]
    when = period or (_period_range(starts, grain) if starts is not None and len(starts) else "–")
    return f"Source: {meta.publisher}. Licence: {meta.licence}. Period: {when} ({meta.period})."


def no_data(source: str) -> str:
    return f"No published data for this trust in {PUBLISHED_SOURCES[source].publisher} ({source})."


def _rows(data: PublicData, org: str, indicator_id: str) -> pd.DataFrame:
    return data.series.get((org, indicator_id), data.empty)


def _shown_rows(data: PublicData, org: str, indicator_id: str) -> pd.DataFrame:
    """The rows a sentence may quote: none whose numerator or denominator is a count of 1-7."""
    rows = _rows(data, org, indicator_id)
    small = rows["numerator"].between(RULE.low, RULE.high) | rows["denominator"].between(RULE.low, RULE.high)
    return rows[~small]


def _spc_points(data: PublicData, org: str, indicator_id: str) -> tuple[pd.DataFrame, pd.Series] | None:
    points = data.spc_points.get((org, indicator_id))
    if points is None:
        return None
    return points, data.spc_last[(org, indicator_id)]


def _spc_figure(data: PublicData, org: str, indicator_id: str, section: Section,
                summary_rows: list[tuple[Any, ...]]) -> None:
    target, source = SPC_INDICATORS[indicator_id]
    title = TITLES[indicator_id]
    found = _spc_points(data, org, indicator_id)
    if found is None:
        hidden = int(data.suppressed.get(indicator_id, pd.Series(dtype=int)).get(org, 0))
        if hidden:
            section.missing.append(f"{title}: all {hidden} published period(s) for this trust have a count of "
                                   f"1–7 and are not shown (small-number rule). " + source_line(source, period="–"))
        else:
            section.missing.append(f"{title}: " + no_data(source))
        return
    points, last = found
    svg = spc_chart_svg(points, improvement="increase", target=target,
                        title=f"{org}: {title} (p′ chart), target {target:.0%}", value_format="percent",
                        assurance=str(last["assurance"]), variation=str(last["variation"]))
    periods = points["x"]
    hidden = int(data.suppressed.get(indicator_id, pd.Series(dtype=int)).get(org, 0))
    caption = (f"{title}: Making Data Count p′ chart (Laney) of {len(points)} published periods, "
               f"limits from all points; target {target:.0%}. " + source_line(source, periods, "month"))
    if hidden:
        caption += f" {hidden} period(s) with a count of 1–7 left out (small-number rule)."
    section.figures.append(Figure(svg, caption))
    latest = points.iloc[-1]
    summary_rows.append((
        title,
        format_period(latest["x"], "month"),
        format_value(float(latest["y"]), "proportion"),
        f"{target:.0%}",
        (variation_icon_svg(str(last["variation"]), "increase", size=34)
         + f'<span class="icon-label">{escape(variation_label(str(last["variation"]), "increase"))}</span>', "svg"),
        (assurance_icon_svg(str(last["assurance"]), size=34)
         + f'<span class="icon-label">{escape(assurance_label(str(last["assurance"])))}</span>', "svg"),
        source,
    ))


def _funnel_figure(data: PublicData, org: str, indicator_id: str, section: Section) -> str | None:
    national = data.funnels.get(indicator_id)
    title = TITLES[indicator_id]
    if national is None:
        return None
    units = national.result.units
    r = national.by_group.get(org)
    if r is None:
        if len(_rows(data, org, indicator_id)):
            section.missing.append(
                f"{title}: this trust did not report all 12 months of {national.label} in "
                f"{AE_MONTHLY_SOURCE}, so it is not in the national funnel.")
        return None
    svg = funnel_svg(national.drawn, national.result.limits, highlight=org, value_format="percent", improvement="increase",
                     title=f"{title}, {national.label}: all trusts, {org} highlighted",
                     x_label="Attendances in the year", y_label="Seen within 4 hours")
    rank = int((units["value"] > r["value"]).sum()) + 1
    where = {"high": "above the upper 99.8% limit", "low": "below the lower 99.8% limit"}.get(
        str(r["outlier"]), "within the 99.8% limits")
    sentence = (f"{org} in {national.label}: {format_value(float(r['value']), 'proportion')} "
                f"({format_count(float(r['numerator']), RULE)} of {format_count(float(r['denominator']), RULE)} "
                f"attendances) against the national {format_value(float(r['target']), 'proportion')}; rank {rank} "
                f"of {national.n_trusts} (1 = best), {where}.")
    caption = (f"Funnel plot of {SHORT[indicator_id]} over the financial year {national.label}. {sentence} "
               f"Each dot is one of "
               f"{national.n_trusts} trusts reporting all 12 months; centre line = national figure "
               f"{format_value(float(r['target']), 'proportion')}; 95% and 99.8% limits with additive "
               "overdispersion (Spiegelhalter 2005). "
               + source_line(AE_MONTHLY_SOURCE, period=f"Apr {national.year_start.year} to Mar "
                                                         f"{national.year_start.year + 1}"))
    section.figures.append(Figure(svg, caption))
    return f"{SHORT[indicator_id][0].upper()}{SHORT[indicator_id][1:]}, {sentence}"


def _first_last(frame: pd.DataFrame, grain: str, unit: str) -> str:
    first, last = frame.iloc[0], frame.iloc[-1]
    return (f"{format_value(float(first['value']), unit)} in {format_period(first['period_start'], grain)}, "
            f"{format_value(float(last['value']), unit)} in {format_period(last['period_start'], grain)}")


def ae_section(data: PublicData, org: str, story: list[str], summary_rows: list) -> Section:
    section = Section("ae", "A&E four-hour performance")
    for indicator_id in ("ae_4h_type1", "ae_4h_all_types"):
        _spc_figure(data, org, indicator_id, section, summary_rows)
        rows = _shown_rows(data, org, indicator_id)
        if len(rows):
            story.append(f"{TITLES[indicator_id]}: {_first_last(rows, 'month', 'proportion')} "
                         f"({AE_MONTHLY_SOURCE}).")
    for indicator_id in ("ae_4h_type1", "ae_4h_all_types"):
        sentence = _funnel_figure(data, org, indicator_id, section)
        if sentence:
            story.append(sentence)
    return section


def rtt_section(data: PublicData, org: str, story: list[str], summary_rows: list) -> Section:
    section = Section("rtt", "Referral to treatment (18 weeks)")
    _spc_figure(data, org, "rtt_incomplete_18wk", section, summary_rows)
    rows = _shown_rows(data, org, "rtt_incomplete_18wk")
    if len(rows):
        section.notes.append("The published file gives one snapshot a year (31 March), so the chart has one "
                             "point a year; read it as a trend, not a month-by-month process.")
        story.append(f"RTT waiting 18 weeks or less: {_first_last(rows, 'month', 'proportion')} "
                     f"(target 92%; {RTT_SOURCE}).")
    return section


def shmi_section(data: PublicData, org: str, story: list[str]) -> Section:
    section = Section("shmi", "Mortality: SHMI")
    rows = _rows(data, org, "shmi")
    if rows.empty:
        section.missing.append(no_data(SHMI_SOURCE))
        return section
    bands = _rows(data, org, "shmi_band").set_index("period_start")["value"]
    frame = rows[["period_start", "value"]].assign(period=pd.to_datetime(rows["period_start"]))
    svg = line_svg(frame, x="period", y="value", target=1.0, title=f"{org}: SHMI by year (1 = as many deaths "
                   "as expected)", value_format="number", y_label="SHMI")
    where = source_line(SHMI_SOURCE, rows["period_start"], "year")
    section.figures.append(Figure(svg, "SHMI (observed / expected deaths) by reporting year; the dashed line "
                                       "is 1, not a target. " + where))
    table_rows = []
    for _, r in rows.iterrows():
        band = bands.get(r["period_start"])
        table_rows.append((format_period(r["period_start"], "year"), f"{r['value']:.4f}",
                           SHMI_BANDS.get(band, "not in the published file")))
    section.tables.append(Table(f"SHMI and banding by year. {where}", ("Year", "SHMI", "Band"),
                                tuple(table_rows)))
    if bands.empty:
        section.notes.append("The published file gives the SHMI value only (no observed and expected deaths, "
                             "no banding), so the band cannot be shown: judge the SHMI with NHS Digital's "
                             "published banding, not against 1.")
    story.append(f"SHMI: {_first_last(rows, 'year', 'ratio')} ({SHMI_SOURCE}).")
    return section


def beds_section(data: PublicData, org: str, story: list[str]) -> Section:
    section = Section("beds", "Beds and occupancy (KH03)")
    beds = _rows(data, org, "kh03_beds_available")
    occupancy = _rows(data, org, "kh03_bed_occupancy")
    if beds.empty and occupancy.empty:
        section.missing.append(no_data(KH03_SOURCE))
        return section
    if len(occupancy):
        frame = occupancy.assign(period=pd.to_datetime(occupancy["period_start"]))
        svg = line_svg(frame, x="period", y="value", target=0.85, title=f"{org}: bed occupancy by year "
                       "(dashed line 85%)", value_format="percent", y_label="Beds occupied")
        section.figures.append(Figure(svg, "Share of available beds occupied, average over the year; the dashed "
                                           "line marks 85%, often quoted as a safe level (not a national "
                                           "target). " + source_line(KH03_SOURCE, occupancy["period_start"],
                                                                     "year")))
        story.append(f"Bed occupancy: {_first_last(occupancy, 'year', 'proportion')} ({KH03_SOURCE}).")
    merged = pd.merge(beds[["period_start", "value"]].rename(columns={"value": "beds"}),
                      occupancy[["period_start", "value"]].rename(columns={"value": "occ"}),
                      on="period_start", how="outer").sort_values("period_start")
    rows = tuple((format_period(r.period_start, "year"), format_value(r.beds, "count"),
                  format_value(r.occ, "proportion")) for r in merged.itertuples())
    section.tables.append(Table("Average available beds and occupancy by year. "
                                + source_line(KH03_SOURCE, merged["period_start"], "year"),
                                ("Year", "Available beds", "Occupied"), rows))
    return section


def staff_section(data: PublicData, org: str, story: list[str]) -> Section:
    section = Section("staff", "NHS Staff Survey")
    frames = {i: _rows(data, org, i) for i, _, _ in STAFF_COLUMNS}
    if all(f.empty for f in frames.values()):
        section.missing.append(no_data(STAFF_SURVEY_SOURCE))
        return section
    years = sorted(set().union(*(set(f["period_start"]) for f in frames.values())))
    lookup = {i: dict(zip(f["period_start"], zip(f["value"], f["denominator"], strict=True), strict=True))
              for i, f in frames.items()}
    rows = []
    for year in years:
        respondents = next((lookup[i][year][1] for i in lookup if year in lookup[i]), float("nan"))
        cells = [format_value(lookup[i][year][0], unit) if year in lookup[i] else "–" for i, _, unit in STAFF_COLUMNS]
        rows.append((format_period(year, "year"), format_count(respondents, RULE), *cells))
    section.tables.append(Table("Staff survey indicators by survey year (fieldwork in the autumn). "
                                + source_line(STAFF_SURVEY_SOURCE, pd.Series(years), "year"),
                                ("Year", "Respondents", *(label for _, label, _ in STAFF_COLUMNS)), tuple(rows)))
    engagement = frames["staff_engagement"]
    if len(engagement):
        story.append(f"Staff engagement: {_first_last(engagement, 'year', 'score')} ({STAFF_SURVEY_SOURCE}).")
    return section


def cqc_section(data: PublicData, org: str, story: list[str]) -> Section:
    section = Section("cqc", "CQC ratings")
    history = data.ratings_by_org.get(org)
    if history is None or history.empty:
        section.missing.append(f"No published ratings for this trust in "
                               f"{PUBLISHED_SOURCES[CQC_RATINGS_SOURCE].publisher} ({CQC_RATINGS_SOURCE}).")
        return section
    grid = history.pivot_table(index=["publication_date", "service"], columns="key_question", values="rating",
                               aggfunc="first")
    keys = sorted(grid.index, key=lambda k: (k[0], k[1] != "Overall", k[1]))
    rows = []
    for published, service in keys:
        ratings = grid.loc[(published, service)]
        cells = []
        for kq in KEY_QUESTIONS:
            value = ratings.get(kq)
            text = value if isinstance(value, str) else "–"
            cells.append((text, CQC_CSS.get(text, "")))
        rows.append((format_period(published, "day"), service, *cells))
    dates = pd.Series(list(history["publication_date"]))
    section.tables.append(Table("CQC ratings by publication date (service “Overall” = the trust as a whole). "
                                + source_line(CQC_RATINGS_SOURCE, period=_dates(dates)),
                                ("Published", "Service", *KEY_QUESTIONS), tuple(rows)))
    overall = history[(history["service"] == "Overall") & (history["key_question"] == "Overall")]
    if len(overall):
        last = overall.iloc[-1]
        story.append(f"CQC overall rating: {last['rating']} (published {format_period(last['publication_date'], 'day')}"
                     f"; {CQC_RATINGS_SOURCE}).")
    section.notes.append("The shipped export is a snapshot of the latest rating of each service in early 2019, "
                         "not a full history; load later exports with `wardwatch load-published cqc-ratings` "
                         "into a warehouse (`--db`) to add to it.")
    return section


def _dates(values: pd.Series) -> str:
    first, last = min(values), max(values)
    fmt = (lambda d: pd.Timestamp(d).strftime("%d %b %Y"))
    return fmt(first) if first == last else f"{fmt(first)} to {fmt(last)}"


def page_view(data: PublicData, org: str) -> PageView:
    """Everything one organisation's page shows (``org`` must be a code from ``data``)."""
    name, name_source = data.org_name(org)
    story: list[str] = []
    summary_rows: list[tuple[Any, ...]] = []
    sections = [
        ae_section(data, org, story, summary_rows),
        shmi_section(data, org, story),
        rtt_section(data, org, story, summary_rows),
        beds_section(data, org, story),
        staff_section(data, org, story),
        cqc_section(data, org, story),
    ]
    summary = (Table("Latest published month and SPC icons (Making Data Count) for the measures with a target",
                     ("Measure", "Latest", "Value", "Target", "Variation", "Assurance", "Source"),
                     tuple(summary_rows)) if summary_rows else None)
    sources = [(s.source, s.publisher, s.licence, s.period) for s in PUBLISHED_SOURCES.values()
               if s.loader != "ae-annual"]
    return PageView(org_code=org, org_name=name, name_source=name_source,
                    org_type=data.org_types.get(org, "not in the provider lookup"), story=story,
                    summary=summary, sections=sections, sources=sources, suppression=RULE.describe(),
                    db_label=data.db_label)


__all__ = ["Figure", "PageView", "Section", "Table", "page_view", "source_line"]
