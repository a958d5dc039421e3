"""The live state database: SQLite in WAL mode beside the warehouse (``<db>.live.sqlite``).

Why not the DuckDB warehouse: DuckDB allows one writing process, and loads/``refresh`` hold it
for minutes; intake must never wait for them (a sending system that gets no ACK retries and
queues). SQLite in WAL mode gives durable, fsync'd commits of a few kB in well under a
millisecond, readers that never block the writer (watchlist queries, a later web page), and it
is in the standard library.

Tables: ``messages`` (one row per accepted message key: the duplicate check), ``events`` (every
event, kept), ``quarantine`` (malformed messages with the reason), and derived state
``encounters``, ``sepsis``, ``imaging`` (re-derived per touched entity on every commit).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from wardwatch.errors import InputError
from wardwatch.live.events import ENCOUNTER, ORDER, Event, MessageError, to_ts
from wardwatch.live.fold import StoredEvent, fold_encounter, fold_order
from wardwatch.live.hl7v2 import Hl7Reader, Hl7Translator, build_ack
from wardwatch.live.pseudo import Pseudonymiser, load_or_create_key
from wardwatch.live.rules import RuleSet, load_rules

log = logging.getLogger("wardwatch.live")

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
    msg_key TEXT PRIMARY KEY, control_id TEXT NOT NULL, message_type TEXT NOT NULL,
    source TEXT NOT NULL, received_at TEXT NOT NULL, n_events INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY, msg_key TEXT NOT NULL, entity_type TEXT NOT NULL, entity_id TEXT NOT NULL,
    kind TEXT NOT NULL, event_at TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_entity ON events (entity_type, entity_id, event_at, seq);
CREATE TABLE IF NOT EXISTS quarantine (
    id INTEGER PRIMARY KEY, received_at TEXT NOT NULL, source TEXT NOT NULL, control_id TEXT,
    ack_code TEXT NOT NULL, error_code TEXT NOT NULL, location TEXT NOT NULL, reason TEXT NOT NULL,
    raw TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS encounters (
    visit_id TEXT PRIMARY KEY, patient_ref TEXT, org_code TEXT, site_code TEXT, age INTEGER,
    arrival_mode TEXT, acuity INTEGER, patient_class TEXT, location TEXT, ed_arrival_at TEXT,
    ed_departed_at TEXT, admitted_at TEXT, discharged_at TEXT, disposal TEXT);
CREATE INDEX IF NOT EXISTS encounters_ed ON encounters (ed_arrival_at) WHERE ed_departed_at IS NULL;
CREATE TABLE IF NOT EXISTS sepsis (
    episode_id TEXT PRIMARY KEY, visit_id TEXT NOT NULL, patient_ref TEXT, org_code TEXT,
    site_code TEXT, location TEXT, ward TEXT, trigger_at TEXT NOT NULL, news2 INTEGER NOT NULL,
    high_risk_at TEXT, screened_at TEXT, antibiotics_at TEXT, closed_at TEXT, age INTEGER);
CREATE INDEX IF NOT EXISTS sepsis_visit ON sepsis (visit_id);
CREATE TABLE IF NOT EXISTS imaging (
    request_id TEXT PRIMARY KEY, visit_id TEXT, patient_ref TEXT, org_code TEXT, site_code TEXT,
    modality TEXT, patient_type TEXT, priority TEXT, location TEXT, requested_at TEXT,
    performed_at TEXT, reported_at TEXT, cancelled_at TEXT);
CREATE INDEX IF NOT EXISTS imaging_waiting ON imaging (requested_at)
    WHERE performed_at IS NULL AND cancelled_at IS NULL;
CREATE TABLE IF NOT EXISTS actions (
    id INTEGER PRIMARY KEY, watchlist TEXT NOT NULL, item_id TEXT NOT NULL, action TEXT NOT NULL,
    assignee TEXT, by_user TEXT NOT NULL, done_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS actions_item ON actions (watchlist, item_id, id);
CREATE TABLE IF NOT EXISTS notified (
    watchlist TEXT NOT NULL, item_id TEXT NOT NULL, started_at TEXT NOT NULL, notified_at TEXT NOT NULL,
    PRIMARY KEY (watchlist, item_id, started_at));
"""

#: what staff can do to a watchlist item on the web page (``actions`` table)
ACTIONS = ("acknowledge", "assign", "escalate")

_ENC_COLUMNS = ("visit_id", "patient_ref", "org_code", "site_code", "age", "arrival_mode", "acuity",
                "patient_class", "location", "ed_arrival_at", "ed_departed_at", "admitted_at",
                "discharged_at", "disposal")
