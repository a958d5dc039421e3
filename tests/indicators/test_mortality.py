"""Crude mortality against hand counts of handmade.ADMISSION_ROWS (m1..m4)."""

from __future__ import annotations

from measures_helpers import counts


def test_crude_30d_mortality_by_discharge_month(handmade_measures):
    # m1 discharged 31 Jan 23:59:59 died in hospital -> January 1/1.
    # February: m2 (died after discharge) yes, m3 no, m4 (both flags: one death) yes -> 2/3.
    ind = "mortality_crude_30d"
    assert counts(handmade_measures, ind, "month") == {
        ("ZFV", "2019-01-01"): (1, 1),
        ("ZFV", "2019-02-01"): (2, 3),
    }
    # m3 has no site: in the trust row, in no site row.
    assert counts(handmade_measures, ind, "month", "site") == {
        ("ZFV", "ZFV01", "2019-01-01"): (1, 1),
        ("ZFV", "ZFV01", "2019-02-01"): (1, 1),
        ("ZFV", "ZFV02", "2019-02-01"): (1, 1),
    }
