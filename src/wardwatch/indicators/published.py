"""Indicators loaded from published national statistics (``wardwatch.published``), not computed."""

from __future__ import annotations

from dataclasses import dataclass

from wardwatch.indicators.model import Indicator, PublishedSpec

AE_MONTHLY_SOURCE = "NHS England A&E monthly"

_AE_TARGET = (
    "NHS Constitution operational standard 95% within 4 hours (2010) [VERIFIED-PAGE, docs/methods.md 5.2]; "
    "interim 76% by March 2024, 78% by March 2025."
)

PUBLISHED_INDICATORS = (
    Indicator(
        id="ae_4h_type1",
        title="A&E 4-hour performance, type 1 departments (published)",
        description="NHS England monthly A&E statistics: share of type 1 attendances within 4 hours.",
        key_questions=("responsive",),
        core_service="UEC",
        unit="proportion",
        grains=("month",),
        improvement="increase",
        target=0.95,
        target_source=_AE_TARGET,
        chart="pp",
        numerator_text="type 1 attendances − type 1 breaches (over 4 hours)",
        denominator_text="type 1 attendances",
        spec=PublishedSpec(loader="ae-monthly", source=AE_MONTHLY_SOURCE),
    ),
    Indicator(
        id="ae_4h_all_types",
        title="A&E 4-hour performance, all department types (published)",
        description="NHS England monthly A&E statistics: share of attendances of all types within 4 hours.",
        key_questions=("responsive",),
        core_service="UEC",
        unit="proportion",
        grains=("month",),
        improvement="increase",
        target=0.95,
        target_source=_AE_TARGET,
        chart="pp",
        numerator_text="attendances − breaches, all types summed",
        denominator_text="attendances, all types summed",
        notes="The headline measure (docs/methods.md 5.2).",
        spec=PublishedSpec(loader="ae-monthly", source=AE_MONTHLY_SOURCE),
    ),
)

# ---------------------------------------------------------------------------------------------
# National published statistics (issue 10 item 6). One ``source`` per publication, so a reload of
# one never touches another; file formats and attribution in ``wardwatch/data/SOURCES.md``.

SHMI_SOURCE = "NHS Digital SHMI"
RTT_SOURCE = "NHS England RTT incomplete pathways"
KH03_SOURCE = "NHS England KH03 beds"
STAFF_SURVEY_SOURCE = "NHS Staff Survey"
AE_ANNUAL_SOURCE = "NHS England A&E annual"
CQC_RATINGS_SOURCE = "CQC provider ratings"

OGL = "Open Government Licence v3.0"


@dataclass(frozen=True)
class PublishedSource:
    """Who published the figures, under which licence, and the period each row covers."""

    source: str
    loader: str
    publisher: str
    licence: str
    period: str


PUBLISHED_SOURCES: dict[str, PublishedSource] = {
    s.source: s
    for s in (
        PublishedSource(AE_MONTHLY_SOURCE, "ae-monthly", "NHS England, A&E Attendances and Emergency "
                        "Admissions (monthly)", OGL, "calendar month (period_start = 1st of the month)"),
        PublishedSource(SHMI_SOURCE, "shmi", "NHS Digital, Summary Hospital-level Mortality Indicator",
                        OGL, "year as labelled by the publication (period_start = 1 January of the "
                        "labelled year; the exact 12-month window is not in the file)"),
        PublishedSource(RTT_SOURCE, "rtt", "NHS England, Referral to Treatment waiting times "
                        "(incomplete pathways)", OGL, "month-end snapshot (period_start = 1st of the "
                        "snapshot month)"),
        PublishedSource(KH03_SOURCE, "kh03", "NHS England, KH03 bed availability and occupancy", OGL,
                        "year as labelled (period_start = 1 January of the labelled year)"),
        PublishedSource(STAFF_SURVEY_SOURCE, "staff-survey", "NHS Staff Survey (for NHS England), "
                        "compiled by ebmgt/NHS-wellbeing", OGL,
                        "survey year (period_start = 1 January; fieldwork is in the autumn)"),
        PublishedSource(AE_ANNUAL_SOURCE, "ae-annual", "NHS England, A&E waiting times (annual "
                        "compilation)", OGL, "financial year (period_start = 1 April)"),
        PublishedSource(CQC_RATINGS_SOURCE, "cqc-ratings", "Care Quality Commission, provider ratings",
                        OGL, "publication date of each rating (table cqc_ratings, not measures)"),
    )
}

_RTT_TARGET = (
    "NHS operational standard: 92% of patients on incomplete pathways waiting no more than 18 weeks "
    "from referral [VERIFIED-PAGE: House of Commons Public Accounts Committee, HC 1750 (2019) para 3; "
    "nhs.uk scorecard metric 8136]."
)
_NO_TARGET = "No national target."


def _published(id: str, title: str, description: str, key_questions: tuple[str, ...], core_service: str,
               unit: str, grain: str, improvement: str, target: float | None, target_source: str,
               chart: str, loader: str, source: str, numerator: str = "", denominator: str = "",
               notes: str = "") -> Indicator:
    return Indicator(id=id, title=title, description=description, key_questions=key_questions,
                     core_service=core_service, unit=unit, grains=(grain,), improvement=improvement,
                     target=target, target_source=target_source, chart=chart,
                     numerator_text=numerator, denominator_text=denominator, notes=notes,
                     spec=PublishedSpec(loader=loader, source=source))


