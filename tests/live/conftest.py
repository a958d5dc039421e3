"""Fixtures for the live watchlist tests."""

from __future__ import annotations

from datetime import datetime

import pytest

from wardwatch.live.store import LiveStore


class FixedClock:
    """A clock tests can set and move."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2024, 3, 1, 12, 0))


@pytest.fixture
def store(tmp_path, clock):
    live = LiveStore(tmp_path / "w.duckdb", clock=clock)
    yield live
    live.close()

