"""`wardwatch live-sync`: completed live episodes into the warehouse, through the normal loader.

The live store (SQLite, ``<db>.live.sqlite``) is written by the listener; the warehouse (DuckDB)
has one writer at a time. This module is the bridge: it takes the completed episodes
(``completed_rows``), writes them as the contract's Parquet files in a temporary folder and calls
``wardwatch.ingest.load`` on that folder, so every contract check, the quarantine, the key
handling (a row already loaded with the same values adds nothing) and the writer lock apply
exactly as for an extract. Nothing here writes to DuckDB directly.

**Settling.** A row loaded into the warehouse is never changed by a later load (a different
version of a loaded key is quarantined as ``key_conflict``), so a row is held back while an event
that would still change an indicator can arrive:

- an imaging request performed but not reported: until 7 days after the scan (the report
  turnaround indicator's window); a report after that no longer changes the indicator;
- a sepsis episode closed without a screen time: until 24 hours after time zero (screens are
  often written up after the antibiotics; the screening indicator looks only at the first hour,
  so the day's wait costs nothing and spares most later screens a ``key_conflict``).

A row that does change after it was loaded (a very late report or screen) is quarantined as
``key_conflict`` on the next sync and the warehouse keeps the first version.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

from wardwatch.errors import InputError
from wardwatch.ingest import LoadReport, load
from wardwatch.live.completed import completed_rows
from wardwatch.live.store import live_path, open_readonly

LIVE_DATASETS = ("ed_attendances", "imaging_requests", "sepsis_episodes")

#: how long after the scan an unreported imaging request is held back (report turnaround window)
REPORT_SETTLE = timedelta(days=7)
#: how long after time zero an unscreened, closed sepsis episode is held back (past the 1-hour
#: screening window, with the rest of the day for a screen documented late)
SCREEN_SETTLE = timedelta(hours=24)


@dataclass(frozen=True)
class SyncReport:
    load: LoadReport | None  # None when there was nothing to load
    completed: dict[str, int]  # completed episodes in the live store, per dataset
    held_back: dict[str, int]  # of those, not yet settled (next sync)


def settled_rows(con, table: str, at: datetime) -> tuple[pd.DataFrame, int]:
    """(rows of ``table`` completed and settled at ``at``, number held back)."""
    frame = completed_rows(con, table)
    if table == "imaging_requests":
        waiting_for_report = (frame["performed_at"].notna() & frame["reported_at"].isna()
                              & frame["cancelled_at"].isna() & (frame["performed_at"] > at - REPORT_SETTLE))
        hold = waiting_for_report
    elif table == "sepsis_episodes":
        hold = frame["screened_at"].isna() & (frame["trigger_at"] > at - SCREEN_SETTLE)
    else:
        hold = pd.Series(False, index=frame.index)
    hold = hold.fillna(False).astype(bool)
    return frame[~hold].reset_index(drop=True), int(hold.sum())


def sync_completed(db: Path, at: datetime | None = None) -> SyncReport:
    """Load the settled completed episodes of ``db``'s live store into the warehouse ``db``."""
    db = Path(db)
    if not live_path(db).exists():
        raise InputError(f"{live_path(db)}: no live database yet; start `wardwatch listen --db {db}` "
                         "or run `wardwatch ingest-hl7 FILE --db ...` first")
    at = at or datetime.now()
    con = open_readonly(db)
    try:
        frames: dict[str, pd.DataFrame] = {}
        completed: dict[str, int] = {}
        held_back: dict[str, int] = {}
        for table in LIVE_DATASETS:
            frame, held = settled_rows(con, table, at)
            frames[table], held_back[table] = frame, held
            completed[table] = len(frame) + held
    finally:
        con.close()
    wanted = [table for table, frame in frames.items() if len(frame)]
    if not wanted:
        return SyncReport(None, completed, held_back)
    with tempfile.TemporaryDirectory(prefix="wardwatch-live-sync-") as folder:
        for table in wanted:
            frames[table].to_parquet(Path(folder) / f"{table}.parquet", index=False)
        report = load(folder, db, wanted)
    return SyncReport(report, completed, held_back)


def format_sync(report: SyncReport) -> str:
    """One line per dataset: completed, held back, read, added, already loaded, quarantined (reasons)."""
    lines = []
    for table in LIVE_DATASETS:
        item = None
        if report.load is not None and table in {d.dataset for d in report.load.loaded_datasets}:
            item = report.load[table]
        read = item.read if item else 0
        added = item.added if item else 0
        quarantined = item.quarantined if item else 0
        already = (item.loaded - item.added) if item else 0
        line = (f"{table}: {report.completed[table]} completed, {report.held_back[table]} held back, "
                f"{read} read, {added} added, {already} already loaded, {quarantined} quarantined")
        if item and item.reasons:
            line += " (" + ", ".join(f"{code} {n}" for code, n in item.reasons.items() if n) + ")"
        lines.append(line)
    return "\n".join(lines)
