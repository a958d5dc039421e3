"""MLLP listener: commit first, then acknowledge.

Connections are served by asyncio (framing by python-hl7's ``hl7.mllp`` streams). Every framed
message goes onto one queue; a single writer thread takes everything that is waiting (up to
``max_batch``), applies it in ONE SQLite transaction, commits (fsync), and only then hands each
connection its ACKs. Several messages that arrived together share one fsync, which is where the
throughput comes from; no ACK is ever written before its message's commit. A client may
pipeline: ACKs go back in the order the messages arrived on that connection.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from hl7.mllp import start_hl7_server
from hl7.mllp.exceptions import InvalidBlockError

from wardwatch.live.events import MessageError
from wardwatch.live.rules import RuleSet
from wardwatch.live.store import LiveStore

log = logging.getLogger("wardwatch.live")

_STOP = object()


class _Call:
    """Work for the writer other than an HL7 message: ``fn(store)`` in the writer thread."""

    __slots__ = ("fn", "future")

    def __init__(self, fn: Callable[[LiveStore], object]):
        self.fn = fn
        self.future: concurrent.futures.Future = concurrent.futures.Future()
_LIMIT = 1 << 24  # largest MLLP block accepted (16 MiB)


def decode(block: bytes) -> str:
    """HL7 v2 is usually ASCII/UTF-8; some feeds send Latin-1 (MSH-18 8859/1)."""
    try:
        return block.decode("utf-8")
    except UnicodeDecodeError:
        return block.decode("latin-1")


class Writer(threading.Thread):
    """Owns the store; applies queued messages in batches and resolves their futures.

    Other writes (FHIR bundles, staff actions of the web page) are queued with :meth:`call`, so
    one thread is the only writer of the live database in a process. ``on_commit`` (if set) is
    called in the writer thread after every commit."""

    def __init__(self, store_factory: Callable[[], LiveStore], max_batch: int = 500,
                 on_commit: Callable[[], None] | None = None):
        super().__init__(name="wardwatch-live-writer", daemon=True)
        self.inbox: queue.Queue = queue.Queue()
        self.store_factory = store_factory
        self.max_batch = max_batch
        self.ready = threading.Event()
        self.failure: BaseException | None = None
        self.applied = 0
        self.on_commit = on_commit

    def call(self, fn: Callable[[LiveStore], object]) -> concurrent.futures.Future:
        """Run ``fn(store)`` in the writer thread (from any thread); the future gets its result."""
        work = _Call(fn)
        self.inbox.put(work)
        return work.future

    def _run_call(self, store: LiveStore, work: _Call) -> None:
        try:
            result = work.fn(store)
        except BaseException as err:
            work.future.set_exception(err)  # the caller sees the error; the writer carries on
            # InputError/MessageError are ValueErrors; a busy or locked database is an sqlite3.Error
            if not isinstance(err, (ValueError, LookupError, sqlite3.Error)):
                raise
            return
        work.future.set_result(result)
        if self.on_commit is not None:
            self.on_commit()

    def submit(self, text: str) -> asyncio.Future:
        """Queue a message (call from the event loop); the future gets the ACK after the commit."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.inbox.put((text, future, loop))
        return future

    @staticmethod
    def _resolve(results: list[tuple[asyncio.Future, str | None, BaseException | None]]) -> None:
        for future, ack, error in results:
            if future.cancelled():
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(ack)

    def _hand_back(self, batch: list, acks: list[str] | None, error: BaseException | None) -> None:
        """One wake-up of each event loop per batch, not one per message."""
        by_loop: dict = {}
        for index, (_, future, loop) in enumerate(batch):
            by_loop.setdefault(loop, []).append((future, acks[index] if acks else None, error))
        for loop, results in by_loop.items():
            loop.call_soon_threadsafe(self._resolve, results)

    def stop(self) -> None:
        self.inbox.put(_STOP)

    def run(self) -> None:
        store = self.store_factory()
        self.ready.set()
        carry = None
        try:
            while True:
                item = carry if carry is not None else self.inbox.get()
                carry = None
                if item is _STOP:
                    return
                if isinstance(item, _Call):
                    self._run_call(store, item)
                    continue
                batch = [item]
                stopping = False
                while len(batch) < self.max_batch:
                    try:
                        nxt = self.inbox.get_nowait()
                    except queue.Empty:
                        break
                    if nxt is _STOP:
                        stopping = True
                        break
                    if isinstance(nxt, _Call):
                        carry = nxt  # after this batch, in arrival order
                        break
                    batch.append(nxt)
                try:
                    outcomes = store.ingest_hl7([text for text, _, _ in batch])
                except BaseException as err:
                    self._hand_back(batch, None, err)  # every waiting sender learns it failed
                    raise
                self.applied += len(batch)
                self._hand_back(batch, [o.ack for o in outcomes], None)
                if self.on_commit is not None:
                    self.on_commit()
                if stopping:
                    return
        except BaseException as err:
            self.failure = err
            log.error("live writer stopped: %s", type(err).__name__)
            raise
        finally:
            store.close()


async def _serve_connection(reader, writer, store_writer: Writer) -> None:
    pending: asyncio.Queue = asyncio.Queue()

    async def send_acks() -> None:
        while True:
            future = await pending.get()
            if future is None:
                return
            ack = await future
            writer.writeblock(ack.encode("utf-8"))
            await writer.drain()

    sender = asyncio.create_task(send_acks())
    try:
        while True:
            try:
                block = await reader.readblock()
            except asyncio.IncompleteReadError:
                break  # client closed the connection
            except InvalidBlockError:
                log.warning("dropped bytes outside an MLLP block")
                continue
            except ValueError:
                log.warning("message over the %d-byte limit: closing the connection", _LIMIT)
                break
            pending.put_nowait(store_writer.submit(decode(block)))
        pending.put_nowait(None)
        await sender
    except (ConnectionError, MessageError) as err:
        log.warning("connection closed: %s", type(err).__name__)
        sender.cancel()
    finally:
        writer.close()


async def serve(warehouse: Path, host: str, port: int, *, max_batch: int = 500,
                ready: Callable[[int], None] | None = None, stop: asyncio.Event | None = None,
                rules: RuleSet | None = None, writer: Writer | None = None) -> None:
    """Listen until ``stop`` is set (or forever). ``ready(port)`` is called once listening.

    With ``writer`` (already started, e.g. by ``wardwatch serve``) messages go to that writer,
    which is left running afterwards; otherwise the listener starts and stops its own."""
    own_writer = writer is None
    store_writer = writer or Writer(lambda: LiveStore(warehouse, rules=rules), max_batch=max_batch)
    if own_writer:
        store_writer.start()
    await asyncio.get_running_loop().run_in_executor(None, store_writer.ready.wait)

    async def on_connect(reader, writer) -> None:
        await _serve_connection(reader, writer, store_writer)

    server = await start_hl7_server(on_connect, host, port, limit=_LIMIT)
    bound = server.sockets[0].getsockname()[1]
    log.info("listening for MLLP on %s:%d", host, bound)
    if ready is not None:
        ready(bound)
    async def writer_died() -> None:
        while store_writer.is_alive():
            await asyncio.sleep(0.2)

    try:
        async with server:
            waiters = [asyncio.create_task(writer_died()),
                       asyncio.create_task(server.serve_forever() if stop is None else stop.wait())]
            _done, waiting = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            for task in waiting:
                task.cancel()
            if store_writer.failure is not None:
                raise store_writer.failure
    finally:
        if own_writer:
            store_writer.stop()
            await asyncio.get_running_loop().run_in_executor(None, store_writer.join)
