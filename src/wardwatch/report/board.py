"""The board's configuration for its report (``--config board.yaml``), validated with one-line errors.

Example (docs/guide/report.md)::

    org_code: ZFV
    name: Zedford Valley NHS Foundation Trust
    period: {from: 2018-04-01, to: 2020-03-31}
    comparators: [ZP01, ZP02]
    action_plan: plan.yaml          # imported by `wardwatch refresh --config`
    ratings: inspections.yaml       # inspection history, imported by `wardwatch refresh --config`
    indicators:
      - id: ed_4h
        owner: Head of Emergency Care
        accountable: Chief Operating Officer
        narrative: Flow through the department fell after ward closures ...
        reviewed_at: 2020-03-12
        escalated_to: Quality and Safety Committee
        next_review: 2020-04-09
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from wardwatch.errors import InputError
from wardwatch.yamlfile import load_yaml

TOP_KEYS = ("org_code", "name", "period", "comparators", "indicators", "action_plan", "ratings")
INDICATOR_KEYS = ("id", "owner", "accountable", "narrative", "reviewed_at", "escalated_to", "next_review")


@dataclass(frozen=True)
class IndicatorNotes:
    """What the board's owners say about one indicator (printed in its exception report)."""

    id: str
    owner: str = ""
    accountable: str = ""
    narrative: str = ""
    reviewed_at: date | None = None
    escalated_to: str = ""
    next_review: date | None = None


@dataclass(frozen=True)
class BoardConfig:
    org_code: str
    name: str = ""
    period_from: date | None = None
    period_to: date | None = None
    comparators: tuple[str, ...] = ()
    indicator_notes: tuple[IndicatorNotes, ...] = ()
    action_plan: Path | None = None
    ratings: Path | None = None
    source: Path | None = field(default=None, compare=False)

    @property
    def indicators(self) -> tuple[str, ...] | None:
        """The indicators to show, in order (None: every indicator with results)."""
        return tuple(n.id for n in self.indicator_notes) or None

    def indicator(self, indicator_id: str) -> IndicatorNotes:
        for notes in self.indicator_notes:
            if notes.id == indicator_id:
                return notes
        return IndicatorNotes(indicator_id)


def _text(value: Any, where: str) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        raise InputError(f"{where}: must be text, not a {type(value).__name__}")
    return str(value).strip()


def _date(value: Any, where: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"{where}: {value!r} is not a date; write YYYY-MM-DD") from None


def _path(value: Any, where: str, base: Path) -> Path | None:
    text = _text(value, where)
    if not text:
        return None
    path = Path(text)
    path = path if path.is_absolute() else base / path
    if not path.exists():
        raise InputError(f"{where}: {path} does not exist")
    return path


def _unknown(keys: Any, allowed: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(keys) - set(allowed))
    if unknown:
        raise InputError(f"{where}: unknown key {unknown[0]!r}; allowed: {', '.join(allowed)}")


def parse_board(doc: Any, where: str, base: Path) -> BoardConfig:
    if not isinstance(doc, dict):
        raise InputError(f"{where}: a board configuration is a mapping with keys {', '.join(TOP_KEYS)}")
    _unknown(doc, TOP_KEYS, where)
    org = _text(doc.get("org_code"), f"{where} org_code")
    if not org:
        raise InputError(f"{where} org_code: required (the organisation code the report is about)")
    period = doc.get("period") or {}
    if not isinstance(period, dict):
        raise InputError(f"{where} period: write {{from: YYYY-MM-DD, to: YYYY-MM-DD}}")
    _unknown(period, ("from", "to"), f"{where} period")
    period_from = _date(period.get("from"), f"{where} period.from")
    period_to = _date(period.get("to"), f"{where} period.to")
    if period_from and period_to and period_from > period_to:
        raise InputError(f"{where} period: from {period_from} is after to {period_to}")
    comparators = doc.get("comparators") or []
    if not isinstance(comparators, list):
        raise InputError(f"{where} comparators: a list of organisation codes, e.g. [ZP01, ZP02]")
    items = doc.get("indicators") or []
    if not isinstance(items, list):
        raise InputError(f"{where} indicators: a list of entries with id (and owner, narrative, ...)")
    notes, seen = [], set()
    for k, item in enumerate(items, start=1):
        at = f"{where} indicators[{k}]"
        if isinstance(item, str):
            item = {"id": item}
        if not isinstance(item, dict):
            raise InputError(f"{at}: an indicator id or a mapping with id")
        _unknown(item, INDICATOR_KEYS, at)
        indicator_id = _text(item.get("id"), f"{at}.id")
        if not indicator_id:
            raise InputError(f"{at}.id: required")
        if indicator_id in seen:
            raise InputError(f"{at}.id: {indicator_id} is listed twice")
        seen.add(indicator_id)
        notes.append(IndicatorNotes(
            id=indicator_id, owner=_text(item.get("owner"), f"{at}.owner"),
            accountable=_text(item.get("accountable"), f"{at}.accountable"),
            narrative=_text(item.get("narrative"), f"{at}.narrative"),
            reviewed_at=_date(item.get("reviewed_at"), f"{at}.reviewed_at"),
            escalated_to=_text(item.get("escalated_to"), f"{at}.escalated_to"),
            next_review=_date(item.get("next_review"), f"{at}.next_review"),
        ))
    return BoardConfig(
        org_code=org, name=_text(doc.get("name"), f"{where} name"), period_from=period_from,
        period_to=period_to, comparators=tuple(_text(c, f"{where} comparators") for c in comparators),
        indicator_notes=tuple(notes), action_plan=_path(doc.get("action_plan"), f"{where} action_plan", base),
        ratings=_path(doc.get("ratings"), f"{where} ratings", base),
    )


def load_board(path: Path) -> BoardConfig:
    """Read and validate ``board.yaml``; every error is one line naming the key."""
    doc = load_yaml(path, "--config", give="the board.yaml file")
    board = parse_board(doc, str(path), path.parent)
    return BoardConfig(**{**board.__dict__, "source": path})


def check_indicators(board: BoardConfig, known: set[str]) -> None:
    """Every configured indicator must have results for the organisation."""
    for notes in board.indicator_notes:
        if notes.id not in known:
            sample = ", ".join(sorted(known)[:8])
            raise InputError(f"board config indicators: {notes.id!r} has no results for {board.org_code}; "
                             f"known: {sample} ...")
