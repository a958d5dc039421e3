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
    # the overview's "as at" picker: icons as they stood at each recent month end
    "result_spc_as_of": (
        f"unit_key VARCHAR, {_SERIES_KEY}, as_of DATE, latest_period DATE, n_points INTEGER, "
        "variation VARCHAR, assurance VARCHAR, run_id VARCHAR"
    ),
    "result_funnel_units": (
        "unit_key VARCHAR, indicator_id VARCHAR, grain VARCHAR, period_start DATE, org_code VARCHAR, "
        "numerator DOUBLE, denominator DOUBLE, value DOUBLE, target DOUBLE, ll95 DOUBLE, ul95 DOUBLE, "
        "ll998 DOUBLE, ul998 DOUBLE, z DOUBLE, outlier VARCHAR, band VARCHAR, phi DOUBLE, tau2 DOUBLE, "
        "od_adjusted BOOLEAN, funnel_type VARCHAR, method VARCHAR, run_id VARCHAR"
    ),
    "result_funnel_limits": (
        "unit_key VARCHAR, indicator_id VARCHAR, grain VARCHAR, period_start DATE, denominator DOUBLE, "
        "ll95 DOUBLE, ul95 DOUBLE, ll998 DOUBLE, ul998 DOUBLE, run_id VARCHAR"
    ),
    # mortality (wardwatch.results.mortality): one unit, the whole admissions table
    "result_mortality_smr": (
        "unit_key VARCHAR, org_code VARCHAR, diagnosis_group VARCHAR, period VARCHAR, spells BIGINT, "
        "observed DOUBLE, expected DOUBLE, smr DOUBLE, ci_low DOUBLE, ci_high DOUBLE, band VARCHAR, "
        "funnel_ll95 DOUBLE, funnel_ul95 DOUBLE, funnel_z DOUBLE, funnel_tau2 DOUBLE, peers INTEGER, "
        "band_warning VARCHAR, run_id VARCHAR"
    ),
    "result_mortality_alerts": (
        "unit_key VARCHAR, org_code VARCHAR, diagnosis_group VARCHAR, direction VARCHAR, date_signalled TIMESTAMP, "
        "patients_since_reset BIGINT, observed_since_reset DOUBLE, expected_since_reset DOUBLE, h DOUBLE, "
        "run_id VARCHAR"
    ),
    # patient by patient: the clinical edition only (docs/methods/disclosure-control.md)
    "result_mortality_cusum": (
        "unit_key VARCHAR, org_code VARCHAR, diagnosis_group VARCHAR, date TIMESTAMP, \"index\" BIGINT, "
        "upper DOUBLE, lower DOUBLE, signal_upper BOOLEAN, signal_lower BOOLEAN, h_upper DOUBLE, h_lower DOUBLE, "
        "vlad DOUBLE, run_id VARCHAR"
    ),
    "result_mortality_thresholds": (
        "unit_key VARCHAR, org_code VARCHAR, diagnosis_group VARCHAR, spells BIGINT, spells_per_year DOUBLE, "
        "mean_risk DOUBLE, target_arl DOUBLE, h_upper DOUBLE, arl_upper DOUBLE, arl_upper_se DOUBLE, "
        "h_lower DOUBLE, arl_lower DOUBLE, arl_lower_se DOUBLE, method VARCHAR, n_sim INTEGER, run_id VARCHAR"
    ),
    "result_mortality_calibration": (
        "unit_key VARCHAR, decile INTEGER, spells BIGINT, observed DOUBLE, expected DOUBLE, risk_min DOUBLE, "
        "risk_max DOUBLE, observed_rate DOUBLE, expected_rate DOUBLE, c_statistic DOUBLE, fit VARCHAR, "
        "run_id VARCHAR"
    ),
    "result_data_quality": (
        "unit_key VARCHAR, indicator_id VARCHAR, org_code VARCHAR, dataset VARCHAR, fields VARCHAR, "
        "event_fields VARCHAR, \"rows\" BIGINT, complete_share DOUBLE, quarantined BIGINT, "
        "quarantined_unattributed BIGINT, quarantined_share DOUBLE, latest_period DATE, data_until DATE, "
        "allowed_lag_days INTEGER, days_behind INTEGER, stale BOOLEAN, mark VARCHAR, run_id VARCHAR"
    ),
    "result_quarantine_summary": (
        "unit_key VARCHAR, dataset VARCHAR, reason VARCHAR, \"rows\" BIGINT, files INTEGER, "
        "last_loaded_at TIMESTAMP, run_id VARCHAR"
    ),
    "result_mortality_settings": (
        "unit_key VARCHAR, fit VARCHAR, follow_up VARCHAR, statement VARCHAR, bands VARCHAR, "
        "cusum_risks VARCHAR, run_id VARCHAR"
    ),
    # ratings (wardwatch.results.ratings): one unit per organisation with an imported history
    "result_ratings": (
        "unit_key VARCHAR, org_code VARCHAR, org_name VARCHAR, inspection_id VARCHAR, publication_date DATE, "
        "inspection_start DATE, inspection_end DATE, framework VARCHAR, ruleset VARCHAR, level VARCHAR, "
        "location VARCHAR, location_name VARCHAR, service VARCHAR, key_question VARCHAR, rating VARCHAR, "
        "rule_id VARCHAR, verified BOOLEAN, source VARCHAR, explanation VARCHAR, input_rating VARCHAR, "
        "published_rating VARCHAR, override_rating VARCHAR, override_reason VARCHAR, run_id VARCHAR"
    ),
    # action effects (wardwatch.results.actions): one unit per organisation with an imported plan
    "result_action_effects": (
        "unit_key VARCHAR, org_code VARCHAR, action_id VARCHAR, title VARCHAR, indicator_id VARCHAR, "
        "expected VARCHAR, start DATE, verdict VARCHAR, n_before INTEGER, n_after INTEGER, "
        "centre_before DOUBLE, centre_after DOUBLE, change DOUBLE, se DOUBLE, z DOUBLE, horizon DOUBLE, "
        "effect DOUBLE, ci_low DOUBLE, ci_high DOUBLE, level_change DOUBLE, slope_change DOUBLE, power DOUBLE, "
        "mde DOUBLE, seasonal BOOLEAN, comparator VARCHAR, improvement_points INTEGER, concern_points INTEGER, "
        "reason VARCHAR, run_id VARCHAR"
    ),
}

#: Columns of each result table, in order (read back in this order).
RESULT_COLUMNS: dict[str, tuple[str, ...]] = {
    name: tuple(part.strip().split(" ")[0].strip('"') for part in ddl.split(","))
    for name, ddl in RESULT_TABLES.items()
}
