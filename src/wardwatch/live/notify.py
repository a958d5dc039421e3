"""Webhooks: a JSON POST to each configured URL when a watchlist item turns red.

Deliveries are queued and sent by one background thread, so intake never waits for a
receiver. Each delivery has a timeout; a failed one (no connection, a timeout, HTTP 429 or
5xx) is retried with exponential backoff (``backoff``, ``2 × backoff``, ``4 × backoff`` …) up to
``attempts`` tries, then dropped with one warning. The payload carries the watchlist, the
pseudonymised patient reference, location, whole minutes waited and the rules version: no
identifiers. Logs name the receiver's host only (a URL's path or query may hold a secret).
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from wardwatch.errors import InputError

log = logging.getLogger("wardwatch.live")


def check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"webhook {url[:80]!r}: expected an http:// or https:// URL")
    return url


def _host(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


def post_json(url: str, body: bytes, timeout: float) -> int:
    """POST ``body``; the HTTP status (raises OSError/URLError on no answer)."""
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json",
                                              "User-Agent": "wardwatch-webhook/1"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


class WebhookSender(threading.Thread):
    """Sends queued payloads to every URL, with retry/backoff; :meth:`send` never blocks."""

    def __init__(self, urls: Iterable[str], *, timeout: float = 5.0, attempts: int = 5, backoff: float = 2.0,
                 post: Callable[[str, bytes, float], int] = post_json):
        super().__init__(name="wardwatch-webhooks", daemon=True)
        self.urls = tuple(check_url(u) for u in urls)
        self.timeout, self.attempts, self.backoff, self.post = timeout, attempts, backoff, post
        self._due: list[tuple[float, int, str, bytes, int]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._stopping = False
        self.queued = 0  # deliveries asked for (one per payload and URL)
        self.delivered = 0
        self.failed = 0  # deliveries given up after the last attempt

    def send(self, payload: dict) -> None:
        body = json.dumps(payload, sort_keys=True).encode()
        with self._wake:
            for url in self.urls:
                self.queued += 1
                heapq.heappush(self._due, (time.monotonic(), next(self._order), url, body, 0))
            self._wake.notify()

    def stop(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify()

    def pending(self) -> int:
        with self._wake:
            return len(self._due)

    def run(self) -> None:
        while True:
            with self._wake:
                while not self._stopping and (not self._due or self._due[0][0] > time.monotonic()):
                    self._wake.wait(None if not self._due else max(0.0, self._due[0][0] - time.monotonic()))
                if self._stopping:
                    return
                _, _, url, body, attempt = heapq.heappop(self._due)
            self._deliver(url, body, attempt)

    def _deliver(self, url: str, body: bytes, attempt: int) -> None:
        try:
            status = self.post(url, body, self.timeout)
            problem = None if 200 <= status < 300 else f"HTTP {status}"
            retry = status == 429 or status >= 500
        except (OSError, urllib.error.URLError) as err:  # refused, unreachable, timed out
            problem, retry = type(err).__name__, True
        if problem is None:
            self.delivered += 1
            return
        if retry and attempt + 1 < self.attempts:
            delay = self.backoff * (2 ** attempt)
            log.info("webhook to %s failed (%s); retry %d in %.1f s", _host(url), problem, attempt + 1, delay)
            with self._wake:
                heapq.heappush(self._due, (time.monotonic() + delay, next(self._order), url, body, attempt + 1))
                self._wake.notify()
            return
        self.failed += 1
        log.warning("webhook to %s given up after %d attempt(s): %s", _host(url), attempt + 1, problem)
