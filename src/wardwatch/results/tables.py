"""The typed result tables ``wardwatch refresh`` writes (every one has ``unit_key`` and ``run_id``).

``unit_key`` names the unit of recomputation a row belongs to (an SPC series, a funnel for one
indicator and period, ...): a refresh replaces the rows of the units whose inputs changed.
"""

from __future__ import annotations

_SERIES_KEY = "indicator_id VARCHAR, org_code VARCHAR, site_code VARCHAR, grain VARCHAR, edition VARCHAR"

#: name -> column definitions (DuckDB types).
RESULT_TABLES: dict[str, str] = {
    "result_spc_series": (
        f"unit_key VARCHAR, {_SERIES_KEY}, chart VARCHAR, improvement VARCHAR, target DOUBLE, unit VARCHAR, "
        "data_until DATE, first_incomplete DATE, n_periods INTEGER, n_charted INTEGER, hidden_periods INTEGER, "
        "hidden_share DOUBLE, variation VARCHAR, assurance VARCHAR, note VARCHAR, run_id VARCHAR"
    ),
    "result_spc_points": (
        f"unit_key VARCHAR, {_SERIES_KEY}, period_start DATE, numerator DOUBLE, denominator DOUBLE, "
        "value DOUBLE, source VARCHAR, status VARCHAR, plot_y DOUBLE, plot_n DOUBLE, centre DOUBLE, lpl DOUBLE, "
        "upl DOUBLE, lower_near DOUBLE, upper_near DOUBLE, segment INTEGER, special_cause VARCHAR, "
        "point_type VARCHAR, run_id VARCHAR"
    ),
    "result_spc_summary": (
        f"unit_key VARCHAR, {_SERIES_KEY}, segment INTEGER, n_points INTEGER, centre DOUBLE, lpl DOUBLE, "
        "upl DOUBLE, variation VARCHAR, assurance VARCHAR, short_baseline BOOLEAN, longest_run DOUBLE, "
        "longest_run_max DOUBLE, crossings DOUBLE, crossings_min DOUBLE, runs_signal BOOLEAN, run_id VARCHAR"
    ),
    "result_funnel_units": (
        "unit_key VARCHAR, indicator_id VARCHAR, grain VARCHAR, period_start DATE, org_code VARCHAR, "
        "numerator DOUBLE, denominator DOUBLE, value DOUBLE, target DOUBLE, ll95 DOUBLE, ul95 DOUBLE, "
        "ll998 DOUBLE, ul998 DOUBLE, z DOUBLE, outlier VARCHAR, band VARCHAR, phi DOUBLE, tau2 DOUBLE, "
        "od_adjusted BOOLEAN, run_id VARCHAR"
    ),
    "result_funnel_limits": (
        "unit_key VARCHAR, indicator_id VARCHAR, grain VARCHAR, period_start DATE, denominator DOUBLE, "
        "ll95 DOUBLE, ul95 DOUBLE, ll998 DOUBLE, ul998 DOUBLE, run_id VARCHAR"
    ),
}

#: Columns of each result table, in order (read back in this order).
RESULT_COLUMNS: dict[str, tuple[str, ...]] = {
    name: tuple(part.strip().split(" ")[0] for part in ddl.split(","))
    for name, ddl in RESULT_TABLES.items()
}
