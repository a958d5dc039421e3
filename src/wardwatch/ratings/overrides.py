"""Human overrides of aggregated ratings, with an audit trail.

CQC applies its aggregation principles "with professional judgement" (docs/methods.md 1.1, 1.3),
so any computed rating may be overridden, but never silently: an override needs a reason, and
every override is kept (who, when, cell, from, to, reason) in a persistent audit trail, either a
JSON-lines file or the DuckDB warehouse table ``rating_overrides``.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from wardwatch.errors import InputError
from wardwatch.ratings.model import Level, Rating, parse_key_question
from wardwatch.warehouse import RATING_OVERRIDES_TABLE

OVERRIDE_COLUMNS = ["level", "org", "location", "service", "key_question", "from_rating", "to_rating",
                    "reason", "who", "when"]
TABLE = RATING_OVERRIDES_TABLE


@dataclass(frozen=True)
class Override:
    """One override of one rating cell. ``from_rating`` is the rating it replaced (as computed then)."""

    level: str
    org: str
    key_question: str
    to_rating: str
    reason: str
    who: str
    when: str  # ISO timestamp, UTC
    location: str | None = None
    service: str | None = None
    from_rating: str | None = None

    @property
    def cell(self) -> tuple[str, str, str | None, str | None, str]:
        return (self.level, self.org, self.location, self.service, self.key_question)


def make_override(
    *,
    level: str,
    org: str,
    key_question: str,
    to: str,
    reason: str,
    who: str,
    location: str | None = None,
    service: str | None = None,
    from_rating: str | None = None,
    when: datetime | None = None,
) -> Override:
    """Validate and build an override; an empty reason or author is refused."""
    if not reason or not str(reason).strip():
        raise InputError("an override needs a reason: say why professional judgement departs from the rules")
    if not who or not str(who).strip():
        raise InputError("an override needs the name of who made it (--who)")
    stamp = (when or datetime.now(UTC)).replace(microsecond=0).isoformat()
    return Override(
        level=Level.parse(level).value,
        org=str(org),
        key_question=parse_key_question(key_question),
        to_rating=Rating.parse(to).value,
        reason=str(reason).strip(),
        who=str(who).strip(),
        when=stamp,
        location=location or None,
        service=service or None,
        from_rating=Rating.parse(from_rating).value if from_rating else None,
    )


class OverrideStore:
    """Append-only audit trail of overrides: ``*.json``/``*.jsonl`` file or a DuckDB warehouse file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    @property
    def _is_duckdb(self) -> bool:
        return self.path.suffix.lower() in {".duckdb", ".db", ".ddb"}

    def append(self, override: Override) -> None:
        if not override.reason.strip():
            raise InputError("an override needs a reason")
        row = {k: asdict(override)[k] for k in OVERRIDE_COLUMNS}
        if self._is_duckdb:
            from wardwatch.warehouse import connect_raw

            with connect_raw(self.path) as con:
                con.execute(
                    f"CREATE TABLE IF NOT EXISTS {TABLE} (level VARCHAR, org VARCHAR, location VARCHAR, "
                    "service VARCHAR, key_question VARCHAR, from_rating VARCHAR, to_rating VARCHAR, "
                    "reason VARCHAR NOT NULL, who VARCHAR NOT NULL, \"when\" VARCHAR NOT NULL)"
                )
                con.execute(f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            [row[c] for c in OVERRIDE_COLUMNS])
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(row) + "\n")

    def read(self) -> list[Override]:
        if not self.path.exists():
            return []
        if self._is_duckdb:
            import duckdb

            from wardwatch.warehouse import connect_raw

            try:
                with connect_raw(self.path, read_only=True) as con:
                    exists = con.execute(
                        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [TABLE]
                    ).fetchone()[0]
                    if not exists:
                        return []
                    frame = con.execute(f"SELECT * FROM {TABLE}").df()
            except duckdb.Error as exc:
                first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise InputError(f"{self.path}: not a readable DuckDB override store ({first})") from None
            rows = frame.to_dict("records")
        else:
            rows = []
            for number, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), start=1):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise InputError(f"{self.path} line {number}: not JSON ({exc.msg})") from None
                    if not isinstance(rows[-1], dict):
                        raise InputError(f"{self.path} line {number}: not an override record (a JSON object)")
        out = []
        for number, row in enumerate(rows, start=1):
            if not str(row.get("reason") or "").strip() or not str(row.get("to_rating") or "").strip():
                raise InputError(f"{self.path} record {number}: an override needs to_rating and a reason")
            clean = {k: (None if (v is None or (isinstance(v, float) and math.isnan(v))) else v) for k, v in row.items()}
            out.append(Override(**{k: clean.get(k) for k in OVERRIDE_COLUMNS}))
        return out

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(o) for o in self.read()], columns=OVERRIDE_COLUMNS)
