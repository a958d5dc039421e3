"""The synthetic world's pinned facts: data window, focal trust, injected signals, true risk model.

Everything another part of wardwatch (or a test) may rely on about the synthetic data is a
constant here, so a test can say "signal 2 starts on ``SIGNALS[1].start``" instead of repeating
a date. The generator modules read the same constants, so the data and the documentation of the
data cannot drift apart.

Signals are expressed as *expected* values of an indicator over time (piecewise-linear knots)
or as odds ratios; the generator draws each patient's outcome with that probability, so the
observed monthly values scatter binomially around the knots.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

import numpy as np

#: First and last day of the synthetic data window (inclusive): three financial years.
WINDOW_START = date(2017, 4, 1)
WINDOW_END = date(2020, 3, 31)
#: The extract is taken at the end of the last day; anything later is "not yet happened".
EXTRACT_AT = np.datetime64("2020-04-01T00:00:00")

FOCAL_ORG = "ZFV"
HIGH_MORTALITY_PEER = "ZP07"
PEER_ORGS = tuple(f"ZP{i:02d}" for i in range(1, 15))


@dataclass(frozen=True)
class Signal:
    """One injected (or deliberately absent) signal in the synthetic data.

    ``knots`` give the expected indicator value (a fraction) at dates; between knots the value
    is linear, before the first / after the last knot it is flat. A knot pair on consecutive
    days is a step. ``odds_ratio`` is used instead of knots for mortality signals.
    """

    id: int
    indicator_id: str
    org_code: str
    description: str
    start: date
    end: date
    expected_effect: str
    action: str | None = None
    action_date: date | None = None
    knots: tuple[tuple[date, float], ...] = ()
    odds_ratio: float | None = None
    modality: str | None = None
    diagnosis_group: str | None = None
    related_indicator_ids: tuple[str, ...] = field(default=())

    def expected_value(self, when: date | np.ndarray) -> float | np.ndarray:
        """Expected indicator value at ``when`` (a date or an array of datetime64)."""
        if not self.knots:
            raise ValueError(f"signal {self.id} has no knots (it is an odds-ratio signal)")
        return knot_curve(self.knots, when)


def _days(values: date | np.ndarray) -> np.ndarray:
    return (
        np.asarray(np.datetime64(values, "D") if isinstance(values, date) else values)
        .astype("datetime64[D]")
        .astype(np.int64)
    )


def knot_curve(knots: tuple[tuple[date, float], ...], when: date | np.ndarray) -> float | np.ndarray:
    """Piecewise-linear interpolation of ``knots`` at ``when`` (flat outside the knots)."""
    xs = np.array([np.datetime64(d, "D").astype(np.int64) for d, _ in knots], dtype=np.float64)
    ys = np.array([v for _, v in knots], dtype=np.float64)
    out = np.interp(_days(when).astype(np.float64), xs, ys)
    return float(out) if isinstance(when, date) else out


SEPSIS_ABX_SIGNAL = Signal(
    id=1,
    indicator_id="sepsis_antibiotics_1h_news2_7plus",
    org_code=FOCAL_ORG,
    description=(
        "Share of NEWS2 >= 7 suspected-sepsis patients given antibiotics within 1 hour: about 75% "
        "until 2018-03-31, declining linearly to about 55% by 2019-03-31, then about 85% from "
        "2019-04-01 when a quality matron was appointed."
    ),
    start=date(2018, 4, 1),
    end=date(2020, 3, 31),
    expected_effect="worsening trend (concern) 2018-04..2019-03, then a step up to ~85% (improvement)",
    action="quality matron",
    action_date=date(2019, 4, 1),
    knots=(
        (WINDOW_START, 0.75),
        (date(2018, 3, 31), 0.75),
        (date(2019, 3, 31), 0.55),
        (date(2019, 4, 1), 0.85),
        (WINDOW_END, 0.85),
    ),
)

IMAGING_INPATIENT_SIGNAL = Signal(
    id=2,
    indicator_id="imaging_inpatient_scanned_24h",
    org_code=FOCAL_ORG,
    description=(
        "Share of inpatient imaging requests scanned within 24 hours: about 65% until 2019-04-30, "
        "about 88% from 2019-05-01 (24/7 monitoring of inpatients waiting for imaging)."
    ),
    start=date(2019, 5, 1),
    end=WINDOW_END,
    expected_effect="step up from ~65% to ~88% on 2019-05-01 (improvement shift)",
    action="24/7 monitoring of inpatients waiting for imaging",
    action_date=date(2019, 5, 1),
    knots=((WINDOW_START, 0.65), (date(2019, 4, 30), 0.65), (date(2019, 5, 1), 0.88), (WINDOW_END, 0.88)),
)

IRMER_CT_SIGNAL = Signal(
    id=3,
    indicator_id="irmer_training_in_date",
    org_code=FOCAL_ORG,
    description=(
        "Share of CT IR(ME)R practitioner/operator training requirements in date: about 95% until "
        "2017-12-31, lapsing linearly to about 55% by 2019-01-31 (flat to 2019-02-28, covering the "
        "inspection), recovering linearly to about 95% by 2019-07-01 after radiographer recruitment."
    ),
    start=date(2018, 1, 1),
    end=date(2019, 7, 1),
    expected_effect="decline to ~55% (concern) then recovery to ~95% (improvement)",
    action="radiographer recruitment",
    action_date=date(2019, 3, 1),
    knots=(
        (WINDOW_START, 0.95),
        (date(2017, 12, 31), 0.95),
        (date(2019, 1, 31), 0.55),
        (date(2019, 2, 28), 0.55),
        (date(2019, 7, 1), 0.95),
        (WINDOW_END, 0.95),
    ),
    modality="CT",
)

HIGH_MORTALITY_SIGNAL = Signal(
    id=4,
    indicator_id="mortality_crude_30d",
    org_code=HIGH_MORTALITY_PEER,
    description="Peer ZP07 has genuinely high mortality: odds ratio 1.8 on every diagnosis group, whole window.",
    start=WINDOW_START,
    end=WINDOW_END,
    expected_effect="ZP07 above the upper funnel limits for crude and risk-adjusted 30-day mortality",
    odds_ratio=1.8,
)

FOCAL_SEPSIS_MORTALITY_SIGNAL = Signal(
    id=5,
    indicator_id="sepsis_mortality_crude_30d",
    org_code=FOCAL_ORG,
    description=(
        "Focal sepsis mortality odds ratio 0.92 (admissions with diagnosis group sepsis and the sepsis "
        "audit): below 1. At small scale it is within chance; at the demo's medium scale (about "
        "eight times the spells) the whole-window SMR is banded lower than expected, because the "
        "risk model is fitted on all trusts and peer ZP07's high mortality raises everyone's "
        "expected deaths, as a national model would."
    ),
    start=WINDOW_START,
    end=WINDOW_END,
    expected_effect=(
        "ratio of observed to expected below 1; inside the 95% funnel limits at small scale, "
        "below them over the whole window at medium scale"
    ),
    odds_ratio=0.92,
    diagnosis_group="sepsis",
)

CONTROL_SIGNAL = Signal(
    id=6,
    indicator_id="staffing_fill_rate",
    org_code=FOCAL_ORG,
    description=(
        "Controls: no injected change in staffing fill rate, ED initial assessment within 15 minutes "
        "or mandatory training compliance. The 'staffing review' on 2019-06-01 must show no effect."
    ),
    start=date(2019, 6, 1),
    end=WINDOW_END,
    expected_effect="no effect: common-cause variation only before and after 2019-06-01",
    action="staffing review",
    action_date=date(2019, 6, 1),
    related_indicator_ids=("ed_initial_assessment_15min", "mandatory_training_compliance"),
)

SIGNALS: tuple[Signal, ...] = (
    SEPSIS_ABX_SIGNAL,
    IMAGING_INPATIENT_SIGNAL,
    IRMER_CT_SIGNAL,
    HIGH_MORTALITY_SIGNAL,
    FOCAL_SEPSIS_MORTALITY_SIGNAL,
    CONTROL_SIGNAL,
)


def signal(signal_id: int) -> Signal:
    """The signal with this id (1..6)."""
    for s in SIGNALS:
        if s.id == signal_id:
            return s
    raise KeyError(f"no synthetic signal {signal_id}; ids are 1..{len(SIGNALS)}")


@dataclass(frozen=True)
class Inspection:
    org_code: str
    start: date | None
    end: date | None
    report_published: date
    ratings: Mapping[str, str]


INSPECTIONS: tuple[Inspection, ...] = (
    Inspection(
        org_code=FOCAL_ORG,
        start=None,
        end=None,
        report_published=date(2017, 9, 12),
        ratings=MappingProxyType({"overall": "Requires improvement"}),
    ),
    Inspection(
        org_code=FOCAL_ORG,
        start=date(2019, 1, 15),
        end=date(2019, 2, 16),
        report_published=date(2019, 7, 12),
        ratings=MappingProxyType(
            {
                "overall": "Requires improvement",
                "safe": "Inadequate",
                "effective": "Good",
                "caring": "Good",
                "responsive": "Requires improvement",
                "well_led": "Requires improvement",
            }
        ),
    ),
)


# ---------------------------------------------------------------------------------------------
# True mortality model (SHMI-like case mix: docs/methods.md 4.1)
# ---------------------------------------------------------------------------------------------

AGE_BANDS = ("0-17", "18-44", "45-64", "65-74", "75-84", "85+")
AGE_BAND_EDGES = (18, 45, 65, 75, 85)  # lower edges of bands 2..6


def age_band(age: np.ndarray) -> np.ndarray:
    """Index into ``AGE_BANDS`` for each age in whole years."""
    return np.searchsorted(np.asarray(AGE_BAND_EDGES), np.asarray(age), side="right")


@dataclass(frozen=True)
class MortalityModel:
    """Logistic model of death in hospital or within 30 days of discharge (SHMI outcome).

    logit p = intercept[diagnosis_group] + age_band[band] + sex[sex] + admission_method[method]
              + charlson * charlson_index + month[calendar month of admission]
              + year_index * (financial years since 2017-04-01: 0, 1, 2)
              + log(org_odds_ratios[org]) + log(org_group_odds_ratios[(org, group)])

    Reference categories (coefficient 0): age band 45-64, sex F, emergency admission, April.
    """

    intercept: Mapping[str, float]
    age_band: Mapping[str, float]
    sex: Mapping[str, float]
    admission_method: Mapping[str, float]
    charlson: float
    month: Mapping[int, float]
    year_index: float
    org_odds_ratios: Mapping[str, float]
    org_group_odds_ratios: Mapping[tuple[str, str], float]

    def linear_predictor(
        self,
        *,
        diagnosis_group: np.ndarray,
        age: np.ndarray,
        sex: np.ndarray,
        admission_method: np.ndarray,
        charlson_index: np.ndarray,
        month: np.ndarray,
        year_index: np.ndarray,
        org_code: np.ndarray,
    ) -> np.ndarray:
        """Log-odds of death for each spell (arrays of equal length; strings as object/str arrays)."""
        dg = np.asarray(diagnosis_group).astype(str)
        org = np.asarray(org_code).astype(str)
        eta = _lookup(self.intercept, dg)
        eta = eta + np.asarray([self.age_band[b] for b in AGE_BANDS])[age_band(age)]
        eta = eta + _lookup(self.sex, np.asarray(sex).astype(str))
        eta = eta + _lookup(self.admission_method, np.asarray(admission_method).astype(str))
        eta = eta + self.charlson * np.asarray(charlson_index, dtype=np.float64)
        month_coef = np.array([self.month[m] for m in range(1, 13)])
        eta = eta + month_coef[np.asarray(month, dtype=np.int64) - 1]
        eta = eta + self.year_index * np.asarray(year_index, dtype=np.float64)
        eta = eta + np.log(_lookup(self.org_odds_ratios, org, default=1.0))
        for (org_code_, group), odds in self.org_group_odds_ratios.items():
            eta = eta + np.where((org == org_code_) & (dg == group), math.log(odds), 0.0)
        return eta

    def probability(self, **arrays: np.ndarray) -> np.ndarray:
        """Probability of death for each spell: the inverse logit of ``linear_predictor``."""
        return 1.0 / (1.0 + np.exp(-self.linear_predictor(**arrays)))


def _lookup(mapping: Mapping, keys: np.ndarray, default: float | None = None) -> np.ndarray:
    uniques, inverse = np.unique(keys, return_inverse=True)
    values = np.array(
        [mapping[k] if default is None else mapping.get(k, default) for k in uniques.tolist()],
        dtype=np.float64,
    )
    return values[inverse]


TRUE_MORTALITY_MODEL = MortalityModel(
    intercept=MappingProxyType(
        {
            "sepsis": -2.10,
            "pneumonia": -2.40,
            "heart_failure": -2.90,
            "stroke": -2.50,
            "copd": -3.30,
            "ami": -3.30,
            "uti": -3.80,
            "hip_fracture": -3.50,
            "gi_bleed": -3.40,
            "aki": -2.70,
            "other": -4.90,
        }
    ),
    age_band=MappingProxyType(
        {"0-17": -1.60, "18-44": -0.90, "45-64": 0.0, "65-74": 0.45, "75-84": 0.90, "85+": 1.35}
    ),
    sex=MappingProxyType({"F": 0.0, "M": 0.12, "U": 0.0}),
    admission_method=MappingProxyType(
        {"emergency": 0.0, "elective": -1.40, "maternity": -2.50, "transfer": 0.30}
    ),
    charlson=0.11,
    month=MappingProxyType(
        {
            4: 0.0,
            5: -0.03,
            6: -0.06,
            7: -0.06,
            8: -0.04,
            9: 0.0,
            10: 0.03,
            11: 0.07,
            12: 0.13,
            1: 0.16,
            2: 0.11,
            3: 0.05,
        }
    ),
    year_index=-0.04,
    org_odds_ratios=MappingProxyType({HIGH_MORTALITY_PEER: HIGH_MORTALITY_SIGNAL.odds_ratio}),
    org_group_odds_ratios=MappingProxyType({(FOCAL_ORG, "sepsis"): FOCAL_SEPSIS_MORTALITY_SIGNAL.odds_ratio}),
)
