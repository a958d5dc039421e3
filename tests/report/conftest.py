"""A small hand-made warehouse: a measures table written directly, no other module needed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd
import pytest

FOCAL = "ZT1"


@dataclass(frozen=True)
class FakeIndicator:
    id: str
    title: str
    description: str
    key_questions: tuple[str, ...]
    core_service: str
    unit: str
    grains: tuple[str, ...]
    improvement: str
    target: float | None
    target_source: str
    chart: str


REGISTRY = {
    "ed_initial_assessment_15min": FakeIndicator(
        "ed_initial_assessment_15min",
        "ED initial assessment within 15 minutes",
        "Share assessed in 15 min.",
        ("safe", "responsive"),
        "UEC",
        "proportion",
        ("week", "month"),
        "increase",
        0.95,
        "RCEM",
        "pp",
    ),
    "sepsis_screened_1h": FakeIndicator(
        "sepsis_screened_1h",
        "Sepsis screening within 1 hour",
        "Share screened.",
        ("safe",),
        "MEDICAL",
        "proportion",
        ("month",),
        "increase",
        0.9,
        "NICE NG51",
        "p",
    ),
    "mortality_crude_30d": FakeIndicator(
        "mortality_crude_30d",
        "Crude 30-day mortality",
        "Deaths within 30 days.",
        ("effective",),
        "TRUST_WIDE",
        "proportion",
        ("month",),
        "decrease",
        None,
        "",
        "p",
    ),
    "staffing_fill_rate": FakeIndicator(
        "staffing_fill_rate",
        "Staffing fill rate",
        "Shifts filled over planned.",
        ("well_led", "safe"),
        "TRUST_WIDE",
        "ratio",
        ("month",),
        "increase",
        0.95,
        "Trust",
        "xmr",
    ),
    "ed_12h_from_arrival": FakeIndicator(
        "ed_12h_from_arrival",
        "ED stays over 12 hours",
        "Share over 12 hours.",
        ("safe",),
        "UEC",
        "proportion",
        ("week", "month"),
        "decrease",
        0.1,
        "UEC plan",
        "pp",
    ),
    "rare_event_count": FakeIndicator(
        "rare_event_count",
        "Never events",
        "Count of never events.",
        ("safe",),
        "TRUST_WIDE",
        "count",
        ("month",),
        "decrease",
        None,
        "",
        "c",
    ),
}


def _months(n: int) -> list[date]:
    return [date(2018 + (3 + i) // 12, (3 + i) % 12 + 1, 1) for i in range(n)]


def _weeks(n: int) -> list[date]:
    return [date(2018, 4, 2) + pd.Timedelta(days=7 * i) for i in range(n)]


def make_measures() -> pd.DataFrame:
    rows: list[dict] = []

    def add(ind, grain, start, num, den, value=None, org=FOCAL, site=None, source="wardwatch"):
        rows.append(
            dict(
                indicator_id=ind,
                org_code=org,
                site_code=site,
                unit_code=None,
                period_start=start,
                period_grain=grain,
                numerator=num,
                denominator=den,
                value=(num / den if value is None else value),
                source=source,
            )
        )

    for i, wk in enumerate(_weeks(30)):
        add("ed_initial_assessment_15min", "week", wk, 700 + (i * 37) % 60, 1000)
        add("ed_12h_from_arrival", "week", wk, float(i % 6), 1000)  # 1..5 most weeks: too small weekly
    # a last week cut short by the extract date (300 of the usual 1000): incomplete, not shown
    add("ed_initial_assessment_15min", "week", _weeks(31)[-1], 150, 300)
    for i, m in enumerate(_months(24)):
        add("ed_initial_assessment_15min", "month", m, 3000 + (i * 53) % 200, 4300)
        add("sepsis_screened_1h", "month", m, 80 + (i * 7) % 11, 100)
        add("mortality_crude_30d", "month", m, 50 + (i * 3) % 9, 2000)
        add("ed_12h_from_arrival", "month", m, 20 + i % 4, 4300)
        add("staffing_fill_rate", "month", m, None, None, value=0.9 + ((i * 13) % 10) / 100)
        # a small count: 3 never events in the latest month must be suppressed
        add("rare_event_count", "month", m, None, None, value=float(i % 2) if i < 23 else 3.0)
        # another trust, must not leak into the focal report
        add("sepsis_screened_1h", "month", m, 13, 100, org="ZT2")
    # the last month of sepsis screening: 5 of 60 patients, a small numerator (suppressed)
    last = _months(25)[-1]
    add("sepsis_screened_1h", "month", last, 5, 60)
    # site-level rows (must not override the trust figure)
    add("sepsis_screened_1h", "month", last, 1, 1, site="ZT101")
    return pd.DataFrame(rows)


@pytest.fixture
def measures_frame() -> pd.DataFrame:
    return make_measures()


@pytest.fixture
def warehouse(tmp_path, measures_frame):
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.register("m", measures_frame)
    con.execute(
        "CREATE TABLE measures AS SELECT indicator_id::VARCHAR AS indicator_id, org_code::VARCHAR AS org_code, "
        "site_code::VARCHAR AS site_code, unit_code::VARCHAR AS unit_code, period_start::DATE AS period_start, "
        "period_grain::VARCHAR AS period_grain, numerator::DOUBLE AS numerator, "
        "denominator::DOUBLE AS denominator, value::DOUBLE AS value, source::VARCHAR AS source FROM m"
    )
    con.close()
    from wardwatch.results.refresh import refresh

    refresh(path, registry=REGISTRY)  # the report draws results, it computes nothing
    return path
