"""Writing and reading result tables: runs, unit fingerprints, and the replacement of the rows of
recomputed units in one transaction per stage (a failed stage leaves the previous results)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import pandas as pd

from wardwatch.results.tables import RESULT_COLUMNS, RESULT_TABLES
from wardwatch.warehouse import RESULT_UNITS_TABLE, RUNS_TABLE, staged, table_exists, transaction

RUNS_DDL = (
    "run_id VARCHAR PRIMARY KEY, started_at TIMESTAMP, finished_at TIMESTAMP, code_version VARCHAR, "
    "rule_versions VARCHAR, inputs_fingerprint VARCHAR, units_total INTEGER, units_recomputed INTEGER, "
    "units_removed INTEGER, stages VARCHAR"
)
UNITS_DDL = "stage VARCHAR, unit_key VARCHAR, fingerprint VARCHAR, run_id VARCHAR, PRIMARY KEY (stage, unit_key)"


def ensure_tables(raw: duckdb.DuckDBPyConnection) -> None:
    raw.execute(f"CREATE TABLE IF NOT EXISTS {RUNS_TABLE} ({RUNS_DDL})")
    raw.execute(f"CREATE TABLE IF NOT EXISTS {RESULT_UNITS_TABLE} ({UNITS_DDL})")
    for name, ddl in RESULT_TABLES.items():
        raw.execute(f"CREATE TABLE IF NOT EXISTS {name} ({ddl})")


def stored_fingerprints(raw: duckdb.DuckDBPyConnection, stage: str) -> dict[str, str]:
    if not table_exists(raw, RESULT_UNITS_TABLE):
        return {}
    rows = raw.execute(f"SELECT unit_key, fingerprint FROM {RESULT_UNITS_TABLE} WHERE stage = ?", [stage]).fetchall()
    return dict(rows)


@dataclass(frozen=True)
class Plan:
    """Which units of a stage to compute, keep and remove."""

    stage: str
    current: Mapping[str, str]  # unit_key -> fingerprint of its inputs now
    changed: tuple[str, ...]  # new or changed: recompute
    removed: tuple[str, ...]  # no longer in the inputs: delete their rows

    @property
    def kept(self) -> int:
        return len(self.current) - len(self.changed)


def plan(raw: duckdb.DuckDBPyConnection, stage: str, current: Mapping[str, str], force: bool = False) -> Plan:
    stored = stored_fingerprints(raw, stage)
    changed = tuple(sorted(k for k, f in current.items() if force or stored.get(k) != f))
    removed = tuple(sorted(set(stored) - set(current)))
    return Plan(stage, dict(current), changed, removed)


def replace_units(raw: duckdb.DuckDBPyConnection, work: Plan, rows: Mapping[str, pd.DataFrame], run_id: str) -> None:
    """Delete the rows of changed and removed units from ``rows``' tables, insert the new rows,
    and record the fingerprints: one transaction."""
    touched = pd.DataFrame({"unit_key": list(work.changed) + list(work.removed)}, dtype=object)
    prints = pd.DataFrame({
        "stage": work.stage, "unit_key": list(work.changed),
        "fingerprint": [work.current[k] for k in work.changed], "run_id": run_id,
    }, dtype=object)
    tables = {name: _typed(name, frame.assign(run_id=run_id)) for name, frame in rows.items()}
    with staged(raw, "_ww_touched", touched), staged(raw, "_ww_prints", prints), transaction(raw):
        for name, frame in tables.items():
            raw.execute(f"DELETE FROM {name} WHERE unit_key IN (SELECT unit_key FROM _ww_touched)")
            if len(frame):
                with staged(raw, "_ww_rows", frame):
                    columns = ", ".join(RESULT_COLUMNS[name])
                    raw.execute(f"INSERT INTO {name} ({columns}) SELECT {columns} FROM _ww_rows")
        raw.execute(f"DELETE FROM {RESULT_UNITS_TABLE} WHERE stage = ? AND unit_key IN "
                    "(SELECT unit_key FROM _ww_touched)", [work.stage])
        raw.execute(f"INSERT INTO {RESULT_UNITS_TABLE} SELECT stage, unit_key, fingerprint, run_id FROM _ww_prints")


def _typed(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with exactly the table's columns (missing ones NULL), in order."""
    return frame.reindex(columns=list(RESULT_COLUMNS[name]))


@dataclass
class RunRecord:
    run_id: str
    started_at: datetime
    code_version: str
    rule_versions: dict[str, str]
    stages: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, work: Plan) -> None:
        self.stages[work.stage] = {"units": len(work.current), "recomputed": len(work.changed),
                                   "removed": len(work.removed)}

    def totals(self) -> tuple[int, int, int]:
        return tuple(sum(s[k] for s in self.stages.values()) for k in ("units", "recomputed", "removed"))


def record_run(raw: duckdb.DuckDBPyConnection, run: RunRecord, fingerprints: Iterable[str]) -> None:
    import hashlib

    total, recomputed, removed = run.totals()
    inputs = hashlib.sha256("\n".join(sorted(fingerprints)).encode()).hexdigest()
    raw.execute(
        f"INSERT INTO {RUNS_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [run.run_id, run.started_at, datetime.now(), run.code_version, json.dumps(run.rule_versions, sort_keys=True),
         inputs, total, recomputed, removed, json.dumps(run.stages, sort_keys=True)],
    )


def read_table(raw: duckdb.DuckDBPyConnection, name: str, where: str = "", params: list | None = None) -> pd.DataFrame:
    """Rows of result table ``name`` (``where`` a SQL condition with ``?`` parameters)."""
    if name not in RESULT_TABLES:
        raise KeyError(name)
    if not table_exists(raw, name):
        return pd.DataFrame(columns=list(RESULT_COLUMNS[name]))
    sql = f"SELECT * FROM {name}" + (f" WHERE {where}" if where else "")
    return raw.execute(sql, params or []).df()
