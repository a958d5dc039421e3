"""The live side of ``wardwatch serve``: one writer of the live store, the optional MLLP
listener, change notices for server-sent events, and red-transition webhooks.

Threads in the dashboard's process (docs/guide/watchlists.md, "Inside wardwatch serve"):

- the **writer** (``wardwatch.live.server.Writer``): the only connection that writes
  ``<db>.live.sqlite`` in this process. HL7 batches from the MLLP listener, FHIR bundles from
  ``POST /api/v1/fhir`` and staff actions from the page are all queued to it;
- the **MLLP listener** (``--mllp``): its own asyncio loop in a thread, feeding the writer;
- the **watcher**: notices commits (the writer's own, and another process's through SQLite's
  ``PRAGMA data_version``), bumps :attr:`LiveHub.version` for the event streams, and looks for
  items that have turned red (after a change, at most once a second, and every ``tick``
  seconds, since items turn red by the clock too);
- the **webhook sender** (``wardwatch.live.notify``): delivers, retries, never blocks intake.

Pages and the API read through short-lived read-only SQLite connections (WAL readers never
block the writer); the DuckDB warehouse is only read, apart from the web tables (sessions, audit).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from wardwatch.errors import InputError
from wardwatch.live.events import MessageError
from wardwatch.live.notify import WebhookSender
from wardwatch.live.pseudo import Pseudonymiser, load_or_create_key
from wardwatch.live.rules import RuleSet, load_rules
from wardwatch.live.server import Writer, serve
from wardwatch.live.store import LiveStore, Summary, key_path, open_readonly
from wardwatch.live.watchlist import Item, watchlist

log = logging.getLogger("wardwatch.live")

#: most items a page or an event carries (the API pages through all of them)
PAGE_ITEMS = 200


class LiveHub:
    """Everything live in one ``wardwatch serve`` process; :meth:`start` it, :meth:`stop` it."""

    def __init__(self, db: Path, *, rules: RuleSet | None = None, clock: Callable[[], datetime] = datetime.now,
                 webhooks: Iterable[str] = (), mllp: tuple[str, int] | None = None, poll: float = 0.25,
                 tick: float = 10.0, stream_interval: float = 1.0, webhook_timeout: float = 5.0, webhook_attempts: int = 5,
                 webhook_backoff: float = 2.0):
        self.db = Path(db)
        self.rules = rules or load_rules()
        self.clock = clock
        self.mllp = mllp
        self.mllp_port: int | None = None
        self.poll, self.tick = poll, tick
        self.stream_interval = stream_interval  # an event stream queries its list at most this often
        self.version = 0  # bumped on every change of the live database (event streams watch it)
        urls = tuple(dict.fromkeys([*self.rules.webhooks, *webhooks]))
        self.sender = WebhookSender(urls, timeout=webhook_timeout, attempts=webhook_attempts,
                                    backoff=webhook_backoff) if urls else None
        self.writer = Writer(lambda: LiveStore(self.db, rules=self.rules, clock=clock), on_commit=self._changed)
        self._pseudo: Pseudonymiser | None = None
        self._poke = threading.Event()
        self._stopping = threading.Event()
        self._red: set[tuple[str, str, str]] = set()
        self._red_lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._mllp_loop: asyncio.AbstractEventLoop | None = None
        self._mllp_stop: asyncio.Event | None = None
        self._mllp_bound = threading.Event()
        self._mllp_error: OSError | None = None
        self.started = False

    # --- life cycle -----------------------------------------------------------------------
    def start(self) -> None:
        self.writer.start()
        self.writer.ready.wait()
        if self.writer.failure is not None:
            raise self.writer.failure
        self._pseudo = Pseudonymiser(load_or_create_key(key_path(self.db)))
        if self.sender is not None:
            self.sender.start()
        watcher = threading.Thread(target=self._watch, name="wardwatch-live-watcher", daemon=True)
        watcher.start()
        self._threads.append(watcher)
        if self.mllp is not None:
            listener = threading.Thread(target=self._listen, name="wardwatch-mllp", daemon=True)
            listener.start()
            self._threads.append(listener)
            self._mllp_bound.wait(30)
            if self._mllp_error is not None:
                self.stop()
                host, port = self.mllp
                raise InputError(f"--mllp {host}:{port}: cannot listen ({self._mllp_error.strerror})")
        self.started = True

    def stop(self) -> None:
        if not self.writer.is_alive() and not self.started:
            return  # never started
        self._stopping.set()
        self._poke.set()
        if self._mllp_loop is not None and self._mllp_stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already closed
                self._mllp_loop.call_soon_threadsafe(self._mllp_stop.set)
        for thread in self._threads:
            thread.join(10)
        self.writer.stop()
        self.writer.join(10)
        if self.sender is not None:
            self.sender.stop()
            self.sender.join(10)

    def _listen(self) -> None:
        host, port = self.mllp

        def ready(bound: int) -> None:
            self.mllp_port = bound
            self._mllp_bound.set()

        async def main() -> None:
            self._mllp_loop = asyncio.get_running_loop()
            self._mllp_stop = asyncio.Event()
            await serve(self.db, host, port, ready=ready, stop=self._mllp_stop, writer=self.writer)

        try:
            asyncio.run(main())
        except OSError as err:
            self._mllp_error = err
        finally:
            self._mllp_bound.set()

    def _changed(self) -> None:
        self.version += 1
        self._poke.set()

    # --- reading --------------------------------------------------------------------------
    @contextlib.contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        con = open_readonly(self.db)
        try:
            yield con
        finally:
            con.close()

    def item_ref(self, name: str, item_id: str) -> str:
        """A stable reference for an item in pages and forms: keyed hash, not the visit/order number."""
        assert self._pseudo is not None, "start() the hub first"
        return "W-" + self._pseudo(item_id, f"item:{name}")[2:]

    def items(self, name: str, *, status: str | None = None, org: str | None = None,
              site: str | None = None, at: datetime | None = None) -> tuple[datetime, list[Item]]:
        at = at or self.clock()
        with self.reading() as con:
            return at, watchlist(con, self.rules, name, at, status, org=org, site=site)

    def rows(self, name: str, items: list[Item]) -> list[dict[str, Any]]:
        """Items as API rows (with the latest staff actions), in the list's order."""
        done: dict[str, dict[str, Any]] = {}
        if items:
            with self.reading() as con:
                for item_id, action, assignee, by_user, done_at in con.execute(
                        "SELECT item_id, action, assignee, by_user, done_at FROM actions WHERE watchlist = ?"
                        " ORDER BY id", (name,)):
                    latest = done.setdefault(item_id, {})
                    latest[f"{action}_by"] = by_user
                    latest[f"{action}_at"] = done_at
                    if action == "assign":
                        latest["assigned_to"] = assignee
        out = []
        for item in items:
            actions = done.get(item.item_id, {})
            out.append({
                "item_ref": self.item_ref(name, item.item_id), "patient_ref": item.patient_ref,
                "location": item.location, "org_code": item.org_code, "site_code": item.site_code,
                "started_at": item.started_at, "minutes": math.floor(item.minutes), "status": item.status,
                "rules_version": self.rules.version,
                "acknowledged_by": actions.get("acknowledge_by"), "acknowledged_at": actions.get("acknowledge_at"),
                "assigned_to": actions.get("assigned_to"), "assigned_by": actions.get("assign_by"),
                "assigned_at": actions.get("assign_at"),
                "escalated_by": actions.get("escalate_by"), "escalated_at": actions.get("escalate_at"),
            })
        return out

    def find(self, name: str, item_ref: str) -> Item | None:
        _, items = self.items(name)
        return next((i for i in items if self.item_ref(name, i.item_id) == item_ref), None)

    # --- writing (through the one writer) ----------------------------------------------------
    def act(self, name: str, item: Item, action: str, by_user: str, assignee: str | None = None) -> str:
        future = self.writer.call(lambda store: store.record_action(name, item.item_id, action, by_user, assignee))
        return future.result(60)

    async def ingest_fhir(self, document: dict[str, Any], source: str = "api") -> Summary:
        from wardwatch.live.fhir import process_bundle

        return await asyncio.wrap_future(self.writer.call(lambda store: process_bundle(store, document, source)))

    async def quarantine(self, raw: str, reason: str, source: str = "api") -> None:
        err = MessageError(reason, ack_code="AR", location="body")
        await asyncio.wrap_future(self.writer.call(lambda store: store.quarantine(raw, err, source)))

    # --- watching: change notices and red transitions ------------------------------------------
    def _watch(self) -> None:
        con = open_readonly(self.db)
        last_version = None
        last_check = 0.0
        pending = False
        try:
            while not self._stopping.is_set():
                self._poke.wait(self.poll)
                self._poke.clear()
                if self._stopping.is_set():
                    return
                data_version = con.execute("PRAGMA data_version").fetchone()[0]
                changed = data_version != last_version
                if changed and last_version is not None:
                    self.version += 1  # another connection (e.g. a separate `wardwatch listen`) committed
                last_version = data_version
                pending = pending or changed
                now = time.monotonic()
                # after a change (at most once a second under a busy feed), and every tick anyway
                if self.sender is not None and ((pending and now - last_check >= 1.0) or now - last_check >= self.tick):
                    last_check, pending = now, False
                    try:
                        self.check_red()
                    except sqlite3.Error as err:
                        log.warning("red check skipped: %s", err)
        finally:
            con.close()

    def check_red(self) -> int:
        """Queue a webhook for every item that is red now and was not at the last check (and
        was not announced before a restart); returns how many were queued."""
        if self.sender is None:
            return 0
        with self._red_lock:
            at = self.clock()
            current: dict[tuple[str, str, str], tuple[str, Item]] = {}
            with self.reading() as con:
                for name in self.rules.rules:
                    for item in watchlist(con, self.rules, name, at, "red"):
                        current[(name, item.item_id, item.started_at)] = (name, item)
                fresh = [key for key in current if key not in self._red]
                announced = set()
                if fresh:
                    announced = {tuple(row) for row in con.execute(
                        "SELECT watchlist, item_id, started_at FROM notified")}
            left = self._red - set(current)
            self._red = set(current)
            new = [key for key in fresh if key not in announced]
            for key in new:
                name, item = current[key]
                self.sender.send({
                    "event": "watchlist.red", "watchlist": name, "patient_ref": item.patient_ref,
                    "item_ref": self.item_ref(name, item.item_id), "location": item.location,
                    "minutes": math.floor(item.minutes), "rules_version": self.rules.version,
                })
            if new or left:
                self.writer.call(lambda store: store.update_notified(new, left))
            return len(new)
