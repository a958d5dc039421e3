"""Documents a trust keeps outside its data extracts, imported into the warehouse so that every
refresh (and every reader) sees the same version: CQC inspection histories and action plans.

One row per (kind, organisation): importing a newer document for an organisation replaces the
older one. The document is kept as parsed JSON with the SHA-256 of that JSON, which the ratings
and actions stages fingerprint.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from wardwatch.errors import InputError
from wardwatch.warehouse import INPUT_DOCUMENTS_TABLE, table_exists, transaction
from wardwatch.yamlfile import load_yaml

KINDS = ("ratings_history", "action_plan")
DDL = ("kind VARCHAR, org_code VARCHAR, source VARCHAR, document VARCHAR, sha256 VARCHAR, "
       "imported_at TIMESTAMP, PRIMARY KEY (kind, org_code)")


@dataclass(frozen=True)
class StoredDocument:
    kind: str
    org_code: str
    source: str
    document: dict[str, Any]
    sha256: str


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def read_yaml(path: Path, what: str) -> dict[str, Any]:
    """The YAML mapping in ``path``; one-line errors for a missing, unreadable or malformed file."""
    doc = load_yaml(path, what)
    if not isinstance(doc, dict):
        raise InputError(f"{what} {path}: expected a YAML mapping at the top")
    return _jsonable(doc)


def store_document(raw: duckdb.DuckDBPyConnection, kind: str, org_code: str, source: str,
                   document: dict[str, Any]) -> StoredDocument:
    """Keep ``document`` as the organisation's current ``kind`` (replacing an earlier import)."""
    with transaction(raw):
        return replace_document(raw, kind, org_code, source, document)


def replace_document(raw: duckdb.DuckDBPyConnection, kind: str, org_code: str, source: str,
                     document: dict[str, Any]) -> StoredDocument:
    """``store_document`` inside the caller's transaction (creating the table if missing)."""
    if kind not in KINDS:
        raise ValueError(kind)
    text = json.dumps(document, sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(text.encode()).hexdigest()
    raw.execute(f"CREATE TABLE IF NOT EXISTS {INPUT_DOCUMENTS_TABLE} ({DDL})")
    raw.execute(f"DELETE FROM {INPUT_DOCUMENTS_TABLE} WHERE kind = ? AND org_code = ?", [kind, org_code])
    raw.execute(f"INSERT INTO {INPUT_DOCUMENTS_TABLE} VALUES (?, ?, ?, ?, ?, ?)",
                [kind, org_code, source, text, digest, datetime.now().replace(microsecond=0)])
    return StoredDocument(kind, org_code, source, document, digest)


def documents(raw: duckdb.DuckDBPyConnection, kind: str) -> list[StoredDocument]:
    """Every organisation's current ``kind`` document, by organisation code."""
    if not table_exists(raw, INPUT_DOCUMENTS_TABLE):
        return []
    rows = raw.execute(f"SELECT org_code, source, document, sha256 FROM {INPUT_DOCUMENTS_TABLE} "
                       "WHERE kind = ? ORDER BY org_code", [kind]).fetchall()
    return [StoredDocument(kind, org, source, json.loads(text), digest) for org, source, text, digest in rows]
