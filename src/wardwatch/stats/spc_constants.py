"""Constants of the SPC engine, each with its source (docs/methods.md sections 2.1-2.6).

They live in one place so that a reviewer can check every number against its reference, and so
that the rule sets (``RULE_SETS``) can say which ones they switch.
"""

from __future__ import annotations

from dataclasses import dataclass

# XmR process limits: mean +/- 2.66 x mean moving range (2.66 = 3 / d2, d2 = 1.128 for n = 2).
# NHSRplotthedots R/ptd_spc_standard.R uses the rounded 2.66, as do the MDC Excel tools.
XMR_LIMIT = 2.66
# "Near" limits (2 sigma): two thirds of the way from the mean to the process limits.
XMR_NEAR = 2 * (XMR_LIMIT / 3)
# Nelson (1982) moving-range screening: drop moving ranges >= 3.267 x their mean, recompute once.
MR_SCREEN = 3.267
# d2 for moving ranges of two points: sigma = mean moving range / 1.128 (Laney sigma_z).
D2 = 1.128
# Sigma multipliers for attribute and rare-event charts (qicharts2 R/helper.functions.R).
SIGMA_LIMIT = 3.0
SIGMA_NEAR = 2.0
# g chart probability limits (Benneyan 2001; docs/methods.md 7.1): one-sided tail probabilities of the
# geometric distribution equal to the normal tails beyond 3 sigma and 2 sigma, so that a limit
# (near limit) is crossed as rarely by in-control geometric data as an XmR limit by normal data.
G_LIMIT_TAIL = 0.00135
G_NEAR_TAIL = 0.02275
# g chart test for a rise in the event rate (docs/methods/rare-event-charts.md): a run of
# G_SHORT_RUN consecutive gaps at or below the G_SHORT_QUANTILE quantile of the fitted geometric
# distribution. Per point 10 %, a run of 3 has probability <= 0.001 per position: about 2 % of
# in-control series of 24 points and 4 % of 50 points raise it (exact, rare_events.run_probability).
G_SHORT_QUANTILE = 0.10
G_SHORT_RUN = 3
# t chart: Nelson's transformation of times between events, y ** (1 / 3.6) (qicharts2 qic.t).
T_CHART_POWER = 3.6
# Short-baseline warning: fewer than 13 points (ptd option ptd_spc.warning_threshold = 13;
# the MDC Single Chart tool shows limits only from 13 points, NHSRplotthedots issue #194).
SHORT_BASELINE = 13
# Anhoej run-chart rules: longest run > round(log2(n)) + 3 (Schilling 2012); crossings below the
# 5% quantile of Binomial(n - 1, 0.5) (Chen 2010).
RUNS_LONGEST_OFFSET = 3
RUNS_CROSSINGS_QUANTILE = 0.05


@dataclass(frozen=True)
class RuleSet:
    """How special-cause rules are applied.

    ``screen``: screen moving ranges (Nelson 1982) before computing XmR / t-chart limits.
    ``two_in_three``: "mdc_2023" counts every point beyond 2 sigma (including beyond 3 sigma);
    "ptd" counts only points strictly between the near (2 sigma) and process (3 sigma) limits.
    ``conflict``: "improvement" (MDC Single Chart tool: a point that qualifies as both
    improvement and concern shows improvement) or "precedence" (NHSRplotthedots: the first rule
    in the order outside limits, trend, two-in-three, shift decides).
    ``run_length``: default length of a trend / shift.
    """

    name: str
    screen: bool
    two_in_three: str
    conflict: str
    run_length: int


RULE_SETS: dict[str, RuleSet] = {
    "mdc": RuleSet("mdc", screen=False, two_in_three="mdc_2023", conflict="improvement", run_length=7),
    "ptd": RuleSet("ptd", screen=True, two_in_three="ptd", conflict="precedence", run_length=7),
}
