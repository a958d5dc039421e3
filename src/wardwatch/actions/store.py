"""Load and save action plans: YAML (one file) or CSV (a findings file and an actions file).

YAML layout: see ``wardwatch/data/demo_action_plan.yaml``. CSV: ``findings.csv`` with columns
id, inspection, date, service, key_question, regulation, text, theme; ``actions.csv`` with
id, finding_id, title, owner, start, due, status, completed_on, indicators where indicators is
``id:direction;id:direction`` (optionally ``id:direction@SITE/UNIT``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd
import yaml

from wardwatch.actions.model import (
    ACTION_COLUMNS,
    FINDING_COLUMNS,
    ActionPlan,
    format_link,
)
from wardwatch.csvsafe import restore, write_csv
from wardwatch.errors import InputError


def plan_from_dict(doc: dict, where: str = "plan") -> ActionPlan:
    if not isinstance(doc, dict) or "org_code" not in doc:
        raise InputError(f"{where}: an action plan needs org_code, findings and actions")
    plan = ActionPlan(org_code=str(doc["org_code"]), title=str(doc.get("title", "")))
    for i, f in enumerate(doc.get("findings") or [], start=1):
        try:
            plan.add_finding(id=str(f["id"]), inspection=str(f.get("inspection", "")), date=f["date"],
                             service=str(f.get("service", "")), key_question=str(f["key_question"]),
                             regulation=str(f.get("regulation", "") or ""), text=str(f.get("text", "") or ""),
                             theme=str(f.get("theme", "") or ""))
        except KeyError as exc:
            raise InputError(f"{where}: finding {i} has no {exc.args[0]!r}") from None
    for i, a in enumerate(doc.get("actions") or [], start=1):
        try:
            links = a.get("indicators") or []
            if isinstance(links, str):
                links = [x for x in links.split(";") if x.strip()]
            plan.add_action(id=str(a["id"]), finding_id=str(a["finding_id"]), title=str(a["title"]),
                            owner=str(a.get("owner", "") or ""), start=a["start"], due=a["due"],
                            status=str(a.get("status", "not_started")), indicators=links,
                            completed_on=a.get("completed_on"))
        except KeyError as exc:
            raise InputError(f"{where}: action {i} has no {exc.args[0]!r}") from None
    return plan


def plan_to_dict(plan: ActionPlan) -> dict:
    findings = [{k: (v.isoformat() if k == "date" else v) for k, v in zip(FINDING_COLUMNS, (
        f.id, f.inspection, f.date, f.service, f.key_question, f.regulation, f.text, f.theme))}
        for f in plan.findings]
    actions = []
    for a in plan.actions:
        item = {"id": a.id, "finding_id": a.finding_id, "title": a.title, "owner": a.owner,
                "start": a.start.isoformat(), "due": a.due.isoformat(), "status": a.status}
        if a.completed_on:
            item["completed_on"] = a.completed_on.isoformat()
        item["indicators"] = [
            {k: v for k, v in {"indicator_id": x.indicator_id, "expected": x.expected, "site_code": x.site_code,
                               "unit_code": x.unit_code, "rebase": x.rebase or None}.items() if v is not None}
            for x in a.indicators
        ]
        actions.append(item)
    return {"org_code": plan.org_code, "title": plan.title, "findings": findings, "actions": actions}


def load_plan(path: str | Path, actions_csv: str | Path | None = None) -> ActionPlan:
    """Read a plan from YAML, or from a findings CSV plus an actions CSV (``actions_csv``), or from a
    folder holding ``findings.csv`` and ``actions.csv``."""
    path = Path(path)
    if path.is_dir():
        return load_plan_csv(path / "findings.csv", path / "actions.csv")
    if actions_csv is not None or path.suffix.lower() == ".csv":
        if actions_csv is None:
            raise InputError(f"{path}: a CSV plan needs both findings and actions files (or a folder with both)")
        return load_plan_csv(path, actions_csv)
    if not path.exists():
        raise InputError(f"{path}: plan file not found")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML ({exc})") from None
    return plan_from_dict(doc, str(path))


def load_plan_csv(findings_csv: str | Path, actions_csv: str | Path, org_code: str | None = None) -> ActionPlan:
    for p in (findings_csv, actions_csv):
        if not Path(p).exists():
            raise InputError(f"{p}: file not found")
    findings = restore(pd.read_csv(findings_csv, dtype=str, keep_default_na=False))
    actions = restore(pd.read_csv(actions_csv, dtype=str, keep_default_na=False))
    for name, frame, needed in (("findings", findings, ["id", "date", "key_question"]),
                                ("actions", actions, ["id", "finding_id", "title", "start", "due"])):
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise InputError(f"{name} CSV misses column(s) {', '.join(missing)}")
    org = org_code or (findings["org_code"].iloc[0] if "org_code" in findings and len(findings) else "")
    doc = {"org_code": org, "findings": findings.to_dict("records"),
           "actions": [{**r, "completed_on": r.get("completed_on") or None} for r in actions.to_dict("records")]}
    return plan_from_dict(doc, f"{findings_csv} + {actions_csv}")


def save_plan(plan: ActionPlan, path: str | Path) -> None:
    """Write the plan back to YAML (``.yaml``/``.yml``) or to a folder as two CSV files."""
    path = Path(path)
    if path.suffix.lower() in {".yaml", ".yml"}:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(plan_to_dict(plan), sort_keys=False, allow_unicode=True), encoding="utf-8")
        return
    path.mkdir(parents=True, exist_ok=True)
    findings = plan.findings_frame()
    findings.insert(0, "org_code", plan.org_code)
    write_csv(findings, path / "findings.csv")
    actions = plan.actions_frame()
    actions["indicators"] = [";".join(format_link(x) for x in a.indicators) for a in plan.actions]
    write_csv(actions[ACTION_COLUMNS], path / "actions.csv")


def demo_plan() -> ActionPlan:
    """The synthetic focal trust ZFV's action plan after its 2019 inspection (docs/design.md story)."""
    text = (resources.files("wardwatch") / "data" / "demo_action_plan.yaml").read_text(encoding="utf-8")
    return plan_from_dict(yaml.safe_load(text), "demo_action_plan.yaml")