NATIONAL_INDICATORS = (
    _published(
        "shmi", "SHMI, trust level (published)",
        "NHS Digital Summary Hospital-level Mortality Indicator: deaths in hospital or within 30 days of "
        "discharge, observed / expected (docs/methods.md 4.1).",
        ("effective", "safe"), "TRUST_WIDE", "ratio", "year", "decrease", None,
        _NO_TARGET + " Judge with the banding (shmi_band), not against 1 (docs/methods.md 3.3).", "xmr",
        "shmi", SHMI_SOURCE, "observed deaths (when the file has them)",
        "expected deaths (when the file has them)",
        "Rows carry numerator/denominator only when the file gives observed and expected deaths.",
    ),
    _published(
        "shmi_band", "SHMI banding (published or computed)",
        "NHS Digital banding: 1 = higher than expected, 2 = as expected, 3 = lower than expected "
        "(95% limits, additive random effects, 10% truncation; docs/methods.md 3.3).",
        ("effective", "safe"), "TRUST_WIDE", "score", "year", "increase", None,
        _NO_TARGET + " Band 1 (higher than expected) is the signal.", "none",
        "shmi", SHMI_SOURCE,
        notes="Written only when the file has a banding column (published band kept) or observed and "
              "expected deaths (band computed per year with the SHMI funnel method). The shipped "
              "2012-2018 file has neither, so it gives no shmi_band rows.",
    ),
    _published(
        "rtt_incomplete_18wk", "RTT incomplete pathways within 18 weeks (published)",
        "NHS England RTT waiting times: share of patients still waiting (incomplete pathways) at the month "
        "end who had waited 18 weeks or less.",
        ("responsive",), "TRUST_WIDE", "proportion", "month", "increase", 0.92, _RTT_TARGET, "pp",
        "rtt", RTT_SOURCE, "incomplete pathways waiting 18 weeks or less", "incomplete pathways",
    ),
    _published(
        "kh03_bed_occupancy", "General and acute bed occupancy, KH03 (published)",
        "NHS England KH03: share of available beds occupied (average over the year).",
        ("safe",), "TRUST_WIDE", "proportion", "year", "decrease", None,
        _NO_TARGET + " High occupancy is read as a pressure signal; 85% is often quoted as a safe "
        "level (Bagust, Place & Posnett 1999, BMJ 319:155) [UNVERIFIED here].", "xmr",
        "kh03", KH03_SOURCE, "", "average available beds",
        "The value is the published share (2 decimals); the numerator is left empty rather than rebuilt "
        "from a rounded share.",
    ),
    _published(
        "kh03_beds_available", "Average available beds, KH03 (published)",
        "NHS England KH03: average number of available beds.",
        ("safe",), "TRUST_WIDE", "count", "year", "neutral", None, _NO_TARGET, "xmr", "kh03", KH03_SOURCE,
    ),
    _published(
        "staff_engagement", "Staff engagement score, NHS Staff Survey (published)",
        "NHS Staff Survey staff engagement score, 1-5 (as derived by the compilers).",
        ("well_led",), "TRUST_WIDE", "score", "year", "increase", None, _NO_TARGET, "xmr",
        "staff-survey", STAFF_SURVEY_SOURCE, denominator="survey respondents",
    ),
    _published(
        "staff_recommend_work", "Staff would recommend as a place to work, NHS Staff Survey (published)",
        "NHS Staff Survey: staff would recommend the organisation as a place to work, score 1-5.",
        ("well_led",), "TRUST_WIDE", "score", "year", "increase", None, _NO_TARGET, "xmr",
        "staff-survey", STAFF_SURVEY_SOURCE, denominator="survey respondents",
    ),
    _published(
        "staff_recommend_care", "Staff would recommend the care, NHS Staff Survey (published)",
        "NHS Staff Survey: staff would be happy with the standard of care for a friend or relative, "
        "score 1-5.",
        ("caring", "well_led"), "TRUST_WIDE", "score", "year", "increase", None, _NO_TARGET, "xmr",
        "staff-survey", STAFF_SURVEY_SOURCE, denominator="survey respondents",
    ),
    _published(
        "staff_work_stress", "Staff unwell from work-related stress, NHS Staff Survey (published)",
        "NHS Staff Survey: share of respondents who felt unwell as a result of work-related stress in the "
        "last 12 months.",
        ("well_led",), "TRUST_WIDE", "proportion", "year", "decrease", None, _NO_TARGET, "xmr",
        "staff-survey", STAFF_SURVEY_SOURCE, denominator="survey respondents",
        notes="The value is the published share; the numerator is left empty (the share is rounded).",
    ),
    _published(
        "ae_4h_annual", "A&E 4-hour performance, financial year (published compilation)",
        "Annual share of A&E attendances within 4 hours, as compiled by miqdadasaria/hospital_management.",
        ("responsive",), "UEC", "proportion", "year", "increase", 0.95, _AE_TARGET, "xmr",
        "ae-annual", AE_ANNUAL_SOURCE,
        notes="Rounded to 2 decimals; department-type basis undocumented (matches type 1 for RNA only). "
              "For illustration; prefer ae_4h_type1/ae_4h_all_types.",
    ),
)

PUBLISHED_INDICATORS = (*PUBLISHED_INDICATORS, *NATIONAL_INDICATORS)
