"""``wardwatch refresh``: compute every judgement once into the result tables.

Stages run in order; each fingerprints its units (the inputs each one reads plus its method
version), recomputes only new or changed units, deletes the results of units whose inputs are
gone, and commits in one transaction. A ``runs`` row records what was done.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from wardwatch.errors import InputError
from wardwatch.indicator_meta import IndicatorMeta
from wardwatch.results import actions, funnels, mortality, quality, ratings, spc_series
from wardwatch.results.store import Plan, RunRecord, ensure_tables, plan, record_run, replace_units
from wardwatch.warehouse import MEASURES_TABLE, connect_raw, table_exists

Progress = Callable[[str], None]


@dataclass(frozen=True)
class RefreshSummary:
    run_id: str
    stages: dict[str, dict[str, int]]
    seconds: dict[str, float]

    @property
    def recomputed(self) -> int:
        return sum(s["recomputed"] for s in self.stages.values())


def new_run_id(now: datetime) -> str:
    return f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"


class Inputs:
    """What several stages read, read once per refresh (on first use)."""

    def __init__(self, raw: duckdb.DuckDBPyConnection, registry: Mapping[str, Any] | None = None) -> None:
        self.raw = raw
        self.registry = registry
        self._series: tuple[pd.DataFrame, dict[str, IndicatorMeta]] | None = None

    @property
    def series(self) -> tuple[pd.DataFrame, dict[str, IndicatorMeta]]:
        if self._series is None:
            series = spc_series.read_series(self.raw)
            self._series = spc_series.with_settings(series, spc_series.read_cut_offs(self.raw), self.registry)
        return self._series


def spc_stage(raw: duckdb.DuckDBPyConnection, inputs: Inputs, run_id: str, force: bool, say: Progress) -> Plan:
    say("SPC: reading series")
    series, metas = inputs.series
    rebases = actions.rebase_dates(raw)  # the plans were imported before the stages run
    prints = spc_series.fingerprints(series, metas, rebases)
    work = plan(raw, "spc", dict(zip(prints["unit_key"], prints["fingerprint"], strict=True)), force)
    if not work.changed and not work.removed:
        return work
    say(f"SPC: computing {len(work.changed):,} of {len(work.current):,} series")
    result = spc_series.compute(spc_series.select_keys(series, work.changed), metas, rebases=rebases)
    tables = {
        "result_spc_series": result.series,
        "result_spc_points": result.points,
        "result_spc_summary": result.summary,
        "result_spc_as_of": result.as_of,
    }
    tables = {name: frame.assign(unit_key=spc_series.unit_keys(frame)) for name, frame in tables.items()}
    replace_units(raw, work, tables, run_id)
    return work


def funnel_stage(raw: duckdb.DuckDBPyConnection, inputs: Inputs, run_id: str, force: bool, say: Progress) -> Plan:
    series, metas = inputs.series
    rows = funnels.funnel_rows(series, metas)
    work = plan(raw, "funnel", funnels.fingerprints(rows), force)
    if not work.changed and not work.removed:
        return work
    say(f"Funnels: computing {len(work.changed):,} of {len(work.current):,}")
    units, limits = funnels.compute(rows[funnels.unit_keys(rows).isin(set(work.changed))])
    tables = {"result_funnel_units": units, "result_funnel_limits": limits}
    tables = {name: frame.assign(unit_key=funnels.unit_keys(frame)) for name, frame in tables.items()}
    replace_units(raw, work, tables, run_id)
    return work


def mortality_stage(raw: duckdb.DuckDBPyConnection, inputs: Inputs, run_id: str, force: bool, say: Progress) -> Plan:
    work = plan(raw, "mortality", mortality.fingerprints(raw), force)
    if not work.changed and not work.removed:
        return work
    rows = mortality.compute(raw, progress=lambda m: say(f"Mortality: {m}")) if work.changed else {}
    # the sepsis funnel shares the funnel tables; its unit key ("all") is the mortality stage's
    for name in mortality.TABLES:
        rows.setdefault(name, pd.DataFrame({"unit_key": []}))
    replace_units(raw, work, rows, run_id)
    return work


def quality_stage(raw: duckdb.DuckDBPyConnection, inputs: Inputs, run_id: str, force: bool, say: Progress) -> Plan:
    say("Data quality")
    work = plan(raw, "quality", quality.stage_fingerprints(raw), force)
    if work.changed:
        replace_units(raw, work, quality.stage_rows(raw), run_id)
    return work


def ratings_stage(raw: duckdb.DuckDBPyConnection, inputs: Inputs, run_id: str, force: bool, say: Progress) -> Plan:
    work = plan(raw, "ratings", ratings.fingerprints(raw), force)
    if work.changed or work.removed:
        say(f"Ratings: aggregating {len(work.changed):,} inspection histories")
        replace_units(raw, work, {ratings.TABLE: ratings.compute(raw, set(work.changed))}, run_id)
    return work


def actions_stage(raw: duckdb.DuckDBPyConnection, inputs: Inputs, run_id: str, force: bool, say: Progress) -> Plan:
    work = plan(raw, "actions", actions.fingerprints(raw), force)
    if work.changed or work.removed:
        say(f"Action effects: evaluating {len(work.changed):,} plans")
        replace_units(raw, work, {actions.TABLE: actions.compute(raw, set(work.changed))}, run_id)
    return work


STAGES: tuple[tuple[str, Callable[..., Plan]], ...] = (
    ("spc", spc_stage), ("funnel", funnel_stage), ("mortality", mortality_stage), ("quality", quality_stage),
    ("ratings", ratings_stage), ("actions", actions_stage))
METHOD_VERSIONS = {"spc": spc_series.METHOD_VERSION, "funnel": funnels.METHOD_VERSION,
                   "mortality": mortality.METHOD_VERSION, "quality": quality.STAGE_VERSION,
                   "ratings": ratings.METHOD_VERSION, "actions": actions.METHOD_VERSION}


def refresh(db: str | Path, *, force: bool = False, progress: Progress | None = None,
            registry: Mapping[str, Any] | None = None, ratings_files: Sequence[Path] = (),
            action_plans: Sequence[Path] = ()) -> RefreshSummary:
    """Bring every result table up to date with the warehouse's inputs (``registry``: another
    indicator registry, for tests with hand-made indicators). ``ratings_files`` (inspection
    histories) and ``action_plans`` (YAML) are checked and imported first, each replacing its
    organisation's earlier one."""
    from wardwatch import __version__

    say = progress or (lambda _m: None)
    raw = connect_raw(db)
    try:
        if not table_exists(raw, MEASURES_TABLE):
            raise InputError(f"{db}: no measures yet; run `wardwatch measures --db {db}` first")
        ensure_tables(raw)
        for path in ratings_files:
            stored = ratings.import_history(raw, Path(path))
            say(f"Imported the inspection history of {stored.org_code} from {path}")
        for path in action_plans:
            stored = actions.import_plan(raw, Path(path))
            say(f"Imported the action plan of {stored.org_code} from {path}")
        now = datetime.now().replace(microsecond=0)
        run = RunRecord(new_run_id(now), now, f"wardwatch {__version__}", dict(METHOD_VERSIONS))
        inputs_read = Inputs(raw, registry)
        seconds: dict[str, float] = {}
        inputs: list[str] = []
        for name, stage in STAGES:
            started = time.perf_counter()
            work = stage(raw, inputs_read, run.run_id, force, say)
            run.add(work)
            inputs.extend(f"{name}:{key}:{print_}" for key, print_ in work.current.items())
            seconds[name] = time.perf_counter() - started
        record_run(raw, run, inputs)
        raw.execute("CHECKPOINT")
    finally:
        raw.close()
    return RefreshSummary(run.run_id, run.stages, seconds)