_SEPSIS_COLUMNS = ("episode_id", "visit_id", "patient_ref", "org_code", "site_code", "location", "ward",
                   "trigger_at", "news2", "high_risk_at", "screened_at", "antibiotics_at", "closed_at", "age")
_IMAGING_COLUMNS = ("request_id", "visit_id", "patient_ref", "org_code", "site_code", "modality",
                    "patient_type", "priority", "location", "requested_at", "performed_at", "reported_at",
                    "cancelled_at")


def live_path(db: Path) -> Path:
    """The live database that belongs to warehouse ``db`` (InputError when ``db`` cannot name one)."""
    db = Path(db)
    if not db.name or db.is_dir():
        raise InputError(f"--db {str(db)!r} is a folder or empty; give the warehouse file name, "
                         "e.g. build/warehouse.duckdb (live state goes beside it)")
    if not db.parent.is_dir():
        raise InputError(f"--db {db}: folder {db.parent} does not exist; create it first")
    return db.with_name(db.name + ".live.sqlite")


def key_path(db: Path) -> Path:
    return db.with_name(db.name + ".live.key")


@dataclass
class Outcome:
    """What happened to one incoming message; ``ack`` is the HL7 ACK text (HL7 intake only)."""

    status: str  # applied | duplicate | quarantined
    control_id: str
    ack: str = ""
    reason: str = ""


@dataclass
class Summary:
    applied: int = 0
    duplicate: int = 0
    quarantined: int = 0
    reasons: list[str] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        setattr(self, outcome.status, getattr(self, outcome.status) + 1)


def _insert(table: str, columns: Sequence[str]) -> str:
    return f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


