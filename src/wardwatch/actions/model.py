"""Inspection findings and action plans (docs/design.md "judgements").

A finding is what inspectors found (inspection, date, service, key question, regulation, text,
theme). An action answers a finding: owner, start and due dates, status, and the indicators it is
expected to move (with the direction), so that its effect can be measured (``effect.py``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from datetime import date

import pandas as pd

from wardwatch.errors import InputError

STATUSES = ("not_started", "in_progress", "complete", "cancelled")
CLOSED = ("complete", "cancelled")
DIRECTIONS = ("increase", "decrease")


def parse_date(value: object, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise InputError(f"{where}: {value!r} is not a date (use YYYY-MM-DD)") from None


def parse_optional_date(value: object, where: str) -> date | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() in {"", "None", "NaT"}:
        return None
    return parse_date(value, where)


def parse_status(value: object, where: str = "") -> str:
    text = str(value).strip().lower().replace(" ", "_").replace("-", "_")
    aliases = {"done": "complete", "completed": "complete", "open": "in_progress", "started": "in_progress",
               "planned": "not_started", "todo": "not_started"}
    text = aliases.get(text, text)
    if text not in STATUSES:
        raise InputError(f"{where + ': ' if where else ''}unknown status {value!r}; use one of {', '.join(STATUSES)}")
    return text


@dataclass(frozen=True)
class Finding:
    id: str
    inspection: str
    date: date
    service: str
    key_question: str
    regulation: str
    text: str
    theme: str


@dataclass(frozen=True)
class IndicatorLink:
    """An indicator an action is expected to move, and which way. ``site_code``/``unit_code``
    select a site or unit series (default: the whole trust). ``rebase``: the action changed the
    process for good, so once it has started the indicator's stored SPC chart gets new limits from
    the first period on or after its start (Making Data Count: rebase only after a change with a
    known cause; docs/methods.md 2.4)."""

    indicator_id: str
    expected: str = "increase"
    site_code: str | None = None
    unit_code: str | None = None
    rebase: bool = False

    def __post_init__(self) -> None:
        if self.expected not in DIRECTIONS:
            raise InputError(f"indicator {self.indicator_id}: expected direction {self.expected!r} must be "
                             "increase or decrease")
        if not isinstance(self.rebase, bool):
            raise InputError(f"indicator {self.indicator_id}: rebase must be true or false, not {self.rebase!r}")


@dataclass(frozen=True)
class Action:
    id: str
    finding_id: str
    title: str
    owner: str
    start: date
    due: date
    status: str = "not_started"
    indicators: tuple[IndicatorLink, ...] = ()
    completed_on: date | None = None

    def is_overdue(self, today: date) -> bool:
        """Due date passed and not complete (or cancelled)."""
        return self.due < today and self.status not in CLOSED


@dataclass
class ActionPlan:
    """Findings and actions of one trust; edit with ``add_finding``, ``add_action``, ``update_status``."""

    org_code: str
    title: str = ""
    findings: list[Finding] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)

    # -- lookups ----------------------------------------------------------------------------
    def finding(self, finding_id: str) -> Finding:
        for f in self.findings:
            if f.id == finding_id:
                return f
        raise InputError(f"no finding {finding_id!r} in the plan; known: {', '.join(f.id for f in self.findings)}")

    def action(self, action_id: str) -> Action:
        for a in self.actions:
            if a.id == action_id:
                return a
        raise InputError(f"no action {action_id!r} in the plan; known: {', '.join(a.id for a in self.actions)}")

    # -- editing ----------------------------------------------------------------------------
    def add_finding(self, *, id: str, inspection: str, date: date | str, service: str, key_question: str,
                    regulation: str = "", text: str = "", theme: str = "") -> Finding:
        if any(f.id == id for f in self.findings):
            raise InputError(f"finding {id!r} already exists")
        finding = Finding(id, inspection, parse_date(date, f"finding {id} date"), service,
                          _key_question(key_question, f"finding {id}"), regulation, text, theme)
        self.findings.append(finding)
        return finding

    def add_action(self, *, finding_id: str, title: str, owner: str, start: date | str, due: date | str,
                   indicators: list[IndicatorLink | tuple[str, str] | str] | tuple = (),
                   status: str = "not_started", id: str | None = None,
                   completed_on: date | str | None = None) -> Action:
        """Add an action answering ``finding_id``; ``indicators`` as links, (id, direction) pairs
        or "id:direction" strings. Returns the new action (its id is generated if not given)."""
        self.finding(finding_id)
        action_id = id or self._next_id()
        if any(a.id == action_id for a in self.actions):
            raise InputError(f"action {action_id!r} already exists")
        start_d = parse_date(start, f"action {action_id} start")
        due_d = parse_date(due, f"action {action_id} due")
        if due_d < start_d:
            raise InputError(f"action {action_id}: due date {due_d} is before start {start_d}")
        status = parse_status(status, f"action {action_id}")
        completed = parse_optional_date(completed_on, f"action {action_id} completed_on")
        action = Action(action_id, finding_id, title, owner, start_d, due_d, status,
                        tuple(parse_link(x) for x in indicators), completed)
        self.actions.append(action)
        return action

    def update_status(self, action_id: str, status: str, completed_on: date | str | None = None) -> Action:
        """Change an action's status; completing it records ``completed_on`` (default today)."""
        current = self.action(action_id)
        status = parse_status(status, f"action {action_id}")
        completed = parse_optional_date(completed_on, f"action {action_id} completed_on")
        if status == "complete" and completed is None:
            completed = current.completed_on or date.today()
        if status != "complete":
            completed = None
        updated = replace(current, status=status, completed_on=completed)
        self.actions[self.actions.index(current)] = updated
        return updated

    def _next_id(self) -> str:
        numbers = [int(a.id[1:]) for a in self.actions if a.id[:1] == "A" and a.id[1:].isdigit()]
        return f"A{(max(numbers) + 1) if numbers else 1:02d}"

    # -- judgements -------------------------------------------------------------------------
    def overdue(self, today: date | str | None = None) -> pd.DataFrame:
        """Actions whose due date has passed and that are not complete (or cancelled)."""
        on = parse_date(today, "today") if today is not None else date.today()
        rows = [{**_action_row(a), "days_overdue": (on - a.due).days} for a in self.actions if a.is_overdue(on)]
        return pd.DataFrame(rows, columns=[*ACTION_COLUMNS, "days_overdue"])

    def repeat_findings(self) -> pd.DataFrame:
        """Findings repeating an earlier one: same service, key question and theme at a later
        inspection (a later date). ``repeat_of`` is the earliest such earlier finding."""
        rows = []
        for later in self.findings:
            earlier = [f for f in self.findings
                       if f.date < later.date and f.inspection != later.inspection and _same_issue(f, later)]
            if earlier:
                first = min(earlier, key=lambda f: f.date)
                rows.append({"finding_id": later.id, "inspection": later.inspection, "date": later.date,
                             "repeat_of": first.id, "first_inspection": first.inspection, "first_date": first.date,
                             "service": later.service, "key_question": later.key_question, "theme": later.theme,
                             "times_found": len(earlier) + 1})
        return pd.DataFrame(rows, columns=["finding_id", "inspection", "date", "repeat_of", "first_inspection",
                                           "first_date", "service", "key_question", "theme", "times_found"])

    # -- frames -----------------------------------------------------------------------------
    def findings_frame(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(f) for f in self.findings], columns=FINDING_COLUMNS)

    def actions_frame(self) -> pd.DataFrame:
        return pd.DataFrame([_action_row(a) for a in self.actions], columns=ACTION_COLUMNS)

    def to_frame(self) -> pd.DataFrame:
        """Actions joined to their findings."""
        findings = self.findings_frame().rename(columns={"id": "finding_id", "date": "finding_date",
                                                         "text": "finding_text"})
        return self.actions_frame().merge(findings, on="finding_id", how="left")


