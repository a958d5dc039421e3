"""The board pack for any organisation: every section read from the result tables.

Each section is either there or says in one line why not (no admissions in the warehouse, no
published A&E figures for this organisation, no ratings or action plan imported for it).
Nothing falls back to demo data or to another organisation; nothing is recomputed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from wardwatch.report.board import BoardConfig, check_indicators
from wardwatch.report.build import build_report, reading
from wardwatch.report.format import SmallNumberRule
from wardwatch.report.views import ActionsView, AEContextView, MortalityView, RatingsView
from wardwatch.results import read
from wardwatch.warehouse import ORGANISATIONS_TABLE, table_exists


@dataclass
class SectionOutcome:
    """A section's view, or the one line that says why it is not there."""

    view: Any | None = None
    missing: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def mortality_section(raw: duckdb.DuckDBPyConnection, focal_org: str, rule: SmallNumberRule) -> SectionOutcome:
    from wardwatch.report.mortality_section import mortality_view

    stored = read.mortality_results(raw, patient_level=rule.patient_level_charts)
    if stored is None:
        return SectionOutcome(missing="Mortality: no admissions in this warehouse's results.")
    if focal_org not in set(stored.smr["org_code"]):
        return SectionOutcome(missing=f"Mortality: no admissions for {focal_org} in this warehouse.")
    view: MortalityView | None = mortality_view(focal_org, stored, rule)
    return SectionOutcome(view=view)


def ae_section(raw: duckdb.DuckDBPyConnection, focal_org: str, org_name: str, rule: SmallNumberRule,
               registry: Any | None) -> SectionOutcome:
    from wardwatch.report.ae_context import ae_context_view, stored_context

    context = stored_context(raw, focal_org, rule.audience, registry)
    if context is None:
        return SectionOutcome(missing=f"National context (A&E 4-hour): no published type 1 A&E figures "
                                      f"for {focal_org} in this warehouse (`wardwatch load-published`).")
    view: AEContextView = ae_context_view(context, org_name)
    return SectionOutcome(view=view)


def ratings_section(raw: duckdb.DuckDBPyConnection, focal_org: str) -> SectionOutcome:
    from wardwatch.report.ratings_section import ratings_view
    from wardwatch.results.ratings import read_history

    history = read_history(raw, focal_org)
    if history is None:
        return SectionOutcome(missing=f"CQC ratings: none imported for {focal_org} "
                                      "(`wardwatch refresh --ratings FILE`).")
    view: RatingsView | None = ratings_view(focal_org, history)
    return SectionOutcome(view=view)


def actions_section(raw: duckdb.DuckDBPyConnection, focal_org: str, as_of: date | None) -> SectionOutcome:
    from wardwatch.report.actions_section import actions_view
    from wardwatch.results.actions import read_plan

    stored = read_plan(raw, focal_org)
    if stored is None:
        return SectionOutcome(missing=f"Action plan: none imported for {focal_org} "
                                      "(`wardwatch refresh --actions PLAN`).")
    plan, effects = stored
    view: ActionsView
    view, annotations, notes = actions_view(focal_org, plan, as_of, effects)
    return SectionOutcome(view=view, extra={"annotations": annotations, "effect_notes": notes})


def build_full_report(
    db: str | Path | Any,
    out_dir: str | Path,
    focal_org: str,
    *,
    org_name: str | None = None,
    as_of: date | None = None,
    small_numbers: SmallNumberRule | None = None,
    registry: Any | None = None,
    timings: dict[str, float] | None = None,
    board: BoardConfig | None = None,
) -> Path:
    """The board pack: indicators, exception reports, mortality, national A&E context, ratings and
    actions, all from the result tables of ``db``."""
    rule = small_numbers or SmallNumberRule()
    board = board or BoardConfig(org_code=focal_org)
    with reading(db) as raw:
        read.latest_run(raw, db)
        read.require_org(raw, focal_org)
        if board.indicator_notes:
            check_indicators(board, set(read.series_catalogue(raw, focal_org, rule.audience)["indicator_id"]))
        name = board.name or org_name or trust_name(raw, focal_org)
        as_of = as_of or board.period_to
        outcomes: dict[str, SectionOutcome] = {}
        for key, compute in (
            ("mortality", lambda: mortality_section(raw, focal_org, rule)),
            ("ae", lambda: ae_section(raw, focal_org, name, rule, registry)),
            ("ratings", lambda: ratings_section(raw, focal_org)),
            ("actions", lambda: actions_section(raw, focal_org, as_of)),
        ):
            started = time.perf_counter()
            outcomes[key] = compute()
            if timings is not None:
                timings[f"report: {key}"] = time.perf_counter() - started
        started = time.perf_counter()
        actions = outcomes["actions"]
        path = build_report(
            raw, out_dir, focal_org, org_name=name, registry=registry,
            mortality=outcomes["mortality"].view, ae_context=outcomes["ae"].view,
            ratings=outcomes["ratings"].view, actions=actions.view,
            annotations=actions.extra.get("annotations"), effect_notes=actions.extra.get("effect_notes"),
            small_numbers=rule, missing=[o.missing for o in outcomes.values() if o.missing],
            footer_note=(f"{name} and its peers are fictional: their data were generated by wardwatch's "
                         "synthetic data generator with known, injected signals." if is_synthetic(focal_org)
                         else None),
            board=board,
        )
    if timings is not None:
        timings["report: indicators and page"] = time.perf_counter() - started
    return path


def trust_name(raw: duckdb.DuckDBPyConnection, org_code: str) -> str:
    """The organisation's name: the synthetic world's list, the loaded providers list, else its code."""
    from wardwatch.synth.orgs import ORGS

    for profile in ORGS:
        if profile.code == org_code:
            return profile.name
    if table_exists(raw, ORGANISATIONS_TABLE):
        row = raw.execute(f"SELECT org_name FROM {ORGANISATIONS_TABLE} WHERE org_code = ? LIMIT 1", [org_code]).fetchone()
        if row and row[0]:
            return str(row[0])
    return org_code


def is_synthetic(org_code: str) -> bool:
    """Whether the organisation belongs to the synthetic world (ZFV and its peers)."""
    from wardwatch.synth.orgs import ORG_CODES

    return org_code in set(ORG_CODES)
