"""Answers of the web's read functions, kept while the warehouse file is unchanged.

Opening the warehouse read-only costs tens of milliseconds and the reads behind one SPC answer
a few hundred (on the medium demo warehouse), while the results change only when something
writes the file (``wardwatch refresh``, a sign-in, an audit row). So ``Results.reading()`` yields
a ``Reader``: it behaves as the read-only DuckDB connection (opened through
``wardwatch.warehouse.reader`` on first use only, closed when the block ends), and functions
decorated with ``cached`` keep their answers under the file's fingerprint (size, modification
time and inode of the file and of its write-ahead log). Any write changes the fingerprint and
empties the cache. A file written less than ``SETTLE_SECONDS`` ago is not cached from (a second
write within the file system's timestamp tick would not show), so a fresh write is always read.

No connection is held between requests, so ``wardwatch refresh`` in another process is not
locked out any longer than before.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from wardwatch.warehouse import BUSY_WAIT_SECONDS, reader

SETTLE_SECONDS = 2.0
MAX_ENTRIES = 512

F = TypeVar("F", bound=Callable[..., Any])


def fingerprint(db: Path) -> tuple | None:
    """(size, mtime, inode) of the warehouse and of its WAL; None when the file was written too
    recently to trust (or is missing)."""
    parts: list = []
    newest = 0.0
    for path in (db, db.with_name(db.name + ".wal")):
        try:
            st = os.stat(path)
        except FileNotFoundError:
            parts.append(None)
            continue
        parts.append((st.st_size, st.st_mtime_ns, st.st_ino))
        newest = max(newest, st.st_mtime)
    if parts[0] is None or time.time() - newest < SETTLE_SECONDS:
        return None
    return tuple(parts)


class Results:
    """The cache of one warehouse (one per app); use under the app's lock."""

    def __init__(self, db: Path) -> None:
        self.db = Path(db)
        self.memo: OrderedDict[Hashable, Any] = OrderedDict()
        self.seen: tuple | None = None

    @contextlib.contextmanager
    def reading(self) -> Iterator[Reader]:
        current = fingerprint(self.db)
        if current != self.seen:
            self.memo.clear()
            self.seen = current
        with ExitStack() as stack:
            yield Reader(self, current, stack)

    def get(self, key: Hashable) -> tuple[bool, Any]:
        if key in self.memo:
            self.memo.move_to_end(key)
            return True, self.memo[key]
        return False, None

    def put(self, key: Hashable, value: Any) -> None:
        self.memo[key] = value
        while len(self.memo) > MAX_ENTRIES:
            self.memo.popitem(last=False)


class Reader:
    """A read-only connection to the warehouse, opened on first use; ``cached`` functions read
    their answers from ``results`` while the fingerprint holds."""

    def __init__(self, results: Results, current: tuple | None, stack: ExitStack) -> None:
        self._results = results
        self._current = current
        self._stack = stack
        self._raw: duckdb.DuckDBPyConnection | None = None

    def connection(self) -> duckdb.DuckDBPyConnection:
        if self._raw is None:
            self._raw = self._stack.enter_context(reader(self._results.db, wait=BUSY_WAIT_SECONDS))
        return self._raw

    def __getattr__(self, name: str) -> Any:
        return getattr(self.connection(), name)

    def lookup(self, key: Hashable) -> tuple[bool, Any]:
        return (False, None) if self._current is None else self._results.get(key)

    def keep(self, key: Hashable, value: Any) -> None:
        if self._current is not None:
            self._results.put(key, value)


def _key_part(value: Any) -> Hashable:
    return value if isinstance(value, Hashable) else ("id", id(value))  # the app's registry: one object


def cached(func: F) -> F:
    """Keep ``func(raw, *args)``'s answer while the warehouse is unchanged (only when ``raw`` is
    a ``Reader``; a plain connection reads every time). Lists and dicts are copied on the way out,
    so a caller that edits its answer does not edit the cache; other objects are shared and must
    be treated as read-only."""

    @functools.wraps(func)
    def wrapper(raw: Any, *args: Any) -> Any:
        if not isinstance(raw, Reader):
            return func(raw, *args)
        key = (func.__module__, func.__qualname__, *(_key_part(a) for a in args))
        found, value = raw.lookup(key)
        if not found:
            value = func(raw, *args)
            raw.keep(key, value)
        return copy.deepcopy(value) if isinstance(value, (list, dict)) else value

    return wrapper  # type: ignore[return-value]
