"""Watchlists: open items at a time ``at``, with minutes waited and rule status.

State rows keep start and end times, so "open at ``at``" is ``start <= at < end (or no end)``:
the same query answers "now" (the injected clock) and "what did the list look like at 03:00".
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from wardwatch.errors import InputError
from wardwatch.live.events import TS_FORMAT, to_ts
from wardwatch.live.rules import Rule, RuleSet

# name -> (tables SQL, item id, patient, location, start, end expression, extra condition, org, site)
_SOURCES = {
    "imaging_inpatient_waiting": (
        "imaging i LEFT JOIN encounters e ON e.visit_id = i.visit_id",
        "i.request_id", "i.patient_ref", "COALESCE(e.location, i.location)", "i.requested_at",
        "COALESCE(MIN(i.performed_at, i.cancelled_at), i.performed_at, i.cancelled_at)",
        "(i.patient_type = 'inpatient' OR (i.patient_type IS NULL AND e.patient_class = 'I'))",
        "COALESCE(i.org_code, e.org_code)", "COALESCE(i.site_code, e.site_code)",
    ),
    "ed_long_stay": (
        "encounters e", "e.visit_id", "e.patient_ref", "e.location", "e.ed_arrival_at", "e.ed_departed_at",
        "1 = 1", "e.org_code", "e.site_code",
    ),
    "sepsis_antibiotics_due": (
        "sepsis s LEFT JOIN encounters e ON e.visit_id = s.visit_id",
        "s.episode_id", "s.patient_ref", "COALESCE(e.location, s.ward)", "s.high_risk_at",
        "COALESCE(MIN(s.antibiotics_at, s.closed_at), s.antibiotics_at, s.closed_at)", "1 = 1",
        "s.org_code", "COALESCE(s.site_code, e.site_code)",
    ),
    "sepsis_screen_due": (
        "sepsis s LEFT JOIN encounters e ON e.visit_id = s.visit_id",
        "s.episode_id", "s.patient_ref", "COALESCE(e.location, s.ward)", "s.trigger_at",
        "COALESCE(MIN(s.screened_at, s.closed_at), s.screened_at, s.closed_at)", "1 = 1",
        "s.org_code", "COALESCE(s.site_code, e.site_code)",
    ),
}


@dataclass(slots=True)
class Item:
    item_id: str
    patient_ref: str | None
    location: str | None
    started_at: str
    minutes: float
    status: str
    org_code: str | None = None
    site_code: str | None = None


def watchlist(con: sqlite3.Connection, rules: RuleSet, name: str, at: datetime,
              status: str | None = None, *, org: str | None = None, site: str | None = None) -> list[Item]:
    """Open items of watchlist ``name`` at ``at``, longest wait first (optionally only those of
    trust ``org`` and/or site ``site``)."""
    rule: Rule = rules.rule(name)
    if status not in (None, "red", "amber", "green"):
        raise InputError(f"--status must be red, amber or green, not {status!r}")
    tables, item_id, patient, location, start, end, condition, org_col, site_col = _SOURCES[name]
    at_text = to_ts(at)
    # status filters become a bound on the start time, so the index does the work
    latest_start = at_text
    if status == "red":
        latest_start = to_ts(at - timedelta(minutes=rule.red_minutes))
    elif status == "amber":
        latest_start = to_ts(at - timedelta(minutes=rule.amber_minutes))
    params: list = [at_text, latest_start, at_text]
    where = ""
    if org:
        where += f" AND {org_col} = ?"
        params.append(org)
    if site:
        where += f" AND {site_col} = ?"
        params.append(site)
    sql = (f"SELECT {item_id}, {patient}, {location}, {start},"
           f" (julianday(?) - julianday({start})) * 1440.0, {org_col}, {site_col} FROM {tables}"
           f" WHERE {start} IS NOT NULL AND {start} <= ? AND {condition}"
           f" AND ({end} IS NULL OR {end} > ?){where} ORDER BY {start}, {item_id}")
    items = []
    status_of = rule.status
    for ident, ref, loc, started, minutes, org_code, site_code in con.execute(sql, params):
        minutes = round(minutes, 4)  # julianday is a double: keep whole-second waits exact at thresholds
        item = Item(ident, ref, loc, started, minutes, status_of(minutes), org_code, site_code)
        if status is None or item.status == status:
            items.append(item)
    return items


def format_items(items: list[Item], rule: Rule, at: datetime, version: int) -> str:
    lines = [(f"{rule.name} (rules v{version}): {rule.title} — at {at.strftime(TS_FORMAT)}, "
             f"amber {rule.amber_minutes:g} min, red {rule.red_minutes:g} min"),
             f"{'patient':20s} {'location':14s} {'started':19s} {'minutes':>8s}  status"]
    for item in items:
        lines.append(f"{item.patient_ref or '-':20s} {(item.location or '-')[:14]:14s} {item.started_at:19s} "
                     f"{item.minutes:8.0f}  {item.status}")
    counts = {s: sum(1 for i in items if i.status == s) for s in ("red", "amber", "green")}
    lines.append(f"{len(items)} open: {counts['red']} red, {counts['amber']} amber, {counts['green']} green")
    return "\n".join(lines)
