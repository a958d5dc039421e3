"""Render the indicator catalogue (``docs/indicators.md``) from the registry.

    python -m wardwatch.indicators.catalogue [docs/indicators.md]

The catalogue is generated, never edited by hand; a test checks the file matches the registry.
"""

from __future__ import annotations

import sys
from pathlib import Path

from wardwatch.indicators import INDICATORS
from wardwatch.indicators.model import EventSpec, Indicator, PublishedSpec, SnapshotSpec

HEADER = """# Indicator catalogue

Generated from `wardwatch.indicators.INDICATORS` by `python -m wardwatch.indicators.catalogue`;
do not edit by hand. How the engine computes them: `docs/guide/indicators.md`.

Every computed indicator is written to the `measures` table with `source = "wardwatch"`: one row
per organisation and period (`site_code` and `unit_code` empty), per organisation, site and period
(`site_code` set) and, where a breakdown is listed, per organisation, breakdown value and period
(`unit_code` set). Filter on `site_code IS NULL AND unit_code IS NULL` for the trust-level series.
Weeks are ISO weeks starting on Monday; months start on the 1st. Proportions are fractions (0..1).
Time limits are compared in seconds: "within 15 minutes" means `end − start ≤ 900 s`, so exactly
15:00 is within.

| id | title | key questions | core service | unit | grains | improvement | target | chart |
|---|---|---|---|---|---|---|---|---|
"""


def _target(ind: Indicator) -> str:
    if ind.target is None:
        return "none"
    if ind.unit == "proportion":
        return f"{ind.target:.0%}" if ind.target * 100 == round(ind.target * 100) else f"{ind.target:.1%}"
    return f"{ind.target:g}"


def _source(ind: Indicator) -> str:
    spec = ind.spec
    if isinstance(spec, PublishedSpec):
        return f'published: `wardwatch load-published {spec.loader}` (source "{spec.source}")'
    tables = ", ".join(f"`{t}`" for t in ind.tables)
    if isinstance(spec, EventSpec):
        return f"{tables}, dated by `{spec.period_column}`"
    assert isinstance(spec, SnapshotSpec)
    return f"{tables}, census at each month end (calendar from `{'`, `'.join(spec.calendar_columns)}`)"


def _breakdown(ind: Indicator) -> str:
    spec = ind.spec
    if isinstance(spec, PublishedSpec):
        return "none (trust level)"
    parts = []
    if spec.site_column:
        parts.append(f"site (`{spec.site_column}`)")
    if spec.unit_column:
        parts.append(f"unit_code = `{spec.unit_column}`")
    return ", ".join(parts) or "none (trust level)"


def render_catalogue() -> str:
    lines = [HEADER.rstrip("\n")]
    for ind in INDICATORS.values():
        lines.append(
            f"| `{ind.id}` | {ind.title} | {', '.join(ind.key_questions)} | {ind.core_service} | {ind.unit} | "
            f"{', '.join(ind.grains)} | {ind.improvement} | {_target(ind)} | {ind.chart} |"
        )
    for ind in INDICATORS.values():
        lines += [
            "",
            f"## `{ind.id}`",
            "",
            f"**{ind.title}.** {ind.description}",
            "",
            f"- Numerator: {ind.numerator_text or '—'}",
            f"- Denominator: {ind.denominator_text or '—'}",
            f"- Source: {_source(ind)}",
            f"- Breakdowns: {_breakdown(ind)}",
            f"- Grains: {', '.join(ind.grains)}; improvement: {ind.improvement}; SPC chart: `{ind.chart}`",
            f"- CQC key questions: {', '.join(ind.key_questions)}; core service: {ind.core_service}",
            f"- Target: {_target(ind)}. {ind.target_source}",
        ]
        if ind.notes:
            lines.append(f"- Notes: {ind.notes}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0] if args else "docs/indicators.md")
    path.write_text(render_catalogue(), encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