class LiveStore:
    """One connection to the live database. Not thread-safe: one writer thread owns it."""

    def __init__(self, warehouse: Path, rules: RuleSet | None = None,
                 clock: Callable[[], datetime] = datetime.now):
        self.path = live_path(warehouse)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.rules = rules or load_rules()
        self.clock = clock
        self.pseudonymise = Pseudonymiser(load_or_create_key(key_path(warehouse)))
        self.translator = Hl7Translator(self.pseudonymise, self.rules.vocabulary)
        # autocommit mode: transactions are opened and committed explicitly per batch
        self.con = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.con.execute("PRAGMA journal_mode=WAL")
        # FULL: the WAL is fsync'd at every commit, so an ACK survives power loss, not just a crash
        self.con.execute("PRAGMA synchronous=FULL")
        self.con.execute("PRAGMA busy_timeout=10000")
        self.con.executescript(_SCHEMA)
        self.con.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))

    def close(self) -> None:
        self.con.close()

    # -- intake ---------------------------------------------------------------------------
    def ingest_hl7(self, messages: Sequence[str], source: str = "mllp") -> list[Outcome]:
        """Apply a batch of HL7 messages in ONE transaction; the returned ACKs may be sent only
        after this returns (the commit is inside)."""
        outcomes: list[Outcome] = []
        now = self.clock()
        received, stamp = to_ts(now), now.strftime("%Y%m%d%H%M%S")
        touched: set[tuple[str, str]] = set()
        self.con.execute("BEGIN IMMEDIATE")
        try:
            for text in messages:
                try:
                    parsed = self.translator.translate(text)
                except MessageError as err:
                    outcomes.append(self._quarantine(text, err, source, received))
                    continue
                outcome = self._record(parsed.key, parsed.control_id, parsed.message_type, parsed.events,
                                       source, received, touched)
                outcome.ack = build_ack(None, "AA", header=parsed.header, stamp=stamp)
                outcomes.append(outcome)
            self._rederive(touched)
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        return outcomes

    def ingest_events(self, items: Iterable[tuple[str, str, str, list[Event]]], source: str) -> Summary:
        """Apply already-translated messages ``(key, control_id, message_type, events)`` in one
        transaction (the FHIR path)."""
        summary = Summary()
        received = to_ts(self.clock())
        touched: set[tuple[str, str]] = set()
        self.con.execute("BEGIN IMMEDIATE")
        try:
            for key, control_id, message_type, events in items:
                summary.add(self._record(key, control_id, message_type, events, source, received, touched))
            self._rederive(touched)
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        return summary

    def quarantine(self, raw: str, err: MessageError, source: str) -> Outcome:
        """Keep a message that could not be read at all (one transaction)."""
        with self.con:
            return self._quarantine(raw, err, source, to_ts(self.clock()))

    def _quarantine(self, raw: str, err: MessageError, source: str, received: str) -> Outcome:
        control_id = None
        try:
            control_id = Hl7Reader(raw).get("MSH", 10) or None
        except MessageError:
            pass
        self.con.execute(
            "INSERT INTO quarantine (received_at, source, control_id, ack_code, error_code, location, reason, raw)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (received, source, control_id, err.ack_code, err.hl7_error, err.location, err.reason, raw),
        )
        log.warning("quarantined message %s: %s", control_id or "(no MSH-10)", err.reason)
        return Outcome("quarantined", control_id or "", build_ack(raw, err.ack_code, error=err), err.reason)

    def _record(self, key: str, control_id: str, message_type: str, events: list[Event], source: str,
                received: str, touched: set[tuple[str, str]]) -> Outcome:
        cur = self.con.execute(
            "INSERT OR IGNORE INTO messages VALUES (?, ?, ?, ?, ?, ?)",
            (key, control_id, message_type, source, received, len(events)),
        )
        if cur.rowcount == 0:
            return Outcome("duplicate", control_id)
        self.con.executemany(
            "INSERT INTO events (msg_key, entity_type, entity_id, kind, event_at, data) VALUES (?, ?, ?, ?, ?, ?)",
            [(key, e.entity_type, e.entity_id, e.kind, e.at, json.dumps(e.data, separators=(",", ":")))
             for e in events],
        )
        touched.update((e.entity_type, e.entity_id) for e in events)
        return Outcome("applied", control_id)

    def _events(self, entity_type: str, entity_id: str) -> list[StoredEvent]:
        rows = self.con.execute(
            "SELECT seq, kind, event_at, data FROM events WHERE entity_type = ? AND entity_id = ?"
            " ORDER BY event_at, seq",
            (entity_type, entity_id),
        ).fetchall()
        return [StoredEvent(seq, kind, at, json.loads(data)) for seq, kind, at, data in rows]

    def _rederive(self, touched: set[tuple[str, str]]) -> None:
        vocab = self.rules.vocabulary
        for entity_type, entity_id in touched:
            events = self._events(entity_type, entity_id)
            if entity_type == ENCOUNTER:
                enc, episodes = fold_encounter(entity_id, events, vocab)
                self.con.execute(_insert("encounters", _ENC_COLUMNS), [enc[c] for c in _ENC_COLUMNS])
                # events are never deleted, so a visit with no NEWS2 ever has no episode rows to replace
                if any(e.kind == "news2" for e in events):
                    self.con.execute("DELETE FROM sepsis WHERE visit_id = ?", (entity_id,))
                    self.con.executemany(_insert("sepsis", _SEPSIS_COLUMNS),
                                         [[ep[c] for c in _SEPSIS_COLUMNS] for ep in episodes])
            elif entity_type == ORDER:
                row = fold_order(entity_id, events)
                self.con.execute(_insert("imaging", _IMAGING_COLUMNS), [row[c] for c in _IMAGING_COLUMNS])

    # -- staff actions and notifications (the web dashboard) ---------------------------------
    def record_action(self, watchlist: str, item_id: str, action: str, by_user: str,
                      assignee: str | None = None) -> str:
        """Keep one acknowledge/assign/escalate of an item; returns its time (one transaction)."""
        if action not in ACTIONS:
            raise InputError(f"action {action!r}: must be one of {', '.join(ACTIONS)}")
        done_at = to_ts(self.clock())
        with self.con:
            self.con.execute("INSERT INTO actions (watchlist, item_id, action, assignee, by_user, done_at)"
                             " VALUES (?, ?, ?, ?, ?, ?)", (watchlist, item_id, action, assignee, by_user, done_at))
        return done_at

    def update_notified(self, announced: Iterable[tuple[str, str, str]],
                        no_longer_red: Iterable[tuple[str, str, str]] = ()) -> None:
        """Remember the red transitions announced, ``(watchlist, item_id, started_at)``, and forget
        items that are no longer red (a later red transition is announced again)."""
        stamp = to_ts(self.clock())
        with self.con:
            self.con.executemany("DELETE FROM notified WHERE watchlist = ? AND item_id = ? AND started_at = ?",
                                 list(no_longer_red))
            self.con.executemany("INSERT OR IGNORE INTO notified VALUES (?, ?, ?, ?)",
                                 [(*key, stamp) for key in announced])

    # -- reading --------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        tables = ("messages", "events", "quarantine", "encounters", "sepsis", "imaging")
        return {t: self.con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


def open_readonly(warehouse: Path) -> sqlite3.Connection:
    """A reader connection: WAL readers never block the listener's commits."""
    con = sqlite3.connect(f"file:{live_path(warehouse)}?mode=ro", uri=True)
    con.execute("PRAGMA busy_timeout=10000")
    return con
