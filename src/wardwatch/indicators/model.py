"""What an indicator is: a frozen, declarative definition the generic engine computes.

An indicator says *what* to count (its ``spec``) and how to read it (unit, improvement direction,
target and the source of that target, the SPC chart that suits it). ``wardwatch.indicators.engine``
turns every spec into the same long ``measures`` rows, so no indicator has its own code path.

Spec kinds
----------
``EventSpec``     each row of one table is an event dated by ``period_column`` (an ED attendance, a
                  sepsis episode, a scan). Numerator and denominator are per-row expressions
                  (boolean = counts 1/0, numeric = summed), aggregated by period.
``SnapshotSpec``  a census at each month end (DM01 waiting list, training in date): rows are joined
                  to a calendar of month ends, ``applies`` says whether a row is in the census on that
                  day and ``numerator`` whether it meets the standard then.
``PublishedSpec`` figures loaded from published statistics (``wardwatch.published``); not computed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import ibis.expr.types as ir

from wardwatch.vocabulary import KEY_QUESTIONS

UNITS = ("proportion", "ratio", "count", "rate", "score")
GRAINS = ("week", "month", "year")
IMPROVEMENTS = ("increase", "decrease", "neutral")

#: Per-row expression builder: table -> boolean (counts 1 when true) or numeric (summed).
RowExpr = Callable[[ir.Table], ir.Value]
#: Month-end census expression builder: (rows joined to the calendar, month-end date) -> boolean.
CensusExpr = Callable[[ir.Table, ir.DateValue], ir.BooleanValue]


@dataclass(frozen=True)
class EventSpec:
    """One row of ``table`` is one event, dated by ``period_column`` (timestamp or date).

    ``where`` keeps the rows the indicator is about (its population); ``denominator`` (default:
    each kept row counts 1) and ``numerator`` are evaluated on those rows.
    """

    table: str
    period_column: str
    numerator: RowExpr
    denominator: RowExpr | None = None
    where: RowExpr | None = None
    site_column: str | None = "site_code"
    #: optional breakdown written to ``measures.unit_code`` (department, location, modality ...)
    unit_column: str | None = None
    #: adds derived columns before the scan (e.g. the ED extract time, a per-organisation window);
    #: indicators share a scan only when they share this function
    prepare: Callable[[ir.Table], ir.Table] | None = None
    #: days after the event before its outcome is known (a death within 30 days, plus the time a
    #: death takes to reach the data): periods later than the extract's cut-off minus this are
    #: incomplete, so a month whose deaths are not all recorded yet is not drawn as a fall
    follow_up_days: int = 0


@dataclass(frozen=True)
class SnapshotSpec:
    """A census of ``table`` taken at every month end (period_start = first day of that month).

    ``entity`` names the columns of the thing counted once per census (e.g. a member of staff's
    requirement for a course and modality); when ``None`` every row counts on its own. An entity is
    in the denominator if any of its rows ``applies`` and in the numerator if any of its applying
    rows meets ``numerator``. The calendar runs from the first to the last month found in
    ``calendar_columns``.
    """

    table: str
    applies: CensusExpr
    numerator: CensusExpr
    calendar_columns: tuple[str, ...]
    where: RowExpr | None = None
    entity: tuple[str, ...] | None = None
    site_column: str | None = None
    unit_column: str | None = None
    #: other warehouse tables ``prepare`` needs
    extra_tables: tuple[str, ...] = ()
    #: builds the census rows from the tables (e.g. a join); default: the table itself
    prepare: Callable[[dict[str, ir.Table]], ir.Table] | None = None
    #: days after the extract's first date before the first census: a census of waits of N days or
    #: more taken sooner counts nobody (no request in the extract is old enough yet), which would
    #: chart as an improvement that never happened (left censoring)
    warm_up_days: int = 0

    @property
    def tables(self) -> tuple[str, ...]:
        return (self.table, *self.extra_tables)


@dataclass(frozen=True)
class PublishedSpec:
    """Loaded from published statistics by ``loader`` (``wardwatch load-published <loader>``)."""

    loader: str
    source: str


@dataclass(frozen=True)
class Indicator:
    """A quality indicator (docs/design.md "indicators"); see ``docs/indicators.md`` for the catalogue."""

    id: str
    title: str
    description: str
    key_questions: tuple[str, ...]
    core_service: str
    unit: str
    grains: tuple[str, ...]
    improvement: str
    target: float | None
    target_source: str
    chart: str
    spec: EventSpec | SnapshotSpec | PublishedSpec
    #: numerator and denominator in words (for the catalogue and tooltips)
    numerator_text: str = ""
    denominator_text: str = ""
    #: caveats: interim targets, UNVERIFIED items, decisions taken where the standard is silent
    notes: str = ""

    def __post_init__(self) -> None:
        bad = [k for k in self.key_questions if k not in KEY_QUESTIONS]
        if bad or not self.key_questions:
            raise ValueError(f"{self.id}: key_questions {self.key_questions!r} not in {KEY_QUESTIONS}")
        if self.unit not in UNITS:
            raise ValueError(f"{self.id}: unit {self.unit!r} not in {UNITS}")
        if not self.grains or any(g not in GRAINS for g in self.grains):
            raise ValueError(f"{self.id}: grains {self.grains!r} not in {GRAINS}")
        if self.improvement not in IMPROVEMENTS:
            raise ValueError(f"{self.id}: improvement {self.improvement!r} not in {IMPROVEMENTS}")

    @property
    def computed(self) -> bool:
        """True when wardwatch computes it from warehouse tables (not loaded from publications)."""
        return not isinstance(self.spec, PublishedSpec)

    @property
    def tables(self) -> tuple[str, ...]:
        """Warehouse tables the indicator reads (empty for published indicators)."""
        if isinstance(self.spec, EventSpec):
            return (self.spec.table,)
        if isinstance(self.spec, SnapshotSpec):
            return self.spec.tables
        return ()
