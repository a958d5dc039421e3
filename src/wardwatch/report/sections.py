"""Compute every optional section of the board report from the modules that own them, then build it.

Each section is computed independently; a section whose module is missing or fails is reported
on the page ("Sections not available in this run") instead of breaking the report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from wardwatch.report.build import build_report
from wardwatch.report.format import SmallNumberRule
from wardwatch.report.measures import open_warehouse


@dataclass
class SectionOutcome:
    """What a section computation produced, or why it could not."""

    view: Any | None = None
    missing: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def attempt(name: str, compute: Callable[[], Any]) -> SectionOutcome:
    """Run one section's computation; an ImportError or failure becomes a 'missing' note."""
    try:
        view = compute()
    except ImportError as exc:
        return SectionOutcome(missing=f"{name}: module not available ({exc}).")
    except Exception as exc:  # a section must not take the whole board report down
        return SectionOutcome(missing=f"{name}: failed ({type(exc).__name__}: {exc}).")
    if view is None:
        return SectionOutcome(missing=f"{name}: no data.")
    return SectionOutcome(view=view)


def ae_section(con: Any) -> SectionOutcome:
    from wardwatch.report.ae_context import ae_context_view, compute_ae_context

    return attempt("National context (A&E 4-hour)", lambda: ae_context_view(compute_ae_context(con)))


def mortality_section(
    con: Any, focal_org: str, out_dir: Path, result: Any | None = None, rule: SmallNumberRule | None = None
) -> SectionOutcome:
    from wardwatch.report.mortality_section import mortality_view

    return attempt("Mortality", lambda: mortality_view(con, focal_org, out_dir, result, rule))


def ratings_section(focal_org: str, history: Any | None = None) -> SectionOutcome:
    from wardwatch.report.ratings_section import ratings_view

    return attempt("CQC ratings", lambda: ratings_view(focal_org, history))


def actions_section(
    con: Any,
    focal_org: str,
    plan: Any | None = None,
    as_of: date | None = None,
    evaluation: Any | None = None,
) -> SectionOutcome:
    from wardwatch.report.actions_section import actions_view

    outcome = attempt("Action plan", lambda: actions_view(con, focal_org, plan, as_of, evaluation))
    if outcome.view is not None:
        view, annotations, notes = outcome.view
        outcome.view = view
        outcome.extra = {"annotations": annotations, "effect_notes": notes}
    return outcome


def build_full_report(
    db: str | Path | Any,
    out_dir: str | Path,
    focal_org: str = "ZFV",
    *,
    org_name: str | None = None,
    mortality_dir: str | Path | None = None,
    mortality_result: Any | None = None,
    ratings_history: Any | None = None,
    action_plan: Any | None = None,
    action_evaluation: Any | None = None,
    as_of: date | None = None,
    small_numbers: SmallNumberRule | None = None,
    registry: Mapping[str, Any] | None = None,
    timings: dict[str, float] | None = None,
    run_mortality: bool = True,
) -> Path:
    """The full board report: indicators plus mortality, national A&E context, ratings and actions."""
    import time

    out = Path(out_dir)
    con = open_warehouse(db)
    synthetic = is_synthetic(focal_org)
    org_name = org_name or trust_name(focal_org)
    outcomes: dict[str, SectionOutcome] = {}
    def mortality() -> SectionOutcome:
        if mortality_result is None and not run_mortality:
            return SectionOutcome(missing="Mortality: skipped on request (--skip-mortality).")
        where = Path(mortality_dir or out / "mortality")
        return mortality_section(con, focal_org, where, mortality_result, small_numbers)

    for name, compute in (
        ("mortality", mortality),
        ("ae", lambda: ae_section(con)),
        ("ratings", lambda: ratings_section(focal_org, ratings_history)),
        ("actions", lambda: actions_section(con, focal_org, action_plan, as_of, action_evaluation)),
    ):
        started = time.perf_counter()
        outcomes[name] = compute()
        if timings is not None:
            timings[f"report: {name}"] = time.perf_counter() - started
    actions = outcomes["actions"]
    started = time.perf_counter()
    path = build_report(
        con,
        out,
        focal_org,
        org_name=org_name,
        registry=registry,
        mortality=outcomes["mortality"].view,
        ae_context=outcomes["ae"].view,
        ratings=outcomes["ratings"].view,
        actions=actions.view,
        annotations=actions.extra.get("annotations"),
        effect_notes=actions.extra.get("effect_notes"),
        small_numbers=small_numbers,
        missing=[o.missing for o in outcomes.values() if o.missing],
        footer_note=(
            f"{org_name} and its peers are fictional: their data were generated by wardwatch's synthetic "
            "data generator with known, injected signals."
            if synthetic
            else None
        ),
    )
    if timings is not None:
        timings["report: indicators and page"] = time.perf_counter() - started
    return path


def trust_name(org_code: str) -> str:
    """The trust's name from the synthetic world's organisation list when known, else its code."""
    try:
        from wardwatch.synth.orgs import org

        profile = org(org_code)
        return str(getattr(profile, "name", org_code))
    except Exception:
        return org_code


def is_synthetic(org_code: str) -> bool:
    """Whether the organisation belongs to the synthetic world (ZFV and its peers)."""
    try:
        from wardwatch.synth.orgs import ORG_CODES

        return org_code in set(ORG_CODES)
    except Exception:  # synthetic module unavailable: make no claim
        return False
