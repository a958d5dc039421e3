"""Action-effects stage: for each imported action plan, whether each linked indicator moved after
its action started (``wardwatch.actions.evaluate_plan``), stored per action and indicator.

One unit per organisation with a plan; its fingerprint covers the plan document, the measures of
the indicators the plan links (for that organisation) and the stage version, so a new plan or new
measures for a linked indicator recompute that organisation's effects only.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from wardwatch.actions.effect import EffectSettings, evaluate_plan
from wardwatch.actions.model import ActionPlan
from wardwatch.actions.store import plan_from_dict, plan_to_dict
from wardwatch.results.documents import StoredDocument, documents, read_yaml, replace_document, store_document
from wardwatch.results.store import read_table, stored_fingerprints
from wardwatch.warehouse import MEASURES_TABLE

METHOD_VERSION = "effects-1"
KIND = "action_plan"
TABLE = "result_action_effects"


def import_plan(raw: duckdb.DuckDBPyConnection, path: Path) -> StoredDocument:
    """Check an action-plan YAML and keep it as its organisation's current plan."""
    doc = read_yaml(path, "--actions")
    plan = plan_from_dict(doc, str(path))
    return store_document(raw, KIND, plan.org_code, path.name, doc)


def _linked(plan: ActionPlan) -> list[str]:
    return sorted({link.indicator_id for action in plan.actions for link in action.indicators})


def fingerprints(raw: duckdb.DuckDBPyConnection, only: str | None = None) -> dict[str, str]:
    """Each organisation's unit fingerprint (``only``: that organisation's alone)."""
    settings = repr(EffectSettings())
    prints = {}
    for stored in documents(raw, KIND):
        if only is not None and stored.org_code != only:
            continue
        plan = plan_from_dict(stored.document, stored.source)
        ids = _linked(plan)
        marks = ", ".join("?" for _ in ids) or "NULL"
        count, folded = raw.execute(
            f"SELECT count(*), bit_xor(hash(indicator_id, site_code, unit_code, period_grain, period_start, "
            f"numerator, denominator, value)) FROM {MEASURES_TABLE} WHERE org_code = ? AND indicator_id IN ({marks})",
            [plan.org_code, *ids]).fetchone()
        text = f"{METHOD_VERSION}|{settings}|{stored.sha256}|{count}|{folded}"
        prints[stored.org_code] = hashlib.sha256(text.encode()).hexdigest()
    return prints


#: Actions whose ``rebase`` links move a stored chart's limits: begun, and not abandoned.
REBASING_STATUSES = ("in_progress", "complete")


def rebase_dates(raw: duckdb.DuckDBPyConnection) -> dict[tuple[str, str, str], tuple[date, ...]]:
    """(indicator_id, org_code, site_code or "") -> the start dates of the begun actions whose link
    to that series says ``rebase``, sorted, from every organisation's current plan (for the SPC
    stage: a new segment from the first period on or after each date)."""
    found: dict[tuple[str, str, str], set[date]] = {}
    for stored in documents(raw, KIND):
        plan = plan_from_dict(stored.document, stored.source)
        for action in plan.actions:
            if action.status not in REBASING_STATUSES:
                continue
            for link in action.indicators:
                if link.rebase and link.unit_code is None:
                    found.setdefault((link.indicator_id, plan.org_code, link.site_code or ""), set()).add(action.start)
    return {key: tuple(sorted(dates)) for key, dates in found.items()}


def compute(raw: duckdb.DuckDBPyConnection, org_codes: set[str]) -> pd.DataFrame:
    """``result_action_effects`` rows for the plans of ``org_codes``."""
    frames = [pd.DataFrame(columns=["unit_key"])]
    for stored in documents(raw, KIND):
        if stored.org_code in org_codes:
            plan = plan_from_dict(stored.document, stored.source)
            effects = evaluate_plan(plan, raw).to_frame()
            frames.append(effects.assign(unit_key=plan.org_code, org_code=plan.org_code))
    return pd.concat(frames, ignore_index=True)


def read_plan(raw: duckdb.DuckDBPyConnection, org_code: str) -> tuple[ActionPlan, pd.DataFrame] | None:
    """The organisation's current plan and its stored effects, or None when no plan was imported."""
    stored = next((d for d in documents(raw, KIND) if d.org_code == org_code), None)
    if stored is None:
        return None
    effects = read_table(raw, TABLE, "org_code = ?", [org_code])
    return plan_from_dict(stored.document, stored.source), effects


def replace_plan(raw: duckdb.DuckDBPyConnection, plan: ActionPlan, source: str) -> StoredDocument:
    """Keep an edited ``plan`` as its organisation's current plan, inside the caller's transaction
    (the web's edits). Its new SHA-256 changes the organisation's fingerprint, so the next
    ``refresh`` re-evaluates that organisation's action effects and no other."""
    return replace_document(raw, KIND, plan.org_code, source, plan_to_dict(plan))


def effects_pending(raw: duckdb.DuckDBPyConnection, org_code: str) -> bool:
    """True when the organisation's plan (or the measures it links) changed since the stored
    effects were computed, i.e. the next ``refresh`` will recompute them."""
    now = fingerprints(raw, org_code).get(org_code)
    return now is not None and stored_fingerprints(raw, "actions").get(org_code) != now