FINDING_COLUMNS = ["id", "inspection", "date", "service", "key_question", "regulation", "text", "theme"]
ACTION_COLUMNS = ["id", "finding_id", "title", "owner", "start", "due", "status", "completed_on", "indicators"]


def _action_row(a: Action) -> dict:
    return {"id": a.id, "finding_id": a.finding_id, "title": a.title, "owner": a.owner, "start": a.start,
            "due": a.due, "status": a.status, "completed_on": a.completed_on,
            "indicators": ";".join(format_link(x) for x in a.indicators)}


def _same_issue(a: Finding, b: Finding) -> bool:
    from wardwatch.ratings.model import CoreService

    def svc(s: str) -> str:
        parsed = CoreService.parse(s)
        return parsed.value if parsed else s.strip().lower()

    return (svc(a.service) == svc(b.service) and a.key_question == b.key_question
            and a.theme.strip().lower() == b.theme.strip().lower() and bool(a.theme.strip()))


def _key_question(value: str, where: str) -> str:
    from wardwatch.ratings.model import parse_key_question

    return parse_key_question(value, where)


def parse_link(value: IndicatorLink | tuple | str | dict) -> IndicatorLink:
    """``IndicatorLink``, ``(id, direction)``, ``"id:direction[:rebase][@site[/unit]]"`` or a
    mapping."""
    if isinstance(value, IndicatorLink):
        return value
    if isinstance(value, dict):
        return IndicatorLink(str(value["indicator_id"]), str(value.get("expected", "increase")),
                             value.get("site_code"), value.get("unit_code"), value.get("rebase", False))
    if isinstance(value, tuple):
        return IndicatorLink(*value)
    text = str(value).strip()
    site = unit = None
    if "@" in text:
        text, where = text.split("@", 1)
        site, _, unit = where.partition("/")
        site, unit = site or None, unit or None
    indicator, _, rest = text.partition(":")
    direction, _, flag = rest.partition(":")
    flag = flag.strip().lower()
    if flag not in ("", "rebase"):
        raise InputError(f"indicator {indicator.strip()}: {flag!r} after the direction must be 'rebase' or nothing")
    return IndicatorLink(indicator.strip(), (direction or "increase").strip().lower(), site, unit, flag == "rebase")


def format_link(link: IndicatorLink) -> str:
    text = f"{link.indicator_id}:{link.expected}" + (":rebase" if link.rebase else "")
    if link.site_code or link.unit_code:
        text += f"@{link.site_code or ''}" + (f"/{link.unit_code}" if link.unit_code else "")
    return text
