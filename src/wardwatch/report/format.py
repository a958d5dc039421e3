"""Number formatting and the small-number rule for public outputs.

Small-number rule (docs/design.md "Conventions"): counts from 1 to 7 are shown as "*" in public
outputs, and so is any rate derived from them (a rate and its denominator would give the count
back).  Zero is shown: it discloses nothing about an individual.  The band is configurable.
Tables published with totals go through :mod:`wardwatch.disclosure` (secondary suppression).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from wardwatch.disclosure import CLINICAL, PUBLIC, SUPPRESSED, DisclosureRule


@dataclass(frozen=True)
class SmallNumberRule:
    """Suppress counts ``low <= count <= high`` (default 1–7); ``enabled=False`` shows everything."""

    low: int = 1
    high: int = 7
    enabled: bool = True

    def hides(self, count: float | None) -> bool:
        if not self.enabled or count is None or _isnan(count):
            return False
        return self.low <= count <= self.high

    @property
    def audience(self) -> str:
        """Suppression on = a public output (the board report); off = the clinical edition."""
        return PUBLIC if self.enabled else CLINICAL

    @property
    def patient_level_charts(self) -> bool:
        """Charts drawn patient by patient (CUSUM, VLAD) only in the clinical edition."""
        return self.disclosure().patient_level_charts

    def disclosure(self) -> DisclosureRule:
        """The same rule as a :class:`wardwatch.disclosure.DisclosureRule` (tables with totals)."""
        return DisclosureRule(audience=self.audience, low=self.low, high=self.high)

    def describe(self) -> str:
        if not self.enabled:
            return "Small-number suppression is switched off for this report (internal use only)."
        return (
            f"Counts from {self.low} to {self.high} are suppressed and shown as “{SUPPRESSED}”, "
            "together with any rate calculated from them, so that individuals cannot be identified. "
            "Where a total is shown, further counts are hidden (secondary suppression) so that a "
            "hidden count cannot be worked out by subtraction, and charts drawn patient by patient "
            "are left out (disclosure control, NHS Digital HES practice)."
        )


def _isnan(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def format_count(count: float | None, rule: SmallNumberRule) -> str:
    if _isnan(count):
        return "–"
    if rule.hides(count):
        return SUPPRESSED
    return f"{count:,.0f}" if float(count).is_integer() else f"{count:,.1f}"


def format_value(value: float | None, unit: str) -> str:
    """Proportions are fractions in measures; shown as percentages."""
    if _isnan(value):
        return "–"
    if unit == "proportion":
        return f"{value * 100:.1f}%"
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "ratio":
        return f"{value:.2f}"
    return f"{value:,.2f}"


def format_measure_value(
    value: float | None, numerator: float | None, denominator: float | None, unit: str, rule: SmallNumberRule
) -> str:
    """A measure's value, hidden when its numerator or denominator is a small count."""
    if rule.hides(numerator) or rule.hides(denominator):
        return SUPPRESSED
    if unit == "count" and rule.hides(value):
        return SUPPRESSED
    return format_value(value, unit)


def format_target(target: float | None, unit: str) -> str:
    return "none set" if target is None else format_value(target, unit)


def value_format_for(unit: str) -> str:
    """The ``value_format`` the SVG renderers expect."""
    return "percent" if unit == "proportion" else "number"


def format_period(start: date | None, grain: str) -> str:
    if start is None:
        return "–"
    if grain == "week":
        return f"week of {start:%d %b %Y}"
    if grain == "month":
        return f"{start:%b %Y}"
    if grain == "year":
        return f"{start:%Y}/{(start.year + 1) % 100:02d}" if start.month == 4 else f"{start:%Y}"
    return start.isoformat()
