"""Ratings stage: each imported inspection history aggregated by its rule set, with the rule and
explanation behind every computed rating, the published trust ratings beside them, and human
overrides (``rating_overrides``) applied to the latest inspection.

One unit per organisation; its fingerprint covers the history document, the organisation's
overrides and the stage version, so importing a new history or recording an override recomputes
that organisation only.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from wardwatch.ratings.history import RatingsHistory, history_from_dict
from wardwatch.ratings.overrides import OVERRIDE_COLUMNS, Override
from wardwatch.results.documents import StoredDocument, documents, read_yaml, store_document
from wardwatch.results.store import read_table
from wardwatch.warehouse import RATING_OVERRIDES_TABLE, table_exists

METHOD_VERSION = "ratings-1"
KIND = "ratings_history"
TABLE = "result_ratings"


def import_history(raw: duckdb.DuckDBPyConnection, path: Path) -> StoredDocument:
    """Check an inspection-history YAML and keep it as its organisation's current history."""
    doc = read_yaml(path, "--ratings")
    history = history_from_dict(doc, str(path))
    return store_document(raw, KIND, history.org_code, path.name, doc)


def _overrides(raw: duckdb.DuckDBPyConnection, org_code: str) -> list[Override]:
    if not table_exists(raw, RATING_OVERRIDES_TABLE):
        return []
    columns = ", ".join(f'"{c}"' for c in OVERRIDE_COLUMNS)
    rows = raw.execute(f'SELECT {columns} FROM {RATING_OVERRIDES_TABLE} WHERE org = ? ORDER BY "when"',
                       [org_code]).fetchall()
    # the audit trail keeps every override; the latest for a cell is the one in force
    return [Override(**dict(zip(OVERRIDE_COLUMNS, row, strict=True))) for row in rows]


def fingerprints(raw: duckdb.DuckDBPyConnection) -> dict[str, str]:
    prints = {}
    for stored in documents(raw, KIND):
        overrides = "|".join(repr(o) for o in _overrides(raw, stored.org_code))
        text = f"{METHOD_VERSION}|{stored.sha256}|{overrides}"
        prints[stored.org_code] = hashlib.sha256(text.encode()).hexdigest()
    return prints


def compute(raw: duckdb.DuckDBPyConnection, org_codes: set[str]) -> pd.DataFrame:
    """``result_ratings`` rows for the histories of ``org_codes``."""
    frames = [pd.DataFrame(columns=["unit_key"])]
    for stored in documents(raw, KIND):
        if stored.org_code in org_codes:
            history = history_from_dict(stored.document, stored.source)
            frames.append(history_rows(history, _overrides(raw, stored.org_code)))
    return pd.concat(frames, ignore_index=True)


def history_rows(history: RatingsHistory, overrides: list[Override]) -> pd.DataFrame:
    latest = history.latest()
    frames = []
    for inspection in history.inspections:
        applied = overrides if inspection is latest else []
        frame = inspection.aggregate(overrides=applied).to_frame()
        by_cell = {o.cell: o for o in applied}
        cells = zip(frame["level"], frame["org"], frame["location"], frame["service"], frame["key_question"],
                    strict=True)
        chosen = [by_cell.get(tuple(None if pd.isna(v) else v for v in cell)) for cell in cells]
        trust = frame["level"] == "trust"
        frames.append(frame.assign(
            unit_key=history.org_code, org_code=history.org_code, org_name=history.name,
            inspection_id=inspection.id, publication_date=inspection.published,
            inspection_start=inspection.inspection_start, inspection_end=inspection.inspection_end,
            framework=inspection.framework.value, ruleset=inspection.ruleset,
            location_name=frame["location"].map(history.locations),
            published_rating=frame["key_question"].map(inspection.published_trust).where(trust, None),
            override_rating=[o.to_rating if o else None for o in chosen],
            override_reason=[o.reason if o else None for o in chosen],
        ))
    return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class StoredRatings:
    """An organisation's stored ratings: every cell of every inspection, oldest first."""

    org_code: str
    name: str
    cells: pd.DataFrame

    @property
    def latest_id(self) -> str:
        return str(self.cells.sort_values("publication_date")["inspection_id"].iloc[-1])

    def inspection(self, inspection_id: str) -> pd.DataFrame:
        return self.cells[self.cells["inspection_id"] == inspection_id]

    @property
    def inspections(self) -> list[str]:
        order = self.cells.drop_duplicates("inspection_id").sort_values("publication_date")
        return list(order["inspection_id"])


def read_history(raw: duckdb.DuckDBPyConnection, org_code: str) -> StoredRatings | None:
    """The organisation's stored ratings, or None when no history was imported for it."""
    cells = read_table(raw, TABLE, "org_code = ?", [org_code])
    if cells.empty:
        return None
    return StoredRatings(org_code, str(cells["org_name"].iloc[0]), cells)
