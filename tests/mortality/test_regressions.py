"""Regression tests for reviewed bugs in wardwatch.mortality (SMR banding edge cases, thresholds)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wardwatch.errors import InputError
from wardwatch.mortality import NOT_ASSESSED, prepare, smr_table


def _spells(expected_by_org: dict[str, list[float]], died_by_org: dict[str, list[int]]) -> pd.DataFrame:
    rows = []
    for org, es in expected_by_org.items():
        for e, d in zip(es, died_by_org[org]):
            rows.append({"org_code": org, "diagnosis_group": "sepsis", "fin_year": 2018, "died": d, "expected": e})
    return pd.DataFrame(rows)


def test_expected_exactly_half_a_hundredth_is_not_banded_and_does_not_crash():
    # E = 0.005 rounds (half to even) to 0.00 in the SHMI funnel; the old filter E >= 0.005 let it
    # through and the funnel then rejected the whole diagnosis group x period (denominator 0)
    spells = _spells(
        {"AAA": [0.3] * 40, "BBB": [0.2] * 50, "CCC": [0.25] * 44, "DDD": [0.005]},
        {"AAA": [1] * 12 + [0] * 28, "BBB": [1] * 9 + [0] * 41, "CCC": [1] * 11 + [0] * 33, "DDD": [0]},
    )
    assert np.round(0.005, 2) == 0.0  # the premise: half-even rounding of the binary value
    table = smr_table(spells).query("diagnosis_group == 'sepsis'").set_index(["org_code", "period"])
    tiny = table.loc[("DDD", "2018/19")]
    assert tiny["band"] == NOT_ASSESSED and np.isnan(tiny["funnel_ul95"])
    for org in ("AAA", "BBB", "CCC"):
        row = table.loc[(org, "2018/19")]
        assert row["band"] != NOT_ASSESSED
        assert row["funnel_ll95"] < 1 < row["funnel_ul95"]


def test_prepare_rejects_missing_admission_dates():
    n = 40
    data = pd.DataFrame({
        "org_code": "AAA", "admitted_at": pd.date_range("2018-04-01", periods=n, freq="D"),
        "discharged_at": pd.date_range("2018-04-05", periods=n, freq="D"), "age": 70, "sex": "F",
        "admission_method": "emergency", "diagnosis_group": "sepsis", "charlson_index": 1,
        "died_in_hospital": False, "died_within_30d_of_discharge": False,
    })
    data.loc[[3, 4, 5], "admitted_at"] = pd.NaT
    with pytest.raises(InputError, match="3 of 40 admissions have no admitted_at"):
        prepare(data)


def test_cusum_threshold_per_chart_uses_its_own_volume_and_case_mix():
    from wardwatch.mortality import cusum_thresholds
    from wardwatch.stats.cusum import threshold_for_chart

    rng = np.random.default_rng(9)
    start = pd.Timestamp("2017-04-01")

    def chart(org: str, n: int, a: float, b: float) -> pd.DataFrame:
        return pd.DataFrame({"org_code": org, "diagnosis_group": "sepsis",
                             "admitted_at": start + pd.to_timedelta(rng.integers(0, 3 * 365, n), unit="D"),
                             "expected": rng.beta(a, b, n)})

    spells = pd.concat([chart("BIG", 3000, 1.2, 10.0), chart("SMALL", 300, 1.2, 10.0),
                        chart("SICK", 300, 3.0, 4.0)], ignore_index=True)
    spells.loc[0, "admitted_at"], spells.loc[1, "admitted_at"] = start, start + pd.Timedelta(days=3 * 365)
    h_up, h_lo, table = cusum_thresholds(spells, arl_years=20, n_sim=200, seed=0, max_horizon=5_000)
    assert set(h_up) == set(h_lo) == {("BIG", "sepsis"), ("SMALL", "sepsis"), ("SICK", "sepsis")}
    t = table.set_index("org_code")
    years = 3 * 365 / 365.25
    # each chart's target ARL is 20 years of ITS OWN volume (not the median trust's)
    assert t.loc["BIG", "target_arl"] == pytest.approx(20 * 3000 / years)
    assert t.loc["SMALL", "target_arl"] == pytest.approx(20 * 300 / years)
    assert t.loc["BIG", "method"] == "extrapolated" and t.loc["SMALL", "method"] == "simulated"
    # 10x the volume -> 10x the ARL -> h higher by about ln 10 = 2.3 (same case mix)
    assert 1.6 < h_up[("BIG", "sepsis")] - h_up[("SMALL", "sepsis")] < 3.0
    # same volume, sicker case mix -> a different threshold, equal to the one from its own risks
    sick = spells.loc[spells["org_code"] == "SICK", "expected"].to_numpy()
    own = threshold_for_chart(sick, t.loc["SICK", "target_arl"], ra=2.0, n_sim=200, seed=0, max_horizon=5_000)
    pooled = threshold_for_chart(spells["expected"].to_numpy(), t.loc["SICK", "target_arl"], ra=2.0, n_sim=200,
                                 seed=0, max_horizon=5_000)
    assert abs(own.h - pooled.h) > 0.3  # the case mix matters, so pooling would be wrong
    assert abs(h_up[("SICK", "sepsis")] - own.h) < 0.3
